"""Which domains count as independent sources: a domain farm counts as one domain until it has a history.

The consensus caps what one domain can weigh, so an attacker's cheapest move is many domains. Three signs give a
farm away, and domains that show one count as a single source:

- they share a key: the same RSA or Ed25519 key material listed by actors of different domains;
- they share an address block: their names resolved, when we first met them, into one IPv4 /24 or IPv6 /48
  (loopback and private addresses are ignored: only a trial on one machine uses them);
- they are newcomers: first seen less than ``newcomer_age`` ago, or never seen before their claim. All newcomers
  count together as one source until each has been known for that long; a peer added by the admin is exempt.

The rules are policy (:class:`Independence`, defaults documented there, set per instance); this module only
groups. A group counts under the name of its first member in alphabetical order, with the lowest trust of its
members, so that joining a farm can only lower what a domain weighs. Our own domain is never grouped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fedi.database import Connection, Pool

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Independence:
    """The farm rules.

    - ``newcomer_age``: how long a domain must have been known before it counts on its own (1 day; 0 turns the
      rule off, as development mode does: a trial on localhost has no history to wait for);
    - ``ipv4_prefix`` / ``ipv6_prefix``: the size of an address block (/24 and /48: one hosting customer's
      range, not a whole provider's);
    - ``shared_keys``: whether sharing key material groups domains (always, unless an admin knows better).
    """

    newcomer_age: timedelta = timedelta(days=1)
    ipv4_prefix: int = 24
    ipv6_prefix: int = 48
    shared_keys: bool = True


@dataclass(frozen=True)
class DomainFacts:
    """What we know of one domain: when we first met it, its address block then, its actors' key material."""

    domain: str
    first_seen: datetime | None = None
    block: str | None = None
    keys: frozenset[str] = field(default_factory=frozenset)
    vetted: bool = False


def address_block(address: str, policy: Independence) -> str | None:
    """The block an address belongs to, or None for loopback, private and other non-public addresses."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global:
        return None
    prefix = policy.ipv4_prefix if ip.version == 4 else policy.ipv6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class _Groups:
    def __init__(self, members: Iterable[str]) -> None:
        self._parent = {member: member for member in members}

    def find(self, member: str) -> str:
        while self._parent[member] != member:
            self._parent[member] = self._parent[self._parent[member]]
            member = self._parent[member]
        return member

    def join(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[max(a, b)] = min(a, b)


def sources(facts: Iterable[DomainFacts], policy: Independence, now: datetime, own_domain: str) -> dict[str, str]:
    """Each domain's source: itself, or the name of the group it counts in."""
    known = [fact for fact in facts if fact.domain != own_domain]
    groups = _Groups(fact.domain for fact in known)
    by_sign: dict[tuple[str, str], str] = {}

    def share(sign: tuple[str, str], domain: str) -> None:
        first = by_sign.setdefault(sign, domain)
        groups.join(first, domain)

    for fact in known:
        if policy.shared_keys:
            for key in fact.keys:
                share(("key", key), fact.domain)
        if fact.block is not None:
            share(("block", fact.block), fact.domain)
        newcomer = fact.first_seen is None or now - fact.first_seen < policy.newcomer_age
        if newcomer and not fact.vetted and policy.newcomer_age > timedelta(0):
            share(("newcomer", ""), fact.domain)
    answer = {fact.domain: groups.find(fact.domain) for fact in known}
    answer[own_domain] = own_domain
    return answer


def grouped_trust(groups: Mapping[str, str], trust: Mapping[str, float], default: float) -> dict[str, float]:
    """The trust of each group: the lowest of its members' (a farm cannot launder a distrusted domain)."""
    answer = dict(trust)
    for domain, source in groups.items():
        if source != domain:
            answer[source] = min(answer.get(source, default), trust.get(domain, default))
    return answer


async def facts(db: Pool | Connection, domains: Iterable[str], peers: Iterable[str]) -> list[DomainFacts]:
    """What the database knows of ``domains``; ``peers`` (domains the admin added as peers) are vetted."""
    wanted = sorted(set(domains))
    vetted = set(peers)
    rows = await db.fetch(
        "SELECT d.domain, d.first_seen, d.address_block,"
        " coalesce((SELECT array_agg(DISTINCT k.material) FROM remote_keys k JOIN remote_actors a ON a.uri = k.owner"
        " WHERE a.domain = d.domain), '{}') AS keys FROM domains d WHERE d.domain = ANY($1)",
        wanted,
    )
    found = {
        row["domain"]: DomainFacts(
            row["domain"], row["first_seen"], row["address_block"], frozenset(row["keys"]), row["domain"] in vetted
        )
        for row in rows
    }
    return [found.get(domain, DomainFacts(domain, vetted=domain in vetted)) for domain in wanted]


async def met(db: Pool | Connection, domain: str, now: datetime, block: str | None) -> None:
    """Record the first time we meet a domain (later meetings change nothing: history is what it was)."""
    await db.execute(
        "INSERT INTO domains (domain, first_seen, address_block) VALUES ($1, $2, $3) ON CONFLICT (domain) DO NOTHING",
        domain,
        now,
        block,
    )


async def resolve_block(domain: str, policy: Independence, wait: float = 2.0) -> str | None:
    """The address block ``domain`` resolves to now, or None when it does not resolve in time or is not public."""
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    try:
        answers = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, None), wait)
    except (OSError, TimeoutError, UnicodeError):
        return None
    for *_, sockaddr in answers:
        block = address_block(str(sockaddr[0]), policy)
        if block is not None:
            return block
    return None
