"""A figure on the wire: an ActivityStreams `Note` that Mastodon shows and our peers read exactly.

Two readers, one document. Mastodon renders a plain `Note` from its `content` (and reads the
language from the first `contentMap` key), so the content is the figure written out in a few
paragraphs of the HTML its sanitiser keeps (`figures.html`). Our peers ignore the prose and read
the nested `figure` object (`figures.figure.figure_to_wire`), checked against
`schemas/figure.schema.json` and then field by field; a peer's mistake is refused with a one-line
reason, never guessed at.

`summary` is always null: Mastodon turns a summary into a content warning, which would hide the
figure behind a button. The figure object carries no language: a figure read back takes the
language of the Note, the first `contentMap` key, which is why that key comes first.

A figure published into a group is the group's post: `attributedTo` is the group, because strict
receivers (Takahē, and Mastodon, which files a post under the activity's actor) accept a Create,
Update or Delete only from the object's `attributedTo`. The member who contributed it is credited
three ways, one per reader: `contributor` in the figure object (our peers), a `Mention` in `tag`
(Mastodon links the account), and "Publié par @ana" in the text (people).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from figures.figure import Figure, Place, Source, figure_from_wire, figure_to_wire, wire_contributor
from figures.html import Html, escape, hashtag, join, link, mention, paragraph, strong, text
from figures.numbers import LANGUAGES, FiguresError, Lang
from figures.period import Period
from figures.units import format_value
from schemas import chiffres_context, load_json

__all__ = [
    "ACTIVITYSTREAMS",
    "Contributor",
    "FigureRejected",
    "content_html",
    "contributor_of_note",
    "edit_time",
    "figure_of_note",
    "note_object",
    "period_text",
    "validate_wire",
    "wire_datetime",
]

ACTIVITYSTREAMS: Final = "https://www.w3.org/ns/activitystreams"
# ActivityStreams' context does not define Hashtag; without this term a JSON-LD reader sees a
# blank-node type. Mastodon adds the same definition to its own documents.
_HASHTAG_TERM: Final = {"Hashtag": "as:Hashtag"}
_REASON_LIMIT: Final = 300
_LABELS: Final[dict[Lang, dict[str, str]]] = {
    "fr": {"method": "Méthode\u00a0: ", "source": "Source\u00a0: ", "contributor": "Publié par "},
    "en": {"method": "Method: ", "source": "Source: ", "contributor": "Published by "},
}
_MONTHS: Final[dict[Lang, tuple[str, ...]]] = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
_MONTH_TEXT: Final = re.compile(r"(\d{4})-(\d{2})")
_WEEK_TEXT: Final = re.compile(r"(\d{4})-W(\d{2})")
_CALENDAR_PIN: Final = "\U0001f5d3\ufe0f"  # with the emoji selector: the bare character shows as text


@dataclass(frozen=True)
class Contributor:
    """The member who contributed a figure that a group publishes: credited in it, not its author.

    `username` is what the text shows after "@"; `domain` completes the handle of the Mention, as
    Mastodon names a remote account (`@ana@chiffres.example`)."""

    id: str
    username: str
    domain: str

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}"

    def credit(self, lang: Lang) -> Html:
        return paragraph(escape(_LABELS[lang]["contributor"]), mention(self.username, self.id))

    def tag(self) -> dict[str, str]:
        return {"type": "Mention", "href": self.id, "name": self.handle}


class FigureRejected(FiguresError):
    """A `figure` from a peer that we will not store; `reason` is one line, short enough to log."""

    def __init__(self, reason: str) -> None:
        line = " ".join(reason.split())
        self.reason = line if len(line) <= _REASON_LIMIT else line[: _REASON_LIMIT - 1] + "…"
        super().__init__(self.reason)


def content_html(
    figure: Figure,
    lang: Lang,
    *,
    status_line: str | None,
    tag_url: Callable[[str], str],
    contributor: Contributor | None = None,
) -> str:
    """The figure as people read it in `lang`: value and what it measures, where and when, the
    method, the source, who contributed it, the consensus line, the hashtags. What the author
    wrote (measures, method, place) stays in the figure's own language."""
    labels = _LABELS[lang]
    value = format_value(figure.value, figure.unit, lang)
    parts = [
        paragraph(strong(value), escape(f" — {figure.measures}")),
        paragraph(escape(f"📍 {_place_text(figure.place)} · {_CALENDAR_PIN} {period_text(figure.period, lang)}")),
    ]
    if figure.method is not None:
        parts.append(paragraph(escape(labels["method"]), text(figure.method)))
    parts.append(paragraph(escape(labels["source"]), link(figure.source.url, _source_label(figure.source))))
    if contributor is not None:
        parts.append(contributor.credit(lang))
    if status_line is not None:
        parts.append(paragraph(text(status_line)))
    if figure.tags:
        parts.append(paragraph(join((hashtag(tag, tag_url(tag)) for tag in figure.tags), " ")))
    return join(parts)


