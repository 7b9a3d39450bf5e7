"""A correction read from a plain reply, as Mastodon users write them: "plutôt 845 €/mois".

Mastodon sends a reply's text as HTML, with the mention of our actor, hashtags and links inside
it. None of those may be read as a value ("@loyers2026", "#T2", "…/2025/rapport"), so they are
removed first; the first ordinary link is kept as the correction's source.

Reading rules, in order:

* Dates, times, ordinals and year ranges are masked: "le 12 mai", "May 12", "12/05/2026",
  "2026-05", "14h30", "à 18h", "1er", "2020-2025" hold numbers that are not values.
* A number is read with the reply's language (`figures.numbers`), then the longest unit that
  follows it, from our word list only ("845 € source" reads "€"); a currency symbol just before the
  number counts too ("€845.50/month", "$1,200").
* A written unit must fit the figure's: the same dimension ("14 400 €/an" for a figure in €/mois is
  converted to 1 200), the figure's unit without its period ("845 €" for €/mois: people leave the
  period out), or only the period ("850 a month", the currency left out). Another dimension
  ("30 m²", "845 $" for a figure in euros) is not a correction of this figure.
* A number with no unit is a value only when it is plausibly the same measure: it stands in a
  correcting phrase (a cue such as "plutôt", "c'est", "non,", "environ", "closer to", "should be",
  "actually", or a negated number: "pas 820 : 845", earlier in its sentence), it lies within
  `figures.plausibility.PLAUSIBLE_RATIO` of a reference value (the figure's, or the current consensus),
  and no noun follows it ("3 quartiers", "10 people": a count). A bare year (four digits, 1900–2100)
  when the figure's unit is not a year ("voir 2025") is never one. "Merci ! Il y a 3 quartiers sans
  données." holds no correction of a rent.
* A negated number ("c'est pas 1000, c'est 990", "not 1000 but 990") is what the reply denies, never
  what it proposes.
* The first number with a fitting written unit wins; failing that, the first plausible bare number.
  Ranges ("800-900 €", "entre 800 et 900") give their first number.
* A number beyond the bounds of `figures.numbers`, as written or once converted, is not a value.

Bounds: the text of a reply comes from a peer, and reading it runs in the worker's event loop, so the work is
bounded whatever the reply's size. Only the first `MAX_HTML` characters of markup are stripped, by a scanner that
passes over each character a bounded number of times (`figures.markup`: Python's `HTMLParser` is quadratic on
unterminated tags); only the first `MAX_TEXT` characters of the text are read; the unit after a number is looked
for in the next `_UNIT_WINDOW` characters; only the first `MAX_NUMBERS` numbers are considered. Each cut drops
the word it would split, so a number is never read from half its digits. A person's reply fits in all of them:
a Mastodon post holds 500 characters.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from figures.figure import Figure
from figures.markup import strip_markup
from figures.numbers import FiguresError, Lang, in_range, parse_decimal
from figures.plausibility import plausible_against
from figures.units import (
    Unit,
    UnitReading,
    compatible,
    convert,
    multiply,
    numerator,
    read_unit_prefix,
    scaled,
    without_period,
)

__all__ = ["MAX_HTML", "MAX_NUMBERS", "MAX_TEXT", "ParsedCorrection", "ReplyText", "parse_correction", "reply_text"]

MAX_TEXT: Final = 2000
MAX_HTML: Final = 10 * MAX_TEXT  # room for the markup of mentions and links (~150 characters each)
MAX_NUMBERS: Final = 50
# Eight unit tokens at most are read ("€ HT par mètre carré par mois" is 29 characters).
_UNIT_WINDOW: Final = 64


@dataclass(frozen=True)
class ReplyText:
    """A reply as plain text, without mentions, hashtags and links; `links` keeps those links."""

    text: str
    links: tuple[str, ...]


@dataclass(frozen=True)
class ParsedCorrection:
    """A value read from a reply, in the figure's unit; `text_span` locates it in `text`."""

    value: Decimal
    unit: Unit
    source_url: str | None
    text_span: tuple[int, int]
    text: str
    unit_assumed: bool

    @property
    def quote(self) -> str:
        """The words the value was read from, e.g. "14 400 €/an", to show next to the parsed value."""
        return self.text[self.text_span[0] : self.text_span[1]]


@dataclass(frozen=True)
class _Candidate:
    value: Decimal
    span: tuple[int, int]
    written: bool


