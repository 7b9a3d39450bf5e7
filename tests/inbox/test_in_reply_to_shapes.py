"""A reply whose ``inReplyTo`` is a collection (fediverse-pasture input ``in_reply_to`` #5) is accepted, not a 400;
where an id of one of our figures is among what it replies to, the reply is a claim on that figure."""

from __future__ import annotations

from typing import Any

from tests.inbox.conftest import JSON, World
from tests.inbox.test_claim_ids import our_figure
from tests.support.remote_server import AS2, RemoteServer


def reply(actor: str, in_reply_to: Any, number: int, group: str) -> JSON:
    note = {
        "id": f"{actor}/notes/{number}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": in_reply_to,
        "content": "<p>plutôt 830 €/mois</p>",
        "to": [group],
    }
    return {
        "@context": AS2,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": actor,
        "object": note,
        "to": [group],
    }


async def test_a_reply_to_a_collection_is_accepted_and_replies_to_nothing_of_ours(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("alice")
    collection = {"type": "Collection", "items": [f"{remote.base}/users/bob"]}

    answer = await world.deliver(alice, reply(alice.id, collection, 1, world.group))

    assert answer.status_code == 202, answer.text
    assert await world.process() == ["stored"]
    assert await world.pool.fetchval("SELECT in_reply_to FROM remote_objects") is None


async def test_the_id_beside_a_collection_is_what_the_reply_answers(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)
    alice = remote.actor("alice")
    in_reply_to = [{"type": "Collection", "items": [f"{remote.base}/users/bob"]}, {"type": "Link", "href": figure}]

    answer = await world.deliver(alice, reply(alice.id, in_reply_to, 2, world.group))

    assert answer.status_code == 202, answer.text
    [outcome] = await world.process()
    assert "claim correct 830" in outcome, outcome
    assert await world.pool.fetchval("SELECT in_reply_to FROM remote_objects") == figure
