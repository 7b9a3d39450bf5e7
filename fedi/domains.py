"""Domains and the domains under them: a block of ``spam.example`` is a block of ``a.spam.example`` too.

A server that hands out subdomains (one per user, one per instance on a hosting service) would otherwise escape a
block at no cost, which is why Mastodon and GoToSocial match blocks this way. Matching is by label: ``ham.example``
is not under ``m.example``. The SQL helpers compare suffixes with ``right()``, not LIKE, whose ``_`` would match any
character of a host name. Host names here are lower case and carry a port only in development.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

_ADDRESS = "'^[0-9.]+(:[0-9]+)?$'"
#: A plain http(s) URL, its host (and port) as group 1: what ``urlsplit`` reads the same way, without it.
PLAIN_URL = re.compile(
    r"(?i:https?)://([A-Za-z0-9.-]+(?::[0-9]*)?)(?:[/?#]|\Z)", re.ASCII
)  # an IPv4 address (and port): nothing is under it


def under(host: str, domain: str) -> str:
    """SQL: whether the host ``host`` is the domain ``domain`` or a domain under it (both SQL expressions)."""
    return f"({host} = {domain} OR (right({host}, length({domain}) + 1) = '.' || {domain} AND {host} !~ {_ADDRESS}))"


def suspended(host: str) -> str:
    """SQL: whether the host ``host`` (a lower-case SQL expression) is suspended here (``ledger.blocks``)."""
    return f"EXISTS (SELECT 1 FROM domain_blocks b WHERE b.severity = 'suspend' AND {under(host, 'b.domain')})"


def known_under_blocks() -> str:
    """SQL: the domains we have heard from (``domains``) that lie under a blocked one, read by ranges of the index on
    their reversed names (migration 0037): host names hold no character above ``~``."""
    start = "reverse('.' || b.domain)"
    return (
        "SELECT DISTINCT d.domain FROM domain_blocks b JOIN domains d"
        f" ON reverse(d.domain) ~>=~ {start} AND reverse(d.domain) ~<~ ({start} || '~')"
        f" WHERE d.domain !~ {_ADDRESS}"
    )


def host_of(url: str) -> str:
    """The lower-case host (and port) of ``url``, as ``urlsplit(url).netloc.lower()`` gives it (``ValueError``
    when it cannot split it). A plain URL (``http(s)://``, a host of letters, digits, dots and dashes, an optional
    port, then the end or ``/ ? #``) is read by one match: an inbox POST asks for the hosts of its activity's id,
    its actor and its key."""
    plain = PLAIN_URL.match(url)
    if plain is not None:
        return plain.group(1).lower()
    return urlsplit(url).netloc.lower()


@functools.lru_cache(maxsize=8)
def _deepest(domains: frozenset[str]) -> int:
    """How many labels the longest of ``domains`` has: counted once per set of blocks (a frozenset keeps its hash),
    not once per request that asks whether its host is blocked."""
    return max((domain.count(".") for domain in domains), default=0) + 1


def covering(host: str, domains: frozenset[str]) -> str | None:
    """The domain of ``domains`` that ``host`` is, or is under; None when there is none.

    ``host`` comes from what a peer sent: only as many of its last labels are looked at as the deepest block has,
    so a name of thousands of labels costs one split, not a copy per label. Kept per host and set of blocks: an
    inbox POST asks twice (its actor's host and its key's), and the senders of a busy inbox come back. Only names
    a host can have are kept (``MAX_HOST``): a Signature's keyId is as long as a header may be, and 4,096 of those
    would hold tens of megabytes."""
    if len(host) > MAX_HOST:
        return _covering(host, domains)
    return _kept(host, domains)


#: The longest host name kept by ``covering``: 253 characters of DNS name, a colon and a port.
MAX_HOST = 260


def _covering(host: str, domains: frozenset[str]) -> str | None:
    name = host.lower()
    if name.replace(".", "").replace(":", "").isdigit():  # an IPv4 address (and port): nothing is under it
        return name if name in domains else None
    labels = name.rsplit(".", _deepest(domains))
    for start in range(len(labels) - 1, -1, -1):
        suffix = ".".join(labels[start:]) if start else name
        if suffix in domains:
            return suffix
    return None


_kept = functools.lru_cache(maxsize=4096)(_covering)
