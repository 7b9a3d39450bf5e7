"""A figure: one value with its unit, what it measures, where, when and from which source.

Figures are immutable; a revision is a new `Figure` with the next version number, and the caller
keeps the history (ids are never reused, an Update carries the new version). Input is checked field
by field and every problem is reported at once as (field, reason) pairs, so that an API can answer
422 with all of them and a form can mark each field.

Input fields (`build_figure`, `revise`): value, unit, measures, place, period, source, method, tags,
language. `value` and `unit` are read as a person writes them in the input language ("845,50",
"k€/an"; a unit may also be the wire's {code}); a scaled currency is folded into the value
("12" + "k€/an" → 12000 EUR/year). A unit with a price basis ("€ HT", "€ CC") is refused: the
basis belongs in `measures`. `place` is a name or {name, code}; `source` is a URL or {url, title};
`tags` a list or a string of hashtags. `language` defaults to the input language.

Place codes, upper-cased: INSEE commune ("75056", "2A004") or département ("75", "2A", "971"),
ISO 3166-1 ("FR"), ISO 3166-2 ("FR-IDF"), NUTS ("FR101").

The wire object (`figure_to_wire`, `figure_from_wire`) is our `figure` vocabulary; see
`figure_to_wire` for its keys. Unknown wire keys are ignored, so peers may extend it. Who contributed a
figure is not part of the figure: a group publishes it and is its author on the wire, and the member
travels beside the value as `contributor` (`wire_contributor`), which older peers simply do not send.

The module runs a few lines past our usual 400: each field has one small reader, input and wire alike, so
that a field's rules live in one place rather than in a second module that would have to agree with this one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from figures.numbers import LANGUAGES, FiguresError, Lang, as_decimal, in_range, parse_wire_decimal, wire_decimal
from figures.period import Period, parse_period
from figures.units import Unit, UnitReading, format_value, parse_unit, scaled, unit_from_code

__all__ = [
    "Figure",
    "FigureValidationError",
    "FigureVersion",
    "Place",
    "Source",
    "build_figure",
    "figure_from_wire",
    "figure_to_wire",
    "format_value",
    "revise",
    "wire_contributor",
]

T = TypeVar("T")
_MAX_TAGS: Final = 20
_PLACE_CODE: Final = re.compile(
    r"\d{5}|2[AB]\d{3}"  # INSEE commune
    r"|\d{2}|2[AB]|97\d"  # INSEE département
    r"|[A-Z]{2}"  # ISO 3166-1 alpha-2
    r"|[A-Z]{2}-[A-Z0-9]{1,3}"  # ISO 3166-2
    r"|[A-Z]{2}[0-9A-Z]{1,3}"  # NUTS
)
_TAG: Final = re.compile(r"[\w·]{1,100}")


class FigureValidationError(FiguresError):
    """Input that does not make a figure; `errors` lists (field, reason), nested fields dotted."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors: tuple[tuple[str, str], ...] = tuple(errors)
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in self.errors))


@dataclass(frozen=True)
class Place:
    name: str
    code: str | None = None


@dataclass(frozen=True)
class Source:
    url: str
    title: str | None = None


@dataclass(frozen=True)
class FigureVersion:
    """What one version stated: an endorsement names a version, and counts as a claim of its value."""

    number: int
    value: Decimal
    unit: Unit


@dataclass(frozen=True)
class Figure:
    value: Decimal
    unit: Unit
    measures: str
    place: Place
    period: Period
    source: Source
    method: str | None = None
    tags: tuple[str, ...] = ()
    language: Lang = "fr"
    version: int = 1

    @property
    def current_version(self) -> FigureVersion:
        return FigureVersion(self.version, self.value, self.unit)


def build_figure(fields: Mapping[str, object], lang: Lang = "fr") -> Figure:
    """A first version from input typed in `lang` (which is also the default `language`)."""
    problems = [(name, "unknown field") for name in fields if name not in _INPUT_READERS]
    if "version" in fields:
        problems.append(("version", "set by revisions, not by input"))
    return _assemble({**fields, "version": 1}, lang, _INPUT_READERS, problems)


def revise(figure: Figure, changes: Mapping[str, object], lang: Lang | None = None) -> Figure:
    """The next version: `changes` (input fields, text or typed) applied to `figure`."""
    problems = [(name, "unknown field") for name in changes if name not in _INPUT_READERS]
    if "version" in changes:
        problems.append(("version", "set by revisions, not by input"))
    current: dict[str, object] = {
        "value": figure.value,
        "unit": figure.unit,
        "measures": figure.measures,
        "place": figure.place,
        "period": figure.period,
        "source": figure.source,
        "method": figure.method,
        "tags": figure.tags,
        "language": figure.language,
    }
    merged = {**current, **changes, "version": figure.version + 1}
    revised = _assemble(merged, lang or figure.language, _INPUT_READERS, problems)
    if replace(revised, version=figure.version) == figure:
        raise FigureValidationError([("changes", "nothing changed")])
    return revised


