"""Relay subscriptions: the instance actor's Follow goes to the relay's inbox alone; once the relay accepted, a
public group's Create, Update and Delete go to it too — and nothing else: no members-only figure, no member's
note, no answer to a follow, no consensus summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actors import relays, store
from actors.outbox import FanOut, activity
from consensus.vocabulary import Summary
from fedi.instance import Instance
from fedi.normalise import PUBLIC
from fedi.types import JSON
from fedi.urls import Urls
from ledger.peers import Sharing

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
RELAY_INBOX = "https://relay.example/inbox"
RELAY_ACTOR = "https://relay.example/actor"
WAITING_INBOX = "https://slow-relay.example/inbox"
PEER = "https://peer.example/actor"


async def _deliveries(instance: Instance, activity_id: str) -> list[str]:
    rows = await instance.pool.fetch("SELECT inbox FROM deliveries WHERE activity_id = $1 ORDER BY id", activity_id)
    return [row["inbox"] for row in rows]


async def _outbox(instance: Instance, activity_id: str) -> JSON:
    document: JSON = await instance.pool.fetchval("SELECT document FROM outbox WHERE activity_id = $1", activity_id)
    return document


async def _peer(instance: Instance) -> None:
    """A peer instance and ours follow each other's instance actors, as ``chiffres peer add`` on both sides
    leaves them."""
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox) VALUES ($1, $2, $3,"
        " 'accepted', $4)",
        f"{PEER}/follows/1",
        PEER,
        instance.urls.instance_actor(),
        "https://peer.example/inbox",
    )
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{instance.urls.instance_actor()}/follows/peer",
        instance.urls.instance_actor(),
        PEER,
    )


async def _accepted_relay(instance: Instance) -> relays.Subscription:
    made = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX)
    async with instance.pool.acquire() as connection:
        answered = await relays.on_answer(connection, made.follow_id, RELAY_ACTOR, True)
    assert answered is not None
    return answered


async def test_subscribing_follows_public_at_the_relay_inbox_and_nowhere_else(instance: Instance) -> None:
    await store.instance_actor(instance.pool)
    await _peer(instance)
    made = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX)
    assert (made.inbox, made.actor, made.state) == (RELAY_INBOX, None, "pending")
    follow = await _outbox(instance, made.follow_id)
    assert follow["type"] == "Follow"
    assert follow["actor"] == instance.urls.instance_actor()
    assert follow["object"] == PUBLIC
    assert await _deliveries(instance, made.follow_id) == [RELAY_INBOX], "a relay Follow is not for our peers"

    again = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX)
    assert again == made, "adding a relay twice sends one Follow"


async def test_a_relay_actor_is_followed_the_litepub_way(instance: Instance) -> None:
    made = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX, RELAY_ACTOR)
    follow = await _outbox(instance, made.follow_id)
    assert (follow["object"], follow["to"]) == (RELAY_ACTOR, [RELAY_ACTOR])
    assert await _deliveries(instance, made.follow_id) == [RELAY_INBOX]


async def test_the_answer_must_come_from_the_relays_host(instance: Instance) -> None:
    made = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX)
    async with instance.pool.acquire() as connection:
        assert await relays.on_answer(connection, made.follow_id, "https://elsewhere.example/actor", True) is None
        assert await relays.on_answer(connection, "https://relay.example/other-follow", RELAY_ACTOR, True) is None
        refused = await relays.on_answer(connection, made.follow_id, RELAY_ACTOR, False)
    assert refused is not None
    assert (refused.actor, refused.state) == (RELAY_ACTOR, "rejected")
    asked_again = await relays.subscribe(instance.pool, instance.urls, instance.clock, RELAY_INBOX)
    assert asked_again.state == "pending"
    assert asked_again.follow_id != made.follow_id, "a relay that refused us is sent a new Follow"


async def test_leaving_a_relay_sends_undo_with_the_follow_embedded(instance: Instance) -> None:
    subscription = await _accepted_relay(instance)
    gone = await relays.unsubscribe(instance.pool, instance.urls, instance.clock, RELAY_ACTOR)
    assert gone.inbox == RELAY_INBOX
    assert await relays.listing(instance.pool) == []
    undo = await instance.pool.fetchval("SELECT activity_id FROM outbox WHERE document->>'type' = 'Undo'")
    document = await _outbox(instance, undo)
    assert document["object"]["id"] == subscription.follow_id
    assert document["object"]["type"] == "Follow", "activityrelay reads the embedded Follow"
    assert await _deliveries(instance, undo) == [RELAY_INBOX]
    with pytest.raises(relays.RelayError, match="no relay subscription"):
        await relays.unsubscribe(instance.pool, instance.urls, instance.clock, RELAY_ACTOR)


@pytest.mark.parametrize(
    "url", ["relay.example/inbox", "ftp://relay.example/inbox", "https://", "http://relay.example/inbox"]
)
def test_a_relay_address_is_an_https_url(url: str) -> None:
    with pytest.raises(relays.RelayError, match="not a relay address"):
        relays.check_url(url, Urls("https://chiffres.test"))


def test_a_development_instance_may_use_a_relay_over_http() -> None:
    assert relays.check_url(" http://localhost:8080/inbox ", Urls("http://localhost:8000")) == (
        "http://localhost:8080/inbox"
    )
    assert relays.is_inbox_url("https://relay.example/inbox/")
    assert not relays.is_inbox_url("https://relay.example/actor")


def _sent(urls: Urls, actor: str, kind: str, *, to: list[str], cc: list[str] | None = None) -> JSON:
    return activity(urls, actor, kind, {"id": urls.object("x"), "type": "Note"}, to=to, cc=cc)


async def test_public_creates_updates_and_deletes_of_groups_go_to_accepted_relays_only(instance: Instance) -> None:
    urls = instance.urls
    await store.create(instance.pool, "ouvert", "group", visibility="public")
    await store.create(instance.pool, "membres", "group", visibility="members")
    await store.create(instance.pool, "marie", "person")
    await _accepted_relay(instance)
    await relays.subscribe(instance.pool, urls, instance.clock, WAITING_INBOX)
    public = {"to": [PUBLIC], "cc": [urls.followers("ouvert")]}
    cases: list[tuple[JSON, str, str, bool]] = [
        (_sent(urls, urls.actor("ouvert"), "Create", **public), "ouvert", "group", True),
        (_sent(urls, urls.actor("ouvert"), "Update", **public), "ouvert", "group", True),
        (_sent(urls, urls.actor("ouvert"), "Delete", **public), "ouvert", "group", True),
        (_sent(urls, urls.actor("ouvert"), "Announce", **public), "ouvert", "group", False),
        (_sent(urls, urls.actor("membres"), "Create", to=[urls.followers("membres")]), "membres", "group", False),
        (_sent(urls, urls.actor("membres"), "Update", to=[urls.followers("membres")]), "membres", "group", False),
        (_sent(urls, urls.actor("marie"), "Create", to=[PUBLIC]), "marie", "person", False),
        (_sent(urls, urls.actor("ouvert"), "Accept", to=["https://peer.example/users/a"]), "ouvert", "group", False),
    ]
    async with instance.pool.acquire() as connection:
        for document, name, kind, relayed in cases:
            inboxes = await FanOut(instance.pool, urls).inboxes(connection, document, name, kind)
            assert (RELAY_INBOX in inboxes) is relayed, (document["type"], name, inboxes)
            assert WAITING_INBOX not in inboxes, "a relay that has not accepted gets nothing"


async def test_a_relay_never_receives_a_consensus_summary(instance: Instance) -> None:
    await store.instance_actor(instance.pool)
    await store.create(instance.pool, "ouvert", "group", visibility="public")
    await _peer(instance)
    await _accepted_relay(instance)
    figure = instance.urls.object("f-public")
    await instance.pool.execute(
        "INSERT INTO figures (uri, origin, author, group_uri, audience, version, wire, note, value, unit_code,"
        " measures, language, published) VALUES ($1, $2, $3, $4, 'public', 1, '{}', '{}', 812, 'EUR/month', 'loyer',"
        " 'fr', $5)",
        figure,
        instance.urls.domain,
        instance.urls.actor("marie"),
        instance.urls.actor("ouvert"),
        T0,
    )
    summary = Summary(figure, instance.urls.domain, 812.0, 800.0, 820.0, 2.0, 2, 1, T0, ratio=True)
    await Sharing(instance.pool, instance.urls, instance.clock)(summary)
    row = await instance.pool.fetchrow("SELECT document FROM outbox WHERE document->>'type' = 'Update'")
    assert row is not None
    async with instance.pool.acquire() as connection:
        inboxes = await FanOut(instance.pool, instance.urls).inboxes(connection, row["document"], "", "application")
    assert inboxes == ["https://peer.example/inbox"]
