"""Requests and answers read from plain posts: loosely, but never a request without a place and a period, and never
an answer without a written unit and a source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from figures.request_text import read_answer, read_asking
from figures.units import parse_unit

MENTION = (
    '<span class="h-card"><a href="https://chiffres.test/actors/loyers" class="u-url mention">'
    "@<span>loyers</span></a></span>"
)
CHERCHE = '<a href="https://m.example/tags/cherche" class="mention hashtag" rel="tag">#<span>cherche</span></a>'


@pytest.mark.parametrize(
    ("text", "measures", "place", "period", "unit"),
    [
        (
            "loyer médian d'un T2 à Lyon 3e, 2026-Q2 unité : €/mois",
            "loyer médian d'un T2",
            "Lyon 3e",
            "2026-04/2026-06",
            "EUR/month",
        ),
        (
            "median rent of a 2-room flat in Lyon T2 2026",
            "median rent of a 2-room flat",
            "Lyon",
            "2026-04/2026-06",
            None,
        ),
        (
            "salaire médian des infirmières à Marseille en 2025 ?",
            "salaire médian des infirmières",
            "Marseille",
            "2025",
            None,
        ),
        ("le prix du pain en 2025-05 à Lyon", "prix du pain", "Lyon", "2025-05", None),
        (
            f"{MENTION} Quel est le loyer médian d'un T3 à Lyon en 2026-Q2 ? {CHERCHE}",
            "loyer médian d'un T3",
            "Lyon",
            "2026-04/2026-06",
            None,
        ),
        ("What is the median rent in Lyon in 2026 #wanted", "median rent", "Lyon", "2026", None),
    ],
)
def test_a_request_is_read_loosely(text: str, measures: str, place: str, period: str, unit: str | None) -> None:
    asking = read_asking(f"<p>{MENTION} {CHERCHE} {text}</p>")
    assert asking is not None
    assert (asking.measures, asking.place, asking.period.text) == (measures, place, period)
    assert (asking.unit.code if asking.unit else None) == unit


@pytest.mark.parametrize("text", ["prix du pain 2026", "prix du pain à Lyon", "à Lyon en 2026", ""])
def test_a_post_without_measure_place_or_period_asks_nothing(text: str) -> None:
    assert read_asking(f"<p>{MENTION} {CHERCHE} {text}</p>") is None


def test_an_answer_needs_a_value_with_its_unit_and_a_source() -> None:
    link = '<a href="https://obs.example/loyers">l\'observatoire</a>'
    answer = read_answer(f"<p>{MENTION} 812 €/mois selon {link}</p>", None)
    assert answer is not None
    assert (answer.value, answer.unit.code, answer.source) == (Decimal(812), "EUR/month", "https://obs.example/loyers")
    expected = parse_unit("€/mois").unit
    answer = read_answer("En 2026 c'est 812 € https://obs.example/x", expected)
    assert answer is not None
    assert (answer.value, answer.unit.code) == (Decimal(812), "EUR/month"), "the period left out, as people do"
    assert read_answer("812 https://obs.example/x", None) is None, "a bare number counts nothing"
    assert read_answer("812 €/mois, pas de source", None) is None
    assert read_answer("30 m² https://obs.example/x", expected) is None, "another kind of unit"
