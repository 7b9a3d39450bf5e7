"""The sources the consensus engine sees: a farm of domains as one, each approved member of ours as one.

The engine caps what one source can weigh, and "source" is a domain by default. Two corrections make that right:
domains that share a key, an address block or a recent first meeting count as one (``ledger.independence``), and
our own approved members each count as one, since the group approved them as people, not accounts anyone can
make — so that a community on one instance can confirm or correct its figures, more instances only adding
confidence. A member stands as ``DOMAIN/~name`` with our own trust. What a consensus reports as its domains stays
the real instances behind it (``instances``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from consensus.vocabulary import Claim, Policy, Summary
from fedi.database import Pool
from fedi.types import Clock
from fedi.urls import Urls
from ledger import independence
from ledger.independence import Independence


@dataclass(frozen=True)
class Seen:
    """Claims as the engine takes them, the same claims under their (farm-grouped) domains, and the policy."""

    claims: list[Claim]
    grouped: list[Claim]
    policy: Policy


class Sources:
    def __init__(self, pool: Pool, urls: Urls, clock: Clock, farms: Independence | None) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._farms = farms

    async def of(self, claims: list[Claim], policy: Policy) -> Seen:
        grouped, policy = await self._independent(claims, policy)
        taken, policy = await self._members(grouped, policy)
        return Seen(taken, grouped, policy)

    async def _independent(self, claims: list[Claim], policy: Policy) -> tuple[list[Claim], Policy]:
        """Claims with the domains of one farm counted as one source, under the lowest trust of its members."""
        if self._farms is None or not claims:
            return claims, policy
        domains = {claim.domain for claim in claims}
        vetted = set(policy.trust) | await self._peer_domains()
        known = await independence.facts(self._pool, domains, vetted)
        groups = independence.sources(known, self._farms, self._clock(), policy.own_domain)
        if all(groups.get(domain, domain) == domain for domain in domains):
            return claims, policy
        trust = independence.grouped_trust(groups, policy.trust, policy.tau_new)
        grouped = [replace(claim, domain=groups.get(claim.domain, claim.domain)) for claim in claims]
        return grouped, replace(policy, trust=trust)

    async def _members(self, claims: list[Claim], policy: Policy) -> tuple[list[Claim], Policy]:
        """Each approved member of the figure's group, among our own claims, as a source of its own."""
        own = [claim for claim in claims if claim.domain == policy.own_domain]
        if not own:
            return claims, policy
        rows = await self._pool.fetch(
            "SELECT f.uri, fo.follower FROM figures f JOIN follows fo ON fo.followee = f.group_uri"
            " AND fo.state = 'accepted' WHERE f.uri = ANY($1) AND fo.follower = ANY($2)",
            sorted({claim.figure for claim in own}),
            sorted({claim.actor for claim in own}),
        )
        approved = {(row["uri"], row["follower"]) for row in rows}
        members: dict[str, str] = {}
        for claim in own:
            name = self._urls.local_name(claim.actor)
            if name is not None and (claim.figure, claim.actor) in approved:
                members[claim.actor] = f"{policy.own_domain}/~{name}"
        if not members:
            return claims, policy
        mapped = [
            replace(claim, domain=members[claim.actor])
            if claim.domain == policy.own_domain and claim.actor in members
            else claim
            for claim in claims
        ]
        trust = dict(policy.trust) | dict.fromkeys(members.values(), policy.tau_own)
        return mapped, replace(policy, trust=trust)

    async def _peer_domains(self) -> set[str]:
        """The domains of the peers the admin added: they are vetted, whatever their age."""
        rows = await self._pool.fetch(
            "SELECT followee FROM follows WHERE follower = $1 AND state = 'accepted'", self._urls.instance_actor()
        )
        return {(urlsplit(row["followee"]).netloc or "").lower() for row in rows}


def instances(seen: Seen, summaries: Iterable[Summary]) -> dict[str, int]:
    """How many instances stand behind each figure's consensus, in one pass over its claims and summaries.

    A member standing as a source of its own still comes from our one domain; a source this instance does not
    trust at all counts for nothing, as in the engine.
    """
    policy = seen.policy

    def trusted(source: str) -> bool:
        level = policy.tau_own if source == policy.own_domain else policy.trust.get(source, policy.tau_new)
        return level > 0

    found: dict[str, set[str]] = defaultdict(set)
    for taken, real in zip(seen.claims, seen.grouped, strict=True):
        if trusted(taken.domain):
            found[real.figure].add(real.domain)
    for summary in summaries:
        if trusted(summary.origin):
            found[summary.figure].add(summary.origin)
    return {figure: len(domains) for figure, domains in found.items()}
