"""Activities accepted together are stored in one statement, each request still learning its own outcome."""

from __future__ import annotations

import asyncio

import asyncpg

from fedi.database import Pool
from inbox.intake import Intake, Received

ACTOR = "https://remote.example/users/a"


def _like(number: int, document: object = None) -> Received:
    activity = f"https://remote.example/likes/{number}"
    return Received(activity, ACTOR, "Like", document or {"id": activity, "type": "Like"}, ACTOR, None)


async def test_concurrent_activities_are_all_stored_and_a_repeated_one_is_a_duplicate(pool: Pool) -> None:
    intake = Intake(pool)
    outcomes = await asyncio.gather(*(intake.store(_like(n)) for n in [*range(50), 7, 7]))
    assert outcomes.count(True) == 50
    assert outcomes.count(False) == 2
    assert await pool.fetchval("SELECT count(*) FROM inbox_activities") == 50
    assert await intake.store(_like(3)) is False, "sent again later"


async def test_a_row_the_database_refuses_fails_only_its_own_request(pool: Pool) -> None:
    intake = Intake(pool)
    refused = _like(99, {"id": "x", "content": "\x00"})  # PostgreSQL stores no NUL; the endpoint refuses it earlier
    outcomes = await asyncio.gather(
        *(intake.store(_like(n)) for n in range(5)), intake.store(refused), return_exceptions=True
    )
    assert outcomes[:5] == [True] * 5
    assert isinstance(outcomes[5], asyncpg.PostgresError)
    assert await pool.fetchval("SELECT count(*) FROM inbox_activities") == 5
