"""Requests our inbox must refuse, or accept and ignore, with the status the rules give and without any effect.

The rules: DESIGN.md ("Rules that hold everywhere") and the verifier's error tree in ``fedi/signatures.py``.
Every case is a correct Mastodon-style delivery but for the one defect it is named after, so its status can only
come from that defect; the ``ok-…`` cases show the undamaged requests pass. One instance serves the whole module
(``shared_world``) and each case compares the row counts before and after itself.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from inbox.endpoint import MAX_BODY
from tests.inbox.conftest import BASE, JSON, World
from tests.support.remote_server import (
    ACTIVITY_JSON,
    AS2,
    SECURITY,
    RemoteActor,
    RemoteServer,
    cavage_headers,
    closed_port,
    content_digest_header,
    digest_header,
    encode,
    now,
    public_pem,
    rfc9421_headers,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
SPARE = "spare"


@dataclass(frozen=True)
class Sent:
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    chunked: bool = False


@dataclass(frozen=True)
class Ctx:
    world: World
    remote: RemoteServer
    elsewhere: RemoteServer

    @property
    def alice(self) -> RemoteActor:
        return self.remote.actor("alice")

    def activity(self, actor: str, kind: object = "Bite", **fields: Any) -> JSON:
        return {"@context": AS2, "id": f"{actor}/activities/{uuid.uuid4()}", "type": kind, "actor": actor} | {
            "object": self.world.note,
            **fields,
        }

    def signed(
        self, document: object, *, signer: RemoteActor | None = None, path: str = "/inbox", **options: Any
    ) -> Sent:
        signer = signer or self.alice
        body = document if isinstance(document, bytes) else encode(document)
        options.setdefault("key_id", signer.key_id)
        options.setdefault("private_key", signer.private_key)
        if "age" in options:
            options["moment"] = now() - options.pop("age")
        url = BASE + options.pop("sign_path", path)
        return Sent(path, body, cavage_headers(options.pop("method", "POST"), url, body=body, **options))


Build = Callable[[Ctx], Sent]


def bite(ctx: Ctx) -> JSON:
    return ctx.activity(ctx.alice.id)


def cavage(**options: Any) -> Build:
    return lambda ctx: ctx.signed(bite(ctx), **options)


def headers(build: Build, **changes: str | None) -> Build:
    """The request ``build`` makes, with headers replaced or removed (None) after signing."""

    def changed(ctx: Ctx) -> Sent:
        sent = build(ctx)
        edited = {name: value for name, value in sent.headers.items() if name not in changes}
        return replace(sent, headers=edited | {name: value for name, value in changes.items() if value is not None})

    return changed


def signature(edit: Callable[[str], str]) -> Build:
    def build(ctx: Ctx) -> Sent:
        sent = cavage()(ctx)
        return replace(sent, headers=sent.headers | {"Signature": edit(sent.headers["Signature"])})

    return build


def body(make: Callable[[Ctx], object]) -> Build:
    """A body signed correctly by its sender: only what is in it can be wrong."""
    return lambda ctx: ctx.signed(make(ctx))


def without(key: str) -> Build:
    return body(lambda ctx: {name: value for name, value in bite(ctx).items() if name != key})


def note(ctx: Ctx, kind: str, note_id: str, author: str | None = None, content: object = "<p>845 €</p>") -> JSON:
    obj = {"id": note_id, "type": "Note", "attributedTo": author or ctx.alice.id, "content": content}
    return ctx.activity(ctx.alice.id, kind, object=obj)


def rfc9421(path: str = "/inbox", **options: Any) -> Build:
    def build(ctx: Ctx) -> Sent:
        data = encode(bite(ctx))
        given: dict[str, Any] = {"key_id": ctx.alice.key_id, "private_key": ctx.alice.private_key} | options
        url = BASE + given.pop("signed_url", path)
        return Sent(path, data, rfc9421_headers("POST", url, body=data, **given))

    return build


def published_key(document: Callable[[Ctx, str], object], content_type: str = ACTIVITY_JSON) -> Build:
    """Alice's activity signed with a spare key whose id is a document the remote serves (given its URL)."""

    def build(ctx: Ctx) -> Sent:
        path = f"/keys/{uuid.uuid4()}"
        url = ctx.remote.publish(path, document(ctx, ctx.remote.base + path), content_type=content_type)
        return ctx.signed(bite(ctx), key_id=url, private_key=ctx.remote.key(SPARE))

    return build


def key_document(ctx: Ctx, key_id: str, owner: str) -> JSON:
    """A key published apart from its owner, as some servers do; the owner must still list it."""
    pem = public_pem(ctx.remote.key(SPARE))
    return {"@context": SECURITY, "id": key_id, "type": "Key", "owner": owner, "publicKeyPem": pem}


