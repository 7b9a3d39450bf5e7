"""Offline consensus over tab-separated files, for ``chiffres consensus estimate|evaluate``.

Claims: ``object <TAB> value <TAB> source [<TAB> domain]`` per line, no header.  A source without a
domain is its own domain.  A value that is not a finite number is a categorical claim (a label); its
agreement with the other domains' vote informs the source's reliability for its numbers too.  A later
line from the same source on the same object replaces the earlier one.

Numbers carry no unit here, so the file says itself which scale its errors live on (``ratio_scale``):
populations or prices, whose disagreements grow with their size, are worked in logarithms; temperatures,
whose disagreements do not, on a linear scale, as a live instance works a figure in °F.

Files of millions of lines stream into compact columns; nothing holds one object per line.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

import numpy as np

from consensus.batch import Outcome, recompute
from consensus.median import Cumulated, Floats, Ints, group_sum
from consensus.rows import RowBuilder, Rows
from consensus.vocabulary import ConsensusError, Policy


class InputError(ConsensusError):
    """A malformed input line; the message names the file's role and the line number."""

    def __init__(self, what: str, line: int, reason: str) -> None:
        super().__init__(f"{what}, line {line}: {reason}")
        self.line = line


def _fields(stream: TextIO, what: str, low: int, high: int) -> Iterator[tuple[int, list[str]]]:
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("\t")]
        if not low <= len(parts) <= high:
            raise InputError(what, number, f"expected {low} to {high} tab-separated fields, got {len(parts)}")
        if any(not p for p in parts):
            raise InputError(what, number, "empty field")
        yield number, parts


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


SCALES = ("auto", "ratio", "interval")


def read_claims(claims: TextIO, numbers_only: bool = False, scale: str = "auto") -> Rows:
    """``numbers_only`` drops the categorical lines, which is all a live instance ever sees; ``scale`` says
    how the numbers compare (``ratio``: in logarithms when positive, ``interval``: linearly), ``auto`` asks
    the data (``ratio_scale``)."""
    if scale not in SCALES:
        raise ConsensusError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    builder = RowBuilder()
    for number, parts in _fields(claims, "claims", 3, 4):
        obj, text, source = parts[:3]
        domain = parts[3] if len(parts) == 4 else source
        value = _number(text)
        if value is None and numbers_only:
            continue
        builder.add(obj, source, domain, text if value is None else value, float(number))
    if scale == "interval" or (scale == "auto" and not ratio_scale(*builder.numeric())):
        builder.interval()
    return builder.build()


def ratio_scale(fig: Ints, value: Floats, min_objects: int = 10) -> bool:
    """Whether the spread of the claims grows with their size: the slope of ln(MAD) on ln(median)
    across objects with three claims or more, all positive, that disagree.

    About 1 for quantities compared by ratios (a city's population is wrong by some percent), about 0
    for interval quantities (the Weather temperatures: -0.29; worked in logarithms there, the engine
    scores 4.89 instead of 4.84).  Too few such objects, or sizes within a factor of three, say
    nothing, and positive values keep the logarithms."""
    positive = value > 0
    fig, value = fig[positive], value[positive]
    if not len(fig):
        return True
    order = np.lexsort((value, fig))
    fig, value = fig[order], value[order]
    starts = np.flatnonzero(np.r_[True, fig[1:] != fig[:-1]])
    ends = np.r_[starts[1:], len(fig)]
    sizes, spreads = [], []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a < 3:
            continue
        chunk = value[a:b]
        centre = float(np.median(chunk))
        spread = float(np.median(np.abs(chunk - centre)))
        if spread > 0:
            sizes.append(math.log(centre))
            spreads.append(math.log(spread))
    if len(sizes) < min_objects or max(sizes) - min(sizes) < math.log(3):
        return True
    slope = float(np.polyfit(np.array(sizes), np.array(spreads), 1)[0])
    return slope >= 0.5


def read_trust(trust: TextIO) -> dict[str, float]:
    """``domain <TAB> trust`` lines; trust in [0, 1] (0 blocks a domain)."""
    table: dict[str, float] = {}
    for number, (domain, text) in _fields(trust, "trust", 2, 2):
        value = _number(text)
        if value is None or not 0 <= value <= 1:
            raise InputError("trust", number, f"trust must be a number in [0, 1], got {text!r}")
        table[domain] = value
    return table


