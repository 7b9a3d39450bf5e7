"""A peer cannot make us forget an actor: a Delete of an actor counts only when the actor is really gone.

A deleted actor's key answers 410, so its own Delete cannot be verified; we accept it only when the actor's own
document answers 404 or 410 when we fetch it now, and the key named is that actor's. A garbage signature whose key
id merely answers 404 (a path under the actor that never existed) is a 401, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from actors import follows, store
from tests.inbox.conftest import World
from tests.support.remote_server import RemoteActor, RemoteServer, cavage_headers, digest_header, encode

AS2 = "https://www.w3.org/ns/activitystreams"
JSON = dict[str, Any]


def _delete_of(actor: RemoteActor) -> JSON:
    return {"@context": AS2, "id": f"{actor.id}#delete", "type": "Delete", "actor": actor.id, "object": actor.id}


async def _post_signed_with(world: World, document: JSON, key_id: str, signer: RemoteActor) -> int:
    body = encode(document)
    url = "https://chiffres.test/inbox"
    headers = cavage_headers(
        "POST", url, key_id=key_id, private_key=signer.private_key, body=body, digest=digest_header(body)
    )
    response = await world.client.post("/inbox", content=body, headers=headers)
    return response.status_code


async def _followed_by_marie(world: World, actor: RemoteActor) -> None:
    marie = await store.get(world.pool, "marie")
    await follows.follow(world.pool, world.urls, marie, actor.id, actor.inbox, world.fed.instance.clock)


async def test_a_delete_signed_with_a_key_that_never_existed_changes_nothing(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("Alice")
    mallory = remote.actor("Mallory")
    await _followed_by_marie(world, alice)
    before = await world.counts()
    # The key id is under Alice's id and answers 404: the actor behind it is alive and well.
    status = await _post_signed_with(world, _delete_of(alice), f"{alice.id}/no-such-key", mallory)
    assert status == 401
    assert await world.counts() == before
    assert await world.pool.fetchval("SELECT count(*) FROM follows WHERE followee = $1", alice.id) == 1


async def test_a_delete_of_a_live_actor_with_a_gone_key_of_someone_else_changes_nothing(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("Alice")
    ghost = remote.actor("Ghost")
    remote.delete("Ghost")
    await _followed_by_marie(world, alice)
    before = await world.counts()
    status = await _post_signed_with(world, _delete_of(alice), ghost.key_id, ghost)
    assert status == 401
    assert await world.counts() == before


async def test_a_delete_of_an_actor_that_is_really_gone_is_accepted(world: World, remote: RemoteServer) -> None:
    alice = remote.actor("Alice")
    await _followed_by_marie(world, alice)
    remote.delete("Alice")
    status = await _post_signed_with(world, _delete_of(alice), alice.key_id, alice)
    assert status == 202
    assert await world.pool.fetchval("SELECT count(*) FROM follows WHERE followee = $1", alice.id) == 0
