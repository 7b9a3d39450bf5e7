"""Dates and periods as a reader of the page's language writes them, through Babel's CLDR formats.

Pages never show an ISO timestamp to a person: a day is "30 novembre 2026" or "30 November 2026", a moment adds the
time in UTC ("30 nov. 2026, 19:50 UTC"), and a period is written as the notes write it ("2e trimestre 2026"). The
machine form stays in ``<time datetime>`` where a template wants it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime

from figures.note import period_text
from figures.numbers import FiguresError, Lang
from figures.period import parse_period


def _lang(language: str) -> Lang:
    return "en" if language == "en" else "fr"


def day(value: date | datetime | None, language: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return format_date(value, "long", locale=_lang(language))


def moment(value: datetime | None, language: str) -> str:
    if value is None:
        return "-"
    return format_datetime(value.astimezone(UTC), "d MMM y, HH:mm", tzinfo=UTC, locale=_lang(language)) + " UTC"


def period(text: str | None, language: str) -> str:
    """A period as stored (``2026-Q2``, ``2026-07/2026-09``) in words; as stored when it does not read."""
    if not text:
        return ""
    try:
        return period_text(parse_period(text), _lang(language))
    except FiguresError:
        return text
