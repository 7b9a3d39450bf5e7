"""The queue's log keeps the jobs of the last days and lets older ones go, however many there are."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fedi.config import load
from fedi.database import Pool
from fedi.pruning import BATCH, JobLogPruning


async def _log(pool: Pool, count: int, age: timedelta) -> None:
    await pool.execute(
        "INSERT INTO pgqueuer_log (created, job_id, status, priority, entrypoint)"
        " SELECT now() - $2::interval, n, 'successful', 0, 'deliver' FROM generate_series(1, $1) n",
        count,
        age,
    )
    await pool.execute(
        "INSERT INTO pgqueuer_statistics (created, count, priority, status, entrypoint)"
        " SELECT date_trunc('sec', now() - $2::interval) - n * interval '1 second', 1, 0, 'successful', 'deliver'"
        " FROM generate_series(1, $1) n",
        count,
        age,
    )


async def test_entries_older_than_the_setting_are_deleted_and_the_recent_kept(pool: Pool) -> None:
    await _log(pool, 2 * BATCH + 7, timedelta(days=8))
    await _log(pool, 5, timedelta(days=6))
    await _log(pool, 3, timedelta(minutes=1))

    pruned = await JobLogPruning(pool, days=7).tick()

    assert pruned == 2 * (2 * BATCH + 7)
    assert await pool.fetchval("SELECT count(*) FROM pgqueuer_log") == 8
    assert await pool.fetchval("SELECT count(*) FROM pgqueuer_statistics") == 8
    assert await JobLogPruning(pool, days=7).tick() == 0
    assert await JobLogPruning(pool, days=2).tick() == 10
    assert await pool.fetchval("SELECT count(*) FROM pgqueuer_log") == 3


def test_the_retention_is_a_setting_of_seven_days_by_default() -> None:
    assert load({}).job_log_days == 7
    assert load({"CHIFFRES_JOB_LOG_DAYS": "30"}).job_log_days == 30


async def test_two_workers_prune_once_per_interval(pool: Pool) -> None:
    passes: list[str] = []

    class Counted(JobLogPruning):
        def __init__(self, name: str) -> None:
            super().__init__(pool, days=7, interval=1.0)
            self.name = name

        async def tick(self) -> int:
            passes.append(self.name)
            return await super().tick()

    stopping = asyncio.Event()
    running = [asyncio.create_task(Counted(name).run(stopping)) for name in ("first", "second")]
    await asyncio.sleep(1.6)  # both wake once, after one interval; the lease then lasts past the end
    stopping.set()
    await asyncio.gather(*running)
    assert len(passes) == 1  # without the lease, each worker prunes: two passes
    assert await pool.fetchval("SELECT count(*) FROM periodic_leases WHERE name = 'job log pruning'") == 1
