"""Batch recomputation: alternate actor weights and figure values over every claim at once.

Each round estimates every figure with the current weights, measures each actor's residuals against
the consensus of the *other* domains, and turns them into new weights (GTM shrinkage with a robust loss,
capped, newcomers bounded below established actors).  CRH
and GTM are flat after about five rounds; the policy's default is eight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from consensus.dependence import credit
from consensus.estimator import Layout, estimate, layout, residuals
from consensus.median import Bools, Floats, Ints
from consensus.reliability import Reputation, tally
from consensus.rows import Rows
from consensus.status import CODES, NONE, Settlement, settle
from consensus.vocabulary import SETTLED, Consensus, Policy, Status
from consensus.vote import VoteLayout, Votes, tally_votes, vote, vote_layout


@dataclass(frozen=True, slots=True)
class Verdict:
    """The vote on a categorical figure (offline data only)."""

    figure: str
    label: str
    status: Status
    agreement: float
    n_eff: float
    domains: int


@dataclass
class Outcome:
    numbers: dict[str, Consensus]
    labels: dict[str, Verdict]
    weights: Floats  # final weight per actor id of the rows
    skipped: int = 0  # rows left out as beyond the bound (see consensus.rows), for the caller to report
    credit: float = 1.0  # power on precision above the typical source's: below 1 where sources share errors


@dataclass
class _Previous:
    status: Ints
    value: Floats
    settled_at: Floats


def recompute(
    rows: Rows,
    policy: Policy,
    now: datetime,
    previous: Mapping[str, Consensus] | None = None,
    published: Mapping[str, float] | None = None,
) -> Outcome:
    """``published``: each figure's current published value, when the caller knows it; otherwise the latest
    publish claim stands for it (a publisher's later correction of her own figure then hides it)."""
    tau = np.array([policy.tau(name) for name in rows.domains.names], dtype=np.float64)
    lay, vlay = layout(rows, tau), vote_layout(rows, tau)
    prev = _previous(rows, previous or {})
    actors = len(rows.actors)
    reputation = Reputation.empty(actors)
    weights, maturity = reputation.weights(policy), reputation.maturity(policy)
    shared: float | None = None
    for _ in range(policy.iterations):
        reputation = _round(lay, vlay, weights, maturity, policy, prev.settled_at, actors, shared)
        shared = reputation.credit
        weights, maturity = reputation.weights(policy), reputation.maturity(policy)
    out = estimate(lay, weights, policy, maturity)
    result = settle(lay, out, policy, _published(rows, published or {}), prev.status, prev.value)
    votes = vote(vlay, weights, policy, prev.settled_at)
    return Outcome(
        numbers=_numbers(rows, lay, result, previous or {}, now),
        labels=_labels(rows, vlay, votes, policy),
        weights=weights,
        skipped=rows.skipped,
        credit=reputation.credit,
    )


def _round(
    lay: Layout,
    vlay: VoteLayout,
    weights: Floats,
    maturity: Floats,
    policy: Policy,
    settled_at: Floats,
    actors: int,
    shared: float | None,
) -> Reputation:
    """One round of reputations.  The first also tests the sources for shared errors (``shared`` is None):
    the test holds whatever centre the residuals are taken from, so it is not learned again."""
    out = estimate(lay, weights, policy, maturity, value=False)
    r2 = residuals(lay, out, policy, settled_at)
    if shared is None and not policy.dependence:
        shared = 1.0
    if shared is None:
        # Claims that earn reputation: counted, and not made after their figure settled.
        earning = np.isfinite(r2)
        if policy.before_settled:
            earning &= ~(lay.at > settled_at[lay.fig])
        shared = credit(lay, out.zhat, earning, policy)
    n, sum_r2 = tally(lay.actor, r2, actors)
    votes = vote(vlay, weights, policy, settled_at)
    n_cat, agree = tally_votes(vlay, votes.agree, actors)
    return Reputation(n, sum_r2, n_cat, agree, shared)


def _previous(rows: Rows, previous: Mapping[str, Consensus]) -> _Previous:
    figures = len(rows.figures)
    prev = _Previous(np.full(figures, NONE, dtype=np.int64), np.full(figures, np.nan), np.full(figures, np.nan))
    for name, consensus in previous.items():
        fid = rows.figures.index.get(name)
        if fid is None:
            continue
        prev.status[fid] = CODES.index(consensus.status)
        prev.value[fid] = _to_z(consensus.value, bool(rows.log[fid]))
        if consensus.settled_at is not None:
            prev.settled_at[fid] = consensus.settled_at.timestamp()
    return prev


def _to_z(value: float, log: bool) -> float:
    if not log:
        return value
    return math.log(value) if value > 0 else math.nan


def _from_z(z: Floats, log: Bools) -> Floats:
    """Back from the engine's scale; a linear figure's large values never go through ``exp``."""
    out = np.array(z, dtype=np.float64)
    out[log] = np.exp(z[log])
    return out


def _published(rows: Rows, known: Mapping[str, float]) -> Floats:
    """Each figure's published value in the working scale: the one ``known``, else its latest publish claim's
    (NaN when neither)."""
    published = np.full(len(rows.figures), np.nan)
    idx = np.flatnonzero(rows.publish & (rows.label < 0))
    idx = idx[np.argsort(rows.at[idx], kind="stable")]
    published[rows.fig[idx]] = rows.z[idx]  # later rows overwrite earlier ones
    for name, value in known.items():
        fid = rows.figures.index.get(name)
        if fid is not None and math.isfinite(value):
            published[fid] = _to_z(value, bool(rows.log[fid]))
    return published


def _numbers(
    rows: Rows, lay: Layout, result: Settlement, previous: Mapping[str, Consensus], now: datetime
) -> dict[str, Consensus]:
    present = np.unique(lay.gf)
    ys = {k: _from_z(v, rows.log) for k, v in (("v", result.value), ("lo", result.low), ("hi", result.high))}
    answer: dict[str, Consensus] = {}
    for fid in present.tolist():
        name = rows.figures.names[fid]
        status = CODES[int(result.status[fid])]
        before = previous.get(name)
        settled_at = before.settled_at if before is not None else None
        if settled_at is None and status in SETTLED:
            settled_at = now
        answer[name] = Consensus(
            figure=name,
            value=float(ys["v"][fid]),
            low=float(ys["lo"][fid]),
            high=float(ys["hi"][fid]),
            status=status,
            agreement=float(result.agreement[fid]),
            n_eff=float(result.n_eff[fid]),
            contributors=int(result.contributors[fid]),
            domains=int(result.domains[fid]),
            computed_at=now,
            settled_at=settled_at,
        )
    return answer


def _labels(rows: Rows, vlay: VoteLayout, votes: Votes, policy: Policy) -> dict[str, Verdict]:
    answer: dict[str, Verdict] = {}
    for fid in np.flatnonzero(votes.voters > 0).tolist():
        winner = int(votes.winner[fid])
        if winner < 0:
            continue
        thin = votes.n_eff[fid] < policy.min_n_eff or votes.domains[fid] < policy.min_domains
        agreed = votes.agreement[fid] >= policy.confirm
        status = Status.INSUFFICIENT if thin else Status.CONFIRMED if agreed else Status.CONTESTED
        answer[rows.figures.names[fid]] = Verdict(
            figure=rows.figures.names[fid],
            label=rows.labels.names[winner],
            status=status,
            agreement=float(votes.agreement[fid]),
            n_eff=float(votes.n_eff[fid]),
            domains=int(votes.domains[fid]),
        )
    return answer
