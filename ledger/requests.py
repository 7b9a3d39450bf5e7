"""Requests for figures: someone asks a group for a figure, whoever finds it answers, and the answer stays.

Everyone needs the same figures and each looks them up alone; a request shares the search. A member, or a follower
from their Mastodon app, asks for a figure (what it measures, where, when, in which unit); the group sends the
request to its followers as a Note (:mod:`ledger.request_notes`); a member who finds it answers with a value and a
source, which the group publishes as a figure credited to them and linked to the request (``answers``), and the
asker is told by a reply that mentions them. The next person who asks for the same figure gets it at once: before a
request is sent, a figure already held with the same measure, place and period answers it, and nothing is sent to
the followers.

The lookup is an exact match (same words, same place, same period boundaries), not the API's search: a search
ranks what is near, and a yearly figure is no answer to a request for one quarter.

An answer is published and the request marked answered in one transaction, the request's row locked meanwhile: of
two answers at once, the second finds the request answered and publishes nothing.

The module runs a little past 400 lines because asking, answering and closing each change the request and the Note
the followers hold in one transaction, under the same membership check and the same addressing; the wire form of
those Notes is :mod:`ledger.request_notes`, which is where they would otherwise have split.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import asyncpg

from actors import store
from actors.actor import Actor, ActorError
from actors.outbox import activity, publish
from fedi.database import Connection, Pool
from fedi.normalise import PUBLIC
from fedi.types import JSON, Clock
from fedi.urls import Urls
from figures.note import Contributor, edit_time, wire_datetime
from figures.numbers import FiguresError, Lang
from figures.period import parse_period
from figures.units import parse_unit, unit_from_code
from ledger import reciprocity
from ledger.publication import Publisher, StoredFigure
from ledger.request_notes import Addressing, Wanted, answer_note, request_note, request_wire

__all__ = ["LISTINGS", "STALE_AFTER", "Request", "RequestError", "Requests", "Wanted", "contributor_of", "wanted"]

#: A request still open after this long is listed as stale: worth a reminder, or closing.
STALE_AFTER: Final = timedelta(days=30)
#: Requests one asker may send to one group's followers in a day. A request goes to every follower, so a single
#: follower posting ``#cherche`` in a loop would flood them all; one answered at once from the figures held sends
#: nothing and does not count.
REQUESTS_PER_DAY: Final = 10
#: What a listing may be asked for; ``stale`` are the open requests older than :data:`STALE_AFTER`.
LISTINGS: Final = ("open", "stale", "answered", "closed")
_COLUMNS: Final = (
    "id, uri, group_uri, asker, measures, place, period, unit, status, created_at, answered_at, answer_uri,"
    " asker_note, closed_at"
)


class RequestError(ActorError):
    """A request that cannot be made, answered or closed as asked; the message says why in one line."""


async def _within_daily_limit(
    connection: Connection, group: Actor, group_id: str, asker: Contributor, now: datetime
) -> None:
    sent: int = await connection.fetchval(
        "SELECT count(*) FROM requests WHERE group_uri = $1 AND asker = $2 AND created_at > $3"
        " AND answered_at IS DISTINCT FROM created_at",
        group_id,
        asker.id,
        now - timedelta(days=1),
    )
    if sent >= REQUESTS_PER_DAY:
        raise RequestError(
            f"{asker.username} sent {sent} requests to {group.name}'s followers in the last day, the most a day"
            " allows: ask again tomorrow"
        )


@dataclass(frozen=True)
class Request:
    id: int
    uri: str
    group_uri: str
    asker: str
    measures: str
    place: str | None
    period: str | None
    unit: str | None
    status: str
    created_at: datetime
    answered_at: datetime | None
    answer_uri: str | None
    asker_note: str | None
    closed_at: datetime | None

    def state(self, now: datetime) -> str:
        """Its status as listed: an open request left unanswered too long is ``stale``."""
        return "stale" if self.status == "open" and now - self.created_at > STALE_AFTER else self.status

    def wire(self) -> JSON:
        """The ``request`` object, as the group's Note about it says now."""
        unit = unit_from_code(self.unit) if self.unit else None
        return request_wire(
            Wanted(self.measures, self.place or "", parse_period(self.period or ""), unit), self.status, self.answer_uri
        )