def figure_to_wire(figure: Figure, *, contributor: str | None = None) -> dict[str, Any]:
    """Our `figure` object: type, value (decimal string), unit {code, display}, measures,
    place {name, code?}, period, source {url, title?}, method?, version, tags, contributor?
    (the actor id of the member who contributed a figure that a group publishes)."""
    place: dict[str, str] = {"name": figure.place.name}
    if figure.place.code is not None:
        place["code"] = figure.place.code
    source: dict[str, str] = {"url": figure.source.url}
    if figure.source.title is not None:
        source["title"] = figure.source.title
    wire: dict[str, Any] = {
        "type": "Figure",
        "value": wire_decimal(figure.value),
        "unit": {"code": figure.unit.code, "display": figure.unit.display(figure.language)},
        "measures": figure.measures,
        "place": place,
        "period": figure.period.text,
        "source": source,
    }
    if figure.method is not None:
        wire["method"] = figure.method
    wire["version"] = figure.version
    wire["tags"] = list(figure.tags)
    if contributor is not None:
        wire["contributor"] = contributor
    return wire


def wire_contributor(obj: object) -> str | None:
    """The `contributor` a `figure` object names, or None; whether to believe it is the receiver's call
    (only the group that sent the figure may credit one of its own host's members)."""
    contributor = obj.get("contributor") if isinstance(obj, Mapping) else None
    return contributor if isinstance(contributor, str) and contributor.strip() else None


def figure_from_wire(obj: object, lang: Lang = "fr") -> Figure:
    """Check a `figure` object received from a peer; `lang` is the language of the Note carrying it."""
    if not isinstance(obj, Mapping):
        raise FigureValidationError([("figure", "must be an object")])
    kind = obj.get("type")
    problems: list[tuple[str, str]] = []
    if not (kind == "Figure" or (isinstance(kind, list) and "Figure" in kind)):
        problems.append(("type", 'must be "Figure"'))
    fields = {name: obj[name] for name in _WIRE_READERS if name in obj and name != "language"}
    return _assemble(fields, lang, _WIRE_READERS, problems)


# --- Assembly: check everything, report everything, then build. ----------------------------------

_Reader = Callable[[object, Lang], Any]
_REQUIRED: Final = ("value", "unit", "measures", "place", "period", "source", "version")


def _assemble(
    fields: Mapping[str, object],
    lang: Lang,
    readers: Mapping[str, _Reader],
    problems: list[tuple[str, str]],
) -> Figure:
    """Read every known field, collecting (field, reason); raise them all, or build the figure."""
    problems = list(problems)
    for name, reader in readers.items():
        if _absent(fields.get(name)):
            if name in _REQUIRED:
                problems.append((name, "required"))
            continue
        problems.extend(_problems(name, reader, fields[name], lang))
    if problems:
        raise FigureValidationError(problems)

    def read(name: str, default: object = None) -> Any:
        raw = fields.get(name)
        return default if _absent(raw) else readers[name](raw, lang)

    reading: UnitReading = read("unit")
    try:  # "12 k€" is bounded as written, and again once its scale is folded in
        value = in_range(scaled(read("value"), reading.scale))
    except FiguresError as error:
        raise FigureValidationError([("value", str(error))]) from error
    return Figure(
        value=value,
        unit=reading.unit,
        measures=read("measures"),
        place=read("place"),
        period=read("period"),
        source=read("source"),
        method=read("method"),
        tags=read("tags", ()),
        language=read("language", lang),
        version=read("version"),
    )


