"""Ids live on their actor's host, and a claim is known by its actor and reference together.

The red-team's squatting: a Like whose id imitated our own claim reference (``<figure>#v2``) dropped our member's
publication claim when the figure reached version 2, and an id taken first by one actor made another's genuine
Like answer ``duplicate``. Also here: our group relays a claim exactly as it was received, so its proof verifies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ed25519

from actors import store
from fedi import proofs
from ledger.publication import Publisher
from tests.inbox.conftest import JSON, World
from tests.inbox.test_relayed_claims import INTEGRITY, multikey_actor
from tests.support.remote_server import AS2, RemoteServer

FIELDS = {
    "value": "812",
    "unit": "€/mois",
    "measures": "loyer médian T2",
    "place": "Lyon",
    "period": "2026-Q2",
    "source": "https://observatoire.example/loyers",
}


async def our_figure(world: World) -> tuple[Publisher, str]:
    """A figure marie, an approved member of the group, published into it."""
    marie, group = await store.find(world.pool, "marie"), await store.find(world.pool, "loyers")
    assert marie is not None
    assert group is not None
    await world.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{world.member}/follows/1",
        world.member,
        world.group,
    )
    publisher = Publisher(world.pool, world.urls, world.fed.instance.clock, "fr")
    figure = await publisher.publish(marie, group, FIELDS, "fr")
    return publisher, figure.uri


def like(actor: str, figure: str, activity_id: str) -> JSON:
    return {"@context": [AS2, INTEGRITY], "id": activity_id, "type": "Like", "actor": actor, "object": figure}


async def test_an_activity_whose_id_is_on_another_host_is_refused(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    alice = remote.actor("alice")
    before = await world.counts()

    answer = await world.deliver(alice, like(alice.id, figure, f"{elsewhere.base}/likes/1"))

    assert answer.status_code == 400, answer.text
    assert "activity id" in answer.json()["error"]
    assert "not on the actor's host" in answer.json()["error"]
    assert await world.counts() == before


async def test_a_like_imitating_our_claim_reference_leaves_our_members_publication_alone(
    world: World, remote: RemoteServer
) -> None:
    publisher, figure = await our_figure(world)
    alice = remote.actor("alice")
    marie = await store.find(world.pool, "marie")
    assert marie is not None

    answer = await world.deliver(alice, like(alice.id, figure, f"{figure}#v2"))
    await world.process()
    await publisher.update(figure, {"value": "845"}, marie)

    rows = await world.pool.fetch("SELECT actor, kind, value FROM claims WHERE reference = $1", f"{figure}#v2")
    assert [(row["actor"], row["kind"], str(row["value"])) for row in rows] == [(world.member, "publish", "845")]
    assert answer.status_code == 400, answer.text


async def test_two_actors_using_the_same_activity_id_do_not_collide(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)
    alice, bob = remote.actor("alice"), remote.actor("bob")
    shared = f"{remote.base}/likes/{uuid.uuid4()}"

    answers = [await world.deliver(actor, like(actor.id, figure, shared)) for actor in (alice, bob)]
    outcomes = await world.process()

    assert [answer.json() for answer in answers] == [{"status": "accepted"}] * 2
    assert all("claim endorse 812" in outcome for outcome in outcomes), outcomes
    actors = await world.pool.fetch("SELECT actor FROM claims WHERE reference = $1 ORDER BY actor", shared)
    assert [row["actor"] for row in actors] == [alice.id, bob.id]
    reactions = await world.pool.fetch("SELECT actor FROM reactions WHERE activity_id = $1 ORDER BY actor", shared)
    assert [row["actor"] for row in reactions] == [alice.id, bob.id]


async def test_our_group_relays_a_claim_as_received_so_its_proof_still_verifies(
    world: World, remote: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    key = ed25519.Ed25519PrivateKey.generate()
    ines = multikey_actor(remote, "ines", key)
    signed = proofs.sign(
        like(ines, figure, f"{remote.base}/likes/{uuid.uuid4()}") | {"to": "as:Public", "version": 1},
        key,
        f"{ines}#ed25519-key",
        datetime.now(UTC),
    )

    assert (await world.deliver(remote.actor("ines"), signed)).status_code == 202
    assert "claim endorse 812" in (await world.process())[0]

    announce = await world.pool.fetchval(
        "SELECT document FROM outbox WHERE document->>'type' = 'Announce' AND document->>'actor' = $1", world.group
    )
    assert announce["object"] == signed
    relayed = announce["object"]
    proofs.verify(relayed, proofs.proof_of(relayed), key.public_key())
