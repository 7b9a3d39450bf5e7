"""FEP-8fcf followers synchronisation: each delivery tells the receiving server what we think it follows.

The ``Collection-Synchronization`` header carries the followers collection, a URL listing only the followers on
the receiving domain, and the XOR of their ids' SHA-256 digests. When the digest differs from its own, Mastodon
fetches the list and repairs its state — the follow we revoked with ``Reject`` but it never heard of is dropped.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from fedi.database import Pool
from fedi.normalise import ids_of
from fedi.types import JSON
from fedi.urls import Urls

ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


def digest(follower_ids: list[str]) -> str:
    value = 0
    for follower in follower_ids:
        value ^= int.from_bytes(hashlib.sha256(follower.encode()).digest(), "big")
    return f"{value:064x}"


def header(collection_id: str, url: str, follower_ids: list[str]) -> str:
    return f'collectionId="{collection_id}", url="{url}", digest="{digest(follower_ids)}"'


async def followers_on(pool: Pool, actor_id: str, domain: str) -> list[str]:
    """Accepted followers whose id is on ``domain``; filtered in SQL, as a fan-out asks once per delivery."""
    rows = await pool.fetch(
        "SELECT follower FROM follows WHERE followee = $1 AND state = 'accepted'"
        " AND lower(split_part(split_part(follower, '://', 2), '/', 1)) = lower($2)",
        actor_id,
        domain,
    )
    return [row["follower"] for row in rows if urlsplit(row["follower"]).netloc.lower() == domain.lower()]


class Synchronization:
    """Builds the header for a delivery of ``document`` to a server at ``domain`` (None when not addressed to
    followers)."""

    def __init__(self, pool: Pool, urls: Urls) -> None:
        self._pool = pool
        self._urls = urls

    async def __call__(self, document: JSON, domain: str) -> str | None:
        actor = document.get("actor")
        name = self._urls.local_name(actor) if isinstance(actor, str) else None
        if name is None:
            return None
        followers = self._urls.followers(name)
        if followers not in {ident for key in ADDRESSING for ident in ids_of(document.get(key))}:
            return None
        members = await followers_on(self._pool, self._urls.actor(name), domain)
        return header(followers, f"{self._urls.actor(name)}/followers_synchronization", members)
