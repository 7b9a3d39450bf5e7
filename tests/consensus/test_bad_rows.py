"""The engine leaves out a value too large to compute with, counts it, and computes every other figure.

A finite but huge value (1e300) is a valid float, yet its square or its mean with another overflows: the batch gave
the figure an interval up to infinity, with overflow warnings, and a stored infinity stops everything downstream.
Values are held to the bound of ``figures.numbers`` (|x| < 10^15), which every input already meets.
"""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime

import pytest

from consensus.batch import recompute
from consensus.rows import RowBuilder, rows_of
from consensus.vocabulary import Claim, Kind, Policy, Summary

T = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(own_domain="a.example")


def _claims(huge: float) -> list[Claim]:
    return [
        Claim("f", "https://a.example/ana", "a.example", 812, Kind.PUBLISH, T),
        Claim("f", "https://b.example/bea", "b.example", 905, Kind.CORRECT, T),
        Claim("f", "https://c.example/eve", "c.example", huge, Kind.CORRECT, T, ratio=huge > 0),
        Claim("g", "https://a.example/ana", "a.example", 40, Kind.PUBLISH, T),
        Claim("g", "https://b.example/bea", "b.example", 41, Kind.CORRECT, T),
    ]


@pytest.mark.parametrize("huge", [1e300, -1e300, 1e15, -1e308])
def test_a_huge_claim_is_skipped_counted_and_the_others_computed(huge: float) -> None:
    rows = rows_of(_claims(huge))
    assert rows.skipped == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow anywhere
        outcome = recompute(rows, POLICY, T)
    assert outcome.skipped == 1
    assert set(outcome.numbers) == {"f", "g"}
    for consensus in outcome.numbers.values():
        assert all(math.isfinite(x) for x in (consensus.value, consensus.low, consensus.high))
    assert outcome.numbers["f"].contributors == 2


def test_a_huge_summary_is_skipped_without_disturbing_the_rows_before_it() -> None:
    builder = RowBuilder()
    builder.add_claim(Claim("f", "https://a.example/ana", "a.example", 812, Kind.PUBLISH, T))
    builder.add_summary(Summary("f", "b.example", 900, 880, 920, 2.0, 3, None, T))
    builder.add_summary(Summary("f", "c.example", 1e300, 1e299, 1e301, 2.0, 7, None, T))
    rows = builder.build()
    assert rows.skipped == 1
    assert sorted(rows.count.tolist()) == [1.0, 3.0], "the skipped summary's count went nowhere"


def test_values_within_the_bound_are_all_kept() -> None:
    rows = rows_of(_claims(999_999_999_999_999.0))
    assert rows.skipped == 0
    assert len(rows) == 5