def note_object(
    figure: Figure,
    *,
    note_id: str,
    author: str,
    url: str,
    to: list[str],
    cc: list[str],
    published: datetime,
    updated: datetime | None,
    default_language: Lang,
    status_line: dict[Lang, str] | None,
    tag_url: Callable[[str], str],
    in_reply_to: str | None = None,
    attributed_group: str | None = None,
    contributor: Contributor | None = None,
) -> dict[str, Any]:
    """The whole Note. Addressing is the caller's (public, or followers only for a members
    group) and passes through as given; `attributed_group` becomes `audience` (FEP-1b12), the
    group the figure was published into; `author` is whoever sends the Note's activities (the
    group, for a figure published into one) and `contributor` the member it credits."""
    languages = [default_language, *(lang for lang in LANGUAGES if lang != default_language)]
    content_map = {
        lang: content_html(
            figure, lang, status_line=(status_line or {}).get(lang), tag_url=tag_url, contributor=contributor
        )
        for lang in languages
    }
    note: dict[str, Any] = {
        "@context": [ACTIVITYSTREAMS, chiffres_context(), dict(_HASHTAG_TERM)],
        "id": note_id,
        "type": "Note",
        "attributedTo": author,
    }
    if in_reply_to is not None:
        note["inReplyTo"] = in_reply_to
    note.update(summary=None, content=content_map[default_language], contentMap=content_map, url=url)
    note["published"] = wire_datetime(published)
    if updated is not None:
        note["updated"] = wire_datetime(updated)
    note.update(to=list(to), cc=list(cc))
    if attributed_group is not None:
        note["audience"] = attributed_group
    mentions = [contributor.tag()] if contributor is not None else []
    note["tag"] = mentions + [{"type": "Hashtag", "href": tag_url(tag), "name": f"#{tag}"} for tag in figure.tags]
    note["figure"] = figure_to_wire(figure, contributor=contributor.id if contributor is not None else None)
    return note


def figure_of_note(note: Mapping[str, Any]) -> Figure | None:
    """The figure a Note carries; None for a Note without one (any Mastodon post).

    Raises `FigureRejected` when the `figure` is there but is not ours to trust: off-schema
    (checked first, so a reason names the wire field) or unreadable as a figure.
    """
    raw = note.get("figure")
    if raw is None:
        return None
    try:
        wire = _as_sent(_plain(raw))
        errors = validate_wire(wire)
    except RecursionError:
        raise FigureRejected("figure: nested too deeply") from None
    if errors:
        raise FigureRejected("; ".join(errors))
    try:
        return figure_from_wire(wire, _note_language(note))
    except FiguresError as error:
        raise FigureRejected(f"figure: {error}") from error


def contributor_of_note(note: Mapping[str, Any]) -> str | None:
    """The member a Note's `figure` credits (its `contributor`), or None. Read it after
    `figure_of_note` accepted the figure, which checked that it is an http(s) URL."""
    return wire_contributor(note.get("figure"))


def validate_wire(figure_object: object) -> list[str]:
    """Schema errors of a `figure` object, each "figure.path: message", in path order."""
    found = []
    for error in _validator().iter_errors(figure_object):
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        found.append(f"figure{path}: {error.message}")
    return sorted(found)


def edit_time(last: datetime | None, now: datetime) -> datetime:
    """When an edit of a post last stamped ``last`` says it was made: ``now``, or the next second on the wire.

    The wire counts whole seconds, and receivers apply an ``Update`` only when its ``updated`` is newer than what
    they show: a figure published and corrected within one second (a script, a consensus settling as a burst of
    likes ends) would otherwise keep its first text on their timelines forever."""
    if last is None or now.replace(microsecond=0) > last.replace(microsecond=0):
        return now
    return last.replace(microsecond=0) + timedelta(seconds=1)


