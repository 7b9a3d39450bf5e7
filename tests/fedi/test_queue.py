from __future__ import annotations

import asyncio

import pytest

from fedi import queue
from fedi.database import Pool
from fedi.types import JSON


async def _queued(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM pgqueuer"))


async def test_a_job_commits_with_its_transaction(pool: Pool) -> None:
    async with pool.acquire() as connection:
        async with connection.transaction():
            await queue.enqueue(connection, "noop", {"n": 1})
        with pytest.raises(RuntimeError):
            async with connection.transaction():
                await queue.enqueue(connection, "noop", {"n": 2})
                raise RuntimeError("the write failed")
    assert await _queued(pool) == 1


async def test_dedupe_key_skips_duplicates(pool: Pool) -> None:
    async with pool.acquire() as connection:
        await queue.enqueue(connection, "noop", {"n": 1}, dedupe_key="same")
        await queue.enqueue(connection, "noop", {"n": 1}, dedupe_key="same")
    assert await _queued(pool) == 1


async def test_worker_runs_jobs(pool: Pool, database_url: str) -> None:
    seen: list[JSON] = []
    done = asyncio.Event()

    async def record(payload: JSON) -> None:
        seen.append(payload)
        if len(seen) == 3:
            done.set()

    async with pool.acquire() as connection:
        await queue.enqueue_many(connection, "record", [{"n": 1}, {"n": 2}, {"n": 3}])
    worker = queue.Worker(database_url, {"record": record})
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=20)
    assert sorted(item["n"] for item in seen) == [1, 2, 3]
    assert await _queued(pool) == 0
