"""At most a few fetches in flight per remote host, so that one host cannot hold the whole connection pool.

A host that answers slowly (or drips one byte at a time) keeps every connection it is given until the deadline;
without a cap, a few hundred references to it fill the pool and every other peer's key fetch waits behind them.
Extra callers for a busy host wait a bounded time, then give up with :class:`HostBusy`, which the fetcher reports
as a temporary failure (the peer may try again). A host's semaphore lives only while someone holds or waits for
it, so naming a million hosts leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class HostBusy(Exception):
    """Every slot of the host stayed taken for the whole wait."""


class HostSlots:
    def __init__(self, limit: int, wait: float) -> None:
        self._limit = limit
        self._wait = wait
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        """How many hosts are held or waited for now."""
        return len(self._semaphores)

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self._limit))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            await self._acquire(host, semaphore)
            try:
                yield
            finally:
                semaphore.release()
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host], self._semaphores[host]

    async def _acquire(self, host: str, semaphore: asyncio.Semaphore) -> None:
        try:
            async with asyncio.timeout(self._wait):
                await semaphore.acquire()
        except TimeoutError:
            raise HostBusy(f"{self._limit} requests to {host} already in flight") from None