def _request(row: Mapping[str, Any] | asyncpg.Record) -> Request:
    return Request(**{name: row[name] for name in Request.__dataclass_fields__})


def wanted(measures: str, place: str, period: str, unit: str | None = None) -> Wanted:
    """What is asked for, read as the same fields of a figure are, every problem reported in one line."""
    problems: list[str] = []
    words = {name: " ".join(text.split()) for name, text in (("measures", measures), ("place", place))}
    for name, limit in (("measures", 500), ("place", 200)):
        if not words[name]:
            problems.append(f"{name}: required")
        elif len(words[name]) > limit:
            problems.append(f"{name}: longer than {limit} characters")
    try:
        read_period = parse_period(period)
    except FiguresError as error:
        problems.append(f"period: {error}")
    try:
        expected = parse_unit(unit).unit if unit and unit.strip() else None
    except FiguresError as error:
        problems.append(f"unit: {error}")
    if problems:
        raise RequestError("invalid request: " + "; ".join(problems))
    return Wanted(words["measures"], words["place"], read_period, expected)


class Requests:
    def __init__(self, pool: Pool, urls: Urls, clock: Clock, language: Lang, publisher: Publisher) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._language = language
        self._publisher = publisher

    async def ask(
        self,
        asker: Contributor,
        group: Actor,
        what: Wanted,
        *,
        asker_note: str | None = None,
        within: Connection | None = None,
    ) -> tuple[Request, StoredFigure | None]:
        """Record a request and send it to the group's followers; or, when a figure the asker may read already
        says what they ask, answer with it at once and send nothing to the followers. A post delivered twice
        (same ``asker_note``) asks once. ``within``: the caller's transaction (the inbox's), else a new one."""
        if group.kind != "group":
            raise RequestError(f"{group.name} is not a group")
        now, group_id = self._clock(), self._urls.actor(group.name)
        uri = self._urls.object(str(uuid.uuid4()))
        async with self._transaction(within) as connection:
            if asker_note is not None and (known := await _by_note(connection, asker_note)) is not None:
                return known, None
            await self._follower(connection, asker.id, group)
            found = await _matching(connection, what, asker.id, group_id)
            match = await self._publisher.get(found, connection) if found is not None else None
            if match is None:
                await _within_daily_limit(connection, group, group_id, asker, now)
            row = await connection.fetchrow(
                f"INSERT INTO requests (uri, group_uri, group_id, asker, measures, place, period, unit, status,"
                f" created_at, answered_at, answer_uri, asker_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                f" $11, $12, $13) RETURNING {_COLUMNS}",
                uri,
                group_id,
                group.id,
                asker.id,
                what.measures,
                what.place,
                what.period.text,
                what.unit.code if what.unit is not None else None,
                "open" if match is None else "answered",
                now,
                None if match is None else now,
                None if match is None else match.uri,
                asker_note,
            )
            if row is None:  # the INSERT returns its row, or raises
                raise RequestError(f"request {uri} was not recorded")
            request = _request(row)
            if match is None:
                note = request_note(
                    what,
                    note_id=uri,
                    group=group_id,
                    asker=asker,
                    addressing=self._addressing(group, asker.id),
                    published=now,
                    language=self._language,
                    in_reply_to=asker_note,
                )
                await self._send(connection, group, "Create", note, now)
            else:  # only the asker needs to hear about a figure the group already holds
                direct = Addressing([asker.id], [], self._addressing(group, asker.id).audience)
                await self._tell(connection, group, asker, match, direct, asker_note, now)
        return request, match

    async def answer(
        self, ref: str, by: Actor, fields: Mapping[str, object], lang: Lang
    ) -> tuple[Request, StoredFigure]:
        """Publish the answer (``value``, ``unit``, ``source``…) as a figure of the request's group credited to
        the member ``by``, with the request's measure, place and period, and tell the asker."""
        if by.kind != "person":
            raise RequestError(f"{by.name} is not a member")
        credit = Contributor(self._urls.actor(by.name), by.name, self._urls.domain)
        async with self._transaction(None) as connection:
            return await self.answer_for(connection, ref, credit, by.id, fields, lang)

    async def answer_for(
        self,
        connection: Connection,
        ref: str,
        answerer: Contributor,
        answerer_id: int | None,
        fields: Mapping[str, object],
        lang: Lang,
    ) -> tuple[Request, StoredFigure]:
        """:meth:`answer` in the caller's transaction, for an approved follower of the group, local
        (``answerer_id``) or from another server."""
        request = await self._get(connection, ref, lock=True)
        if request.status != "open":
            raise RequestError(f"request {request.id} is {request.status}, not open")
        group = await self._group(request)
        asked = {"measures": request.measures, "place": request.place, "period": request.period}
        figure = await self._publisher.publish_for(
            connection, answerer, answerer_id, group, {**fields, **asked}, lang, answers=request.uri
        )
        now = self._clock()
        async with connection.transaction():
            row = await connection.fetchrow(
                f"UPDATE requests SET status = 'answered', answered_at = $2, answer_uri = $3 WHERE id = $1"
                f" AND status = 'open' RETURNING {_COLUMNS}",
                request.id,
                now,
                figure.uri,
            )
            if row is None:  # the row is locked: only a bug gets here
                raise RequestError(f"request {request.id} was answered or closed meanwhile")
            await reciprocity.answered(connection, request.uri, request.group_uri, answerer.id, now)
            asker = await contributor_of(connection, self._urls, request.asker)
            addressing = self._addressing(group, request.asker)
            await self._tell(connection, group, asker, figure, addressing, request.uri, now)
            await self._restate(connection, group, request.uri, "answered", figure.uri, now)
        return _request(row), figure

    async def close(self, ref: str) -> Request:
        """Close an open request that nobody will answer; its Note says so to those who received it."""
        request = await self.get(ref)
        now = self._clock()
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                f"UPDATE requests SET status = 'closed', closed_at = $2 WHERE id = $1 AND status = 'open'"
                f" RETURNING {_COLUMNS}",
                request.id,
                now,
            )
            if row is None:
                raise RequestError(f"request {request.id} is {request.status}, not open")
            await self._restate(connection, await self._group(request), request.uri, "closed", None, now)
        return _request(row)

    async def listing(self, group_uri: str, state: str | None = None) -> list[Request]:
        """A group's requests, newest first; ``state`` one of :data:`LISTINGS`, or None for all."""
        if state is not None and state not in LISTINGS:
            raise RequestError(f"not a request status: {state!r} (one of {', '.join(LISTINGS)})")
        clauses, args = ["group_uri = $1"], list[object]([group_uri])
        if state in ("answered", "closed"):
            args.append(state)
            clauses.append("status = $2")
        elif state in ("open", "stale"):
            args.append(self._clock() - STALE_AFTER)
            clauses.append("status = 'open' AND created_at " + (">= $2" if state == "open" else "< $2"))
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM requests WHERE {' AND '.join(clauses)} ORDER BY created_at DESC, id DESC", *args
        )
        return [_request(row) for row in rows]

    async def get(self, ref: str) -> Request:
        """A request by its number (as listings show it) or its URI."""
        async with self._pool.acquire() as connection:
            return await self._get(connection, ref)

    async def _get(self, connection: Connection, ref: str, *, lock: bool = False) -> Request:
        """Locked, when asked, until the transaction ends: two answers to one request are one after the other."""
        column, key = ("id", int(ref)) if ref.isdigit() and int(ref) < 2**63 else ("uri", ref)
        suffix = " FOR UPDATE" if lock else ""
        row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM requests WHERE {column} = $1{suffix}", key)
        if row is None:
            raise RequestError(f"no request {ref}")
        return _request(row)

    @asynccontextmanager
    async def _transaction(self, within: Connection | None) -> AsyncIterator[Connection]:
        """The caller's transaction (a savepoint in it), or a new one."""
        if within is not None:
            async with within.transaction():
                yield within
            return
        async with self._pool.acquire() as connection, connection.transaction():
            yield connection

    async def _group(self, request: Request) -> Actor:
        group = await store.by_uri(self._pool, self._urls, request.group_uri)
        if group is None:
            raise RequestError(f"the group of request {request.id} is gone")
        return group

    async def _follower(self, connection: Connection, asker: str, group: Actor) -> None:
        """Only those the group accepted ask through it: a request reaches all its followers."""
        accepted = await connection.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'",
            asker,
            self._urls.actor(group.name),
        )
        if not accepted:
            raise RequestError(f"{asker} does not follow {group.name}, or is not approved yet: only members ask")

    def _addressing(self, group: Actor, asker: str) -> Addressing:
        """The group's followers, as for its figures, and the asker, so that the Mention notifies them."""
        followers = self._urls.followers(group.name)
        if group.visibility == "public":
            return Addressing([PUBLIC], [followers, asker], "public")
        return Addressing([followers], [asker], "followers")

    async def _tell(
        self,
        connection: Connection,
        group: Actor,
        asker: Contributor,
        figure: StoredFigure,
        addressing: Addressing,
        in_reply_to: str | None,
        now: datetime,
    ) -> None:
        note = answer_note(
            figure.figure,
            figure.uri,
            note_id=self._urls.object(str(uuid.uuid4())),
            group=self._urls.actor(group.name),
            asker=asker,
            addressing=addressing,
            published=now,
            language=self._language,
            in_reply_to=in_reply_to,
        )
        await self._send(connection, group, "Create", note, now)

    async def _restate(
        self, connection: Connection, group: Actor, uri: str, status: str, answered_by: str | None, now: datetime
    ) -> None:
        """An Update of the request's Note with its new status, so that peers holding it see it answered or
        closed; a request answered at once was never sent, and has no Note to update."""
        note: JSON | None = await connection.fetchval("SELECT document FROM local_objects WHERE uri = $1", uri)
        if note is None:
            return
        note["request"]["status"] = status
        if answered_by is not None:
            note["request"]["answeredBy"] = answered_by
        stamped = note.get("updated") or note.get("published")
        edited = edit_time(datetime.fromisoformat(stamped) if isinstance(stamped, str) else None, now)
        note["updated"] = wire_datetime(edited)
        await self._send(connection, group, "Update", note, edited)

    async def _send(self, connection: Connection, group: Actor, kind: str, note: JSON, now: datetime) -> None:
        audience = "public" if group.visibility == "public" else "followers"
        sent = activity(self._urls, note["attributedTo"], kind, note, to=note["to"], cc=note["cc"], published=now)
        await publish(connection, group, sent, audience, obj=note)


