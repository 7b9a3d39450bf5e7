"""The inbox's own door (``inbox.entrance``) answers as the whole stack did, and skips the storability walk only when
the body cannot hold what PostgreSQL refuses.

Each case is a correct delivery but for its body, checked with the rules of ``test_bad_requests`` (status, error
text, row counts); the bodies are the ones the quick check must not let through (a surrogate written as raw
bytes, a NUL escaped in a key) and one it must not refuse (a backslash followed by ``u`` as text).
"""

from __future__ import annotations

import json
import random
import re
import string

import pytest

from tests.inbox.conftest import World
from tests.inbox.test_bad_requests import Build, Ctx, bad, bite, body, cavage, corpus_world, send
from tests.inbox.test_bad_requests import test_inbox_answers_by_the_rules as answers_by_the_rules
from tests.support.remote_server import RemoteServer, encode

pytestmark = pytest.mark.asyncio(loop_scope="module")
__all__ = ["corpus_world"]  # the fixture, shared with test_bad_requests


def _with(ctx: Ctx, member: bytes) -> bytes:
    """The Bite's JSON with one more member written as raw bytes."""
    return encode(bite(ctx))[:-1] + b"," + member + b"}"


CASES = [
    bad("ok-control", cavage(), 202),
    bad("surrogate-as-raw-utf8-bytes", body(lambda ctx: _with(ctx, b'"content":"\xed\xa0\x80"')), 400),
    bad("nul-escaped-in-a-key", body(lambda ctx: _with(ctx, b'"a\\u0000b":"x"')), 400),
    bad("ok-backslash-then-u-as-text", body(lambda ctx: _with(ctx, b'"content":"C:\\\\u0000"')), 202),
    bad("ok-accented-text", body(lambda ctx: _with(ctx, '"content":"845 € à Lyon"'.encode())), 202),
    # Stored as its own text: what json.loads reads but PostgreSQL would not must be refused or encoded again.
    bad("infinite-number", body(lambda ctx: _with(ctx, b'"n":1e400')), 400),
    bad("number-below-what-postgresql-holds", body(lambda ctx: _with(ctx, b'"n":1e-20000')), 400),
    bad("the-same-written-out", body(lambda ctx: _with(ctx, b'"n":0.' + b"0" * 19_999 + b"1")), 400),
    bad("ok-small-number", body(lambda ctx: _with(ctx, b'"n":[1e-300,2.5E+3,-0.0]')), 202),
    bad("ok-byte-order-mark", body(lambda ctx: b"\xef\xbb\xbf" + encode(bite(ctx))), 202),
    bad("ok-utf-16", body(lambda ctx: json.dumps(bite(ctx)).encode("utf-16")), 202),
    bad("ok-latin-1-bytes-are-not-utf-8", body(lambda ctx: _with(ctx, b'"content":"caf\xe9"')), 400),
]


@pytest.mark.parametrize(("build", "status"), CASES)
async def test_inbox_bodies_are_answered_by_the_rules(
    build: Build, status: int, corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    await answers_by_the_rules(build, status, corpus_world, remote, elsewhere)


async def test_an_activity_is_answered_with_a_request_id_and_a_json_body(
    corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    ctx = Ctx(corpus_world, remote, elsewhere)
    response = await send(corpus_world.client, cavage()(ctx))
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "accepted"}
    assert re.fullmatch(r"[0-9a-f]{24}", response.headers["x-request-id"])
    await corpus_world.process()


async def test_a_get_of_an_inbox_is_still_refused_by_the_router(corpus_world: World) -> None:
    response = await corpus_world.client.get("/inbox")
    assert response.status_code == 405


async def test_an_activity_is_stored_as_the_document_it_was_sent_as(
    corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    """The body's own text goes to PostgreSQL: spacing, key order, escapes and numbers read back as json.loads
    reads them."""
    ctx = Ctx(corpus_world, remote, elsewhere)
    document = bite(ctx) | {"summary": '845 \u20ac "\u00e0" Lyon\n', "n": [1.5, 2.25e3, -0.0, 12345678901234567890]}
    text = json.dumps(document, indent="\t", ensure_ascii=True).replace('"id"', ' "id"')
    response = await send(corpus_world.client, ctx.signed(text.encode()))
    assert response.status_code == 202, response.text
    stored = await corpus_world.pool.fetchval(
        "SELECT document FROM inbox_activities WHERE activity_id = $1", document["id"]
    )
    assert stored == json.loads(text)
    await corpus_world.process()


def _noise(length: int) -> str:
    """Letters that do not compress: PostgreSQL may compress an index entry of repeated ones under its limit."""
    return "".join(random.Random(length).choice(string.ascii_letters) for _ in range(length))


@pytest.mark.parametrize(
    ("where", "length", "status"),
    [("id", 3000, 400), ("id", 100_000, 400), ("object", 9000, 400), ("inReplyTo", 5000, 400), ("id", 900, 202)],
)
async def test_an_id_longer_than_an_index_holds_is_refused_with_a_400(
    corpus_world: World, remote: RemoteServer, elsewhere: RemoteServer, where: str, length: int, status: int
) -> None:
    """Ids are keys of unique indexes (an activity's with its actor's), whose entries PostgreSQL keeps under
    2,704 bytes: a longer one made the INSERT fail, a 500."""
    ctx = Ctx(corpus_world, remote, elsewhere)
    document = bite(ctx)
    long = f"{ctx.alice.id}/{_noise(length)}"
    if where == "inReplyTo":
        document["object"] = {"type": "Note", "id": f"{ctx.alice.id}/notes/1", "inReplyTo": {"id": long}}
        document["type"] = "Create"
    else:
        document[where] = long
    response = await send(corpus_world.client, ctx.signed(document))
    assert response.status_code == status, response.text
    if status == 400:
        assert f"`{where}` is longer than 1024 bytes" in response.json()["error"]
    await corpus_world.process()
