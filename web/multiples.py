"""Small multiples: one tiny line per measure of a group, so that a reader sees at a glance which figures rise.

Each line is about 3 kB of SVG, drawn by matplotlib's object API (no global pyplot state, safe across
threads) off the event loop, and cached by the points it shows: a group's page is opened far more often than its
figures change. The picture carries no text — axes, ticks and labels would not read at this size — so the page
gives the values beside it as a table, the text alternative that screen readers and search engines use.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from web.kept import Kept

#: At most this many multiples on a page (the page stays well under 100 kB) and this many periods in each.
MOST: Final = 12
MOST_POINTS: Final = 24
_CACHED: Final = 256
_WIDTH, _HEIGHT = 1.6, 0.5  # inches, at 100 dpi: 160 × 50 px


@dataclass(frozen=True)
class Point:
    """A period's start, for the horizontal position, and its value."""

    at: date
    value: float


class Multiples:
    """Draws the lines and keeps the last ones drawn; one per application, shared by every request."""

    def __init__(self, size: int = _CACHED) -> None:
        self._kept: Kept[tuple[Point, ...], str] = Kept(size)

    async def line(self, points: Sequence[Point]) -> str:
        """The line as a ``data:`` address for an ``<img>``, drawn once for the same points."""
        key = tuple(points)

        async def drawn() -> str:
            svg = await asyncio.to_thread(draw, key)
            return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")

        return await self._kept.get(key, drawn)

    def __len__(self) -> int:
        return len(self._kept)


def draw(points: Sequence[Point]) -> bytes:
    """A bare line with a dot on the latest value: no text, no axes, no metadata (a date would defeat caching)."""
    figure = Figure(figsize=(_WIDTH, _HEIGHT), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_axes((0.04, 0.1, 0.92, 0.8))
    axes.set_axis_off()
    xs = [point.at.toordinal() for point in points]
    ys = [point.value for point in points]
    axes.plot(xs, ys, color="#1a4d8f", linewidth=1.5)
    axes.plot(xs[-1:], ys[-1:], marker="o", markersize=3, color="#1a4d8f")
    if min(ys) == max(ys):  # a flat line in the middle, not on an edge
        axes.set_ylim(ys[0] - 1, ys[0] + 1)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", transparent=True, metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