def gone_key(ctx: Ctx) -> Sent:
    ghost = ctx.remote.actor("ghost")
    ctx.remote.delete("ghost")
    return ctx.signed(ctx.activity(ghost.id), signer=ghost)


def unreachable(ctx: Ctx) -> Sent:
    actor = f"http://127.0.0.1:{closed_port()}/users/alice"
    return ctx.signed(ctx.activity(actor), key_id=f"{actor}#main-key")


def forged_self_delete(key_host: Callable[[Ctx], str]) -> Build:
    """A Delete of the account ``victim`` (followed here) by someone holding no key of theirs."""

    def build(ctx: Ctx) -> Sent:
        victim = f"{ctx.remote.base}/users/victim"
        document = ctx.activity(victim, "Delete", object=victim, to=["https://www.w3.org/ns/activitystreams#Public"])
        return ctx.signed(
            document, key_id=f"{key_host(ctx)}/users/mallory#main-key", private_key=ctx.remote.key("mallory")
        )

    return build


def oversize(**options: Any) -> Build:
    data = b'{"type":"Note","content":"' + b"x" * MAX_BODY + b'"}'
    return lambda ctx: Sent("/inbox", data, **options)


def bad(case_id: str, build: Build, status: int, bug: str | None = None) -> object:
    marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=bug)] if bug else []
    return pytest.param(build, status, id=case_id, marks=marks)


