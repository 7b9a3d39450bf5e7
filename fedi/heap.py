"""Hand the memory that the C allocator keeps free back to the system, every few seconds.

glibc keeps the pages of freed blocks inside its heaps for later allocations, and gives them back only from the top
of a heap. Under a stream of signed activities it reuses too little of them: measured (``bench/scale.py``,
``BENCH_TRACEMALLOC=objects``) on a server receiving Likes from new actors, its heap held 36 MB in use and 196 MB
free after 10,000 claims, and the resident size rose by about 10 kB per claim and never came down. ``malloc_trim``
returns those free pages (264 MB → 191 MB there); run every ``TRIM_EVERY`` seconds in a thread, so that the event
loop never waits for it. Where the C library has no ``malloc_trim`` (musl, macOS) nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from collections.abc import Callable

#: Seconds between two trims: often enough that a burst leaves little behind, rarely enough to cost nothing.
TRIM_EVERY = 10.0

Trim = Callable[[], object]


def trimmer() -> Trim | None:
    """glibc's ``malloc_trim(0)``, or None when this C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return functools.partial(trim, 0)


class Heap:
    """A process's loop that trims its heap; ``run`` returns at once when there is nothing to trim with."""

    def __init__(self, trim: Trim | None, every: float = TRIM_EVERY) -> None:
        self._trim = trim
        self._every = every

    async def run(self) -> None:
        if self._trim is None:
            return
        while True:
            await asyncio.sleep(self._every)
            await asyncio.to_thread(self._trim)