_MONTHS: Final = (
    r"janv(?:ier)?|f[ée]vr(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t|sept(?:embre)?"
    r"|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?|january|february|march|april|may|june|july"
    r"|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep"
)
_NOT_VALUES: Final = re.compile(
    r"(?i:"
    rf"\b\d{{1,2}}(?:er|e)?\s+(?:{_MONTHS})\b\.?(?:\s+\d{{4}}\b)?"  # le 12 mai (2026)
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"  # May 12(, 2026)
    rf"|\b(?:{_MONTHS})\s+\d{{4}}\b"  # mai 2026
    r"|\b\d{4}-\d{2}(?:-\d{2})?\b|\b\d{4}\s?[-–]\s?\d{2,4}\b"  # 2026-05-14, 2020-2025
    r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b"  # 12/05/2026, 12.05.2026
    r"|\b\d{1,2}\s?[h:]\s?\d{2}\b|\b\d{1,2}\s?[ap]\.?m\.?(?!\w)"  # 14h30, 14:30, 2pm
    r"|\b(?:[àa]|at|vers|d[èe]s|avant|apr[èe]s|jusqu['’][àa]|until|by)\s+\d{1,2}\s?h\b(?!\s*(?:/|par\b|per\b))"  # à 18h
    r"|\b\d+(?:er|re|e|ème|eme|è|st|nd|rd|th)\b"  # 1er, 3e, 2nd
    r")"
)
_NUMBER: Final = re.compile(
    r"(?<![\w.,/\-−])(?P<sign>[-−+](?=\d))?"
    r"(?P<number>\d{1,3}(?:(?P<group>[ \u00a0\u202f\u2009'’,.])\d{3})+(?:(?!(?P=group))[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?)(?!\d)"
)
_URL: Final = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_MENTION: Final = re.compile(r"(?<![\w/])@[\w.\-]+(?:@[\w.\-]+\w)?")
_HASHTAG: Final = re.compile(r"(?<![\w&/])#[\w·]+")
_BARE_YEAR: Final = re.compile(r"(?:19|20)\d{2}|2100")
_SYMBOL_BEFORE: Final = re.compile(r"[€$£¥] ?$")
# Words that put a bare number forward as the value, in French and English ("plutôt 850", "closer to 850").
_CUE: Final = re.compile(
    r"(?i:[≈~]|\b(?:"
    r"plut[ôo]t|c['’](?:est|[ée]tait)|ce serait|serait|devrait [êe]tre|environ|autour de|vers|pr[èe]s de"
    r"|[àa] peu pr[èe]s|en fait|en r[ée]alit[ée]|je dirais|on est [àa]|on est plus [àa]|corrig\w*|correction"
    r"|erreur|faux|fausse|vrai chiffre|bon chiffre|vraie valeur|entre|est de|[ée]tait de|non|nope|no"
    r"|closer to|should be|actually|more like|about|around|roughly|approximately|approx|rather|instead"
    r"|it['’]s|it is|it was|is|was|i['’]d say|i would say|wrong|real figure|correct\w*|between"
    r")\b)"
)
# A number just after a negation is what the reply denies: "c'est pas 1000", "not 1000 but 990".
_NEGATED: Final = re.compile(
    r"(?i:\b(?:pas|not|isn['’]t|wasn['’]t|n['’]est pas|jamais|never)\s+(?:de\s+|[àa]\s+)?[€$£¥]?\s?)$"
)
_SENTENCE_END: Final = re.compile(r"[.!?;…]\s|\n")
# Words that may follow a bare value; any other word makes the number a count ("3 quartiers", "10 people").
_FOLLOWERS: Final = frozenset(
    {
        "je",
        "j",
        "i",
        "il",
        "it",
        "selon",
        "d",
        "d'après",
        "according",
        "imo",
        "imho",
        "tbh",
        "max",
        "maximum",
        "minimum",
        "min",
        "environ",
        "plutôt",
        "non",
        "pas",
        "mais",
        "but",
        "et",
        "and",
        "ou",
        "or",
        "à",
        "au",
        "aux",
        "en",
        "in",
        "on",
        "sur",
        "dans",
        "pour",
        "for",
        "chez",
        "at",
        "de",
        "du",
        "des",
        "from",
        "since",
        "depuis",
        "now",
        "maintenant",
        "aujourd'hui",
        "today",
        "actuellement",
        "currently",
        "ici",
        "here",
        "là",
        "there",
        "avec",
        "with",
        "sans",
        "without",
        "hors",
        "si",
        "if",
        "car",
        "because",
        "aussi",
        "also",
        "too",
        "voir",
        "see",
        "source",
        "sources",
        "cf",
        "d'ailleurs",
        "plus",
        "more",
        "moins",
        "least",
        "no",
        "yes",
        "oui",
    }
)
_FOLLOWING: Final = re.compile(r"[ \u00a0\u202f]*(?P<word>[^\W\d_]+(?:['’][^\W\d_]+)?)?")
_CUE_WINDOW: Final = 64


def parse_correction(
    content: str, figure: Figure, lang: Lang | None = None, consensus: Decimal | None = None
) -> ParsedCorrection | None:
    """The correction a reply proposes for `figure`, or None when it holds no usable value.

    `content` is the reply's HTML (or plain text); `lang` is the reply's language when known,
    else the figure's (it decides whether "1,050" is 1050 or 1.05). A bare number is judged plausible against
    the figure's value and, when known, its current `consensus`.
    """
    reply = reply_text(content)
    masked = _NOT_VALUES.sub(lambda match: " " * len(match.group()), reply.text)
    chosen = _choose(masked, figure, lang or figure.language, (figure.value, consensus))
    if chosen is None:
        return None
    source = reply.links[0] if reply.links else None
    return ParsedCorrection(chosen.value, figure.unit, source, chosen.span, reply.text, not chosen.written)