CASES = [
    # Controls: the requests the defects below are made from, undamaged.
    bad("ok-unknown-type-accepted-and-ignored", cavage(), 202),
    bad("ok-rfc9421", rfc9421(), 202),
    bad("ok-date-64-minutes-old", cavage(age=timedelta(minutes=64)), 202),
    bad("ok-host-not-signed-on-post", cavage(covered=("(request-target)", "date", "digest", "content-type")), 202),
    bad("ok-query-not-signed", cavage(path="/inbox?from=relay", sign_path="/inbox"), 202),
    # draft-cavage signatures.
    bad("no-signature", headers(cavage(), Signature=None), 401),
    bad("signature-garbage", headers(cavage(), Signature="garbage!!"), 401),
    bad("signature-without-keyid", signature(lambda value: value.replace("keyId=", "kid=")), 401),
    bad("signature-without-value", signature(lambda value: value.split(",signature=")[0]), 401),
    bad("signature-unsupported-algorithm", cavage(algorithm="hmac-sha256"), 401),
    bad("signature-not-base64", signature(lambda value: value[: value.index('signature="') + 11] + '!!!"'), 401),
    bad("signature-tampered", signature(lambda value: value.replace('signature="', 'signature="AAAA', 1)), 401),
    bad("wrong-key", lambda ctx: ctx.signed(bite(ctx), private_key=ctx.remote.key(SPARE)), 401),
    bad("key-of-another-actor", lambda ctx: ctx.signed(bite(ctx), signer=ctx.remote.actor("bob")), 401),
    bad("local-key-id-forged", cavage(key_id=f"{BASE}/actors/loyers#main-key"), 401),
    bad("local-key-id-of-nobody", cavage(key_id=f"{BASE}/actors/nobody#main-key"), 401),
    bad("digest-of-another-body", headers(cavage(), Digest=digest_header(b"{}")), 401),
    bad("digest-signed-for-another-body", cavage(digest=digest_header(b"{}")), 401),
    bad("digest-not-base64", cavage(digest="SHA-256=###"), 400),
    bad("digest-wrong-length", cavage(digest="SHA-256=" + base64.b64encode(b"x" * 16).decode()), 400),
    bad("digest-without-value", cavage(digest="SHA-256"), 400),
    bad("digest-unknown-algorithm", cavage(digest="MD5=" + "A" * 22 + "=="), 401),
    bad("digest-signed-but-absent", headers(cavage(), Digest=None), 401),
    bad("digest-not-signed", cavage(covered=("(request-target)", "host", "date")), 401),
    bad("date-stale", cavage(age=timedelta(hours=1, minutes=6)), 401),
    bad("date-future", cavage(age=-timedelta(hours=1, minutes=2)), 401),
    bad("date-not-a-date", headers(cavage(), Date="yesterday"), 401),
    bad("date-not-signed", cavage(covered=("(request-target)", "host", "digest", "content-type")), 401),
    bad("date-signed-but-absent", headers(cavage(), Date=None), 401),
    bad("host-signed-for-another-host", headers(cavage(host="other.example"), Host="chiffres.test"), 401),
    bad("signed-for-another-path", cavage(sign_path="/actors/loyers/inbox"), 401),
    bad("signed-as-another-method", cavage(method="PUT"), 401),
    bad("signed-header-absent", cavage(covered=("(request-target)", "host", "date", "digest", "x-relay")), 401),
    # RFC 9421.
    bad("rfc9421-without-created", rfc9421(with_created=False), 401),
    bad("rfc9421-without-signature", headers(rfc9421(), Signature=None), 401),
    bad("rfc9421-digest-not-signed", rfc9421(components=("@method", "@target-uri")), 401),
    bad("rfc9421-digest-of-another-body", rfc9421(content_digest=content_digest_header(b"{}")), 401),
    bad("rfc9421-stale", rfc9421(created=int((now() - timedelta(hours=2)).timestamp())), 401),
    bad("rfc9421-unsupported-alg", rfc9421(alg="hmac-sha256"), 401),
    bad("rfc9421-signed-for-another-uri", rfc9421(signed_url="/actors/loyers/inbox"), 401),
    bad("rfc9421-wrong-key", lambda ctx: rfc9421(private_key=ctx.remote.key(SPARE))(ctx), 401),
    # Keys.
    bad("key-unknown-404", lambda ctx: ctx.signed(bite(ctx), key_id=f"{ctx.remote.base}/users/nobody#main-key"), 401),
    bad("key-gone-410", gone_key, 401),
    bad("key-host-unreachable", unreachable, 503),
    bad("key-not-listed-by-owner", published_key(lambda ctx, url: key_document(ctx, url, ctx.alice.id)), 401),
    bad(
        "key-owner-on-another-host",
        published_key(lambda ctx, url: key_document(ctx, url, f"{ctx.elsewhere.base}/users/alice")),
        401,
    ),
    bad("key-document-is-html", published_key(lambda ctx, url: b"<html></html>", "text/html"), 401),
    bad("key-document-not-json", published_key(lambda ctx, url: b"{not json"), 401),
    bad(
        "key-document-id-on-another-host",
        published_key(lambda ctx, url: key_document(ctx, f"{ctx.elsewhere.base}/k", ctx.alice.id)),
        401,
    ),
    bad("key-id-not-http", cavage(key_id="acct:alice@127.0.0.1"), 401),
    bad("forged-self-delete-404-key", forged_self_delete(lambda ctx: ctx.elsewhere.base), 401),
    bad("forged-self-delete-unreachable-key", forged_self_delete(lambda ctx: f"http://127.0.0.1:{closed_port()}"), 503),
    bad("key-id-port-out-of-range", cavage(key_id="http://127.0.0.1:99999/users/alice#main-key"), 401),
    bad("key-id-broken-ipv6", cavage(key_id="http://[::1/users/alice#main-key"), 401),
    # Bodies (signed correctly: only the body is wrong).
    bad("json-malformed", body(lambda ctx: b'{"id": '), 400),
    bad("json-array", body(lambda ctx: [bite(ctx)]), 400),
    bad("json-string", body(lambda ctx: b'"Like"'), 400),
    bad("json-number", body(lambda ctx: b"42"), 400),
    bad("json-null", body(lambda ctx: b"null"), 400),
    bad("json-empty", body(lambda ctx: b""), 400),
    bad("json-nan", body(lambda ctx: b'{"id": NaN}'), 400),
    bad("json-not-utf8", body(lambda ctx: b'{"id": "\xff\xfe"}'), 400),
    bad("json-nul-character", body(lambda ctx: bite(ctx) | {"content": "845\u0000€"}), 400),
    bad("json-lone-surrogate", body(lambda ctx: encode(bite(ctx))[:-1] + b',"content":"\\ud800"}'), 400),
    bad("id-with-nul", body(lambda ctx: bite(ctx) | {"id": f"{ctx.alice.id}/a/\u0000"}), 400),
    bad("missing-id", without("id"), 400),
    bad("missing-type", without("type"), 400),
    bad("missing-actor", without("actor"), 400),
    bad("type-empty", body(lambda ctx: ctx.activity(ctx.alice.id, [])), 400),
    bad("type-not-a-string", body(lambda ctx: ctx.activity(ctx.alice.id, 5)), 400),
    bad("id-not-http", body(lambda ctx: bite(ctx) | {"id": f"urn:uuid:{uuid.uuid4()}"}), 400),
    bad("id-relative", body(lambda ctx: bite(ctx) | {"id": "/activities/1"}), 400),
    bad("actor-not-http", body(lambda ctx: bite(ctx) | {"actor": "acct:alice@127.0.0.1"}), 400),
    bad("several-actors", body(lambda ctx: bite(ctx) | {"actor": [ctx.alice.id, ctx.remote.actor("bob").id]}), 400),
    bad("content-not-a-string", body(lambda ctx: note(ctx, "Create", f"{ctx.alice.id}/n/1", content=5)), 400),
    bad("nested-too-deep", body(lambda ctx: bite(ctx) | {"object": _nested(40)}), 400),
    # Objects must be on their actor's host.
    bad("create-note-on-another-host", body(lambda ctx: note(ctx, "Create", f"{ctx.elsewhere.base}/n/1")), 400),
    bad(
        "create-by-reference-elsewhere",
        body(lambda ctx: bite(ctx) | {"type": "Create", "object": "http://x.example/n"}),
        400,
    ),
    bad(
        "create-note-attributed-elsewhere",
        body(lambda ctx: note(ctx, "Create", f"{ctx.alice.id}/n/2", f"{ctx.elsewhere.base}/users/alice")),
        400,
    ),
    bad("update-note-on-another-host", body(lambda ctx: note(ctx, "Update", f"{ctx.elsewhere.base}/n/1")), 400),
    bad(
        "delete-on-another-host", body(lambda ctx: bite(ctx) | {"type": "Delete", "object": "http://x.example/n"}), 400
    ),
    bad("delete-tombstone-on-another-host", body(lambda ctx: note(ctx, "Delete", f"{ctx.elsewhere.base}/n/1")), 400),
    # Size: over 1 MB, whatever the length header says.
    bad("oversize", oversize(), 413),
    bad("oversize-length-lies", oversize(headers={"Content-Length": "100"}), 413),
    bad("oversize-without-length", oversize(chunked=True), 413),
    bad("oversize-declared", lambda ctx: Sent("/inbox", b"{}", {"Content-Length": str(MAX_BODY + 1)}), 413),
    # Routes.
    bad("inbox-of-nobody", cavage(path="/actors/nobody/inbox"), 404),
    bad("inbox-of-a-nul-name", cavage(path="/actors/%00/inbox"), 400),
    bad("inbox-of-the-instance-actor-by-name", cavage(path="/actors/instance.actor/inbox"), 404),
    bad("get-shared-inbox", lambda ctx: Sent("/inbox", b"", method="GET"), 405),
    bad("get-actor-inbox", lambda ctx: Sent("/actors/loyers/inbox", b"", method="GET"), 405),
    bad("put-inbox", lambda ctx: replace(cavage(method="PUT")(ctx), method="PUT"), 405),
]


