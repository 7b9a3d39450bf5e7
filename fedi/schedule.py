"""Work that a worker repeats every so often (the batch consensus, reciprocity checks), until it stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def every(interval: float, stopping: asyncio.Event, tick: Callable[[], Awaitable[object]]) -> None:
    """Call ``tick`` every ``interval`` seconds, the first time after one interval; return as soon as ``stopping``
    is set, and never start a tick once it is: a worker asked to stop must not begin a long pass."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
        if stopping.is_set():
            return
        await tick()
