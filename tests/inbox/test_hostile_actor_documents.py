"""A peer's actor document that JSON parsers read but PostgreSQL cannot store, or whose addresses are longer than
an index holds: the sender's activity is refused with a 401 and its reason, never a 500, and nothing of it is
kept."""

from __future__ import annotations

import random
import string

import pytest

from tests.inbox.conftest import World
from tests.inbox.test_claim_ids import like
from tests.support.remote_server import RemoteServer, encode

CASES = {
    "not-a-number": b'"summary":NaN',
    "infinite": b'"summary":1e400',
    "nul-escaped": b'"summary":"a\\u0000b"',
    "lone-surrogate": b'"summary":"\\ud800"',
}


@pytest.mark.parametrize("member", CASES.values(), ids=CASES.keys())
async def test_an_actor_document_postgresql_cannot_store_gets_its_sender_a_4xx(
    world: World, remote: RemoteServer, member: bytes
) -> None:
    eve = remote.actor("eve")
    remote.publish("/users/eve", encode(eve.document())[:-1] + b"," + member + b"}")
    before = await world.counts()

    answer = await world.deliver(eve, like(eve.id, world.note, f"{eve.id}/likes/1"))

    assert answer.status_code == 401, answer.text
    assert "cannot be kept" in answer.json()["error"] or "not JSON we can keep" in answer.json()["error"]
    assert await world.counts() == before


@pytest.mark.parametrize("field", ["inbox", "sharedInbox", "followers"])
async def test_an_actor_document_with_an_address_longer_than_an_index_holds_is_refused(
    world: World, remote: RemoteServer, field: str
) -> None:
    """The bound that ids in activities have: these addresses are stored and indexed too (follows by shared
    inbox)."""
    mallory = remote.actor("mallory")
    document = mallory.document()
    long = f"{mallory.id}/{''.join(random.Random(7).choice(string.ascii_letters) for _ in range(4000))}"
    if field == "sharedInbox":
        document["endpoints"] = {"sharedInbox": long}
    else:
        document[field] = long
    remote.publish("/users/mallory", document)
    before = await world.counts()

    answer = await world.deliver(mallory, like(mallory.id, world.note, f"{mallory.id}/likes/1"))

    assert answer.status_code == 401, answer.text
    assert f"actor document with a {field} longer than 1024 bytes" in answer.json()["error"]
    assert await world.counts() == before
