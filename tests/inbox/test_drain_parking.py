"""An activity whose processing fails, hangs or never finishes is parked with its reason after a few attempts.

The red-team's 200 kB reply hung the worker, and its row was claimed again after each lease, forever: restarting
did not help. Each attempt now has a deadline shorter than the lease, and a row that fails, times out or is left
unfinished ``MAX_ATTEMPTS`` times is set aside as parked, with why, while the rows behind it are processed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from fedi.database import Pool
from fedi.types import JSON
from inbox.drain import MAX_ATTEMPTS, Drain, Process

LEASE = timedelta(milliseconds=150)
DEADLINE = 0.03


async def _received(pool: Pool, count: int) -> list[int]:
    rows = await pool.fetch(
        "INSERT INTO inbox_activities (activity_id, actor, type, document, signer)"
        " SELECT 'https://remote.example/likes/' || n, 'https://remote.example/users/a', 'Like', '{}'::jsonb,"
        " 'https://remote.example/users/a' FROM generate_series(1, $1) AS n RETURNING id",
        count,
    )
    return sorted(row["id"] for row in rows)


def _processor(pool: Pool, poisoned: int, calls: list[int], behaviour: Callable[[], Awaitable[None]]) -> Process:
    async def process(payload: JSON) -> None:
        calls.append(payload["id"])
        if payload["id"] == poisoned:
            await behaviour()
        await pool.execute(
            "UPDATE inbox_activities SET processed_at = now(), outcome = 'ok' WHERE id = $1", payload["id"]
        )

    return process


async def _drain_until(pool: Pool, drain: Drain, done: Callable[[], Awaitable[bool]]) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(drain.run(stopping))
    deadline = time.monotonic() + 15
    try:
        while not await done():
            assert time.monotonic() < deadline, "the drain never got there"
            assert not task.done(), task
            await asyncio.sleep(0.02)
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=10)


async def _settled(pool: Pool) -> bool:
    left = await pool.fetchval("SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL AND parked_at IS NULL")
    return int(left) == 0


async def _hang() -> None:
    await asyncio.sleep(3600)


async def _fail() -> None:
    raise ValueError("no such figure version")


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [(_hang, f"parked: timed out after {DEADLINE:g} s"), (_fail, "parked: ValueError: no such figure version")],
)
async def test_a_row_that_hangs_or_fails_is_parked_and_the_others_are_processed(
    pool: Pool, behaviour: Callable[[], Awaitable[None]], reason: str
) -> None:
    first, poisoned, last = await _received(pool, 3)
    calls: list[int] = []
    drain = Drain(pool, _processor(pool, poisoned, calls, behaviour), timeout=DEADLINE, lease=LEASE, idle=0.01)

    await _drain_until(pool, drain, lambda: _settled(pool))

    row = await pool.fetchrow(
        "SELECT processed_at, parked_at, outcome, attempts FROM inbox_activities WHERE id = $1", poisoned
    )
    assert row is not None
    assert row["processed_at"] is None, "parked is not processed"
    assert row["parked_at"] is not None
    assert row["outcome"].startswith(reason), row["outcome"]
    assert row["attempts"] == MAX_ATTEMPTS
    assert calls.count(poisoned) == MAX_ATTEMPTS
    assert calls.count(first) == calls.count(last) == 1
    outcomes = await pool.fetch("SELECT outcome, parked_at FROM inbox_activities WHERE id = ANY($1)", [first, last])
    assert [(item["outcome"], item["parked_at"]) for item in outcomes] == [("ok", None), ("ok", None)]


async def test_a_row_whose_attempts_never_finished_is_parked_when_claimed_once_more(pool: Pool) -> None:
    """A worker that froze or was killed while processing records nothing; its attempts were counted on claim."""
    [row_id] = await _received(pool, 1)
    await pool.execute("UPDATE inbox_activities SET attempts = $2 WHERE id = $1", row_id, MAX_ATTEMPTS)
    calls: list[int] = []
    drain = Drain(pool, _processor(pool, -1, calls, _fail), timeout=DEADLINE, lease=LEASE, idle=0.01)

    await _drain_until(pool, drain, lambda: _settled(pool))

    assert calls == [], "not run a sixth time"
    outcome = await pool.fetchval("SELECT outcome FROM inbox_activities WHERE id = $1", row_id)
    assert outcome == f"parked: {MAX_ATTEMPTS} attempts never finished (the worker stopped or hung while processing it)"


async def test_a_parked_row_is_not_claimed_again(pool: Pool) -> None:
    [row_id] = await _received(pool, 1)
    await pool.execute("UPDATE inbox_activities SET parked_at = now(), outcome = 'parked: test' WHERE id = $1", row_id)
    assert await Drain(pool, _processor(pool, -1, [], _fail)).claim() == []


def test_an_attempt_ends_before_its_lease() -> None:
    """Otherwise another worker would claim a row still being processed, and run it twice at once."""
    with pytest.raises(ValueError, match="lease"):
        Drain(None, _processor(None, -1, [], _fail), timeout=120, lease=timedelta(minutes=2))  # type: ignore[arg-type]