def _choose(text: str, figure: Figure, lang: Lang, references: Sequence[Decimal | None]) -> _Candidate | None:
    """The first of the first `MAX_NUMBERS` numbers with a fitting written unit, else the first bare one put
    forward as a value; a denied number is neither, but makes what follows it a correction."""
    bare: _Candidate | None = None
    denied = False
    for match in itertools.islice(_NUMBER.finditer(text), MAX_NUMBERS):
        if _NEGATED.search(text, max(match.start() - 16, 0), match.start()):
            denied = True
            continue
        candidate = _candidate(text, match, figure, lang)
        if candidate is not None and candidate.written:
            return candidate
        if bare is None and candidate is not None and _put_forward(text, candidate, references, denied):
            bare = candidate
    return bare


def _put_forward(text: str, candidate: _Candidate, references: Sequence[Decimal | None], denied: bool) -> bool:
    """A bare number is a value when a cue (or a denied number) puts it forward, it is plausible, and it counts
    nothing."""
    start, end = candidate.span
    window = text[max(start - _CUE_WINDOW, 0) : start]
    ends = [match.end() for match in _SENTENCE_END.finditer(window)]
    sentence = window[ends[-1] :] if ends else window
    if not (denied or _CUE.search(sentence)):
        return False
    if not plausible_against(candidate.value, references):
        return False
    word = _FOLLOWING.match(text, end)
    return word is None or word["word"] is None or word["word"].lower().replace("’", "'") in _FOLLOWERS


def _candidate(text: str, match: re.Match[str], figure: Figure, lang: Lang) -> _Candidate | None:
    """The value a number stands for in the figure's unit, or None when it is not a value of it."""
    try:
        value = parse_decimal((match["sign"] or "") + match["number"], lang)
    except FiguresError:
        return None
    start, end = match.span()
    before = max(start - 2, 0)
    symbol = _SYMBOL_BEFORE.search(text, before, start)
    found = read_unit_prefix((symbol.group().strip() if symbol else "") + _unit_window(text, end))
    if found is None:
        if text[end : end + 1].isalpha() or _is_bare_year(match, figure.unit):
            return None
        return _Candidate(value, (start, end), written=False)
    reading, length = found
    if symbol:
        start, length = symbol.start(), length - 1
    try:
        fitted = _fit(scaled(value, reading.scale), reading, figure.unit)
        return None if fitted is None else _Candidate(in_range(fitted), (start, end + length), written=True)
    except FiguresError:
        return None


def _unit_window(text: str, end: int) -> str:
    """The text just after a number, where its unit would be."""
    return _cut(text[end : end + _UNIT_WINDOW + 1], _UNIT_WINDOW)


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, without the word the limit would split: "845 €/mois" cut as
    "84" or "845 €/m" would be read as another value or another unit. A no-break space is inside a word, since
    it may group the digits of a number."""
    if len(text) <= limit:
        return text
    if text[limit] in " \n":
        return text[:limit]
    return text[: max(text.rfind(" ", 0, limit), text.rfind("\n", 0, limit), 0)]


def _fit(value: Decimal, reading: UnitReading, target: Unit) -> Decimal | None:
    """`value` in the figure's unit when the written unit is that unit, or that unit with a part left out."""
    written = reading.unit
    if compatible(written, target):
        return convert(value, written, target)
    if numerator(written).code == "1":
        completed = multiply(numerator(target), written)
        return convert(value, completed, target) if compatible(completed, target) else None
    base = without_period(target)
    if base is not None and compatible(written, base):
        return convert(value, written, base)
    return None


def _is_bare_year(match: re.Match[str], unit: Unit) -> bool:
    return unit.code != "year" and not match["sign"] and bool(_BARE_YEAR.fullmatch(match["number"]))


def reply_text(content: str) -> ReplyText:
    """Plain text of a reply: tags stripped, mentions, hashtags and links removed, links kept apart.

    Reads the first `MAX_HTML` characters of `content` and keeps the first `MAX_TEXT` characters of the text."""
    stripped = strip_markup(content[:MAX_HTML])
    text = stripped.text
    links = list(stripped.links)
    links.extend(match.group().rstrip(".,;:!?)") for match in _URL.finditer(text))
    for pattern in (_URL, _MENTION, _HASHTAG):
        text = pattern.sub(" ", text)
    # Only ordinary spaces collapse: a no-break space may be what groups "1 200".
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.splitlines())
    return ReplyText(_cut("\n".join(line for line in lines if line), MAX_TEXT), tuple(dict.fromkeys(links)))
