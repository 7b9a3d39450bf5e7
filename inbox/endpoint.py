"""The inbox endpoint: size → parse → verify → ownership → deduplicate → store → queue → 202.

It does as little as it can in the request, and trusts nothing: the signature must verify with a key owned by the
activity's actor, and objects a peer creates, updates or deletes must live on that actor's host. Anything a peer
sends gets a 4xx with a reason or a 202, never a 500. Processing happens in the ``inbox`` job, in the same
transaction as the store, so an accepted activity is never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from actors import store
from fedi import documents
from fedi.bodies import BodyTooLarge, receive_capped
from fedi.database import JsonText
from fedi.domains import host_of
from fedi.instance import Instance
from fedi.normalise import Activity, MalformedActivity, normalise_activity
from fedi.responses import json_response, problem
from fedi.signatures import KeyCache, SignatureError, SignedRequest, verify_request
from inbox.intake import Intake, Received
from inbox.remote import KeyGone, RemoteActors

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
PROCESS = "inbox"
_AUTHORED = ("Create", "Update", "Delete")
# The answers to a stored activity, as ``json_response`` writes them, made once.
_STORED = {True: b'{"status":"accepted"}', False: b'{"status":"duplicate"}'}


class _Stored(Response):
    """The 202 of a stored activity, with the headers of its two bodies made once: Starlette's ``Response`` works
    them out for every answer."""

    media_type = "application/json"

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        self.raw_headers = list(_STORED_HEADERS[cast(bytes, self.body)])


_STORED_HEADERS = {
    body: ((b"content-length", str(len(body)).encode()), (b"content-type", b"application/json"))
    for body in _STORED.values()
}


def parse_body(body: bytes) -> object:
    try:
        return documents.loads(body)
    except ValueError as error:
        raise MalformedActivity(f"the body is not valid JSON: {error}") from None


def storable(document: object, body: bytes | None = None) -> None:
    """PostgreSQL stores neither NUL characters nor lone surrogates, which JSON can escape: refuse them here."""
    reason = documents.problem(document, body)
    if reason:
        raise MalformedActivity(f"the activity cannot be stored: {reason}")


def as_sent(body: bytes, document: object) -> object:
    """What to store for a parsed body: its own text when it is UTF-8, else the parsed document, encoded again.

    ``parse_body`` and ``storable`` (``fedi.documents``) have refused what PostgreSQL could not read back as it was
    parsed (numbers beyond a float, NUL characters, lone surrogates); a byte order mark, which ``json.loads`` skips
    and PostgreSQL does not, and the UTF-16 and UTF-32 that ``json.loads`` also reads, are encoded again.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return document
    return document if text.startswith("\ufeff") else JsonText(text)


def ownership_problem(activity: Activity) -> str | None:
    """Why the activity or its objects cannot be vouched for by its actor, or None.

    An id is a name its host gives: one on another host than the actor's could squat someone else's activity (it
    would answer ``duplicate`` to the real one) or one of our claim references.
    """
    actor_host = host_of(activity.actor)
    if activity.id and host_of(activity.id) != actor_host:
        return f"activity id {activity.id} is not on the actor's host {actor_host}"
    if activity.is_a(*_AUTHORED):
        obj = activity.object
        object_id = activity.object_id
        if object_id and host_of(object_id) != actor_host:
            return f"object {object_id} is not on the actor's host {actor_host}"
        attributed = obj.ref("attributedTo") if obj else None
        if attributed and not activity.is_a("Delete") and host_of(attributed) != actor_host:
            return f"object attributed to {attributed}, not to the actor"
    return None


class InboxEndpoint:
    def __init__(self, instance: Instance, remote: RemoteActors, keys: KeyCache) -> None:
        self._instance = instance
        self._remote = remote
        self._keys = keys
        self._intake = Intake(instance.pool)

    async def handle(self, request: Request) -> Response:
        name = request.path_params.get("name")
        if (name is not None and (found := await store.find(self._instance.pool, name)) is None) or (
            name is not None and found is not None and found.is_instance
        ):
            return problem(404, "no such actor")
        headers = _headers(request)
        try:
            body = await receive_capped(request.receive, MAX_BODY, headers.get("content-length"))
        except BodyTooLarge:
            return problem(413, f"the body is over {MAX_BODY} bytes")
        except ClientDisconnect:
            return problem(400, "the request body was cut short")
        try:
            document = parse_body(body)
            activity = normalise_activity(document)
            storable(document, body)
        except MalformedActivity as error:
            return problem(400, str(error))
        addressee = name or self._instance.urls.local_name(activity.object_id or "")  # a Follow via the shared inbox
        if refusal := await self._remote.suspension.refusal(activity.actor, addressee):
            return problem(*refusal)
        signed = SignedRequest(request.method, self._public_url(request), headers, body)
        try:
            verified = await verify_request(signed, self._remote.resolve_key, self._instance.clock(), self._keys)
        except KeyGone as error:
            if await self._is_self_delete_of_gone_actor(activity, error.key_id):
                return json_response({"status": "accepted", "note": "actor gone"}, status=202)
            return problem(401, error.reason)
        except SignatureError as error:
            return problem(error.status, error.reason)
        if verified.owner != activity.actor:
            return problem(401, f"signed by {verified.owner}, not by the activity's actor {activity.actor}")
        reason = ownership_problem(activity)
        if reason:
            return problem(400, reason)
        stored = await self._store(activity, as_sent(body, document), verified.owner, name)
        return _Stored(_STORED[stored], status_code=202)

    def _public_url(self, request: Request) -> str:
        return signed_url(request, self._instance.urls.base)

    async def _is_self_delete_of_gone_actor(self, activity: Activity, key_id: str) -> bool:
        """A deleted actor's key answers 410, so its own Delete cannot be verified: accept it and forget them.

        Only the actor's own key counts, and only when the actor's own document answers 404 or 410 now, fetched by us
        from its host: a key id that merely answers 404 (a path under a live actor that never existed, or a dead key
        of the sender's own) proves nothing, and a peer must not make us forget someone with it.
        """
        if not activity.is_a("Delete") or activity.object_id != activity.actor:
            return False
        owner_part = key_id.split("#", 1)[0]
        if owner_part != activity.actor and not owner_part.startswith(activity.actor + "/"):
            return False
        if not await self._remote.is_gone(activity.actor):
            logger.warning("refused a Delete of %s: its key %s is gone but the actor is not", activity.actor, key_id)
            return False
        await self._remote.mark_gone(activity.actor)
        async with self._instance.pool.acquire() as connection:
            await connection.execute("DELETE FROM follows WHERE follower = $1 OR followee = $1", activity.actor)
        logger.info("actor %s deleted (key gone)", activity.actor)
        return True

    async def _store(self, activity: Activity, document: object, signer: str, inbox_of: str | None) -> bool:
        """Keep the activity as it was sent (peers' own shapes), deduplicated by actor and id; the row is the work item
        the worker's drain picks up, so one statement both stores and queues it."""
        received = Received(activity.id, activity.actor, activity.types[0], document, signer, inbox_of)
        return await self._intake.store(received)


def _headers(request: Request) -> dict[str, str]:
    """The request's headers as ``dict(request.headers)`` gives them (the last of repeated fields), read straight
    from the scope."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]}


def signed_url(request: Request, base: str) -> str:
    """The URL a sender signed: our public base (not the Host a proxy may have rewritten), then the raw path and
    query as they arrived, undecoded."""
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    path = raw.decode("latin-1")
    return base + path + (f"?{query.decode('latin-1')}" if query and "?" not in path else "")
