"""Activities accepted together are stored in one statement, each request still learning its own outcome."""

from __future__ import annotations

import asyncio

import asyncpg

from fedi.database import JsonText, Pool, connect, is_unavailable
from inbox.intake import FLUSHERS, Intake, Received

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


async def test_what_is_stored_is_what_was_sent_quotes_escapes_and_numbers_included(pool: Pool) -> None:
    text = (
        '{"id": "https://remote.example/likes/\\"q\\"", "type": "Like", "n": 1.50,'
        ' "big": 123456789012345678901234567890, "s": "é\\n\\\\ \\u2028"}'
    )
    actor = 'https://remote.example/users/"quoted"\\back\u00e9'
    received = Received('https://remote.example/likes/"q"', actor, "Like", JsonText(text), actor, "ana")
    parsed = Received("https://remote.example/likes/parsed", ACTOR, "Like", {"id": "p", "e": "\u2028"}, ACTOR, None)
    assert list(await asyncio.gather(Intake(pool).store(received), Intake(pool).store(parsed))) == [True, True]
    row = await pool.fetchrow(
        "SELECT activity_id, actor, type, document::text AS document, signer, delivered_to FROM inbox_activities"
        " WHERE actor = $1",
        actor,
    )
    assert row is not None
    assert (row["activity_id"], row["signer"], row["delivered_to"]) == (
        'https://remote.example/likes/"q"',
        actor,
        "ana",
    )
    assert row["document"] == await pool.fetchval("SELECT $1::text::jsonb::text", text)
    assert await pool.fetchval("SELECT document FROM inbox_activities WHERE activity_id LIKE '%parsed'") == {
        "id": "p",
        "e": "\u2028",
    }


async def test_rows_waiting_behind_batches_whose_connections_died_go_on_fresh_connections(
    pool: Pool, database_url: str
) -> None:
    """A batch that fails on a dead connection fails only its own rows: the rows waiting behind it are written on a
    fresh connection, not on the dead one."""
    intake = Intake(pool)
    admin = await connect(database_url)
    locked = admin.transaction()
    await locked.start()
    await admin.execute("LOCK TABLE inbox_activities IN EXCLUSIVE MODE")  # every INSERT waits behind it
    first = [asyncio.create_task(intake.store(_like(n))) for n in range(100, 110)]
    await asyncio.sleep(0.2)
    second = [asyncio.create_task(intake.store(_like(n))) for n in range(110, 120)]
    await asyncio.sleep(0.2)
    waiting = [asyncio.create_task(intake.store(_like(n))) for n in range(120, 160)]
    blocked = "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    for _ in range(100):
        if len(await admin.fetch(blocked)) == FLUSHERS:
            break
        await asyncio.sleep(0.05)
    await admin.execute(f"SELECT pg_terminate_backend(pid) FROM ({blocked}) AS b")
    await locked.rollback()
    await admin.close()
    in_flight = await asyncio.gather(*first, *second, return_exceptions=True)
    assert all(isinstance(outcome, BaseException) and is_unavailable(outcome) for outcome in in_flight), in_flight
    assert list(await asyncio.gather(*waiting)) == [True] * 40
