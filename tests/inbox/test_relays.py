"""What a relay sends us, in activityrelay's shapes (``relay/misc.py`` of activityrelay 0.3.5).

Its ``Accept`` embeds a Follow whose ``object`` is the relay actor even when we followed Public at its inbox: the
subscription is matched by our Follow's id and the relay's host. Its ``Announce`` of a figure is a rebroadcast,
not the relay's endorsement: no claim, no boost. It follows our instance actor back; that never makes it a
follower (a peer), which would hand it consensus summaries.
"""

from __future__ import annotations

import uuid

from actors import relays
from tests.inbox.conftest import JSON, World
from tests.inbox.test_claim_ids import our_figure
from tests.support.remote_server import AS2, RemoteActor, RemoteServer


def accept(relay: RemoteActor, follow_id: str, follower: str) -> JSON:
    return {
        "@context": AS2,
        "id": f"{relay.base}/activities/{uuid.uuid4()}",
        "type": "Accept",
        "to": [follower],
        "actor": relay.id,
        "object": {"id": follow_id, "type": "Follow", "object": relay.id, "actor": follower},
    }


def announce(relay: RemoteActor, object_id: str) -> JSON:
    return {
        "@context": AS2,
        "id": f"{relay.base}/activities/{uuid.uuid4()}",
        "type": "Announce",
        "to": [f"{relay.base}/followers"],
        "actor": relay.id,
        "object": object_id,
    }


async def subscribed(world: World, remote: RemoteServer) -> RemoteActor:
    """Our instance subscribed at ``remote``'s inbox, and the relay accepted."""
    relay = remote.actor("relay")
    made = await relays.subscribe(world.pool, world.urls, world.fed.instance.clock, f"{remote.base}/inbox")
    assert (await world.deliver(relay, accept(relay, made.follow_id, world.urls.instance_actor()))).status_code == 202
    assert await world.process() == ["relay subscription accepted"]
    return relay


async def test_the_relays_accept_makes_the_subscription_active(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    made = await relays.subscribe(world.pool, world.urls, world.fed.instance.clock, f"{remote.base}/inbox")
    impostor = elsewhere.actor("relay")
    await world.deliver(impostor, accept(impostor, made.follow_id, world.urls.instance_actor()))
    assert await world.process() == ["ignored: no follow of ours matches"]
    assert [item.state for item in await relays.listing(world.pool)] == ["pending"]

    relay = await subscribed(world, remote)
    [subscription] = await relays.listing(world.pool)
    assert (subscription.actor, subscription.state) == (relay.id, "accepted")


async def test_a_relays_announce_of_our_figure_is_accepted_and_claims_nothing(
    world: World, remote: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    relay = await subscribed(world, remote)
    claims_before = await world.pool.fetchval("SELECT count(*) FROM claims")

    assert (await world.deliver(relay, announce(relay, figure))).status_code == 202
    [outcome] = await world.process()
    assert outcome == f"relayed by {relay.id}: a figure we hold, {figure}, not a claim"
    assert await world.pool.fetchval("SELECT count(*) FROM claims") == claims_before
    assert await world.pool.fetchval("SELECT count(*) FROM reactions WHERE actor = $1", relay.id) == 0

    peer_object = "https://peer.example/objects/1"
    await world.deliver(relay, announce(relay, peer_object))
    assert await world.process() == [f"relayed by {relay.id}: an object, {peer_object}, not a claim"]

    # The same Announce from a person is a boost: a claim, as before.
    alice = remote.actor("alice")
    boost = announce(alice, figure) | {"id": f"{alice.id}/boosts/1"}
    await world.deliver(alice, boost)
    [boosted] = await world.process()
    assert "claim" in boosted
    assert "not a claim" not in boosted
    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE actor = $1", alice.id) == 1


async def test_the_relays_follow_back_does_not_make_it_a_follower(world: World, remote: RemoteServer) -> None:
    relay = await subscribed(world, remote)
    follow = {
        "@context": AS2,
        "id": f"{remote.base}/activities/{uuid.uuid4()}",
        "type": "Follow",
        "to": [world.urls.instance_actor()],
        "object": world.urls.instance_actor(),
        "actor": relay.id,
    }
    assert (await world.deliver(relay, follow)).status_code == 202
    [outcome] = await world.process()
    assert outcome.startswith(f"ignored: follow from the relay {relay.id}")
    assert await world.pool.fetchval("SELECT count(*) FROM follows WHERE follower = $1", relay.id) == 0
