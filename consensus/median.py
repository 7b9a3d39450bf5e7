"""Weighted medians and quantiles of many groups at once.

Every function takes rows already sorted by (group, value), so one global cumulative sum and one
``searchsorted`` answer every group together: a million claims cost a few vectorised passes instead of
a Python loop per figure.  Weights must be non-negative.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def group_sum(group: Ints, weights: npt.ArrayLike, groups: int) -> Floats:
    """Sum of ``weights`` per group (every group present, empty ones 0)."""
    return np.asarray(
        np.bincount(group, weights=np.asarray(weights, dtype=np.float64), minlength=groups), dtype=np.float64
    )


def bounds(group: Ints, groups: int) -> tuple[Ints, Ints]:
    """First row and one-past-last row of each group (rows sorted by group)."""
    counts = np.bincount(group, minlength=groups).astype(np.int64)
    ends = np.cumsum(counts)
    return ends - counts, ends


class Cumulated:
    """Cumulative weights of rows sorted by (group, value), shared by the queries below."""

    def __init__(self, values: Floats, weights: Floats, group: Ints, groups: int) -> None:
        self.values = values
        self.cum = np.cumsum(weights)
        self.starts, self.ends = bounds(group, groups)
        self.total = group_sum(group, weights, groups)
        last = self.cum[-1] if len(self.cum) else 0.0
        before = np.where(self.starts > 0, self.cum[np.maximum(self.starts - 1, 0)], 0.0)
        self.base = np.where(self.starts < self.ends, before, 0.0)
        # Float cumsums drift with their size; ties are judged within that drift.
        self.slack = 1e-9 * self.total + 8 * np.finfo(np.float64).eps * abs(last)

    def _first(self, target: Floats, side: str, pos: Ints, removed: Floats) -> Ints:
        """First row whose cumulative weight passes ``target`` once row ``pos`` (weight ``removed``)
        is taken out; rows after ``pos`` then sit ``removed`` lower."""
        k1 = np.searchsorted(self.cum, target, side=side)  # type: ignore[call-overload]
        k2 = np.searchsorted(self.cum, target + removed, side=side)  # type: ignore[call-overload]
        return np.asarray(np.where(k1 < pos, k1, k2), dtype=np.int64)

    def _clip(self, k: Ints, pos: Ints, group_ids: Ints) -> Ints:
        lo, hi = self.starts[group_ids], np.maximum(self.ends[group_ids] - 1, self.starts[group_ids])
        k = np.clip(k, lo, hi)
        # The removed row itself is never an answer: step past it (or back, at the group's end).
        k = np.where(k == pos, np.where(k + 1 <= hi, k + 1, np.maximum(k - 1, lo)), k)
        # Empty groups point past the end; their answer is masked to NaN by the caller.
        return np.asarray(np.clip(k, 0, max(len(self.values) - 1, 0)), dtype=np.int64)

    def median(self, group_ids: Ints, pos: Ints | None = None, removed: Floats | None = None) -> Floats:
        """Weighted median of each listed group, optionally leaving one row out of it.

        An exact half split takes the midpoint of the two middle values, like the plain median of an
        even count, so equal weights reproduce the textbook median."""
        if pos is None or removed is None:
            pos = np.full(len(group_ids), np.iinfo(np.int64).max, dtype=np.int64)
            removed = np.zeros(len(group_ids))
        total = self.total[group_ids] - removed
        target = self.base[group_ids] + total / 2
        slack = self.slack[group_ids]
        lo = self._clip(self._first(target - slack, "left", pos, removed), pos, group_ids)
        hi = self._clip(self._first(target + slack, "right", pos, removed), pos, group_ids)
        out = (self.values[lo] + self.values[hi]) / 2 if len(self.values) else np.zeros(0)
        return np.where(total > 0, out, np.nan)

    def quantile(self, group_ids: Ints, p: Floats) -> Floats:
        """Lower weighted quantile ``p`` of each listed group (no interpolation: an interval bound is
        always a value somebody claimed)."""
        target = self.base[group_ids] + np.clip(p, 0.0, 1.0) * self.total[group_ids]
        k = np.searchsorted(self.cum, target - self.slack[group_ids], side="left")
        k = np.clip(k, self.starts[group_ids], np.maximum(self.ends[group_ids] - 1, self.starts[group_ids]))
        k = np.clip(k, 0, max(len(self.values) - 1, 0))
        out = self.values[k] if len(self.values) else np.zeros(0)
        return np.where(self.total[group_ids] > 0, out, np.nan)
