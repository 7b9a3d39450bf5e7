"""A periodic pass runs once across the workers of one database, and another worker takes it when its holder dies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from fedi.database import Pool
from fedi.queue import Worker
from fedi.schedule import Lease, every
from fedi.types import JSON

INTERVAL = 0.05


async def _nothing(payload: JSON) -> None:
    del payload


def _periodic(pool: Pool, tick: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[asyncio.Event], Any]:
    async def loop(stopping: asyncio.Event) -> None:
        await every(INTERVAL, stopping, tick, lease=Lease(pool, "batch"))

    return loop


async def test_two_workers_run_one_pass_of_a_periodic_job_once(pool: Pool, database_url: str) -> None:
    passes: list[int] = []
    started, finish = asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        passes.append(len(passes))
        started.set()
        await finish.wait()  # a pass far longer than the interval: the other worker tries many times meanwhile

    workers = [Worker(database_url, {"nothing": _nothing}, loops=[_periodic(pool, tick)]) for _ in range(2)]
    running = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        await asyncio.wait_for(started.wait(), timeout=20)
        await asyncio.sleep(INTERVAL * 20)
        assert passes == [0], "the second worker waits for the pass in progress"
    finally:
        for worker in workers:
            worker.stop()
        finish.set()
        await asyncio.wait_for(asyncio.gather(*running), timeout=30)
    assert passes == [0]


async def test_a_held_job_is_not_taken_by_another(pool: Pool) -> None:
    first, second = Lease(pool, "batch"), Lease(pool, "batch")
    assert await first.take(60)
    assert not await second.take(60), "held by the first"
    await first.renew(60)
    assert not await second.take(60)


async def test_a_lease_its_holder_stopped_renewing_is_taken_by_another(pool: Pool) -> None:
    """A worker killed mid-pass renews nothing: its lease runs out and another worker runs the job."""
    gone, alive = Lease(pool, "batch"), Lease(pool, "batch")
    assert await gone.take(60)
    await pool.execute("UPDATE periodic_leases SET held_until = now() - interval '1 second'")
    assert await alive.take(60)
    await gone.renew(60)  # too late: it renews nothing that is no longer its own
    assert not await gone.take(60)
    held_by = await pool.fetchval(
        "SELECT count(*) FROM periodic_leases WHERE held_until > now() + $1::interval", timedelta(seconds=30)
    )
    assert held_by == 1
