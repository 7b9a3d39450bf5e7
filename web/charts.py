"""A figure's chart: its published values and its consensus over time, beside the claims around that consensus.

Drawn on the server with matplotlib, so that a page needs no script to show it and a Mastodon preview can take it
as the figure's image. Drawing takes tens of milliseconds and holds the interpreter, so it runs on a worker thread
and its result is kept: a chart is asked again and again while its figure does not change, and the key names the
figure's last change, so a new version, claim or consensus is drawn anew. matplotlib is not safe to use from two
threads at once, hence one lock around drawing.

Meaning never rests on colour alone: the versions are a solid line with dots, the consensus a dashed line over a
hatched band, and each kind of claim has its own marker shape, named in the legend.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from web.kept import Kept

Format = Literal["svg", "png"]
MEDIA_TYPES: Final[Mapping[Format, str]] = {"svg": "image/svg+xml", "png": "image/png"}
#: Drawn at 1200 × 630 pixels as PNG: the size link previews expect of an ``og:image``.
_SIZE: Final = (10.0, 5.25)
_DPI: Final = 120
_MARKERS: Final = {"publish": "s", "endorse": "o", "boost": "^", "correct": "D"}
_KINDS: Final = ("publish", "endorse", "boost", "correct")
_INK: Final = "#1d2330"
_CONSENSUS: Final = "#1a4d8f"
_DRAWING: Final = threading.Lock()
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    """One published consensus: from ``at`` on, the figure's value was ``value`` within ``low``–``high``."""

    at: datetime
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Point:
    """One actor's claim: its kind (publish, endorse, boost, correct), the value claimed and its weight."""

    kind: str
    value: float
    weight: float


@dataclass(frozen=True)
class Series:
    """What a chart shows, in the figure's unit; ``labels`` are already translated and ``dates`` formats a tick."""

    versions: Sequence[tuple[datetime, float]]
    consensus: Sequence[Step]
    claims: Sequence[Point]
    now: datetime
    unit: str
    labels: Mapping[str, str]
    dates: Callable[[datetime], str]


def draw(series: Series, kind: Format) -> bytes:
    """The chart as SVG (text kept as text, so it stays small and readable by screen magnifiers) or PNG."""
    with _DRAWING, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "chiffres"}):
        figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
        history, spread = figure.subplots(1, 2, width_ratios=(3, 2))
        _history(history, series)
        _spread(spread, series)
        out = io.BytesIO()
        figure.savefig(out, format=kind, metadata={"Date": None} if kind == "svg" else None)
    return out.getvalue()


def _history(axes: Axes, series: Series) -> None:
    labels = series.labels
    axes.set_title(labels["history"], loc="left", fontsize=11, color=_INK)
    steps = list(series.consensus)
    if steps:
        times = [_days(step.at) for step in steps] + [_days(series.now)]
        lows = [step.low for step in steps] + [steps[-1].low]
        highs = [step.high for step in steps] + [steps[-1].high]
        values = [step.value for step in steps] + [steps[-1].value]
        axes.fill_between(
            times, lows, highs, step="post", alpha=0.18, color=_CONSENSUS, hatch="//", label=labels["interval"]
        )
        axes.step(times, values, where="post", linestyle="--", color=_CONSENSUS, label=labels["consensus"])
    if series.versions:
        times = [_days(at) for at, _ in series.versions] + [_days(series.now)]
        values = [value for _, value in series.versions]
        axes.step(times, [*values, values[-1]], where="post", color=_INK, label=labels["versions"])
        axes.plot(times[:-1], values, "o", color=_INK)
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda number, _: series.dates(_EPOCH + timedelta(days=number))))
    axes.set_ylabel(series.unit)
    _legend(axes, 9)
    axes.grid(alpha=0.3)


def _spread(axes: Axes, series: Series) -> None:
    labels = series.labels
    axes.set_title(labels["claims"], loc="left", fontsize=11, color=_INK)
    if series.consensus:
        last = series.consensus[-1]
        axes.axvspan(last.low, last.high, alpha=0.18, color=_CONSENSUS, hatch="//", label=labels["interval"])
        axes.axvline(last.value, linestyle="--", color=_CONSENSUS, label=labels["consensus"])
    heaviest = max((point.weight for point in series.claims), default=0.0) or 1.0
    for row, kind in enumerate(_KINDS):
        points = [point for point in series.claims if point.kind == kind]
        if not points:
            continue
        sizes = [30 + 170 * point.weight / heaviest for point in points]
        axes.scatter(
            [point.value for point in points],
            [row] * len(points),
            s=sizes,
            marker=_MARKERS[kind],
            facecolors=[_INK if point.weight > 0 else "none" for point in points],
            edgecolors=_INK,
            alpha=0.75,
            label=labels[kind],
        )
    axes.set_yticks(range(len(_KINDS)), [labels[kind] for kind in _KINDS])
    axes.set_ylim(-0.6, len(_KINDS) - 0.4)
    axes.set_xlabel(series.unit)
    axes.margins(x=0.1)
    _legend(axes, 8)
    axes.grid(alpha=0.3, axis="x")


def _legend(axes: Axes, size: int) -> None:
    """A legend of what was drawn; a chart with nothing drawn yet has none."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize=size)


def _days(moment: datetime) -> float:
    """A time on the chart's axis: days since 1970, as matplotlib counts dates."""
    return (moment - _EPOCH).total_seconds() / 86400


class Charts:
    """Drawn charts by key, the least recently asked dropped beyond ``size``; drawing off the event loop."""

    def __init__(self, size: int = 256) -> None:
        self._kept: Kept[tuple[object, ...], bytes] = Kept(size)

    async def chart(self, key: tuple[object, ...], kind: Format, series: Callable[[], Awaitable[Series]]) -> bytes:
        """The chart under ``key`` (the figure, its last change, the language), drawn from ``series`` if not kept."""

        async def drawn() -> bytes:
            return await asyncio.to_thread(draw, await series(), kind)

        return await self._kept.get((*key, kind), drawn)
