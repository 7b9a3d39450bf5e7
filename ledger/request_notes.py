"""What a request for a figure looks like on the wire: the Note a group sends to ask, and the Note that answers.

Both are the group's: the group sends them and is their ``attributedTo``, as for the figures it publishes (strict
receivers refuse any other author). The asker is the one person each Note must reach, so each Mentions them and
names them in ``cc``: Mastodon notifies a mentioned account only when the post is addressed to it. The ``request``
object (``schemas/request.schema.json``) is for our peers; people read the content, written in the HTML Mastodon
keeps, in French and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from fedi.types import JSON
from figures.figure import Figure
from figures.html import Html, escape, join, link, mention, paragraph, strong
from figures.note import ACTIVITYSTREAMS, Contributor, period_text, wire_datetime
from figures.numbers import LANGUAGES, Lang
from figures.period import Period
from figures.units import Unit, format_value
from schemas import chiffres_context

__all__ = ["Addressing", "Wanted", "answer_note", "request_note", "request_wire"]

_CALENDAR_PIN: Final = "\U0001f5d3\ufe0f"
_TEXT: Final[dict[Lang, dict[str, str]]] = {
    "fr": {
        "asks": " cherche un chiffre\u00a0: ",
        "unit": "unité attendue\u00a0: ",
        "how": "Vous l'avez\u00a0? Répondez avec la valeur et un lien vers la source.",
        "answer": ", voici le chiffre demandé\u00a0: ",
        "source": "Source\u00a0: ",
        "figure": "Le chiffre\u00a0: ",
    },
    "en": {
        "asks": " is looking for a figure: ",
        "unit": "unit expected: ",
        "how": "Have it? Reply with the value and a link to the source.",
        "answer": ", here is the figure you asked for: ",
        "source": "Source: ",
        "figure": "The figure: ",
    },
}


@dataclass(frozen=True)
class Wanted:
    """What a request asks for, already checked: the words of a figure's `measures`, its place and period, and the
    unit the asker expects (an answer in another unit of the same kind still answers)."""

    measures: str
    place: str
    period: Period
    unit: Unit | None = None


@dataclass(frozen=True)
class Addressing:
    """Who a Note goes to, and the audience its stored copy is served to (``public`` or ``followers``)."""

    to: list[str]
    cc: list[str]
    audience: str


def request_wire(wanted: Wanted, status: str, answered_by: str | None = None, language: Lang = "fr") -> JSON:
    """The ``request`` object: what is asked for and where the request stands; the unit shown in ``language``."""
    wire: JSON = {"type": "Request", "measures": wanted.measures, "place": {"name": wanted.place}}
    wire["period"] = wanted.period.text
    if wanted.unit is not None:
        wire["unit"] = {"code": wanted.unit.code, "display": wanted.unit.display(language)}
    wire["status"] = status
    if answered_by is not None:
        wire["answeredBy"] = answered_by
    return wire


def request_note(
    wanted: Wanted,
    *,
    note_id: str,
    group: str,
    asker: Contributor,
    addressing: Addressing,
    published: datetime,
    language: Lang,
    in_reply_to: str | None = None,
) -> JSON:
    """The Note by which a group shares a request with its followers."""
    content = {lang: _asking(wanted, asker, lang) for lang in _languages(language)}
    note = _note(note_id, group, content, addressing, published, asker, in_reply_to)
    note["request"] = request_wire(wanted, "open", language=language)
    return note


def answer_note(
    figure: Figure,
    figure_uri: str,
    *,
    note_id: str,
    group: str,
    asker: Contributor,
    addressing: Addressing,
    published: datetime,
    language: Lang,
    in_reply_to: str | None,
) -> JSON:
    """The group's reply telling the asker that their figure is there: its value, its source, and a link to it."""
    content = {lang: _answering(figure, figure_uri, asker, lang) for lang in _languages(language)}
    return _note(note_id, group, content, addressing, published, asker, in_reply_to)


def _note(
    note_id: str,
    group: str,
    content: dict[Lang, Html],
    addressing: Addressing,
    published: datetime,
    asker: Contributor,
    in_reply_to: str | None,
) -> JSON:
    first = next(iter(content))
    note: dict[str, Any] = {
        "@context": [ACTIVITYSTREAMS, chiffres_context()],
        "id": note_id,
        "type": "Note",
        "attributedTo": group,
    }
    if in_reply_to is not None:
        note["inReplyTo"] = in_reply_to
    note.update(summary=None, content=content[first], contentMap=dict(content), url=note_id)
    note["published"] = wire_datetime(published)
    cc = [*addressing.cc, asker.id] if asker.id not in addressing.to + addressing.cc else list(addressing.cc)
    note.update(to=list(addressing.to), cc=cc, audience=group, tag=[asker.tag()])
    return note


def _languages(default: Lang) -> list[Lang]:
    """The instance's language first: Mastodon reads the language of a post from the first ``contentMap`` key."""
    return [default, *(lang for lang in LANGUAGES if lang != default)]


def _where_when(wanted: Wanted, lang: Lang) -> str:
    return f"📍 {wanted.place} · {_CALENDAR_PIN} {period_text(wanted.period, lang)}"


def _asking(wanted: Wanted, asker: Contributor, lang: Lang) -> Html:
    words = _TEXT[lang]
    details = _where_when(wanted, lang)
    if wanted.unit is not None:
        details += f" · {words['unit']}{wanted.unit.display(lang)}"
    return join(
        [
            paragraph(mention(asker.username, asker.id), escape(words["asks"]), strong(wanted.measures)),
            paragraph(escape(details)),
            paragraph(escape(words["how"])),
        ]
    )


def _answering(figure: Figure, figure_uri: str, asker: Contributor, lang: Lang) -> Html:
    words = _TEXT[lang]
    value = format_value(figure.value, figure.unit, lang)
    where_when = f"📍 {figure.place.name} · {_CALENDAR_PIN} {period_text(figure.period, lang)}"
    return join(
        [
            paragraph(
                mention(asker.username, asker.id),
                escape(words["answer"]),
                strong(value),
                escape(f" — {figure.measures}"),
            ),
            paragraph(escape(where_when)),
            paragraph(escape(words["source"]), link(figure.source.url, figure.source.title or figure.source.url)),
            paragraph(escape(words["figure"]), link(figure_uri, figure_uri)),
        ]
    )
