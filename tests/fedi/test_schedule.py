"""``every``: repeated work in a worker stops when asked, and never starts a pass once asked."""

from __future__ import annotations

import asyncio

from fedi.schedule import every


async def test_it_ticks_every_interval_and_stops_when_asked() -> None:
    ticks: list[int] = []
    stopping = asyncio.Event()

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 3:
            stopping.set()

    await asyncio.wait_for(every(0.01, stopping, tick), 5)
    assert ticks == [0, 1, 2]


async def test_a_stop_during_the_wait_starts_no_tick() -> None:
    ticks: list[int] = []
    stopping = asyncio.Event()

    async def tick() -> None:
        ticks.append(1)

    runner = asyncio.create_task(every(60, stopping, tick))
    await asyncio.sleep(0.01)
    stopping.set()
    await asyncio.wait_for(runner, 1)
    assert ticks == []
