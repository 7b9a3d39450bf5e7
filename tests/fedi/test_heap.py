from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import platform
import subprocess
import sys

import psutil
import pytest

from fedi.heap import Heap, trimmer

BLOCK = 4096  # well below glibc's mmap threshold: these come from the heap
BLOCKS = 24_000  # about 94 MB


def _resident_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_heap_pages_go_back_to_the_system() -> None:
    """Blocks freed between blocks still held stay resident until trimmed: the growth the server showed."""
    trim = trimmer()
    assert trim is not None
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(BLOCK) for _ in range(BLOCKS)]
    for block in blocks:
        ctypes.memset(block, 1, BLOCK)
    kept = blocks[63::64]
    for number, block in enumerate(blocks):
        if number % 64 != 63:
            libc.free(block)
    before = _resident_mb()
    trim()
    after = _resident_mb()
    for block in kept:
        libc.free(block)
    assert before - after > 50


async def test_the_heap_is_trimmed_again_and_again() -> None:
    loop = asyncio.get_running_loop()
    thrice = asyncio.Event()
    trims: list[int] = []

    def trim() -> None:  # called in a thread: the event loop must not wait for a trim
        trims.append(1)
        if len(trims) == 3:
            loop.call_soon_threadsafe(thrice.set)

    running = asyncio.create_task(Heap(trim, every=0).run())
    await thrice.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


async def test_without_malloc_trim_the_loop_ends_at_once() -> None:
    await Heap(None).run()


_HOLES = """
import ctypes, ctypes.util, sys, psutil
from fedi.heap import map_large_blocks
if sys.argv[1] == "mapped":
    assert map_large_blocks()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
large, small = [], []
for size in range(80_000, 100_000, 20):  # growing blocks between small ones still held, as the server's
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    large.append(block)
    small.append(libc.malloc(64))
before = psutil.Process().memory_info().rss
for block in large:
    libc.free(block)
print((before - psutil.Process().memory_info().rss) / 2**20)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_large_blocks_go_back_to_the_system_when_freed() -> None:
    """Blocks of tens of kilobytes freed between small blocks still held: left in the heap by default (its pages
    pinned by their neighbours), given back at once when mapped apart."""

    def returned(mode: str) -> float:
        done = subprocess.run(
            [sys.executable, "-c", _HOLES, mode], capture_output=True, text=True, check=True, timeout=120
        )
        return float(done.stdout)

    assert returned("heap") < 20
    assert returned("mapped") > 70
