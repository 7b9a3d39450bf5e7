"""An activity whose processing the database's absence interrupted is taken again as soon as the database is
back, not when its lease ends minutes later."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from fedi.database import Pool
from fedi.types import JSON
from inbox.drain import Drain


async def _received(pool: Pool, count: int) -> list[int]:
    rows = await pool.fetch(
        "INSERT INTO inbox_activities (activity_id, actor, type, document, signer)"
        " SELECT 'https://remote.example/likes/' || n, 'https://remote.example/users/a', 'Like', '{}'::jsonb,"
        " 'https://remote.example/users/a' FROM generate_series(1, $1) AS n RETURNING id",
        count,
    )
    return sorted(row["id"] for row in rows)


async def test_a_row_interrupted_by_the_database_going_away_is_taken_again_at_once(pool: Pool) -> None:
    ids = await _received(pool, 3)
    calls: list[int] = []

    async def process(payload: JSON) -> None:
        calls.append(payload["id"])
        if len(calls) == 1:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        await pool.execute(
            "UPDATE inbox_activities SET processed_at = now(), outcome = 'done' WHERE id = $1", payload["id"]
        )

    stopping = asyncio.Event()
    task = asyncio.create_task(Drain(pool, process, concurrency=1).run(stopping))
    deadline = time.monotonic() + 10
    try:
        while await pool.fetchval("SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL"):
            assert time.monotonic() < deadline, f"still unprocessed after 10 s; processed so far: {calls}"
            assert not task.done(), task
            await asyncio.sleep(0.05)
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=10)
    assert sorted(calls) == sorted([ids[0], *ids]), "the interrupted row once more, the others once"
    outcome = await pool.fetchval("SELECT outcome FROM inbox_activities WHERE id = $1", ids[0])
    assert outcome == "done"
