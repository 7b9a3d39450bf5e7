"""Finding figures for the JSON API: filters read from a query string, who may see what, and keyset pages.

Pages are keyset pages over (published, id), newest first, so that a figure published while someone pages through
the list neither shifts nor repeats the pages they have yet to read; the cursor is that key, opaque to clients.
Followers-only figures are filtered in SQL, never after the page is cut, so a page is never short for a reader
who may not see some of its rows. Every reader is an actor, or no one: a local person (by token) and a fediverse
actor (by signature) alike see a members-only figure when their follow of its group — ours or another
instance's — is accepted, and see what they wrote themselves; being a local person opens nothing by itself.
The end of the module says how a found figure reads in JSON and in CSV, so that listings and exports cannot drift
apart.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import asyncpg

from actors.actor import ActorError
from fedi.database import Connection, Pool
from fedi.types import JSON
from fedi.urls import Urls
from figures.numbers import FiguresError
from figures.period import Period, parse_period
from web import display
from web.openapi import FIGURE

FILTERS: Final = ("q", "tag", "place", "period", "group", "since", "uri")
PAGING: Final = ("limit", "cursor")
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500
MAX_ID: Final = 2**63 - 1  # figures.id is a bigint
_MAX_PARAMETER: Final = 500
COLUMNS: Final = (
    "f.id, f.uri, f.author, f.group_uri, f.audience, f.origin, f.version, f.language, f.wire, f.published,"
    " f.updated, f.deleted_at"
)
_HANDLE: Final = re.compile(r"@?([A-Za-z0-9_.-]+)@([A-Za-z0-9.-]+(?::\d+)?)")


class QueryError(ActorError):
    """A query parameter that cannot be read; the message names it, for a 400 answer."""


@dataclass(frozen=True)
class Viewer:
    """Who is reading: the actor id of a local person or of a signed fediverse reader, or None for anyone."""

    reader: str | None = None


ANONYMOUS: Final = Viewer()


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    tags: tuple[str, ...] = ()
    place: str | None = None
    period: Period | None = None
    group_uri: str | None = None
    group_handle: tuple[str, str] | None = None
    since: datetime | None = None
    uri: str | None = None


@dataclass(frozen=True)
class Cursor:
    published: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.published.isoformat(), self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            published, ident = json.loads(raw)
            moment = datetime.fromisoformat(published)
        except (binascii.Error, ValueError, TypeError) as error:
            raise QueryError("cursor: not a cursor this API gave") from error
        if moment.tzinfo is None or isinstance(ident, bool) or not isinstance(ident, int) or not 0 < ident <= MAX_ID:
            raise QueryError("cursor: not a cursor this API gave")
        return cls(moment, ident)


@dataclass(frozen=True)
class Listed:
    """A figure as the API shows it: the stored wire object and what the figures table knows around it."""

    id: int
    uri: str
    author: str
    group_uri: str | None
    audience: str
    origin: str
    version: int
    language: str
    wire: JSON
    published: datetime
    updated: datetime | None
    deleted: bool


@dataclass(frozen=True)
class Page:
    items: list[Listed]
    next: Cursor | None


def listed(row: asyncpg.Record) -> Listed:
    values = {name: row[name] for name in Listed.__dataclass_fields__ if name != "deleted"}
    return Listed(**values, deleted=row["deleted_at"] is not None)


# --- Reading the query string ----------------------------------------------------------------------------


def read_filters(params: Mapping[str, Sequence[str]], urls: Urls) -> Filters:
    """Filters from the query string (each name to its values); unknown names are refused, not ignored,
    so that a misspelt filter never silently returns everything."""
    for name, values in params.items():
        if name not in FILTERS + PAGING:
            raise QueryError(f"{name}: unknown parameter")
        if len(values) > 1 and name != "tag":
            raise QueryError(f"{name}: given more than once")
        if any(len(value) > _MAX_PARAMETER for value in values):
            raise QueryError(f"{name}: longer than {_MAX_PARAMETER} characters")
        if any("\x00" in value for value in values):
            raise QueryError(f"{name}: contains a NUL character")
    one = {name: values[0].strip() for name, values in params.items() if values and values[0].strip()}
    group_uri, group_handle = _group(one.get("group"), urls)
    return Filters(
        q=one.get("q"),
        tags=tuple(_tag(tag) for tag in params.get("tag", ()) if tag.strip()),
        place=one.get("place"),
        period=_period(one.get("period")),
        group_uri=group_uri,
        group_handle=group_handle,
        since=_since(one.get("since")),
        uri=one.get("uri"),
    )


def read_limit(raw: str | None) -> int:
    """A page's size: 50 unless asked, at most 500, so that one request cannot hold the database long."""
    given = _positive("limit", raw)
    if given is not None and given > MAX_LIMIT:
        raise QueryError(f"limit: at most {MAX_LIMIT}")
    return DEFAULT_LIMIT if given is None else given


