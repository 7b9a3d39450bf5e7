"""FEP-8fcf followers synchronisation: each delivery tells the receiving server what we think it follows.

The ``Collection-Synchronization`` header carries the followers collection, a URL listing only the followers on
the receiving domain, and the XOR of their ids' SHA-256 digests. When the digest differs from its own, Mastodon
fetches the list and repairs its state — the follow we revoked with ``Reject`` but it never heard of is dropped.

A fan-out sends one activity to many inboxes of each server, and the header is the same for all of them:
:class:`Synchronization` works it out once per (activity, server) and keeps it for ``fresh`` seconds, so that a
retry much later says what is true then. The followers of one server are found through an index on the host of
their id (migration 0034), not by reading every follower.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
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
    """Accepted followers whose id is on ``domain``; the filter is the expression of the index ``follows_accepted_
    by_domain``, and the check in Python keeps only exact hosts."""
    rows = await pool.fetch(
        "SELECT follower FROM follows WHERE followee = $1 AND state = 'accepted'"
        " AND lower(split_part(split_part(follower, '://', 2), '/', 1)) = lower($2)",
        actor_id,
        domain,
    )
    return [row["follower"] for row in rows if urlsplit(row["follower"]).netloc.lower() == domain.lower()]


class Synchronization:
    """Builds the header for a delivery of ``document`` to a server at ``domain`` (None when not addressed to
    followers); one computation per (activity, domain) within ``fresh`` seconds, at most ``kept`` remembered."""

    def __init__(
        self,
        pool: Pool,
        urls: Urls,
        *,
        fresh: float = 60.0,
        kept: int = 20_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._urls = urls
        self._fresh = fresh
        self._kept = kept
        self._monotonic = monotonic
        self._headers: OrderedDict[tuple[str, str], tuple[float, asyncio.Task[str | None]]] = OrderedDict()

    async def __call__(self, document: JSON, domain: str) -> str | None:
        activity = document.get("id")
        if not isinstance(activity, str):
            return await self.compute(document, domain)
        key, now = (activity, domain.lower()), self._monotonic()
        known = self._headers.get(key)
        if known is None or now - known[0] >= self._fresh or _failed(known[1]):
            known = (now, asyncio.ensure_future(self.compute(document, domain)))
            self._headers[key] = known
            while len(self._headers) > self._kept:
                self._headers.popitem(last=False)
        return await asyncio.shield(known[1])

    async def compute(self, document: JSON, domain: str) -> str | None:
        """The header as the followers stand now."""
        actor = document.get("actor")
        name = self._urls.local_name(actor) if isinstance(actor, str) else None
        if name is None:
            return None
        followers = self._urls.followers(name)
        if followers not in {ident for key in ADDRESSING for ident in ids_of(document.get(key))}:
            return None
        members = await followers_on(self._pool, self._urls.actor(name), domain)
        return header(followers, f"{self._urls.actor(name)}/followers_synchronization", members)


def _failed(task: asyncio.Task[str | None]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)
