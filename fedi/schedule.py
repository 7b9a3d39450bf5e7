"""Work that a worker repeats every so often (the batch consensus, reciprocity checks), until it stops.

Any number of workers run the same loops against one database, and a pass such as the batch consensus must not
run twice at once nor twice as often: a :class:`Lease` is a row per periodic job, taken with one statement that
succeeds for one worker only, held (and renewed) while the pass runs and for one interval after it ends. A worker
killed mid-pass stops renewing, and another takes the job when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fedi.database import Pool

_TAKE = (
    "INSERT INTO periodic_leases (name, held_until, held_by) VALUES ($1, now() + $2::interval, $3)"
    " ON CONFLICT (name) DO UPDATE SET held_until = EXCLUDED.held_until, held_by = EXCLUDED.held_by"
    " WHERE periodic_leases.held_until < now() RETURNING held_by"
)
_RENEW = "UPDATE periodic_leases SET held_until = now() + $2::interval WHERE name = $1 AND held_by = $3"


class Lease:
    """The right to run one periodic job, across all the workers of a database."""

    def __init__(self, pool: Pool, name: str) -> None:
        self._pool = pool
        self._name = name
        self._holder = uuid.uuid4().hex

    async def take(self, hold: float) -> bool:
        """Hold the job for ``hold`` seconds if nobody holds it now; say whether we do."""
        return await self._pool.fetchval(_TAKE, self._name, timedelta(seconds=hold), self._holder) is not None

    async def renew(self, hold: float) -> None:
        """Hold it for ``hold`` seconds from now, if it is still ours."""
        await self._pool.execute(_RENEW, self._name, timedelta(seconds=hold), self._holder)


async def every(
    interval: float,
    stopping: asyncio.Event,
    tick: Callable[[], Awaitable[object]],
    *,
    lease: Lease | None = None,
) -> None:
    """Call ``tick`` every ``interval`` seconds, the first time after one interval; return as soon as ``stopping``
    is set, and never start a tick once it is: a worker asked to stop must not begin a long pass. With a ``lease``,
    a tick runs only when this worker takes it, so that across workers it runs once per interval."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
        if stopping.is_set():
            return
        if lease is None:
            await tick()
        elif await lease.take(interval):
            await _holding(lease, interval, tick)


async def _holding(lease: Lease, interval: float, tick: Callable[[], Awaitable[object]]) -> None:
    """Run ``tick`` while renewing the lease, so that a pass longer than the interval is not started twice; then
    hold it one interval more, from the end of the pass."""
    renewing = asyncio.create_task(_renew(lease, interval))
    try:
        await tick()
    finally:
        renewing.cancel()
        # A renewal the database refused is not the pass's failure; the lease then runs out on its own.
        await asyncio.gather(renewing, return_exceptions=True)
    await lease.renew(interval)


async def _renew(lease: Lease, interval: float) -> None:
    while True:
        await asyncio.sleep(interval / 3)
        await lease.renew(interval)
