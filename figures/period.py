"""The period a figure covers, written as ISO 8601 and kept at the precision it was given.

Accepted: a year "2026", a month "2026-05", a day "2026-05-14", an ISO week "2026-W20", a quarter
"2026-Q2" (or the French "2026-T2", or "Q2 2026" / "T2 2026"), a half-year "2026-S1" / "2026-H1",
and an interval "a/b" of any two of these ("2026-01/2026-06", "2026-Q1/2026-Q3").

Canonical text: ISO 8601 at the precision given, because "2026-05" says something "2026-05-01/
2026-05-31" does not (the figure is a monthly one). Quarters and half-years, which ISO 8601 has no
basic notation for, become month intervals: "2026-Q2" → "2026-04/2026-06". An interval whose two
ends are the same collapses ("2026-05/2026-05" → "2026-05"). Durations ("P6M"), open ends ("..")
and ISO's abbreviated ends ("2026-05-14/20") are refused.

Every period also has inclusive `start` and `end` dates, which sort and compare periods whatever
their precision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, NamedTuple

from figures.numbers import FiguresError

__all__ = ["Period", "PeriodError", "parse_period"]


class PeriodError(FiguresError):
    """A period that is not one of the ISO 8601 forms we read."""


@dataclass(frozen=True, order=True)
class Period:
    """A normalised period; ordered by start, then end, then text."""

    start: date
    end: date
    text: str

    def __str__(self) -> str:
        return self.text

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


class _End(NamedTuple):
    """One side of a period: its first and last day and how it is written at each end."""

    start: date
    end: date
    start_text: str
    end_text: str


_YEAR: Final = re.compile(r"(\d{4})")
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_DAY: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEK: Final = re.compile(r"(\d{4})-W(\d{2})")
_QUARTER: Final = re.compile(r"(\d{4})-[QT]([1-4])|[QT]([1-4])\s+(\d{4})")
_HALF: Final = re.compile(r"(\d{4})-[SH]([12])")


def parse_period(text: str) -> Period:
    """Read a period (see the module doc); raises `PeriodError` naming the text."""
    cleaned = text.strip()
    if cleaned.count("/") > 1:
        raise PeriodError(f"not a period: {text!r}")
    first, _, second = (part.strip() for part in cleaned.partition("/"))
    low = _read_end(first, text)
    high = _read_end(second, text) if second else low
    if high.end < low.start:
        raise PeriodError(f"period ends before it starts: {text!r}")
    if low.start_text == high.start_text and low.end_text == high.end_text:
        canonical = low.start_text if low.start_text == low.end_text else f"{low.start_text}/{low.end_text}"
    else:
        canonical = f"{low.start_text}/{high.end_text}"
    return Period(low.start, high.end, canonical)


def _read_end(part: str, text: str) -> _End:
    readers = (
        (_DAY, _day),
        (_WEEK, _week),
        (_MONTH, _month),
        (_QUARTER, _quarter),
        (_HALF, _half),
        (_YEAR, _year),
    )
    for pattern, reader in readers:
        match = pattern.fullmatch(part.upper())
        if match:
            try:
                return reader([int(group) for group in match.groups() if group is not None])
            except ValueError as error:
                raise PeriodError(f"not a period: {text!r} ({error})") from error
    raise PeriodError(f"not a period: {text!r}")


def _day(numbers: list[int]) -> _End:
    day = date(*numbers)
    return _End(day, day, day.isoformat(), day.isoformat())


def _month(numbers: list[int]) -> _End:
    year, month = numbers
    first, last = _months(year, month, month)
    text = f"{year:04d}-{month:02d}"
    return _End(first, last, text, text)


def _week(numbers: list[int]) -> _End:
    year, week = numbers
    monday = date.fromisocalendar(year, week, 1)
    text = f"{year:04d}-W{week:02d}"
    return _End(monday, monday + timedelta(days=6), text, text)


def _quarter(numbers: list[int]) -> _End:
    year, quarter = numbers if numbers[0] > 4 else numbers[::-1]
    return _month_span(year, 3 * quarter - 2, 3 * quarter)


def _half(numbers: list[int]) -> _End:
    year, half = numbers
    return _month_span(year, 6 * half - 5, 6 * half)


def _year(numbers: list[int]) -> _End:
    (year,) = numbers
    first, last = _months(year, 1, 12)
    return _End(first, last, f"{year:04d}", f"{year:04d}")


def _month_span(year: int, first_month: int, last_month: int) -> _End:
    first, last = _months(year, first_month, last_month)
    return _End(first, last, f"{year:04d}-{first_month:02d}", f"{year:04d}-{last_month:02d}")


def _months(year: int, first_month: int, last_month: int) -> tuple[date, date]:
    """First day of `first_month` and last day of `last_month` (validates both)."""
    first = date(year, first_month, 1)
    following = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return first, following - timedelta(days=1)