def _nested(depth: int) -> JSON:
    node: JSON = {"type": "Note"}
    for _ in range(depth):
        node = {"type": "Note", "object": node}
    return node


async def send(client: httpx.AsyncClient, sent: Sent) -> httpx.Response:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(sent.body), 64 * 1024):
            yield sent.body[start : start + 64 * 1024]

    content: bytes | AsyncIterator[bytes] = chunks() if sent.chunked else sent.body
    return await client.request(
        sent.method, sent.path, content=content, headers={"Accept": ACTIVITY_JSON} | sent.headers
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus_world(shared_world: World) -> World:
    """State the cases must leave alone: a remote follower of the group, a like of its note, a remote note."""
    world = shared_world
    victim, alice = f"{world.remote.base}/users/victim", f"{world.remote.base}/users/alice"
    await world.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{victim}/follows/1",
        victim,
        world.group,
    )
    await world.pool.execute(
        "INSERT INTO reactions (activity_id, kind, actor, object, document) VALUES ($1, 'like', $2, $3, '{}')",
        f"{alice}#likes/1",
        alice,
        world.note,
    )
    await world.pool.execute(
        "INSERT INTO remote_objects (uri, attributed_to, type, document) VALUES ($1, $2, 'Note', '{}')",
        f"{alice}/statuses/1",
        alice,
    )
    return world


@pytest.mark.parametrize(("build", "status"), CASES)
async def test_inbox_answers_by_the_rules(
    build: Build, status: int, corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    world = corpus_world
    sent = build(Ctx(world, remote, elsewhere))
    before = await world.counts()
    response = await send(world.client, sent)
    assert response.status_code == status, response.text
    answer = response.json()
    if status >= 400:
        assert isinstance(answer.get("error"), str), answer
        assert answer["error"], answer
    else:
        assert answer == {"status": "accepted"}
    expected = before | {"inbox_activities": before["inbox_activities"] + int(status == 202)}
    assert await world.counts() == expected
    if status == 202:
        [outcome] = await world.process()
        assert outcome.startswith("ignored"), outcome
        assert await world.counts() == expected


async def test_a_replayed_delivery_is_stored_once(
    corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    world = corpus_world
    ctx = Ctx(world, remote, elsewhere)
    document = bite(ctx)
    first = ctx.signed(document)
    before = await world.counts()
    answers = [await send(world.client, sent) for sent in (first, first, ctx.signed(document))]
    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (202, {"status": "accepted"}),
        (202, {"status": "duplicate"}),
        (202, {"status": "duplicate"}),
    ]
    assert await world.counts() == before | {"inbox_activities": before["inbox_activities"] + 1}
    assert len(await world.process()) == 1
    assert (
        await world.pool.fetchval("SELECT count(*) FROM inbox_activities WHERE activity_id = $1", document["id"]) == 1
    )