async def _by_note(connection: Connection, asker_note: str) -> Request | None:
    row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM requests WHERE asker_note = $1", asker_note)
    return _request(row) if row is not None else None


async def _matching(connection: Connection, what: Wanted, reader: str, group_uri: str) -> str | None:
    """A live figure saying what is asked — same words, place and period — that the asker may read (as the API
    decides: public, their own, or of a group that accepted their follow); the group's own first, newest first."""
    found: str | None = await connection.fetchval(
        "SELECT f.uri FROM figures f WHERE f.deleted_at IS NULL AND lower(f.measures) = lower($1)"
        " AND (lower(f.place_name) = lower($2) OR f.place_code = upper($2))"
        " AND f.period_start = $3 AND f.period_end = $4"
        " AND (f.audience = 'public' OR f.author = $5 OR EXISTS (SELECT 1 FROM follows w WHERE w.follower = $5"
        " AND w.followee = f.group_uri AND w.state = 'accepted'))"
        " ORDER BY f.group_uri = $6 DESC, f.published DESC, f.id DESC LIMIT 1",
        what.measures,
        what.place,
        what.period.start,
        what.period.end,
        reader,
        group_uri,
    )
    return found


async def contributor_of(connection: Connection, urls: Urls, uri: str) -> Contributor:
    """The asker as a Mention names them: a local member by name, a remote one by the handle their server gave."""
    local = urls.local_name(uri)
    if local is not None:
        return Contributor(uri, local, urls.domain)
    row = await connection.fetchrow("SELECT preferred_username, domain FROM remote_actors WHERE uri = $1", uri)
    if row is None or not row["preferred_username"]:
        host = uri.split("/")[2] if uri.count("/") >= 2 else uri
        return Contributor(uri, uri.rstrip("/").rsplit("/", 1)[-1], host)
    return Contributor(uri, row["preferred_username"], row["domain"])
