from datetime import date

import pytest

from figures.numbers import FiguresError
from figures.period import Period, PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "canonical", "start", "end"),
    [
        ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-05", "2026-05", date(2026, 5, 1), date(2026, 5, 31)),
        ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-05-14", "2026-05-14", date(2026, 5, 14), date(2026, 5, 14)),
        ("2026-Q2", "2026-04/2026-06", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-q4", "2026-10/2026-12", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-T2", "2026-04/2026-06", date(2026, 4, 1), date(2026, 6, 30)),
        ("T2 2026", "2026-04/2026-06", date(2026, 4, 1), date(2026, 6, 30)),
        ("Q1 2026", "2026-01/2026-03", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-S2", "2026-07/2026-12", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-H1", "2026-01/2026-06", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-W20", "2026-W20", date(2026, 5, 11), date(2026, 5, 17)),
        ("2026-W53", "2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
        ("2026-01/2026-06", "2026-01/2026-06", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-Q1/2026-Q3", "2026-01/2026-09", date(2026, 1, 1), date(2026, 9, 30)),
        ("2026-05/2026-05", "2026-05", date(2026, 5, 1), date(2026, 5, 31)),
        ("2026-Q2/2026-Q2", "2026-04/2026-06", date(2026, 4, 1), date(2026, 6, 30)),
        ("2025/2026", "2025/2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("2026-05-14/2026-06", "2026-05-14/2026-06", date(2026, 5, 14), date(2026, 6, 30)),
        (" 2026-01 / 2026-03 ", "2026-01/2026-03", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_periods_normalise_and_keep_their_precision(text: str, canonical: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.text, period.start, period.end) == (canonical, start, end)
    assert str(period) == canonical
    assert parse_period(period.text) == period  # the canonical text reads back the same


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-13",
        "2026-02-30",
        "2025-W53",
        "2026-Q5",
        "2026-06/2026-01",
        "P1Y",
        "2026-01/P6M",
        "2026-01/..",
        "2026-05-14/20",
        "26",
        "2026-5",
        "mai 2026",
        "0000",
        "2026/2027/2028",
    ],
)
def test_bad_periods_are_refused_with_their_text(text: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, FiguresError)


def test_periods_sort_by_start_then_end() -> None:
    texts = ["2026-Q2", "2026", "2026-05-14", "2025-12", "2026-04", "2026-W20"]
    ordered = [period.text for period in sorted(parse_period(text) for text in texts)]
    assert ordered == ["2025-12", "2026", "2026-04", "2026-04/2026-06", "2026-W20", "2026-05-14"]


def test_same_span_written_differently_is_the_same_period() -> None:
    assert parse_period("2026-Q2") == parse_period("2026-04/2026-06")
    assert parse_period("2026-Q2") != parse_period("2026-04-01/2026-06-30")  # precision differs
    day_span = parse_period("2026-04-01/2026-06-30")
    assert (day_span.start, day_span.end) == (parse_period("2026-Q2").start, parse_period("2026-Q2").end)


def test_contains() -> None:
    quarter: Period = parse_period("2026-Q2")
    assert quarter.contains(date(2026, 4, 1))
    assert quarter.contains(date(2026, 6, 30))
    assert not quarter.contains(date(2026, 7, 1))
