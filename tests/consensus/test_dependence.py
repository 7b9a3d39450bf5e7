"""Agreement proves precision only among sources that err independently (``consensus.dependence``).

Measured on the Weather data (three web sites × three forecast horizons): the sources of the central site
agreed most with the others, because they shared the others' errors, and earned the highest weights; the
most accurate did not, and the engine lost to the plain mean with numbers only (4.8451 against 4.7841).
The test for shared errors reads 1/F = 0.015 there, and precision above the typical source's is credited
to that power: 4.7808.  Where errors are independent it reads about 1 and nothing changes.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bench.consensus import world
from consensus.batch import recompute
from consensus.dependence import credit
from consensus.estimator import estimate, layout
from consensus.offline import read_claims
from consensus.reliability import Reputation
from consensus.rows import Rows, rows_of
from consensus.vocabulary import Claim, Kind, Policy

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def panel(seed: int, *, shared: float = 0.0, common: float = 0.0, bias: float = 1.0) -> np.ndarray:
    """Eight sources on 600 figures (15 % of the claims missing): Student-t errors with spreads 1 to 5 and
    constant biases; ``shared`` adds an error per group of sources (0-2, 3-5, 6-7), ``common`` one error
    that every source makes."""
    rng = np.random.default_rng(seed)
    figures, sources = 600, 8
    truth = rng.uniform(20, 100, figures)
    noise = rng.standard_t(3, (figures, sources)) * np.linspace(1, 5, sources)
    x = truth[:, None] + rng.normal(0, bias, sources) + noise
    x += shared * rng.normal(0, 1, (figures, 3))[:, np.arange(sources) // 3]
    x += common * rng.normal(0, 1, (figures, 1))
    x[rng.random((figures, sources)) < 0.15] = np.nan
    return x


def rows(x: np.ndarray) -> Rows:
    lines = [f"o{i}\t{v:.2f}\ts{j}" for (i, j), v in np.ndenumerate(x) if np.isfinite(v)]
    return read_claims(io.StringIO("\n".join(lines) + "\n"), scale="interval")


def credit_of(data: Rows) -> float:
    """The test as the batch's first round runs it: residuals from the robust centre at the prior's weights."""
    policy = Policy()
    lay = layout(data, np.ones(len(data.domains.names)))
    weights = Reputation.empty(len(data.actors)).weights(policy)
    centre = estimate(lay, weights, policy, value=False).zhat
    return credit(lay, centre, np.ones(len(lay.z), dtype=bool), policy)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_independent_sources_keep_their_credit(seed: int) -> None:
    assert credit_of(rows(panel(seed))) > 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sources_sharing_errors_by_group_are_found(seed: int) -> None:
    assert credit_of(rows(panel(seed, shared=3.0))) < 0.2


def test_constant_biases_are_not_shared_errors() -> None:
    """A source that always reads two degrees high errs alone: each source's own median is taken out."""
    assert credit_of(rows(panel(4, bias=4.0))) > 0.5


def test_an_error_every_source_makes_cannot_be_told_from_the_truth() -> None:
    """Nothing without the truth can see it, and it ranks no source above another: the credit stays."""
    assert credit_of(rows(panel(5, common=3.0))) > 0.5


def test_sparse_claims_say_nothing() -> None:
    """The synthetic protocol: 200 actors with a dozen claims each, never enough together to compare."""
    w = world(0.0, "a", 7)
    data = rows_of(w.phase1)
    assert credit_of(data) == 1.0
    assert recompute(data, Policy(), T0 + timedelta(seconds=1500)).credit == 1.0


def claims(x: np.ndarray, prefix: str, at: datetime) -> list[Claim]:
    return [
        Claim(f"f{i}", f"{prefix}{j}", f"{prefix}{j}.example", float(v), Kind.CORRECT, at, ratio=False)
        for (i, j), v in np.ndenumerate(x)
        if np.isfinite(v)
    ]


