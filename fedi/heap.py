"""Hand the memory that the C allocator keeps free back to the system, every few seconds.

glibc keeps the pages of freed blocks inside its heaps for later allocations, and gives them back only from the top
of a heap. Under a stream of signed activities it reuses too little of them: measured (``bench/scale.py``,
``BENCH_TRACEMALLOC=objects``) on a server receiving Likes from new actors, its heap held 36 MB in use and 196 MB
free after 10,000 claims, and the resident size rose by about 10 kB per claim and never came down. ``malloc_trim``
returns those free pages (264 MB → 191 MB there); run every ``TRIM_EVERY`` seconds in a thread, so that the event
loop never waits for it. Where the C library has no ``malloc_trim`` (musl, macOS) nothing is done.

Trimming cannot give back a page that still holds a live block, and blocks of tens of kilobytes that keep growing
(arrays sized by the number of actors the consensus knows, buffers sized by the largest message seen) leave holes
that the next, larger, block cannot use: with every Like from a new actor, the trimmed server still grew 25 MB
between 1,000 and 10,000 claims, all of it in the heap. :func:`map_large_blocks` has every block of
``LARGE_BLOCK`` bytes or more mapped on its own and unmapped when freed, as glibc does by default only from 128 kB
on (and from higher still once it has seen such a block freed): the same run then grew 2.7 MB.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import Any, cast

#: Seconds between two trims: often enough that a burst leaves little behind, rarely enough to cost nothing.
TRIM_EVERY = 10.0

#: Blocks from this size on are mapped apart from the heap: large enough that their mapping costs little against
#: filling them, small enough to take the actor-sized arrays and message buffers that fragment the heap.
LARGE_BLOCK = 64 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter

Trim = Callable[[], object]


def map_large_blocks(size: int = LARGE_BLOCK) -> bool:
    """Have glibc map every block of ``size`` bytes or more on its own; False where that cannot be set."""
    mallopt = _libc("mallopt", [ctypes.c_int, ctypes.c_int])
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, size))


def trimmer() -> Trim | None:
    """glibc's ``malloc_trim(0)``, or None when this C library has none."""
    trim = _libc("malloc_trim", [ctypes.c_size_t])
    return None if trim is None else functools.partial(trim, 0)


def _libc(function: str, arguments: list[type[ctypes._SimpleCData[Any]]]) -> Callable[..., int] | None:
    """A function of the C library returning an int, or None when this C library has none by that name."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        found = getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):
        return None
    found.argtypes = arguments
    found.restype = ctypes.c_int
    return cast("Callable[..., int]", found)


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
