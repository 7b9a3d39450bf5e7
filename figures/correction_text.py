"""A correction read from a plain reply, as Mastodon users write them: "plutôt 845 €/mois".

Mastodon sends a reply's text as HTML, with the mention of our actor, hashtags and links inside
it. None of those may be read as a value ("@loyers2026", "#T2", "…/2025/rapport"), so they are
removed first; the first ordinary link is kept as the correction's source.

Reading rules, in order:

* Dates, times, ordinals and year ranges are masked: "le 12 mai", "May 12", "12/05/2026",
  "2026-05", "14h30", "1er", "2020-2025" hold numbers that are not values.
* A number is read with the reply's language (`figures.numbers`), then the longest unit that
  follows it, from our word list only ("845 € source" reads "€"); a currency symbol just before the
  number counts too ("€845.50/month", "$1,200").
* A written unit must fit the figure's: the same dimension ("14 400 €/an" for a figure in €/mois is
  converted to 1 200), the figure's unit without its period ("845 €" for €/mois: people leave the
  period out), or only the period ("850 a month", the currency left out). Another dimension
  ("30 m²", "845 $" for a figure in euros) is not a correction of this figure.
* A number with no unit is taken in the figure's unit ("more like 850"), except a bare year
  (four digits, 1900–2100) when the figure's unit is not a year ("voir 2025").
* The first number with a fitting written unit wins; failing that, the first bare number. Ranges
  ("800-900 €", "entre 800 et 900") give their first number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import Final

from figures.figure import Figure
from figures.numbers import FiguresError, Lang, parse_decimal
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

__all__ = ["ParsedCorrection", "ReplyText", "parse_correction", "reply_text"]


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


def parse_correction(content: str, figure: Figure, lang: Lang | None = None) -> ParsedCorrection | None:
    """The correction a reply proposes for `figure`, or None when it holds no usable value.

    `content` is the reply's HTML (or plain text); `lang` is the reply's language when known,
    else the figure's (it decides whether "1,050" is 1050 or 1.05).
    """
    reply = reply_text(content)
    masked = _NOT_VALUES.sub(lambda match: " " * len(match.group()), reply.text)
    candidates = [
        candidate
        for match in _NUMBER.finditer(masked)
        if (candidate := _candidate(masked, match, figure, lang or figure.language)) is not None
    ]
    chosen = next((c for c in candidates if c.written), None) or next(iter(candidates), None)
    if chosen is None:
        return None
    source = reply.links[0] if reply.links else None
    return ParsedCorrection(chosen.value, figure.unit, source, chosen.span, reply.text, not chosen.written)


def _candidate(text: str, match: re.Match[str], figure: Figure, lang: Lang) -> _Candidate | None:
    """The value a number stands for in the figure's unit, or None when it is not a value of it."""
    try:
        value = parse_decimal((match["sign"] or "") + match["number"], lang)
    except FiguresError:
        return None
    start, end = match.span()
    symbol = re.search(r"[€$£¥] ?$", text[:start])
    found = read_unit_prefix((symbol.group().strip() if symbol else "") + text[end:])
    if found is None:
        if text[end : end + 1].isalpha() or _is_bare_year(match, figure.unit):
            return None
        return _Candidate(value, (start, end), written=False)
    reading, length = found
    if symbol:
        start, length = symbol.start(), length - 1
    fitted = _fit(scaled(value, reading.scale), reading, figure.unit)
    return None if fitted is None else _Candidate(fitted, (start, end + length), written=True)


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
    """Plain text of a reply: tags stripped, mentions, hashtags and links removed, links kept apart."""
    reader = _HTMLText()
    reader.feed(content)
    reader.close()
    text = "".join(reader.parts)
    links = list(reader.links)
    links.extend(match.group().rstrip(".,;:!?)") for match in _URL.finditer(text))
    for pattern in (_URL, _MENTION, _HASHTAG):
        text = pattern.sub(" ", text)
    # Only ordinary spaces collapse: a no-break space may be what groups "1 200".
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.splitlines())
    return ReplyText("\n".join(line for line in lines if line), tuple(dict.fromkeys(links)))


class _HTMLText(HTMLParser):
    """Collects text outside links, mentions and scripts; collects the hrefs of ordinary links."""

    _BREAKS: Final = frozenset({"br", "p", "div", "li", "blockquote", "pre", "ul", "ol"})
    _HIDDEN: Final = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._inside_link = 0
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._inside_link += 1
            self.parts.append(" ")
            self._keep_link(dict(attrs))
        elif tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._inside_link = max(self._inside_link - 1, 0)
            self.parts.append(" ")
        elif tag in self._HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._inside_link and not self._hidden:
            self.parts.append(data)

    def _keep_link(self, attrs: dict[str, str | None]) -> None:
        href = attrs.get("href") or ""
        classes = (attrs.get("class") or "").split()
        is_tag = "mention" in classes or "hashtag" in classes or attrs.get("rel") == "tag"
        if not is_tag and re.match(r"https?://", href, re.IGNORECASE):
            self.links.append(href)
