"""Progress of long commands (export, import, recompute, evaluate), on a terminal only.

A bar on stderr when stderr is a terminal, and nothing at all otherwise, so that a piped or logged run stays one
clean result. Our own small bar rather than a dependency such as tqdm: one line, redrawn at most ten times a
second, is all these commands need.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TextIO, TypeVar, cast

WIDTH = 30
REDRAW = 0.1  # seconds between two drawings


class Bar:
    """``label [#####-----] 52% 5,200/10,000``, or a count and the time spent when the total is not known."""

    def __init__(self, label: str, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._label, self._stream, self._clock = label, stream, clock
        self._done, self._total, self._started, self._drawn = 0, 0, clock(), 0.0

    def total(self, count: int) -> None:
        self._total = count
        self._draw(force=True)

    def advance(self, count: int) -> None:
        self._done += count
        self._draw()

    def line(self) -> str:
        elapsed = f"{self._clock() - self._started:.0f} s"
        if self._total <= 0:
            return f"{self._label} {self._done:,} {elapsed}" if self._done else f"{self._label}… {elapsed}"
        share = min(self._done / self._total, 1.0)
        filled = round(share * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        return f"{self._label} [{bar}] {share:4.0%} {self._done:,}/{self._total:,} {elapsed}"

    def _draw(self, force: bool = False) -> None:
        now = self._clock()
        if force or now - self._drawn >= REDRAW:
            self._drawn = now
            self._stream.write("\r" + self.line() + "\x1b[K")
            self._stream.flush()

    def close(self) -> None:
        self._draw(force=True)
        self._stream.write("\n")
        self._stream.flush()


def shown(stream: TextIO | None = None) -> bool:
    target = stream or sys.stderr
    return target.isatty()


@contextmanager
def bar(label: str, stream: TextIO | None = None) -> Iterator[Bar | None]:
    """A bar while the block runs, on a terminal; ``None`` (draw nothing) when stderr is piped."""
    target = stream or sys.stderr
    if not shown(target):
        yield None
        return
    drawn = Bar(label, target)
    try:
        yield drawn
    finally:
        drawn.close()


@asynccontextmanager
async def ticking(label: str, stream: TextIO | None = None) -> AsyncIterator[None]:
    """The time spent, redrawn each second, for work that cannot say how far it is (a batch recomputation)."""
    with bar(label, stream) as drawn:
        if drawn is None:
            yield
            return

        async def tick() -> None:
            while True:
                await asyncio.sleep(1)
                drawn.advance(0)

        task = asyncio.create_task(tick())
        try:
            yield
        finally:
            task.cancel()


class _Reading:
    """A text file read line by line that moves a bar by the bytes read: the parser reading it shows how far it
    is without knowing of any bar."""

    def __init__(self, source: TextIO, drawn: Bar) -> None:
        self._source, self._drawn = source, drawn

    def __iter__(self) -> Iterator[str]:
        for line in self._source:
            self._drawn.advance(len(line.encode("utf-8", "replace")))
            yield line

    def __getattr__(self, name: str) -> object:
        return getattr(self._source, name)


@contextmanager
def reading(source: TextIO, label: str, size: int, stream: TextIO | None = None) -> Iterator[TextIO]:
    """``source`` itself when stderr is piped; otherwise ``source`` drawing a bar of ``size`` bytes as it is read."""
    with bar(label, stream) as drawn:
        if drawn is None:
            yield source
        else:
            drawn.total(size)
            yield cast(TextIO, _Reading(source, drawn))


Action = TypeVar("Action")


def ticked(
    label: str, action: Callable[[argparse.Namespace, Action], Awaitable[None]]
) -> Callable[[argparse.Namespace, Action], Awaitable[None]]:
    """``action`` showing the time it takes, on a terminal."""

    async def run(args: argparse.Namespace, context: Action) -> None:
        async with ticking(label):
            await action(args, context)

    return run
