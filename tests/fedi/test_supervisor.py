"""The supervisor's policy: revive the database while it is away, forgive an outage that ends, give up past the
deadline. The database here is a script of probe answers and the clock is a number the test moves, so that the
policy is checked without waiting; the embedded server's real restart is in ``test_embedded.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from fedi.database import DatabaseUnavailable
from fedi.supervisor import Supervisor


class Scripted:
    """Answers each probe with the next scripted reason (``None``: reachable); counts revivals."""

    def __init__(self, reasons: Iterable[str | None], *, revive_fails: bool = False) -> None:
        self._reasons = iter(reasons)
        self._revive_fails = revive_fails
        self.revivals = 0

    async def check(self) -> str | None:
        return next(self._reasons)

    async def revive(self) -> bool:
        self.revivals += 1
        if self._revive_fails:
            raise DatabaseUnavailable("the embedded PostgreSQL died and is not reaped yet")
        return False


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_reachable_database_is_left_alone() -> None:
    database = Scripted([None, None, None])
    supervisor = Supervisor(database, deadline=10, clock=Clock())
    for _ in range(3):
        await supervisor.tick()
    assert database.revivals == 0


async def test_the_database_is_revived_while_away_and_forgiven_when_back() -> None:
    clock = Clock()
    database = Scripted(["refused", "refused", None, "refused", None], revive_fails=True)
    supervisor = Supervisor(database, deadline=10, clock=clock)
    for moment in (0, 6, 9, 15, 24):  # away 0-9 and 15-24: each outage is shorter than the deadline
        clock.now = moment
        await supervisor.tick()
    assert database.revivals == 3


async def test_past_the_deadline_the_supervisor_gives_up() -> None:
    clock = Clock()
    database = Scripted(["refused"] * 3)
    supervisor = Supervisor(database, deadline=10, clock=clock)
    await supervisor.tick()
    clock.now = 10
    await supervisor.tick()
    clock.now = 10.5
    with pytest.raises(DatabaseUnavailable, match="for over 10 s"):
        await supervisor.tick()


async def test_run_stops_when_asked_and_raises_past_the_deadline() -> None:
    stopping = asyncio.Event()
    reachable = Supervisor(Scripted(iter(lambda: None, 1)), interval=0.01)
    task = asyncio.create_task(reachable.run(stopping))
    await asyncio.sleep(0.05)
    stopping.set()
    await asyncio.wait_for(task, timeout=5)

    away = Supervisor(Scripted(iter(lambda: "refused", 1)), deadline=0.05, interval=0.01)
    with pytest.raises(DatabaseUnavailable):
        await asyncio.wait_for(away.run(asyncio.Event()), timeout=5)