def wire_datetime(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the form Mastodon writes and reads; a naive time is refused,
    because guessing its zone could make an Update older than the post it edits."""
    if moment.utcoffset() is None:
        raise ValueError(f"a time on the wire needs a time zone: {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def period_text(period: Period, lang: Lang) -> str:
    """A period as people say it: "2e trimestre 2026" / "Q2 2026", "mai 2026", "2026",
    "1er mai 2026", "semaine 20 de 2026"; other spans as their two ends."""
    first, _, last = period.text.partition("/")
    if not last:
        return _end_text(first, lang)
    start, end = _MONTH_TEXT.fullmatch(first), _MONTH_TEXT.fullmatch(last)
    if start and end and start[1] == end[1]:
        return _month_span(int(start[1]), int(start[2]), int(end[2]), lang)
    low, high = _end_text(first, lang), _end_text(last, lang)
    return f"{low} – {high}" if " " in low + high else f"{low}–{high}"


def _month_span(year: int, first: int, last: int, lang: Lang) -> str:
    """Months of one year: the whole year, a quarter, a half-year, or "janvier–mai 2026"."""
    if (first, last) == (1, 12):
        return str(year)
    if last - first == 2 and first % 3 == 1:
        quarter = (first + 2) // 3
        return f"{_ordinal(quarter)} trimestre {year}" if lang == "fr" else f"Q{quarter} {year}"
    if last - first == 5 and first in (1, 7):
        half = (first + 5) // 6
        return f"{_ordinal(half)} semestre {year}" if lang == "fr" else f"H{half} {year}"
    months = _MONTHS[lang]
    return f"{months[first - 1]}–{months[last - 1]} {year}"


def _end_text(part: str, lang: Lang) -> str:
    """One end of a period as written on the wire: a year, a month, a week or a day."""
    week = _WEEK_TEXT.fullmatch(part)
    if week:
        week_number, week_year = int(week[2]), week[1]
        return f"semaine {week_number} de {week_year}" if lang == "fr" else f"week {week_number} of {week_year}"
    month = _MONTH_TEXT.fullmatch(part)
    if month:
        return f"{_MONTHS[lang][int(month[2]) - 1]} {month[1]}"
    if len(part) == 4:
        return part
    day = date.fromisoformat(part)
    day_text = _ordinal(day.day) if lang == "fr" and day.day == 1 else str(day.day)
    return f"{day_text} {_MONTHS[lang][day.month - 1]} {day.year}"


def _ordinal(number: int) -> str:
    """French ordinals as abbreviated in running text: 1er, 2e, 3e."""
    return "1er" if number == 1 else f"{number}e"


def _place_text(place: Place) -> str:
    return place.name if place.code is None else f"{place.name} ({place.code})"


def _source_label(source: Source) -> str:
    """The title, or else the site's name as its host shows it."""
    if source.title is not None:
        return source.title
    host = urlsplit(source.url).hostname or source.url
    return host.removeprefix("www.")


def _note_language(note: Mapping[str, Any]) -> Lang:
    """The Note's language as Mastodon reads it (the first `contentMap` key); French otherwise."""
    content_map = note.get("contentMap")
    first = next(iter(content_map), None) if isinstance(content_map, Mapping) else None
    primary = str(first).split("-")[0].lower()
    return next((lang for lang in LANGUAGES if lang == primary), "fr")


def _plain(value: object) -> object:
    """Plain dicts and lists: a normalised activity holds mappings and tuples, and the JSON
    Schema "array" type matches lists only."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _as_sent(wire: object) -> object:
    """Undo what normalising an incoming activity does inside our object: `fedi.normalise` makes
    every `type` and `url` an array, nested ones included. JSON-LD reads a one-element array as
    its element, and a type array matches by inclusion, so this changes no meaning."""
    if not isinstance(wire, dict):
        return wire
    kind = wire.get("type")
    if isinstance(kind, list) and "Figure" in kind:
        wire["type"] = "Figure"
    source = wire.get("source")
    if isinstance(source, dict) and isinstance(source.get("url"), list) and len(source["url"]) == 1:
        source["url"] = source["url"][0]
    return wire


@functools.cache
def _validator() -> Draft202012Validator:
    """Built once: compiling the schema costs far more than checking a figure against it."""
    schema = load_json("figure.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)
