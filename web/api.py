"""The figures JSON API: members publish, change and delete figures with a bearer token; anyone reads public
figures, approved followers of a members-only group also its figures; listings export as CSV and JSON Lines.
Members list and revoke their own tokens.

What a members-only group holds is for the members of that group, not for every local person: a token says who is
reading, and the follows of that person decide what they see (:mod:`web.query`) and where they may publish
(:class:`ledger.publication.Publisher`). Every answer depends on who asks, so none may be kept by a shared cache.

Routes are made from the table in :mod:`web.openapi`, which also makes the OpenAPI document, so a route cannot
exist undocumented. Every answer under ``/api`` is JSON, errors included, whatever the client's ``Accept``.

A group's requests for figures (:mod:`ledger.requests`) are listed here too, read by whoever may read the group's
figures. The module runs past 400 lines because it holds one handler per operation of that table: split, the rule
of who reads what would live in two places.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Match, Route

from actors import store, tokens
from actors.actor import Actor, ActorError
from fedi.bodies import BodyTooLarge, read_capped
from fedi.documents import unstorable
from fedi.instance import Instance
from fedi.responses import json_response
from fedi.types import JSON
from figures.figure import FigureValidationError, build_figure
from figures.numbers import Lang
from ledger import explanation, reciprocity
from ledger.consensus import ConsensusJob, thresholds
from ledger.publication import NotAMember, PublicationError, Publisher
from ledger.requests import LISTINGS, Requests
from ledger.requests import Request as AskedFor
from web import query
from web.openapi import CSV_COLUMNS, CSV_TYPE, JSONL_TYPE, OPERATIONS, document
from web.query import Listed, Viewer, csv_row, record, timestamp

SignedBy = Callable[[Request], Awaitable[str | None]]
Handler = Callable[[Request], Awaitable[Response]]
MAX_BODY: Final = 64 * 1024
_NOT_FIGURE_FIELDS: Final = ("group", "lang", "source_title")
_PRIVATE: Final = {"Cache-Control": "private, no-store", "Vary": "Accept, Authorization, Signature"}
_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}
_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class ApiError(ActorError):
    """A request refused with an HTTP status; the message is the reason the client reads."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.headers = dict(headers or {})


