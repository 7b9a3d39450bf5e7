"""Summaries go to the peers that may read the figure, and to no one else.

A summary carries a figure's value: for a members-only figure, a peer whose domain has no approved follower of
the group must not receive it, or membership would be bypassed by asking for summaries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from actors import store
from actors.outbox import FanOut
from consensus.vocabulary import Summary
from fedi.instance import Instance
from ledger.peers import Sharing

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
MEMBER_PEER = "https://member.example/actor"
OTHER_PEER = "https://other.example/actor"


async def _follow(instance: Instance, follower: str, followee: str, state: str = "accepted") -> None:
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox) VALUES ($1, $2, $3, $4, $5)",
        f"{follower}/follows/{followee}",
        follower,
        followee,
        state,
        follower.rsplit("/", 1)[0] + "/inbox",
    )


async def _figure(instance: Instance, uri: str, group: str, audience: str) -> None:
    await instance.pool.execute(
        "INSERT INTO figures (uri, origin, author, group_uri, audience, version, wire, note, value, unit_code,"
        " measures, language, published) VALUES ($1, $2, $3, $4, $5, 1, '{}', '{}', 812, 'EUR/month', 'loyer',"
        " 'fr', $6)",
        uri,
        instance.urls.domain,
        instance.urls.actor("marie"),
        group,
        audience,
        T0,
    )


async def _world(instance: Instance) -> tuple[str, str]:
    await store.instance_actor(instance.pool)
    members = await store.create(instance.pool, "membres", "group", visibility="members")
    public = await store.create(instance.pool, "ouvert", "group", visibility="public")
    for peer in (MEMBER_PEER, OTHER_PEER):
        await _follow(instance, peer, instance.urls.instance_actor())
        await _follow(instance, instance.urls.instance_actor(), peer)
    # Someone an admin let follow the instance actor, but who is no peer of ours.
    await _follow(instance, "https://member.example/users/curious", instance.urls.instance_actor())
    # A reader on member.example is an approved member; one on other.example is still pending.
    await _follow(instance, "https://member.example/users/ana", instance.urls.actor(members.name))
    await _follow(instance, "https://other.example/users/bob", instance.urls.actor(members.name), "pending")
    return instance.urls.actor(members.name), instance.urls.actor(public.name)


async def _recipients(instance: Instance) -> list[list[str]]:
    rows = await instance.pool.fetch(
        "SELECT document FROM outbox WHERE document->'object'->>'type' = 'ConsensusSummary'"
    )
    return [sorted(row["document"]["to"]) for row in rows]


def _summary(figure: str) -> Summary:
    return Summary(figure, "chiffres.test", 812.0, 800.0, 820.0, 2.0, 2, 1, T0, ratio=True)


async def test_a_members_only_summary_reaches_only_peers_with_an_approved_member(instance: Instance) -> None:
    members, _ = await _world(instance)
    figure = instance.urls.object("f-members")
    await _figure(instance, figure, members, "followers")
    await Sharing(instance.pool, instance.urls, instance.clock)(_summary(figure))
    assert await _recipients(instance) == [[MEMBER_PEER]]
    row = await instance.pool.fetchrow("SELECT document FROM outbox")
    assert row is not None
    async with instance.pool.acquire() as connection:
        inboxes = await FanOut(instance.pool, instance.urls).inboxes(connection, row["document"], "", "application")
    assert inboxes == ["https://member.example/inbox"]


async def test_a_public_summary_reaches_every_peer_by_name(instance: Instance) -> None:
    _, public = await _world(instance)
    figure = instance.urls.object("f-public")
    await _figure(instance, figure, public, "public")
    await Sharing(instance.pool, instance.urls, instance.clock)(_summary(figure))
    assert await _recipients(instance) == [[MEMBER_PEER, OTHER_PEER]]


async def test_a_summary_of_an_unknown_figure_goes_only_to_its_own_host(instance: Instance) -> None:
    await _world(instance)
    await Sharing(instance.pool, instance.urls, instance.clock)(_summary("https://member.example/objects/x"))
    await Sharing(instance.pool, instance.urls, instance.clock)(_summary("https://elsewhere.example/objects/y"))
    assert await _recipients(instance) == [[MEMBER_PEER]]
