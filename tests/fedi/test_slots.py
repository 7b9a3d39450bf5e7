from __future__ import annotations

import asyncio

import pytest

from fedi.slots import HostBusy, HostSlots


async def test_a_caller_waits_for_a_slot_that_frees_in_time() -> None:
    slots = HostSlots(limit=1, wait=2.0)
    release = asyncio.Event()

    async def first() -> None:
        async with slots.hold("a.example"):
            await release.wait()

    holder = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(slots.hold("a.example").__aenter__())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    release.set()
    await holder
    await asyncio.wait_for(waiter, 1)


async def test_a_caller_gives_up_after_its_wait_and_other_hosts_are_not_held() -> None:
    slots = HostSlots(limit=1, wait=0.05)
    async with slots.hold("busy.example"):
        with pytest.raises(HostBusy):
            async with slots.hold("busy.example"):
                pass
        async with slots.hold("other.example"):
            pass


async def test_hosts_are_forgotten_once_nobody_holds_or_waits() -> None:
    """A peer naming a million hosts must not leave a million semaphores behind."""
    slots = HostSlots(limit=2, wait=0.05)
    for index in range(100):
        async with slots.hold(f"h{index}.example"):
            pass
    with pytest.raises(HostBusy):
        async with slots.hold("x.example"), slots.hold("x.example"), slots.hold("x.example"):
            pass
    assert len(slots) == 0
