"""A vandal seen once against sources with long, mostly good records (issue 11).

Measured on public Wikipedia infobox edits: two sources claimed 4 775, a newcomer 4.775e17, and the
newcomer won, because a few heavy-tailed misses in long records cost more than one claim ever could.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from consensus.batch import recompute
from consensus.incremental import IncrementalConsensus
from consensus.rows import rows_of
from consensus.vocabulary import Claim, Kind, Policy

T0 = datetime(2025, 3, 1, tzinfo=UTC)
POLICY = Policy()  # every domain new to us, as in ``chiffres consensus evaluate``


def _claim(figure: str, actor: str, value: float, at: int) -> Claim:
    return Claim(figure, actor, f"{actor}.example", value, Kind.CORRECT, T0 + timedelta(seconds=at))


def history(seed: int = 1, figures: int = 100, misses: int = 3) -> list[Claim]:
    """Four sources on ``figures`` towns, within a percent of each other; ``a`` and ``b`` each blunder
    by a factor of 1 000 on ``misses`` of them (a few heavy-tailed errors in a long record)."""
    rng = random.Random(seed)
    claims = []
    for f in range(figures):
        truth = 10 ** rng.uniform(2, 6)
        for k, actor in enumerate("abcd"):
            value = truth * (1 + rng.gauss(0, 0.01))
            if (actor == "a" and f < misses) or (actor == "b" and figures - misses <= f):
                value *= 1000
            claims.append(_claim(f"town{f}", actor, value, at=f * 10 + k))
    return claims


def vandalised() -> list[Claim]:
    return [
        *history(),
        _claim("target", "a", 4775.0, at=5000),
        _claim("target", "b", 4775.0, at=5001),
        _claim("target", "vandal", 477_509_878_685_490_000.0, at=5002),
    ]


def values(claims: list[Claim], policy: Policy = POLICY) -> tuple[float, float]:
    """The target's value as the batch and as the live engine (one claim at a time) give it."""
    batch = recompute(rows_of(claims), policy, T0 + timedelta(hours=2)).numbers["target"].value
    engine = IncrementalConsensus(policy)
    for c in claims:
        engine.add(c, c.made_at)
    result = engine.consensus("target")
    assert result is not None
    return batch, result.value


def test_the_vandal_does_not_win_against_two_established_sources() -> None:
    assert values(vandalised()) == pytest.approx((4775.0, 4775.0))


def test_a_newcomer_weighs_less_than_an_established_source() -> None:
    """Even a newcomer whose one claim is exact starts below sources with a long, mostly good record."""
    claims = [*history(), _claim("town50", "newcomer", next(c.value for c in history() if c.figure == "town50"), 9000)]
    rows = rows_of(claims)
    weights = recompute(rows, POLICY, T0 + timedelta(hours=2)).weights
    w = {name: float(weights[rows.actors.index[name]]) for name in ("a", "b", "c", "newcomer")}
    assert w["newcomer"] < min(w["a"], w["b"], w["c"])
    engine = IncrementalConsensus(POLICY)
    for c in claims:
        engine.add(c, c.made_at)
    assert engine.weight("newcomer") < min(engine.weight(a) for a in "abc")
    assert engine.weight("never seen") < min(engine.weight(a) for a in "abc")


def test_one_source_cannot_carry_a_figure_against_two_that_agree() -> None:
    """However heavy: a fully trusted, long-established source against two new, barely trusted ones."""
    trusted = Policy(trust={"a.example": 1.0, "x.example": 0.1, "y.example": 0.1})
    claims = [
        *history(misses=0),
        _claim("target", "a", 1000.0, at=5000),
        _claim("target", "x", 1300.0, at=5001),
        _claim("target", "y", 1302.0, at=5002),
    ]
    assert values(claims, trusted) == pytest.approx((1301.0, 1301.0), rel=0.01)


def test_a_lone_heavy_source_still_counts_when_nobody_agrees() -> None:
    """The rule needs two agreeing sources: three scattered ones keep the weighted median."""
    trusted = Policy(trust={"a.example": 1.0})
    claims = [
        *history(misses=0),
        _claim("target", "a", 1000.0, at=5000),
        _claim("target", "x", 1300.0, at=5001),
        _claim("target", "y", 700.0, at=5002),
    ]
    outcome = recompute(rows_of(claims), trusted, T0 + timedelta(hours=2))
    assert outcome.numbers["target"].value == pytest.approx(1000.0, rel=0.05)


def test_a_newcomer_cannot_widen_the_spread_it_is_judged_by() -> None:
    """One established source and one newcomer: the figure's spread is half their distance, and the newcomer
    sat within it however far it was (Weather with 5 % of the claims × 10^6 from new accounts: a forecast of
    20 °F and a vandal's 21,000,000 read 10,006,752).  Judged by the established sources' spread, the vandal
    is a blunder; the live engine, one claim at a time, reads the same."""
    claims = [
        *history(misses=0),
        _claim("target", "a", 20.0, at=5000),
        _claim("target", "vandal", 21_000_000.0, at=5001),
    ]
    assert values(claims) == pytest.approx((20.0, 20.0))


def test_newcomers_who_agree_still_move_a_figure_from_one_established_source() -> None:
    """The established sources' spread is taken around the figure's robust centre: three newcomers agreeing
    on a correction carry it there, and the lone established source is the one far from it."""
    claims = [
        *history(misses=0),
        _claim("target", "a", 1000.0, at=5000),
        *(_claim("target", f"new{i}", 1300.0 + i, at=5001 + i) for i in range(3)),
    ]
    outcome = recompute(rows_of(claims), POLICY, T0 + timedelta(hours=2))
    assert outcome.numbers["target"].value == pytest.approx(1301.0, rel=0.01)