def error_response(status: int, reason: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response({"error": reason, "status": status}, status=status, headers=dict(headers or {}))


def invalid_response(errors: list[tuple[str, str]]) -> Response:
    fields = [{"field": field, "reason": reason} for field, reason in errors]
    return json_response({"error": "invalid figure", "fields": fields, "status": 422}, status=422)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object sent, numbers as Decimal so that "845.50" keeps its last digit."""
    try:
        raw = await read_capped(request, MAX_BODY)
    except BodyTooLarge:
        raise ApiError(413, f"the body is larger than {MAX_BODY} bytes") from None
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
        reason = unstorable(body)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    if reason:
        raise ApiError(400, f"the body cannot be stored: {reason}")
    return body


def language(raw: object, default: Lang) -> tuple[Lang, list[tuple[str, str]]]:
    if raw is None:
        return default, []
    if raw in ("fr", "en"):
        return ("fr" if raw == "fr" else "en"), []
    return default, [("lang", f"not a supported language: {raw!r} (fr or en)")]


def figure_fields(body: Mapping[str, Any], current_source: object = None) -> dict[str, Any]:
    """The body's figure fields as `build_figure` and `revise` read them: `source_title` joins the source (the
    current one when only the title changes)."""
    fields = {name: value for name, value in body.items() if name not in _NOT_FIGURE_FIELDS}
    title = body.get("source_title")
    if title is None:
        return fields
    source = fields.get("source", current_source)
    if isinstance(source, Mapping):
        fields["source"] = {**source, "title": title}
    elif source is not None:
        fields["source"] = {"url": source, "title": title}
    return fields


class FiguresApi:
    """The handlers, around one instance; `signed_by` tells which fediverse actor signed a GET, if any."""

    def __init__(self, instance: Instance, signed_by: SignedBy) -> None:
        self._pool = instance.pool
        self._urls = instance.urls
        self._signed_by = signed_by
        self._clock = instance.clock
        self._language: Lang = "en" if instance.settings.language == "en" else "fr"
        self._publisher = Publisher(instance.pool, instance.urls, instance.clock, self._language)
        self._consensus = ConsensusJob(
            instance.pool, instance.urls, instance.clock, self._publisher, base=thresholds(instance.settings)
        )
        self._requests = Requests(instance.pool, instance.urls, instance.clock, self._language, self._publisher)

    # --- Who is asking ------------------------------------------------------------------------------------

    async def _token_holder(self, request: Request) -> Actor | None:
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "use Authorization: Bearer TOKEN", _CHALLENGE)
        try:
            return await tokens.actor_for_token(self._pool, token.strip(), self._clock())
        except tokens.TokenRefused as refused:
            raise ApiError(401, str(refused), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None

    async def _member(self, request: Request) -> Actor:
        actor = await self._token_holder(request)
        if actor is None:
            raise ApiError(401, "a member's token is needed: Authorization: Bearer TOKEN", _CHALLENGE)
        return actor

    async def _viewer(self, request: Request) -> Viewer:
        """A token holder reads as their actor, as a signed reader does: a local person is no one's member by
        being local."""
        return (await self._reader(request))[0]

    async def _reader(self, request: Request) -> tuple[Viewer, str | None]:
        """The viewer, and the token holder's actor id when a member reads with a token (the ledger counts it)."""
        holder = await self._token_holder(request)
        if holder is not None and holder.kind == "person":
            viewer = self._as(holder)
            return viewer, viewer.reader
        if holder is not None:
            return query.ANONYMOUS, None
        return Viewer(reader=await self._signed_by(request)), None

    async def _count_read(self, holder: str | None, items: Sequence[Listed], obj: str | None) -> None:
        """A token holder's read of figures of our groups, one event per group shown (``ledger.reciprocity``)."""
        groups = [item.group_uri for item in items if item.group_uri and self._urls.local_name(item.group_uri)]
        if holder is not None and groups:
            await reciprocity.read(self._pool, holder, groups, obj, self._clock())

    def _as(self, actor: Actor) -> Viewer:
        return Viewer(reader=self._urls.actor(actor.name))

    async def _group(self, raw: object) -> tuple[Actor | None, list[tuple[str, str]]]:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, [("group", "required")]
        if not isinstance(raw, str):
            return None, [("group", "must be a string")]
        text = raw.strip()
        if "://" in text:
            name = self._urls.local_name(text)
        else:
            name, _, host = text.lstrip("@").partition("@")
            name = name if host in ("", self._urls.domain) else None
        found = await store.find(self._pool, name) if name else None
        if found is None or found.kind != "group":
            return None, [("group", f"no local group {raw!r}")]
        return found, []

    async def _own(self, request: Request, by: Actor) -> Listed:
        """The figure of the path, if `by` may change it."""
        item = await query.by_id(self._pool, request.path_params["id"], self._as(by))
        if item is None:
            raise ApiError(404, "no such figure")
        if item.deleted:
            raise ApiError(410, "this figure was deleted")
        if item.origin != self._urls.domain:
            raise ApiError(403, f"this figure was published on {item.origin}: it can only be changed there")
        if item.author != self._urls.actor(by.name):
            raise ApiError(403, "only the figure's author can change it")
        return item

    async def _visible(self, request: Request) -> Listed:
        item, _ = await self._visible_to(request)
        return item

    async def _visible_to(self, request: Request) -> tuple[Listed, str | None]:
        viewer, holder = await self._reader(request)
        item = await query.by_id(self._pool, request.path_params["id"], viewer)
        if item is None:
            raise ApiError(404, "no such figure")
        if item.deleted:
            raise ApiError(410, "this figure was deleted")
        return item, holder

    def _answer(self, document: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        return json_response(document, status=status, headers={**_PRIVATE, **(headers or {})})

    # --- Handlers --------------------------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        author = await self._member(request)
        body = await read_body(request)
        lang, problems = language(body.get("lang"), self._language)
        group, group_problems = await self._group(body.get("group"))
        fields = figure_fields(body)
        try:
            build_figure(fields, lang)
        except FigureValidationError as error:
            problems.extend(error.errors)
        if group is None or group_problems or problems:
            return invalid_response([*group_problems, *problems])
        try:
            published = await self._publisher.publish(author, group, fields, lang)
        except PublicationError as error:
            raise ApiError(403, str(error)) from None
        item = await query.by_id(self._pool, published.id, self._as(author))
        if item is None:
            raise ApiError(409, "the figure was deleted as it was being published")
        shown = await self._shown(item)
        return self._answer(shown, 201, {"Location": str(shown["url"])})

    async def read(self, request: Request) -> Response:
        item, holder = await self._visible_to(request)
        await self._count_read(holder, [item], item.uri)
        return self._answer(await self._shown(item))

    async def _shown(self, item: Listed) -> JSON:
        """One figure, with why it has its consensus (``ledger.explanation``; null before any computation)."""
        why = await explanation.explain(self._consensus, self._pool, item.uri, self._clock())
        return {**record(item, self._urls.base), "consensus": why}

    async def update(self, request: Request) -> Response:
        by = await self._member(request)
        item = await self._own(request, by)
        body = await read_body(request)
        lang, problems = language(body.get("lang"), "en" if item.language == "en" else "fr")
        if "group" in body:
            problems.append(("group", "cannot be changed: publish the figure in the other group"))
        if problems:
            return invalid_response(problems)
        try:
            await self._publisher.update(item.uri, figure_fields(body, item.wire.get("source")), by, lang)
        except NotAMember as error:
            raise ApiError(403, str(error)) from None
        except PublicationError as error:
            raise ApiError(409, str(error)) from None
        changed = await query.by_id(self._pool, item.id, self._as(by))
        if changed is None:
            raise ApiError(409, "the figure vanished as it was being changed")
        return self._answer(await self._shown(changed))

    async def delete(self, request: Request) -> Response:
        by = await self._member(request)
        item = await self._own(request, by)
        try:
            await self._publisher.delete(item.uri, by)
        except PublicationError as error:
            raise ApiError(409, str(error)) from None
        return Response(status_code=204)

    async def versions(self, request: Request) -> Response:
        item = await self._visible(request)
        versions = [
            {"version": number, "created_at": timestamp(created), "figure": wire}
            for number, wire, created in await self._publisher.versions(item.uri)
        ]
        return self._answer({"id": item.id, "uri": item.uri, "versions": versions})

    async def listing(self, request: Request) -> Response:
        viewer, holder = await self._reader(request)
        filters = query.read_filters(_parameters(request), self._urls)
        limit = query.read_limit(request.query_params.get("limit"))
        after = query.read_cursor(request.query_params.get("cursor"))
        found = await query.page(self._pool, filters, viewer, limit, after)
        await self._count_read(holder, found.items, None)
        items = [record(item, self._urls.base) for item in found.items]
        return self._answer({"items": items, "next": found.next.encode() if found.next else None})

    async def export_csv(self, request: Request) -> Response:
        rows = await self._export(request)

        async def lines() -> AsyncIterator[str]:
            yield _csv_text([{column: column for column in CSV_COLUMNS}])
            async for item in rows:
                yield _csv_text([csv_row(item)])

        return self._stream(lines(), CSV_TYPE, "figures.csv")

    async def export_jsonl(self, request: Request) -> Response:
        rows = await self._export(request)

        async def lines() -> AsyncIterator[str]:
            async for item in rows:
                yield json.dumps(record(item, self._urls.base), ensure_ascii=False, separators=(",", ":")) + "\n"

        return self._stream(lines(), JSONL_TYPE, "figures.jsonl")

    async def _export(self, request: Request) -> AsyncIterator[Listed]:
        """Everything is checked before the first byte is sent: a stream cannot change its status later."""
        viewer = await self._viewer(request)
        filters = query.read_filters(_parameters(request), self._urls)
        limit = query.read_export_limit(request.query_params.get("limit"))
        after = query.read_cursor(request.query_params.get("cursor"))
        return query.everything(self._pool, filters, viewer, after, limit)

    def _stream(self, lines: AsyncIterator[str], media_type: str, filename: str) -> Response:
        headers = {**_PRIVATE, "Content-Disposition": f'inline; filename="{filename}"'}
        return StreamingResponse(lines, media_type=media_type, headers=headers)

    async def request_list(self, request: Request) -> Response:
        """A group's requests go where its figures go: anyone reads a public group's, approved followers a members
        group's (the group sends them to its followers only)."""
        group = await store.find(self._pool, request.path_params["name"].lower())
        if group is None or group.kind != "group":
            raise ApiError(404, f"no local group {request.path_params['name']!r}")
        state = request.query_params.get("status") or None
        unknown = set(request.query_params) - {"status"}
        if unknown or (state is not None and state not in LISTINGS):
            reason = f"{sorted(unknown)[0]}: unknown parameter" if unknown else f"status: one of {', '.join(LISTINGS)}"
            raise ApiError(400, reason)
        group_uri = self._urls.actor(group.name)
        if group.visibility != "public" and not await self._approved(await self._viewer(request), group_uri):
            raise ApiError(403, f"only approved members of {group.name} read its requests")
        now = self._clock()
        found = await self._requests.listing(group_uri, state)
        return self._answer({"items": [_request(item, now) for item in found]})

    async def _approved(self, viewer: Viewer, group_uri: str) -> bool:
        if viewer.reader is None:
            return False
        accepted = await self._pool.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'",
            viewer.reader,
            group_uri,
        )
        return bool(accepted)

    async def token_list(self, request: Request) -> Response:
        holder, now = await self._member(request), self._clock()
        return self._answer({"items": [_token(found, now) for found in await tokens.listing(self._pool, holder.id)]})

    async def token_revoke(self, request: Request) -> Response:
        holder, ident = await self._member(request), request.path_params["id"]
        if not await tokens.revoke_id(self._pool, ident, holder.id):
            raise ApiError(404, f"you have no live token {ident}")
        return Response(status_code=204, headers=_PRIVATE)

    async def description(self, request: Request) -> Response:
        return json_response(document(self._urls), headers={"Access-Control-Allow-Origin": "*"})

    def handlers(self) -> dict[str, Handler]:
        return {
            "listFigures": self.listing,
            "createFigure": self.create,
            "exportCsv": self.export_csv,
            "exportJsonl": self.export_jsonl,
            "getFigure": self.read,
            "updateFigure": self.update,
            "deleteFigure": self.delete,
            "figureVersions": self.versions,
            "listTokens": self.token_list,
            "revokeToken": self.token_revoke,
            "listRequests": self.request_list,
            "openapi": self.description,
        }


