"""The drain refills as rows finish: a slow row holds up only its own slot, and a stopped drain hands its rows
back at once for another worker, instead of leaving them leased for minutes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from fedi.database import Pool
from fedi.queue import Worker
from fedi.types import JSON
from inbox.drain import Drain


async def _received(pool: Pool, count: int) -> list[int]:
    rows = await pool.fetch(
        "INSERT INTO inbox_activities (activity_id, actor, type, document, signer)"
        " SELECT 'https://remote.example/likes/' || gen_random_uuid(), 'https://remote.example/users/a', 'Like',"
        " '{}'::jsonb, 'https://remote.example/users/a' FROM generate_series(1, $1) AS n RETURNING id",
        count,
    )
    return sorted(row["id"] for row in rows)


async def _until(done: Callable[[], Awaitable[bool]], task: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + 15
    while not await done():
        assert time.monotonic() < deadline, "the drain never got there"
        assert not task.done(), task
        await asyncio.sleep(0.02)


async def _processed(pool: Pool, ids: list[int]) -> bool:
    count = await pool.fetchval(
        "SELECT count(*) FROM inbox_activities WHERE id = ANY($1) AND processed_at IS NOT NULL", ids
    )
    return int(count) == len(ids)


async def test_a_slow_row_does_not_hold_back_the_rows_after_it(pool: Pool) -> None:
    [slow, *first] = await _received(pool, 3)
    release = asyncio.Event()

    async def process(payload: JSON) -> None:
        if payload["id"] == slow:
            await release.wait()
        await pool.execute("UPDATE inbox_activities SET processed_at = now() WHERE id = $1", payload["id"])

    stopping = asyncio.Event()
    task = asyncio.create_task(Drain(pool, process, concurrency=2, idle=0.01).run(stopping))
    try:
        await _until(lambda: _processed(pool, first), task)
        later = await _received(pool, 5)  # arrived while the slow row is still being processed
        await _until(lambda: _processed(pool, later), task)
        assert not await _processed(pool, [slow])
        release.set()
        await _until(lambda: _processed(pool, [slow]), task)
    finally:
        release.set()
        stopping.set()
        await asyncio.wait_for(task, timeout=10)


async def test_a_stopped_drain_hands_back_the_rows_it_was_processing(pool: Pool) -> None:
    ids = await _received(pool, 2)
    seen: list[int] = []

    async def hang(payload: JSON) -> None:
        seen.append(payload["id"])
        await asyncio.sleep(3600)

    stopping = asyncio.Event()
    task = asyncio.create_task(Drain(pool, hang, concurrency=2, idle=0.01, grace=0.05).run(stopping))

    async def both_started() -> bool:
        return len(seen) == 2

    await _until(both_started, task)
    leased = await pool.fetchval("SELECT count(*) FROM inbox_activities WHERE claimed_until > now()")
    assert leased == 2
    stopping.set()
    await asyncio.wait_for(task, timeout=10)

    another: list[int] = []

    async def record(payload: JSON) -> None:
        another.append(payload["id"])

    assert [row_id for row_id, _, _ in await Drain(pool, record).claim()] == ids, "free for another worker at once"


async def test_a_stopped_worker_hands_back_its_rows_and_stops_within_its_grace(pool: Pool, database_url: str) -> None:
    """SIGTERM calls ``Worker.stop``: the rows its drain holds go back at once, even those that never finish."""
    ids = await _received(pool, 3)
    seen: list[int] = []

    async def hang(payload: JSON) -> None:
        seen.append(payload["id"])
        await asyncio.sleep(3600)

    async def nothing(payload: JSON) -> None:
        del payload

    drain = Drain(pool, hang, concurrency=3, idle=0.01, grace=0.1)
    worker = Worker(database_url, {"nothing": nothing}, loops=[drain.run], grace=5)
    running = asyncio.create_task(worker.run())

    async def all_started() -> bool:
        return len(seen) == 3

    await _until(all_started, running)
    worker.stop()
    await asyncio.wait_for(running, timeout=10)
    left = await pool.fetchval("SELECT count(*) FROM inbox_activities WHERE claimed_until IS NOT NULL")
    assert left == 0
    assert sorted(row_id for row_id, _, _ in await Drain(pool, nothing).claim()) == ids
