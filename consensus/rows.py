"""Claims as columns: compact arrays the batch engine and the offline tools share.

A million ``Claim`` objects would cost hundreds of megabytes; a million rows here cost ~60 MB and are
ready for vectorised work.  Names (figures, actors, domains, labels) are interned to integers once.

A numeric value that is not finite, or whose magnitude reaches the bound every figure's value meets on input
(``figures.numbers.MAX_MAGNITUDE``, 10^15), is left out and counted in ``skipped``: the engine sums and squares
values, and one row of 1e300 would give its figure an interval up to infinity.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from consensus.vocabulary import Claim, Kind, Summary
from figures.numbers import MAX_MAGNITUDE

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_LIMIT = float(MAX_MAGNITUDE)


class Names:
    """An interning table: name → dense integer, and back."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def id(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.names)
            self.names.append(name)
        return found


@dataclass
class Rows:
    """Deduplicated claims: the latest per (actor, figure), the latest summary per (origin, figure).

    Summary rows have ``actor < 0``: their weight is fixed (``factor`` = the origin's Σw) and they
    never feed reputation.  Categorical rows have ``label >= 0`` and ``z`` = NaN."""

    fig: Ints
    actor: Ints
    dom: Ints
    value: Floats
    z: Floats
    factor: Floats
    count: Floats
    at: Floats
    label: Ints
    publish: Bools
    log: Bools  # per figure: the engine works on ln(value)
    figures: Names
    actors: Names
    domains: Names
    labels: Names
    skipped: int = 0  # numeric values left out as beyond the bound

    def __len__(self) -> int:
        return len(self.fig)


class RowBuilder:
    """Appends claims one at a time (streaming), then deduplicates and converts once."""

    def __init__(self) -> None:
        self.figures, self.actors, self.domains, self.labels = Names(), Names(), Names(), Names()
        self._ints: dict[str, array[int]] = {k: array("q") for k in ("fig", "actor", "dom", "label", "kind")}
        self._floats: dict[str, array[float]] = {k: array("d") for k in ("value", "factor", "count", "at")}
        self._ratio = array("b")
        self.skipped = 0

    def add(
        self,
        figure: str,
        actor: str,
        domain: str,
        value: float | str,
        at: float,
        *,
        kind: Kind = Kind.CORRECT,
        factor: float = 1.0,
        ratio: bool = True,
    ) -> bool:
        """A string ``value`` is a categorical claim (a label settled by weighted vote). False when the value is
        left out as beyond the bound (see the module doc)."""
        if not isinstance(value, str) and not (math.isfinite(value) and abs(value) < _LIMIT):
            self.skipped += 1
            return False
        dom = self.domains.id(domain)
        ints = self._ints
        ints["fig"].append(self.figures.id(figure))
        ints["actor"].append(self.actors.id(actor))
        ints["dom"].append(dom)
        ints["kind"].append(list(Kind).index(kind))
        categorical = isinstance(value, str)
        ints["label"].append(self.labels.id(value) if isinstance(value, str) else -1)
        floats = self._floats
        floats["value"].append(float("nan") if categorical else float(value))
        floats["factor"].append(factor)
        floats["count"].append(1.0)
        floats["at"].append(at)
        self._ratio.append(1 if ratio else 0)
        return True

    def add_claim(self, claim: Claim) -> None:
        self.add(
            claim.figure,
            claim.actor,
            claim.domain,
            claim.value,
            claim.made_at.timestamp(),
            kind=claim.kind,
            factor=claim.factor,
            ratio=claim.ratio,
        )

    def add_summary(self, summary: Summary) -> None:
        # Summaries share one pseudo-actor per origin so deduplication keeps the newest per origin.
        added = self.add(
            summary.figure,
            "\x00summary:" + summary.origin,
            summary.origin,
            summary.value,
            summary.made_at.timestamp(),
            kind=Kind.SUMMARY,
            factor=summary.weight,
            ratio=summary.ratio,
        )
        if added:
            self._floats["count"][-1] = float(summary.count)

    def extend(
        self, fig: Ints, actor: Ints, dom: Ints, kind: Ints, value: Floats, at: Floats, factor: Floats, ratio: Bools
    ) -> None:
        """Many numeric claims at once, their names already interned in this builder's tables (``Kind`` codes as
        positions in ``list(Kind)``): what ``add`` does a row at a time, for a million rows read from a database."""
        kept = np.isfinite(value) & (np.abs(value) < _LIMIT)
        self.skipped += int(len(value) - np.count_nonzero(kept))
        for name, column in (("fig", fig), ("actor", actor), ("dom", dom), ("kind", kind)):
            self._ints[name].frombytes(np.ascontiguousarray(column[kept], dtype=np.int64).tobytes())
        self._ints["label"].frombytes(np.full(np.count_nonzero(kept), -1, dtype=np.int64).tobytes())
        for name, floats in (("value", value), ("factor", factor), ("at", at)):
            self._floats[name].frombytes(np.ascontiguousarray(floats[kept], dtype=np.float64).tobytes())
        self._floats["count"].frombytes(np.ones(np.count_nonzero(kept), dtype=np.float64).tobytes())
        self._ratio.frombytes(np.ascontiguousarray(ratio[kept], dtype=np.int8).tobytes())

    def numeric(self) -> tuple[Ints, Floats]:
        """Figure id and value of every numeric claim added so far (labels left out)."""
        fig = np.frombuffer(self._ints["fig"], dtype=np.int64)
        value = np.frombuffer(self._floats["value"], dtype=np.float64)
        keep = np.frombuffer(self._ints["label"], dtype=np.int64) < 0
        return fig[keep].copy(), value[keep].copy()

    def interval(self) -> None:
        """Work every claim added so far on a linear scale (see ``_log_figures``)."""
        self._ratio = array("b", bytes(len(self._ratio)))

    def build(self) -> Rows:
        ints = {k: np.frombuffer(v, dtype=np.int64).copy() for k, v in self._ints.items()}
        floats = {k: np.frombuffer(v, dtype=np.float64).copy() for k, v in self._floats.items()}
        ratio = np.frombuffer(self._ratio, dtype=np.int8).astype(bool)
        summary_kind = list(Kind).index(Kind.SUMMARY)
        keep = _latest(ints["fig"], ints["actor"], floats["at"])
        keep = keep[_shadowed_by_summaries(ints, keep, summary_kind)]
        fig, value, label = ints["fig"][keep], floats["value"][keep], ints["label"][keep]
        log = _log_figures(fig, value, label, ratio[keep], len(self.figures))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(log[fig], np.log(np.where(value > 0, value, 1.0)), value)
        is_summary = ints["kind"][keep] == summary_kind
        actor = np.where(is_summary, -1 - ints["dom"][keep], ints["actor"][keep])
        return Rows(
            fig=fig,
            actor=actor,
            dom=ints["dom"][keep],
            value=value,
            z=np.where(label >= 0, np.nan, z),
            factor=floats["factor"][keep],
            count=floats["count"][keep],
            at=floats["at"][keep],
            label=label,
            publish=ints["kind"][keep] == list(Kind).index(Kind.PUBLISH),
            log=log,
            figures=self.figures,
            actors=self.actors,
            domains=self.domains,
            labels=self.labels,
            skipped=self.skipped,
        )