def read_export_limit(raw: str | None) -> int | None:
    """Exports are streamed page by page, so they may ask for everything (None)."""
    return _positive("limit", raw)


def _positive(name: str, raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw.strip()) or int(raw) < 1:
        raise QueryError(f"{name}: must be a positive integer, not {raw!r}")
    return int(raw)


def read_cursor(raw: str | None) -> Cursor | None:
    return Cursor.decode(raw.strip()) if raw and raw.strip() else None


def _tag(raw: str) -> str:
    """Tags are stored as Mastodon matches them: lower case, without '#'."""
    return raw.strip().lstrip("#").lower()


def _period(raw: str | None) -> Period | None:
    if raw is None:
        return None
    try:
        return parse_period(raw)
    except FiguresError as error:
        raise QueryError(f"period: {error}") from error


def _since(raw: str | None) -> datetime | None:
    """An ISO date or date-time; without an offset it is read as UTC, the time the server keeps."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError as error:
        raise QueryError(f"since: not an ISO 8601 date or date-time: {raw!r}") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _group(raw: str | None, urls: Urls) -> tuple[str | None, tuple[str, str] | None]:
    """A group by local name, by handle (``name@host``) or by URI; remote handles are matched through the
    remote actors we know, since a figure names its group by URI."""
    if raw is None:
        return None, None
    if "://" in raw:
        return raw, None
    handle = _HANDLE.fullmatch(raw)
    if handle is not None:
        name, host = handle.group(1).lower(), handle.group(2).lower()
        return (urls.actor(name), None) if host == urls.domain else (None, (name, host))
    name = raw.lstrip("@").lower()
    if not re.fullmatch(r"[a-z0-9_]{1,30}", name):
        raise QueryError(f"group: not a group name, handle or URI: {raw!r}")
    return urls.actor(name), None


# --- SQL ------------------------------------------------------------------------------------------------


class Where:
    """WHERE clauses and their numbered arguments, built together so a number never drifts from its value."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[object] = []

    def arg(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, clause: str) -> None:
        self.clauses.append(clause)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "true"


def visible(where: Where, viewer: Viewer) -> None:
    if viewer.reader is None:
        where.add("f.audience = 'public'")
        return
    reader = where.arg(viewer.reader)
    where.add(
        f"(f.audience = 'public' OR f.author = {reader} OR EXISTS (SELECT 1 FROM follows w WHERE w.follower = "
        f"{reader} AND w.followee = f.group_uri AND w.state = 'accepted'))"
    )


def filtered(where: Where, filters: Filters) -> None:
    if filters.q:
        text = where.arg(filters.q)
        french, english = (f"f.search @@ websearch_to_tsquery('{config}', {text})" for config in ("french", "english"))
        where.add(f"({french} OR {english})")
    if filters.tags:
        where.add(f"f.tags @> {where.arg(list(filters.tags))}::text[]")
    if filters.place:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", filters.place) + "%"
        where.add(f"(f.place_name ILIKE {where.arg(pattern)} OR f.place_code = {where.arg(filters.place.upper())})")
    if filters.period is not None:
        period = filters.period
        where.add(f"f.period_start <= {where.arg(period.end)} AND f.period_end >= {where.arg(period.start)}")
    if filters.group_uri is not None:
        where.add(f"f.group_uri = {where.arg(filters.group_uri)}")
    if filters.group_handle is not None:
        name, host = filters.group_handle
        where.add(
            "f.group_uri IN (SELECT uri FROM remote_actors WHERE lower(preferred_username) = "
            f"{where.arg(name)} AND domain = {where.arg(host)})"
        )
    if filters.since is not None:
        where.add(f"f.published >= {where.arg(filters.since)}")
    if filters.uri is not None:
        where.add(f"f.uri = {where.arg(filters.uri)}")


