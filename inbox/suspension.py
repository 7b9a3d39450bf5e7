"""Who the inbox refuses before any signature is checked: suspended domains, and local actors suspended or deleted.

A signature costs a key lookup and an RSA verification, and a suspended domain's requests should cost us neither,
so the refusal comes first, from what this process remembers. The lists are read again from the database at most
every ``ttl`` seconds (the command line that suspends runs in another process), and at once after
:meth:`Suspension.invalidate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fedi.database import Pool
from fedi.domains import covering, host_of
from ledger import blocks

Refusal = tuple[int, str]


class Suspension:
    def __init__(self, pool: Pool, *, ttl: float = 5.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._ttl = ttl
        self._monotonic = monotonic
        self._expires = float("-inf")
        self._domains: frozenset[str] = frozenset()
        self._actors: dict[str, bool] = {}  # name → deleted (True) or suspended (False)

    def invalidate(self) -> None:
        self._expires = float("-inf")

    async def _fresh(self) -> None:
        now = self._monotonic()
        if now < self._expires:
            return
        self._expires = now + self._ttl  # one reader refreshes; the others use the lists they have meanwhile
        try:
            self._domains = await blocks.suspended_domains(self._pool)
            rows = await self._pool.fetch(
                "SELECT name, deleted_at IS NOT NULL AS deleted FROM actors"
                " WHERE suspended_at IS NOT NULL OR deleted_at IS NOT NULL"
            )
        except BaseException:
            self._expires = float("-inf")
            raise
        self._actors = {row["name"]: row["deleted"] for row in rows}

    async def holds(self, url: str) -> str | None:
        """The host of ``url`` when it is suspended here, itself or a domain above it, else None (also for a URL too
        broken to have a host)."""
        try:
            host = host_of(url)
        except ValueError:
            return None
        if self._monotonic() >= self._expires:
            await self._fresh()
        return host if covering(host, self._domains) else None

    async def refusal(self, sender: str, inbox_of: str | None) -> Refusal | None:
        """Why a POST from the actor ``sender`` to the local actor ``inbox_of`` (its inbox, or the shared inbox with
        that actor as the object) is refused — a status and a reason — or None."""
        if host := await self.holds(sender):
            return 403, f"the domain {host} is suspended on this instance"
        state = self._actors.get(inbox_of.lower()) if inbox_of is not None else None
        if state is None:
            return None
        return (410, "this actor was deleted") if state else (403, "this actor is suspended")