def _token(found: tokens.TokenRecord, now: datetime) -> dict[str, object]:
    moments = {
        "created_at": found.created_at,
        "last_used_at": found.last_used_at,
        "expires_at": found.expires_at,
        "revoked_at": found.revoked_at,
    }
    shown = {name: timestamp(moment) if moment else None for name, moment in moments.items()}
    return {"id": found.id, "label": found.label, "state": found.state(now), **shown}


def _request(found: AskedFor, now: datetime) -> dict[str, object]:
    moments = {"created_at": found.created_at, "answered_at": found.answered_at, "closed_at": found.closed_at}
    shown = {name: timestamp(moment) if moment else None for name, moment in moments.items()}
    return {
        "id": found.id,
        "uri": found.uri,
        "group": found.group_uri,
        "asker": found.asker,
        "state": found.state(now),
        **shown,
        "answer": found.answer_uri,
        "asked_in": found.asker_note,
        "request": found.wire(),
    }


def _parameters(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


def _csv_text(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n", extrasaction="raise")
    writer.writerows(rows)
    return buffer.getvalue()


def guarded(handler: Handler) -> Handler:
    """Refusals of every kind become JSON answers with their status; anything else is a bug and is not caught.
    A refusal depends on who asks (a 404 may hide a figure from this reader only), so it is private too."""

    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, str(error), {**_PRIVATE, **error.headers})
        except query.QueryError as error:
            return error_response(400, str(error), _PRIVATE)
        except FigureValidationError as error:
            return invalid_response(list(error.errors))

    return handle


def routes(instance: Instance, signed_by: SignedBy) -> list[Route]:
    """One route per operation of the table, then a JSON 404/405 for any other request under ``/api``."""
    handlers = FiguresApi(instance, signed_by).handlers()
    built = [
        Route(
            operation.path,
            guarded(handlers[operation.operation_id]),
            methods=[operation.method],
            name=operation.operation_id,
        )
        for operation in OPERATIONS
    ]

    async def elsewhere(request: Request) -> Response:
        allowed = sorted(
            {
                method
                for route in built
                for method in route.methods or ()
                if route.matches(request.scope)[0] is not Match.NONE
            }
        )
        if allowed:
            return error_response(405, f"{request.method} is not allowed here", {"Allow": ", ".join(allowed)})
        return error_response(404, "no such API endpoint")

    return [*built, Route("/api/{rest:path}", elsewhere, methods=_ALL_METHODS)]