async def page(
    db: Pool | Connection, filters: Filters, viewer: Viewer, limit: int, after: Cursor | None = None
) -> Page:
    """One page, newest first, and the cursor of the next when there is one."""
    where = Where()
    where.add("f.deleted_at IS NULL")
    visible(where, viewer)
    filtered(where, filters)
    if after is not None:
        where.add(f"(f.published, f.id) < ({where.arg(after.published)}, {where.arg(after.id)})")
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM figures f WHERE {where.sql} ORDER BY f.published DESC, f.id DESC"
        f" LIMIT {where.arg(limit + 1)}",
        *where.args,
    )
    items = [listed(row) for row in rows[:limit]]
    more = len(rows) > limit and items
    return Page(items, Cursor(items[-1].published, items[-1].id) if more else None)


async def everything(
    db: Pool | Connection,
    filters: Filters,
    viewer: Viewer,
    after: Cursor | None = None,
    limit: int | None = None,
    *,
    batch: int = MAX_LIMIT,
) -> AsyncIterator[Listed]:
    """Every matching figure, page after page, for exports: no transaction stays open while a client reads."""
    left = limit
    while left is None or left > 0:
        size = batch if left is None else min(batch, left)
        found = await page(db, filters, viewer, size, after)
        for item in found.items:
            yield item
        if found.next is None:
            return
        after = found.next
        left = None if left is None else left - len(found.items)


async def by_id(db: Pool | Connection, figure_id: int, viewer: Viewer) -> Listed | None:
    """A figure by its number, deleted or not, if this viewer may see it: one they may not is not there."""
    if not 0 < figure_id <= MAX_ID:
        return None
    where = Where()
    where.add(f"f.id = {where.arg(figure_id)}")
    visible(where, viewer)
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM figures f WHERE {where.sql}", *where.args)
    return listed(row) if row is not None else None


# --- What a listed figure looks like --------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def record(item: Listed, base: str) -> JSON:
    """A figure as every read answers it; the `figure` member is the stored wire object, as peers receive it."""
    return {
        "id": item.id,
        "uri": item.uri,
        "url": base + FIGURE.replace("{id:int}", str(item.id)),
        "author": item.author,
        "group": item.group_uri,
        "audience": item.audience,
        "origin": item.origin,
        "version": item.version,
        "language": item.language,
        "published": timestamp(item.published),
        "updated": timestamp(item.updated) if item.updated is not None else None,
        "figure": item.wire,
    }


def csv_row(item: Listed) -> dict[str, object]:
    """One CSV row by column name (`CSV_COLUMNS`), so that no cell can slip into its neighbour's column."""
    wire = item.wire
    place, source = wire.get("place") or {}, wire.get("source") or {}
    return {
        "id": item.id,
        "uri": item.uri,
        "value": wire["value"],
        "unit": wire["unit"]["code"],
        "measures": wire["measures"],
        "place": place.get("name", ""),
        "place_code": place.get("code", ""),
        "period": wire.get("period", ""),
        "source_url": source.get("url", ""),
        "source_title": source.get("title", ""),
        "method": wire.get("method", ""),
        "tags": " ".join(wire.get("tags", [])),
        "language": item.language,
        "version": item.version,
        "origin": item.origin,
        "author": item.author,
        "group": item.group_uri or "",
        "published": timestamp(item.published),
        "updated": timestamp(item.updated) if item.updated is not None else "",
        "display": _display(wire, item.language),
    }


def _display(wire: Mapping[str, Any], language: str) -> str:
    """The value as a person reads it in the figure's language ("2 150 €/mois"): the formatter of notes and
    pages, for a spreadsheet's readers; ``value`` beside it stays the plain wire number for its formulas."""
    return display.value(wire, language)
