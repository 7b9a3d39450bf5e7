"""Statuses, intervals and hysteresis, for every figure of a pass at once.

- *insufficient*: fewer than ``min_n_eff`` effective contributors or ``min_domains`` domains;
- *confirmed*: ``confirm`` of the weight agrees with the value, which is the published one;
- *corrected*: the same broad agreement, from at least two domains, on a value away from the
  published one;
- *contested*: otherwise.

Hysteresis: a status a figure already has holds until agreement falls ``margin`` below the threshold
needed to enter it.  A settled value is only replaced by one that could settle on its own (``confirm``
agreement from two domains); until then the incumbent stays and the figure may turn *contested*.  A
near tie between two camps therefore cannot flip a settled figure back and forth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from consensus.estimator import Estimate, Layout
from consensus.median import Floats, Ints, group_sum
from consensus.vocabulary import Policy, Status

CODES = list(Status)
NONE = -1
INSUFFICIENT, CONFIRMED, CORRECTED, CONTESTED = (CODES.index(s) for s in CODES)


@dataclass
class Settlement:
    """Per figure, in the working scale z (ln y for ratio quantities)."""

    value: Floats
    low: Floats
    high: Floats
    status: Ints
    agreement: Floats
    n_eff: Floats
    contributors: Floats
    domains: Floats


def tolerance(lay: Layout, zhat: Floats, policy: Policy) -> Floats:
    """Half-width of agreement: relative for ratio quantities, relative to the value otherwise."""
    return np.where(lay.log, math.log1p(policy.tolerance), policy.tolerance * np.abs(zhat))


def _share(lay: Layout, out: Estimate, centre: Floats, tol: Floats) -> tuple[Floats, Floats]:
    """Share of the weight within ``tol`` of ``centre``, and how many domains are in it."""
    near = (np.abs(out.est - centre[lay.gf]) <= tol[lay.gf]) & (out.weight > 0)
    weight = group_sum(lay.gf, out.weight * near, lay.figures)
    share = np.where(out.total > 0, weight / np.where(out.total > 0, out.total, 1.0), 0.0)
    return share, group_sum(lay.gf, near.astype(np.float64), lay.figures)


def settle(
    lay: Layout, out: Estimate, policy: Policy, published: Floats, prev_status: Ints, prev_value: Floats
) -> Settlement:
    tol = tolerance(lay, out.zhat, policy)
    agreement, support = _share(lay, out, out.zhat, tol)
    value = out.zhat.copy()
    settled_before = (prev_status == CONFIRMED) | (prev_status == CORRECTED)
    if policy.incumbency:
        moved = settled_before & np.isfinite(prev_value) & (np.abs(out.zhat - prev_value) > tol)
        can_settle = (agreement >= policy.confirm) & (support >= policy.min_domains)
        held = moved & ~can_settle
        old_share, old_support = _share(lay, out, np.where(held, prev_value, out.zhat), tol)
        value = np.where(held, prev_value, value)
        agreement = np.where(held, old_share, agreement)
        support = np.where(held, old_support, support)
    away = np.isfinite(published) & (np.abs(value - published) > tol)
    candidate = np.where(away, CORRECTED, CONFIRMED)
    threshold = np.where(prev_status == candidate, policy.confirm - policy.margin, policy.confirm)
    status = np.where((agreement >= threshold) & (support >= policy.min_domains), candidate, CONTESTED)
    n_eff, contributors = _effective(lay, out)
    domains = group_sum(lay.gf, (out.weight > 0).astype(np.float64), lay.figures)
    thin = (n_eff < policy.min_n_eff) | (domains < policy.min_domains)
    status = np.where(thin, INSUFFICIENT, status)
    half = policy.interval_z / (2 * np.sqrt(np.maximum(n_eff, 1e-12)))
    fids = np.arange(lay.figures, dtype=np.int64)
    low = np.fmin(out.spread.quantile(fids, 0.5 - half), value)
    high = np.fmax(out.spread.quantile(fids, 0.5 + half), value)
    return Settlement(value, low, high, status.astype(np.int64), agreement, n_eff, contributors, domains)


def _effective(lay: Layout, out: Estimate) -> tuple[Floats, Floats]:
    """Kish's effective number of contributors, over claims (a summary row stands for ``count``
    equal claims), and the number of claims that carry any weight."""
    square = group_sum(lay.fig, out.effective**2 / lay.count, lay.figures)
    n_eff = np.where(square > 0, out.total**2 / np.where(square > 0, square, 1.0), 0.0)
    contributors = group_sum(lay.fig, lay.count * (out.effective > 0), lay.figures)
    return n_eff, contributors