def brigade(seed: int, figures: int) -> np.ndarray:
    """Four accounts that give one invented value per figure between them (each within a degree of it)."""
    rng = np.random.default_rng(seed)
    push = rng.normal(0, 6, (figures, 1))
    return np.asarray(panel(seed)[:, :4] + push + rng.normal(0, 1, (figures, 4)), dtype=np.float64)


def test_a_brigade_after_settlement_cannot_lower_the_credit() -> None:
    """Claims made after a figure settled earn nothing, and take no part in the test either: four accounts
    pushing one shared value on every settled figure leave the honest sources' credit as it was.  The same
    claims made before settlement are shared errors, and are seen as such."""
    honest = panel(6)
    policy = Policy()
    first = recompute(rows_of(claims(honest, "h", T0)), policy, T0 + timedelta(hours=1))
    assert first.credit > 0.5
    pushed = brigade(7, len(honest))
    settled = np.array([first.numbers[f"f{i}"].settled_at is not None for i in range(len(honest))])
    assert settled.sum() > 300
    pushed[~settled] = np.nan
    late = claims(honest, "h", T0) + claims(pushed, "b", T0 + timedelta(hours=2))
    after = recompute(rows_of(late), policy, T0 + timedelta(hours=3), first.numbers)
    assert after.credit == pytest.approx(first.credit)
    early = claims(honest, "h", T0) + claims(pushed, "b", T0 + timedelta(minutes=30))
    assert recompute(rows_of(early), policy, T0 + timedelta(hours=3)).credit < 0.2


def test_a_brigade_before_settlement_costs_precision_but_not_the_figures() -> None:
    """What lowering the credit buys colluders: four accounts with long early records that share one invented
    error per figure take the credit to nearly 0, and the honest sources' precision stops counting above the
    typical one.  Measured: mean error 2.01 against 1.58 with the test off, and 2.53 for a plain median of
    every claim (the honest sources' own median: 1.08).  The engine still beats the plain median."""
    honest = panel(6)
    truth = np.random.default_rng(6).uniform(20, 100, len(honest))  # ``panel``'s first draw
    pushed = brigade(7, len(honest))
    early = rows_of(claims(honest, "h", T0) + claims(pushed, "b", T0 + timedelta(minutes=30)))
    errors = {}
    for on in (True, False):
        out = recompute(early, Policy(dependence=on), T0 + timedelta(hours=3))
        values = np.array([out.numbers[f"f{i}"].value for i in range(len(honest))])
        errors[on] = float(np.mean(np.abs(values - truth)))
    median = float(np.mean(np.abs(np.nanmedian(np.column_stack([honest, pushed]), axis=1) - truth)))
    assert errors[False] < errors[True] < median


def test_no_credit_stops_precision_at_the_typical_source() -> None:
    """Credit 0: a source more precise than the typical one (the mean over the established, by record) weighs
    as the typical one; the others keep their lower weights (agreement can still show a source to be worse).
    Credit 1: weights as before; in between, precision above the typical is credited to that power."""
    policy = Policy()
    n = np.full(4, 200.0)
    sum_r2 = np.array([50.0, 200.0, 200.0, 800.0])  # precise, two typical, wild
    full = Reputation(n, sum_r2, np.zeros(4), np.zeros(4)).weights(policy)
    none = Reputation(n, sum_r2, np.zeros(4), np.zeros(4), credit=0.0).weights(policy)
    half = Reputation(n, sum_r2, np.zeros(4), np.zeros(4), credit=0.5).weights(policy)
    assert full[0] > full[1] > full[3]
    typical = full.mean()  # equal records: the typical precision is the plain mean
    assert full[1] < typical < full[0]
    assert none[0] == pytest.approx(typical)
    assert none[1:] == pytest.approx(full[1:])
    assert typical < half[0] < full[0]


def test_the_policy_can_credit_agreement_in_full() -> None:
    """``Policy.dependence`` off: no test, precision credited in full (what ``bench.dependence`` compares)."""
    data = rows(panel(1, shared=3.0))
    assert recompute(data, Policy(), T0).credit < 0.2
    assert recompute(data, Policy(dependence=False), T0).credit == 1.0