def _absent(raw: object) -> bool:
    """Missing, null and blank all mean "not given", so a form's empty optional field is no error."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _problems(name: str, reader: _Reader, raw: object, lang: Lang) -> list[tuple[str, str]]:
    try:
        reader(raw, lang)
    except FigureValidationError as error:
        return [(f"{name}.{inner}", reason) for inner, reason in error.errors]
    except FiguresError as error:
        return [(name, str(error))]
    return []


# --- Field readers: (raw, lang) → typed value, or FiguresError with the reason. -------------------


def _value(raw: object, lang: Lang) -> Decimal:
    return as_decimal(raw, lang)


def _wire_value(raw: object, lang: Lang) -> Decimal:
    return parse_wire_decimal(_string(raw))


def _unit(raw: object, lang: Lang) -> UnitReading:
    if isinstance(raw, Unit):
        return UnitReading(raw, Decimal(1))
    if isinstance(raw, Mapping):
        return _wire_unit(raw, lang)
    reading = parse_unit(_string(raw))
    if reading.qualifiers:
        basis = ", ".join(reading.qualifiers)
        raise FiguresError(f"{basis} is not part of a unit: say it in what the figure measures")
    return reading


def _wire_unit(raw: object, lang: Lang) -> UnitReading:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("code"), str):
        raise FigureValidationError([("code", "required")])
    try:
        return UnitReading(unit_from_code(raw["code"]), Decimal(1))
    except FiguresError as error:
        raise FigureValidationError([("code", str(error))]) from error


def _measures(raw: object, lang: Lang) -> str:
    return _text(raw, 500, single_line=True)


def _method(raw: object, lang: Lang) -> str:
    return _text(raw, 2000, single_line=False)


def _period(raw: object, lang: Lang) -> Period:
    return raw if isinstance(raw, Period) else parse_period(_string(raw))


def _place(raw: object, lang: Lang) -> Place:
    if isinstance(raw, Place):
        return raw
    if isinstance(raw, str):
        return Place(_text(raw, 200, single_line=True))
    name, code = _parts(raw, "name", "code", lambda text: _text(text, 200, single_line=True), _place_code)
    return Place(name, code)


def _place_code(raw: object) -> str:
    code = _string(raw).strip().upper()
    if not _PLACE_CODE.fullmatch(code):
        raise FiguresError(f"not an INSEE, ISO 3166 or NUTS code: {raw!r}")
    return code


def _source(raw: object, lang: Lang) -> Source:
    if isinstance(raw, Source):
        return raw
    if isinstance(raw, str):
        return Source(_url(raw))
    url, title = _parts(raw, "url", "title", _url, lambda text: _text(text, 300, single_line=True))
    return Source(url, title)


def _url(raw: object) -> str:
    url = _string(raw).strip()
    if len(url) > 2048 or re.search(r"[\s\x00-\x1f\x7f]", url):
        raise FiguresError("not a usable URL")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as error:
        raise FiguresError(f"not a usable URL: {error}") from error
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise FiguresError("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise FiguresError("must not carry credentials")
    return url


def _tags(raw: object, lang: Lang) -> tuple[str, ...]:
    """Hashtags as Mastodon matches them: lower case, accents kept, no '#', each once."""
    items = re.split(r"[\s,;]+", raw) if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise FiguresError("must be a list of hashtags")
    tags: dict[str, None] = {}
    for item in items:
        tag = unicodedata.normalize("NFC", _string(item)).strip().lstrip("#").lower()
        if tag and not (_TAG.fullmatch(tag) and any(char.isalpha() for char in tag)):
            raise FiguresError(f"not a hashtag: {item!r}")
        if tag:
            tags[tag] = None
    if len(tags) > _MAX_TAGS:
        raise FiguresError(f"more than {_MAX_TAGS} tags")
    return tuple(tags)


def _language(raw: object, lang: Lang) -> Lang:
    primary = re.split(r"[-_]", _string(raw).strip().lower())[0]
    for known in LANGUAGES:
        if primary == known:
            return known
    raise FiguresError(f"not a supported language: {raw!r} (fr or en)")


def _version(raw: object, lang: Lang) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise FiguresError("must be a positive integer")
    return raw


def _string(raw: object) -> str:
    if not isinstance(raw, str):
        raise FiguresError("must be a string")
    return raw


def _text(raw: object, limit: int, *, single_line: bool) -> str:
    text = unicodedata.normalize("NFC", _string(raw)).strip()
    if single_line:
        text = " ".join(text.split())
    if not text:
        raise FiguresError("required")
    if len(text) > limit:
        raise FiguresError(f"longer than {limit} characters")
    return text


def _parts(
    raw: object,
    main: str,
    extra: str,
    read_main: Callable[[object], T],
    read_extra: Callable[[object], str],
) -> tuple[T, str | None]:
    """Read {main, extra?} and report each inner problem under its own name."""
    if not isinstance(raw, Mapping):
        raise FiguresError(f"must be a string or an object with {main!r}")
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name, reader in ((main, read_main), (extra, read_extra)):
        if raw.get(name) is None:
            if name == main:
                problems.append((name, "required"))
            continue
        try:
            values[name] = reader(raw[name])
        except FiguresError as error:
            problems.append((name, str(error)))
    if problems:
        raise FigureValidationError(problems)
    return values[main], values.get(extra)


_INPUT_READERS: Final[dict[str, _Reader]] = {
    "value": _value,
    "unit": _unit,
    "measures": _measures,
    "place": _place,
    "period": _period,
    "source": _source,
    "method": _method,
    "tags": _tags,
    "language": _language,
    "version": _version,
}
_WIRE_READERS: Final[dict[str, _Reader]] = {**_INPUT_READERS, "value": _wire_value, "unit": _wire_unit}