def _outcome(rows: Rows, policy: Policy) -> Outcome:
    return recompute(rows, policy, datetime.now(UTC))


def estimate(
    claims: TextIO, trust: TextIO | None, out: TextIO, policy: Policy | None = None, scale: str = "auto"
) -> None:
    """Write ``object, value, status, low, high`` per object (low/high empty for labels)."""
    base = policy or Policy()
    if trust is not None:
        base = dataclasses.replace(base, trust={**base.trust, **read_trust(trust)})
    rows = read_claims(claims, scale=scale)
    result = _outcome(rows, base)
    numeric = group_sum(rows.fig, rows.label < 0, len(rows.figures))
    labels = group_sum(rows.fig, rows.label >= 0, len(rows.figures))
    for fid, name in enumerate(rows.figures.names):
        number, verdict = result.numbers.get(name), result.labels.get(name)
        if verdict is not None and (number is None or labels[fid] > numeric[fid]):
            out.write(f"{name}\t{verdict.label}\t{verdict.status}\t\t\n")
        elif number is not None:
            out.write(f"{name}\t{number.value:.10g}\t{number.status}\t{number.low:.10g}\t{number.high:.10g}\n")


def _baselines(rows: Rows) -> tuple[Floats, Floats]:
    """Plain median and mean of the raw numeric values per object."""
    numeric = np.flatnonzero(rows.label < 0)
    order = numeric[np.lexsort((rows.value[numeric], rows.fig[numeric]))]
    figures = len(rows.figures)
    ones = np.ones(len(order))
    median = Cumulated(rows.value[order], ones, rows.fig[order], figures).median(np.arange(figures, dtype=np.int64))
    count = np.bincount(rows.fig[order], minlength=figures)
    mean = group_sum(rows.fig[order], rows.value[order], figures) / np.maximum(count, 1)
    return median, np.where(count > 0, mean, np.nan)


def _score(estimates: Floats, truth: Floats, tolerance: float) -> dict[str, float]:
    error = np.abs(estimates - truth)
    wrong = error > tolerance * np.abs(truth)
    return {
        "mae": float(np.mean(error)) if len(error) else math.nan,
        "error_rate": float(np.mean(wrong)) if len(error) else math.nan,
    }


def evaluate(
    claims: TextIO,
    truth: TextIO,
    tolerance: float = 0.01,
    policy: Policy | None = None,
    numbers_only: bool = False,
    scale: str = "auto",
) -> dict[str, object]:
    """Compare our estimates, the plain median and the plain mean with known truth.

    ``error_rate`` counts relative errors above ``tolerance``; labels are scored by exact match.
    ``numbers_only`` leaves the categorical claims out, as a live instance sees figures."""
    rows = read_claims(claims, numbers_only, scale)
    result = _outcome(rows, policy or Policy())
    median, mean = _baselines(rows)
    ours, med, avg, real = [], [], [], []
    label_hits: list[bool] = []
    for _line, (obj, text) in _fields(truth, "truth", 2, 2):
        value, fid = _number(text), rows.figures.index.get(obj)
        if fid is None:
            continue
        if value is None:
            if obj in result.labels:
                label_hits.append(result.labels[obj].label == text)
            continue
        if obj in result.numbers and math.isfinite(median[fid]):
            ours.append(result.numbers[obj].value)
            med.append(median[fid])
            avg.append(mean[fid])
            real.append(value)
    truths = np.array(real)
    report: dict[str, object] = {"claims": len(rows), "objects": len(real), "tolerance": tolerance}
    report["scale"] = "ratio" if bool(rows.log.any()) else "interval"
    # Below 1 where the sources share their errors: precision above the typical source's is credited to
    # that power (``consensus.dependence``).
    report["credit"] = round(result.credit, 4)
    report.update(_score(np.array(ours), truths, tolerance))
    report["median"] = _score(np.array(med), truths, tolerance)
    report["mean"] = _score(np.array(avg), truths, tolerance)
    report["categorical"] = {
        "objects": len(label_hits),
        "error_rate": float(1 - np.mean(label_hits)) if label_hits else None,
    }
    return report


def dumps(report: dict[str, object]) -> str:
    """The report as the command line prints it."""
    return json.dumps(report, indent=2, sort_keys=True)