def _latest(fig: Ints, actor: Ints, at: Floats) -> Ints:
    """Index of the latest row per (figure, actor); a later row wins a tie in time."""
    order = np.lexsort((np.arange(len(fig)), at, actor, fig))
    f, a = fig[order], actor[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (f[1:] != f[:-1]) | (a[1:] != a[:-1])
    return np.asarray(np.sort(order[last]), dtype=np.int64)


def _shadowed_by_summaries(ints: dict[str, Ints], keep: Ints, summary_kind: int) -> Bools:
    """An origin's summary stands for all its actors: their raw claims would count twice."""
    kind, fig, dom = ints["kind"][keep], ints["fig"][keep], ints["dom"][keep]
    is_summary = kind == summary_kind
    if not is_summary.any():
        return np.ones(len(keep), dtype=bool)
    width = int(dom.max()) + 1
    covered = np.unique(fig[is_summary] * width + dom[is_summary])
    key = fig * width + dom
    return np.asarray(is_summary | ~np.isin(key, covered), dtype=bool)


def _log_figures(fig: Ints, value: Floats, label: Ints, ratio: Bools, figures: int) -> Bools:
    """A figure is worked in logarithms when every numeric claim on it is a positive ratio quantity."""
    numeric = label < 0
    bad = numeric & (~ratio | ~(value > 0))
    has_bad = np.bincount(fig[bad], minlength=figures) > 0
    has_numeric = np.bincount(fig[numeric], minlength=figures) > 0
    return np.asarray(has_numeric & ~has_bad, dtype=bool)


def rows_of(claims: Iterable[Claim], summaries: Iterable[Summary] = ()) -> Rows:
    """Columns for a batch of claim objects (the application's path; files stream into RowBuilder)."""
    builder = RowBuilder()
    for claim in claims:
        builder.add_claim(claim)
    for summary in summaries:
        builder.add_summary(summary)
    return builder.build()
