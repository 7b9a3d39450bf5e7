"""Watching the database from a running process: bring the embedded server back, or give up and say so.

Requests and jobs already cope with a database that is away (503, retries). What they cannot do is start an
embedded server that died, and a process that waits forever for a database that never returns looks alive to the
supervisor (systemd, Docker, Kubernetes) that would otherwise restart it. So every running process watches: each
``interval`` it probes the database with a fresh connection; while the probe fails it asks the embedded server to
start again (several processes may ask at once; one starts it); once the database has been away for longer than
``deadline`` it raises :class:`~fedi.database.DatabaseUnavailable`, and the process exits non-zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from fedi.database import DatabaseUnavailable

logger = logging.getLogger(__name__)

DEADLINE = 60.0
INTERVAL = 1.0


class Watched(Protocol):
    """What the supervisor needs of a :class:`~fedi.database.Database`."""

    def check(self) -> Awaitable[str | None]: ...

    def revive(self) -> Awaitable[bool]: ...


class Supervisor:
    def __init__(
        self,
        database: Watched,
        *,
        deadline: float = DEADLINE,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._deadline = deadline
        self._interval = interval
        self._clock = clock
        self._down_since: float | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Watch until ``stopping`` is set; raises :class:`DatabaseUnavailable` past the deadline."""
        while not stopping.is_set():
            await self.tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._interval)

    async def tick(self) -> None:
        reason = await self._database.check()
        now = self._clock()
        if reason is None:
            if self._down_since is not None:
                logger.warning("database reachable again after %.1f s", now - self._down_since)
            self._down_since = None
            return
        if self._down_since is None:
            logger.error("%s; retrying for up to %g s", reason, self._deadline)
            self._down_since = now
        try:
            await self._database.revive()
        except DatabaseUnavailable as error:
            logger.warning("%s", error)
        if now - self._down_since > self._deadline:
            raise DatabaseUnavailable(f"{reason}, for over {self._deadline:g} s; exiting to be restarted")
