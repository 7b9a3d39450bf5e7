"""Requests and answers read from plain posts, as Mastodon users write them.

A follower asks from their app with a post that mentions the group and carries ``#cherche`` (or ``#wanted``):
"@loyers #cherche loyer médian d'un T2 à Lyon 2026-Q2". Reading is loose, because people do not fill in forms:
the period is a year, month, quarter or half-year written as our periods are ("2026", "2026-05", "2026-Q2",
"T2 2026"); the place follows "à" or "in" up to a period, a comma or the end; a unit may follow "unité" or
"unit"; what is left, without mentions, hashtags and links, is what the figure measures. A post without a place or
a period asks for nothing we could answer with a figure, and is not read as a request.

An answer is a reply holding a value with a written unit and an http(s) link to its source: the value is read by
:mod:`figures.correction_text`, against the unit the request expects, or else the first unit written after a
number; a bare number is no answer, since nothing says what it counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from figures.correction_text import parse_correction, reply_text
from figures.figure import Figure, Place, Source
from figures.numbers import FiguresError, Lang
from figures.period import Period, parse_period
from figures.units import Unit, parse_unit, read_unit_prefix

__all__ = ["ASKING_TAGS", "Answer", "Asking", "read_answer", "read_asking"]

#: The hashtags that make a post mentioning a group a request for a figure.
ASKING_TAGS: Final = frozenset({"cherche", "wanted"})
_PERIOD: Final = re.compile(
    r"(?<![\w/-])(?:\d{4}-[QTSH][1-4]|[QT][1-4]\s+\d{4}|\d{4}-\d{2}(?:-\d{2})?|\d{4}-W\d{2}|\d{4})(?![\w/-])"
)
_PLACE: Final = re.compile(r"(?:^|\s)(?:à|in)\s+([^\W\d][^,;.!?()\n]*?)(?=\s*(?:[,;.!?()\n]|$))", re.IGNORECASE)
_UNIT: Final = re.compile(r"(?:unité|unite|unit)\s*:?\s*(\S+)", re.IGNORECASE)
_NUMBER: Final = re.compile(r"\d(?:[\d\u00a0\u202f.,]*\d)?")
_LEFTOVER: Final = re.compile(r"^[\s,;:.!?–—-]+|[\s,;:.!?–—-]+$")
# Words that joined what was taken out ("à Marseille en 2025") and mean nothing once it is gone.
# How people open a question: left out of what is asked for, so that "Quel est le loyer médian d'un T3" finds the
# figure that measures "loyer médian d'un T3".
_OPENING: Final = re.compile(
    r"^(?:(?:quel(?:le)?s?\s+(?:est|sont)|combien\s+(?:co[uû]te|vaut|est|fait)|je\s+cherche|on\s+cherche|cherche"
    r"|what\s+(?:is|are)|how\s+much\s+(?:is|does)|(?:i'?m|i\s+am|we\s+are)\s+looking\s+for|looking\s+for)\s+)?"
    r"(?:(?:le|la|les|un|une|des|the|a|an)\s+|l['’])?",
    re.IGNORECASE,
)
_DANGLING: Final = re.compile(r"(?:\s+(?:en|in|pour|for|on|sur|au|du|de|of|the|le|la|les))+$", re.IGNORECASE)


@dataclass(frozen=True)
class Asking:
    """What a post asks for: the same fields as a request made on the command line."""

    measures: str
    place: str
    period: Period
    unit: Unit | None


@dataclass(frozen=True)
class Answer:
    value: Decimal
    unit: Unit
    source: str


def read_asking(content: str) -> Asking | None:
    """The request a post makes, or None when it lacks what a figure needs (a measure, a place, a period)."""
    text = reply_text(content).text
    period, text = _take(_PERIOD, text, last=True)
    unit_text, text = _take(_UNIT, text)
    place, text = _take(_PLACE, text)
    measures, place = _OPENING.sub("", _tidy(text), count=1), _tidy(place or "")
    if not (measures and place and period):
        return None
    try:
        read_period = parse_period(period)
        unit = parse_unit(unit_text).unit if unit_text else None
    except FiguresError:
        return None
    return Asking(measures[:500], place[:200], read_period, unit)


def read_answer(content: str, expected: Unit | None, lang: Lang | None = None) -> Answer | None:
    """The value, unit and source a reply gives, or None when one of them is missing."""
    reply = reply_text(content)
    source = next((link for link in reply.links if re.match(r"https?://", link, re.IGNORECASE)), None)
    unit = expected or _first_unit(reply.text)
    if source is None or unit is None:
        return None
    reference = Figure(Decimal(1), unit, "-", Place("-"), parse_period("2000"), Source(source))
    parsed = parse_correction(content, reference, lang, None)
    if parsed is None or parsed.unit_assumed:
        return None
    return Answer(parsed.value, parsed.unit, source)


def _first_unit(text: str) -> Unit | None:
    """The unit written after the first number that has one: "812 €/mois" gives €/mois."""
    for number in _NUMBER.finditer(text):
        found = read_unit_prefix(text[number.end() :].lstrip(" \u00a0\u202f"))
        if found is not None and found[0].unit.code:
            return found[0].unit
    return None


def _tidy(words: str) -> str:
    return _DANGLING.sub("", " ".join(_LEFTOVER.sub("", words).split()))


def _take(pattern: re.Pattern[str], text: str, *, last: bool = False) -> tuple[str | None, str]:
    """The first (or last) match of ``pattern`` (its group, if any), and the text without it."""
    matches = list(pattern.finditer(text))
    if not matches:
        return None, text
    match = matches[-1] if last else matches[0]
    found = match.group(1) if pattern.groups else match.group()
    return found.strip(), text[: match.start()] + " " + text[match.end() :]
