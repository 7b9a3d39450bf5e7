"""A peer's actor document that JSON parsers read but PostgreSQL cannot store: the sender's activity is refused
with a 4xx and its reason, never a 500, and nothing of it is kept."""

from __future__ import annotations

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
