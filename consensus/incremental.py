"""Incremental consensus: one claim (or one peer summary) in, that figure's consensus out.

The engine keeps each actor's (n, Σr²) and, per figure, the residual each claim last contributed.
A new claim re-estimates only its own figure with the current weights, then moves the reputations of
that figure's actors by the change in their residuals: no whole-instance recomputation, and the
numbers are those of one round of the batch (``consensus.batch``), which should still run from
time to time to let weights and values settle together.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from consensus.estimator import Estimate, Layout, estimate, layout, residuals
from consensus.median import Cumulated, Floats, Ints
from consensus.reliability import Reputation
from consensus.rows import Names, Rows
from consensus.status import CODES, NONE, settle
from consensus.vocabulary import SETTLED, Claim, Consensus, ConsensusError, Kind, Policy, Status, Summary

_COLUMNS = ("value", "factor", "count", "at", "gactor", "dom", "r2")


class _Figure:
    """The current claims on one figure, as growable columns (one row per actor or origin)."""

    def __init__(self) -> None:
        self.slot: dict[tuple[bool, int], int] = {}
        self.cols = {k: np.zeros(8) for k in _COLUMNS}
        self.size = 0
        self.ratio = True
        self.published = math.nan
        self.consensus: Consensus | None = None

    def put(self, key: tuple[bool, int], **values: float) -> None:
        row = self.slot.get(key)
        if row is None:
            row = self.slot[key] = self.size
            self.size += 1
            if self.size > len(self.cols["value"]):
                self.cols = {k: np.concatenate([v, np.zeros(len(v))]) for k, v in self.cols.items()}
            self.cols["r2"][row] = np.nan
        for name, value in values.items():
            self.cols[name][row] = value

    def col(self, name: str) -> Floats:
        return self.cols[name][: self.size]


class IncrementalConsensus:
    """Per-instance incremental state.  Not thread-safe: one writer per instance."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.actors, self.domains = Names(), Names()
        self.reputation = Reputation.empty(64)
        self._figures: dict[str, _Figure] = {}
        self._tau = np.zeros(0)

    def weight(self, actor: str) -> float:
        aid = self.actors.index.get(actor)
        if aid is None:
            return float(Reputation.empty(1).weights(self.policy, self.reputation)[0])
        return float(self._weights(np.array([aid]))[0])

    def consensus(self, figure: str) -> Consensus | None:
        found = self._figures.get(figure)
        return found.consensus if found else None

    def add(self, claim: Claim, now: datetime) -> Consensus:
        fig = self._figures.setdefault(claim.figure, _Figure())
        aid = self.actors.id(claim.actor)
        self.reputation.grow(len(self.actors))
        if claim.kind is Kind.PUBLISH:
            fig.published = claim.value
        self._put(fig, (False, aid), aid, claim.domain, claim.value, claim.factor, 1, claim, claim.ratio)
        return self._refresh(claim.figure, fig, now)

    def add_summary(self, summary: Summary, now: datetime) -> Consensus:
        """A newer summary from an origin replaces its previous one (never adds to it)."""
        fig = self._figures.setdefault(summary.figure, _Figure())
        did = self.domains.id(summary.origin)
        self._put(
            fig, (True, did), -1, summary.origin, summary.value, summary.weight, summary.count, summary, summary.ratio
        )
        return self._refresh(summary.figure, fig, now)

    def _put(
        self,
        fig: _Figure,
        key: tuple[bool, int],
        aid: int,
        domain: str,
        value: float,
        factor: float,
        count: int,
        source: Claim | Summary,
        ratio: bool,
    ) -> None:
        row = fig.slot.get(key)
        if row is not None and fig.cols["at"][row] > source.made_at.timestamp():
            return  # an older claim arriving late never replaces a newer one
        fig.ratio = fig.ratio and ratio and value > 0
        fig.put(
            key,
            value=value,
            factor=factor,
            count=count,
            at=source.made_at.timestamp(),
            gactor=aid,
            dom=self.domains.id(domain),
        )

    def _weights(self, actor_ids: Ints) -> Floats:
        rep = self.reputation
        sub = Reputation(rep.n[actor_ids], rep.sum_r2[actor_ids], rep.n_cat[actor_ids], rep.agree[actor_ids])
        return sub.weights(self.policy, rep)

    def _rows(self, fig: _Figure) -> tuple[Rows, Floats]:
        """This figure's claims as Rows with local actor ids, and each row's global actor id."""
        gactor = fig.col("gactor").astype(np.int64)
        dom = fig.col("dom").astype(np.int64)
        summary = gactor < 0
        keep = summary | ~np.isin(dom, dom[summary])  # an origin's summary stands for its actors
        idx = np.flatnonzero(keep)
        value = fig.col("value")[idx]
        z = np.log(value) if fig.ratio else value.copy()
        one = Names()
        one.id("figure")
        rows = Rows(
            fig=np.zeros(len(idx), dtype=np.int64),
            actor=np.where(summary[idx], -1, np.arange(len(idx))),
            dom=dom[idx],
            value=value,
            z=z,
            factor=fig.col("factor")[idx],
            count=fig.col("count")[idx],
            at=fig.col("at")[idx],
            label=np.full(len(idx), -1, dtype=np.int64),
            publish=np.zeros(len(idx), dtype=bool),
            log=np.array([fig.ratio]),
            figures=one,
            actors=self.actors,
            domains=self.domains,
            labels=Names(),
        )
        return rows, idx.astype(np.float64)

    def _refresh(self, name: str, fig: _Figure, now: datetime) -> Consensus:
        rows, idx = self._rows(fig)
        if len(self._tau) != len(self.domains):
            self._tau = np.array([self.policy.tau(d) for d in self.domains.names], dtype=np.float64)
        lay = layout(rows, self._tau)
        row_of = idx.astype(np.int64)[lay.rows]  # figure row of each sorted row
        gactor = fig.col("gactor").astype(np.int64)[row_of]
        local_w = np.ones(len(lay.rows))
        real = gactor >= 0
        local_w[real] = self._weights(gactor[real])
        weights, maturity = np.zeros(len(rows)), np.ones(len(rows))
        weights[lay.actor[real]] = local_w[real]
        maturity[lay.actor[real]] = self.reputation.maturity(self.policy)[gactor[real]]
        out = estimate(lay, weights, self.policy, maturity)
        self._learn(fig, lay, out, row_of, gactor)
        fig.consensus = self._consensus(name, fig, lay, out, now)
        return fig.consensus

    def _learn(self, fig: _Figure, lay: Layout, out: Estimate, row_of: Ints, gactor: Ints) -> None:
        settled = fig.consensus.settled_at if fig.consensus else None
        settled_at = np.array([settled.timestamp() if settled else math.nan])
        new = residuals(lay, out, self.policy, settled_at)
        old = fig.cols["r2"][row_of]
        real = gactor >= 0
        rep = self.reputation
        np.add.at(rep.sum_r2, gactor[real], (np.nan_to_num(new) - np.nan_to_num(old))[real])
        np.add.at(rep.n, gactor[real], (np.isfinite(new).astype(float) - np.isfinite(old))[real])
        fig.cols["r2"][row_of] = new

    def _consensus(self, name: str, fig: _Figure, lay: Layout, out: Estimate, now: datetime) -> Consensus:
        prev = fig.consensus
        log = bool(lay.log[0])
        to_z = (lambda v: math.log(v) if v > 0 else math.nan) if log else (lambda v: v)
        published = np.array([to_z(fig.published) if math.isfinite(fig.published) else math.nan])
        prev_status = np.array([CODES.index(prev.status) if prev else NONE])
        prev_value = np.array([to_z(prev.value) if prev else math.nan])
        res = settle(lay, out, self.policy, published, prev_status, prev_value)
        status = CODES[int(res.status[0])]
        settled_at = prev.settled_at if prev else None
        if settled_at is None and status in SETTLED:
            settled_at = now
        back = math.exp if log else float
        return Consensus(
            figure=name,
            value=back(float(res.value[0])),
            low=back(float(res.low[0])),
            high=back(float(res.high[0])),
            status=status,
            agreement=float(res.agreement[0]),
            n_eff=float(res.n_eff[0]),
            contributors=int(res.contributors[0]),
            domains=int(res.domains[0]),
            computed_at=now,
            settled_at=settled_at,
        )

    def summary(self, figure: str, version: int | None, now: datetime) -> Summary | None:
        """This instance's summary of a figure for its peers (mode B), from its own actors' raw claims
        only: never from summaries it received, so nothing is re-exported or fed back."""
        fig = self._figures.get(figure)
        own = self.domains.index.get(self.policy.own_domain)
        if fig is None or own is None:
            return None
        gactor = fig.col("gactor").astype(np.int64)
        mine = np.flatnonzero((gactor >= 0) & (fig.col("dom").astype(np.int64) == own))
        if not len(mine):
            return None
        value = fig.col("value")[mine]
        z = np.log(value) if fig.ratio else value
        order = np.argsort(z, kind="stable")
        w = self._weights(gactor[mine]) * fig.col("factor")[mine]
        cum = Cumulated(z[order], w[order], np.zeros(len(mine), dtype=np.int64), 1)
        zero = np.zeros(1, dtype=np.int64)
        n_eff = float(w.sum() ** 2 / max(float((w * w).sum()), 1e-300))
        half = self.policy.interval_z / (2 * math.sqrt(max(n_eff, 1e-12)))
        qs = [
            float(cum.median(zero)[0]),
            float(cum.quantile(zero, np.array([0.5 - half]))[0]),
            float(cum.quantile(zero, np.array([0.5 + half]))[0]),
        ]
        back = math.exp if fig.ratio else float
        mid, low, high = (back(q) for q in qs)
        return Summary(
            figure,
            self.policy.own_domain,
            mid,
            min(low, mid),
            max(high, mid),
            float(w.sum()),
            len(mine),
            version,
            now,
            fig.ratio,
        )


def status_of(consensus: Consensus | None) -> Status:
    """Convenience for callers that treat an unknown figure as insufficient."""
    return consensus.status if consensus else Status.INSUFFICIENT


__all__ = ["ConsensusError", "IncrementalConsensus", "status_of"]
