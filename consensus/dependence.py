"""Shared errors among sources, and how much agreement may therefore prove.

Reputations are learned from agreement: a source whose claims sit near the others' is taken to be
precise.  That holds while sources err independently.  When some of them share their errors (three
forecast horizons of one web site, outlets copying one agency, members liking the same draft), a
source that sits among the sharers agrees with many others because they err alike, not because it is
right, and agreement then ranks the sources wrongly.  Measured on the Weather data: the central site's
sources earned the highest weights, the most accurate ones did not, and every weighting learned from
agreement lost to the plain mean (bench/README.md, "The numbers-only gap").

Independence can be tested without the truth.  Whatever the centre ``c`` a residual ``x - c`` is taken
from, for independent errors the mean product of two sources' residuals over the figures both claim is
*additive*, ``G_ij = u_i + u_j``: the centre's own error adds the same to every pair, and its correlation
with each source adds a term of that source alone.  A pattern beyond that (the four-point condition,
``G_ik - G_il - G_jk + G_jl = 0`` for four distinct sources) is shared error.  A pattern fitted on noise is
not zero either, so the test asks whether it *replicates*: fitted on two halves of the figures apart, a
real pattern is the same in both and noise is not.  ``F = Σ(e1 + e2)² / Σ(e1 - e2)²``, pooled over
``SPLITS`` ways of halving the figures, is about 1 for independent sources and large for shared errors.
Measured through the engine (``recompute``): on 40 simulated panels of 5 to 15 sources, 200 to 1,500
figures, Student-t errors with spreads 1 to 5 and constant biases, 1/F has median 0.98 and 5th percentile
0.59; with a shared error per group of three sources added, median 0.04; on the Weather, 0.015 (numbers
only) and 0.003 (with the conditions, whose figures are numbered otherwise).

``credit`` = min(1, 1/F) is the share of that pattern that is noise: the power to which a source's
residual precision above the typical established source's is credited (``consensus.reliability``).  Where
errors are independent, agreement keeps telling precise sources apart; where sources demonstrably share
errors, agreement can still show a source to be worse than the others, never better.

Only sources with long records (``2 * prior_claims`` counted claims, the ``PANEL`` longest) and pairs of
them that claim ``prior_claims`` figures together in each half are looked at: sparse data (most
federations, the synthetic protocol, a single figure) says nothing, and credits in full.  Claims made
after a figure settled do not take part, as they earn nothing (``consensus.estimator.residuals``): a
brigade pushing a settled figure cannot make the honest sources look alike.  A set of colluding accounts
with long, shared records can at most lower the credit to 0, where every weight stops at the typical
source's and the other defences (newcomers' bound, corroboration, rejection of far values) are intact.
"""

from __future__ import annotations

import numpy as np

from consensus.estimator import MAD_TO_SIGMA, Layout
from consensus.median import Bools, Floats
from consensus.vocabulary import Policy

PANEL = 32  # the sources with the longest records that the test looks at: a K×K pattern, K columns per figure
SPLITS = 4  # halves of the figures compared (by each of the last bits of their numbers), pooled for stability


def credit(lay: Layout, centre: Floats, counted: Bools, policy: Policy) -> float:
    """min(1, 1/F) over the panel (see the module's docstring); 1 when the data cannot tell."""
    pair = max(int(policy.prior_claims), 1)
    rows = np.flatnonzero(counted & (lay.actor >= 0))
    actor = lay.actor[rows]
    n = np.bincount(actor) if len(actor) else np.zeros(0, dtype=np.int64)
    long = np.flatnonzero(n >= 2 * pair)
    if len(long) < 4:
        return 1.0
    panel = long[np.lexsort((long, -n[long]))][:PANEL]
    column = np.full(len(n), -1, dtype=np.int64)
    column[panel] = np.arange(len(panel))
    rows = rows[column[actor] >= 0]
    fig = lay.fig[rows]
    per_figure = np.bincount(fig, minlength=lay.figures)
    rows = rows[per_figure[fig] >= 2]
    if not len(rows):
        return 1.0
    figures, row_of = np.unique(lay.fig[rows], return_inverse=True)
    claimed = np.zeros((len(figures), len(panel)), dtype=bool)
    residual = np.zeros((len(figures), len(panel)))
    col = column[lay.actor[rows]]
    claimed[row_of, col] = True
    residual[row_of, col] = _residuals(lay.z[rows] - centre[lay.fig[rows]], col, len(panel), policy)
    upper = np.triu_indices(len(panel), 1)
    noise = pattern = 0.0
    tested = False
    for split in range(SPLITS):
        even = (figures >> split) % 2 == 0
        g1, n1 = _products(residual[even], claimed[even])
        g2, n2 = _products(residual[~even], claimed[~even])
        enough = (n1[upper] >= pair) & (n2[upper] >= pair)
        i, j = upper[0][enough], upper[1][enough]
        design = np.zeros((len(i), len(panel)))
        design[np.arange(len(i)), i] = 1.0
        design[np.arange(len(i)), j] = 1.0
        if len(i) - np.linalg.matrix_rank(design) < 3:
            continue  # too few pairs beyond what additivity fits: nothing to test in this split
        e1 = _beyond_additive(design, g1[i, j])
        e2 = _beyond_additive(design, g2[i, j])
        noise += float(np.sum((e1 - e2) ** 2))
        pattern += float(np.sum((e1 + e2) ** 2))
        tested = True
    if not tested or pattern <= 0:
        return 1.0
    return min(1.0, noise / pattern)


def _residuals(r: Floats, col: np.ndarray, columns: int, policy: Policy) -> Floats:
    """Each source's residuals less its own median (a constant bias is not a shared error), in units of
    their pooled spread, clipped at ``r_clip`` spreads so that a few blunders do not make the pattern,
    and centred again."""
    median = np.zeros(columns)
    for c in np.unique(col).tolist():
        median[c] = np.median(r[col == c])
    r = r - median[col]
    scale = MAD_TO_SIGMA * float(np.median(np.abs(r)))
    if scale <= 0:
        scale = float(np.mean(np.abs(r)))
    if scale <= 0:
        return np.zeros(len(r))
    r = np.clip(r / scale, -policy.r_clip, policy.r_clip)
    mean = np.bincount(col, weights=r, minlength=columns) / np.maximum(np.bincount(col, minlength=columns), 1)
    return np.asarray(r - mean[col], dtype=np.float64)


def _products(residual: Floats, claimed: Bools) -> tuple[Floats, Floats]:
    """Mean product of each pair of sources' residuals over the figures both claim, and how many."""
    both = claimed.astype(np.float64)
    together = both.T @ both
    return (residual.T @ residual) / np.maximum(together, 1.0), together


def _beyond_additive(design: Floats, g: Floats) -> Floats:
    """What is left of the pairs' mean products once the best additive fit u_i + u_j is taken out."""
    fit, *_ = np.linalg.lstsq(design, g, rcond=None)
    return np.asarray(g - design @ fit, dtype=np.float64)
