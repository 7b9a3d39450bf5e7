"""Moderation as peers and admins observe it: a suspended domain's signed POST is refused before its signature is
checked, a silenced domain's like moves no consensus and is not relayed, a suspension ends the domain's follows and
deliveries, reports (Mastodon's ``Flag``) are kept for admins, an admin removes a remote post or actor, and a local
actor is suspended, edited and deleted with its followers told.

The module runs past 400 lines because its tests share one instance and its helpers (a domain blocked the way an
admin blocks it, a consensus read back, a follow from elsewhere): split by topic, each part would set them up again.
"""

from __future__ import annotations

import json

import pytest

from actors import lifecycle, notes, standing, store
from actors.actor import Actor, ActorError
from actors.document import actor_document
from chiffres.app import job_handlers
from fedi.delivery import DELIVER, schedule
from inbox import backlog, removal
from inbox.remote import ActorUnavailable
from ledger import blocks, reports
from ledger.claims import CONSENSUS, trust_levels
from ledger.claims import blocked as claims_blocked
from tests.inbox.conftest import BASE, World, replayed
from tests.inbox.test_claim_ids import like, our_figure
from tests.support.remote_server import AS2, RemoteActor, RemoteServer


async def _block(world: World, host: str, severity: blocks.Severity) -> blocks.Applied:
    applied = await blocks.block(world.pool, host, severity, "spam")
    world.fed.remote.suspension.invalidate()
    return applied


async def _consensus(world: World, figure: str) -> tuple[int, float]:
    await job_handlers(world.fed)[CONSENSUS]({"figure": figure})
    row = await world.pool.fetchrow("SELECT contributors, n_eff FROM consensus WHERE figure_uri = $1", figure)
    assert row is not None
    return int(row["contributors"]), float(row["n_eff"])


async def test_a_suspended_domains_signed_post_is_refused_before_its_signature_is_checked(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    alice, bob = remote.actor("alice"), elsewhere.actor("bob")
    await _block(world, remote.host, "suspend")
    before = await world.counts()

    refused = await world.deliver(alice, like(alice.id, figure, f"{alice.id}/likes/1"))

    assert refused.status_code == 403
    assert refused.json()["error"] == f"the domain {remote.host} is suspended on this instance"
    assert await world.counts() == before
    assert remote.received() == []  # its key was never fetched
    accepted = await world.deliver(bob, like(bob.id, figure, f"{bob.id}/likes/1"))
    assert accepted.status_code == 202
    with pytest.raises(ActorUnavailable, match="suspended"):
        await world.fed.remote.actor(alice.id, refresh=True)
    assert await blocks.unblock(world.pool, remote.host)
    world.fed.remote.suspension.invalidate()
    assert (await world.deliver(alice, like(alice.id, figure, f"{alice.id}/likes/2"))).status_code == 202


async def test_a_silenced_domains_like_moves_no_consensus_and_is_not_relayed(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    alice, bob = remote.actor("alice"), elsewhere.actor("bob")
    alone = await _consensus(world, figure)
    await _block(world, remote.host, "silence")

    assert (await world.deliver(alice, like(alice.id, figure, f"{alice.id}/likes/1"))).status_code == 202
    await world.process()

    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE actor = $1", alice.id) == 1
    assert await _consensus(world, figure) == alone
    assert (await world.deliver(bob, like(bob.id, figure, f"{bob.id}/likes/1"))).status_code == 202
    await world.process()
    with_bob = await _consensus(world, figure)
    assert with_bob[0] > alone[0]
    announced = await world.pool.fetch(
        "SELECT document->'object'->>'actor' AS actor FROM outbox WHERE document->>'type' = 'Announce'"
    )
    assert [row["actor"] for row in announced] == [bob.id]
    await blocks.unblock(world.pool, remote.host)  # its claim kept: it weighs again
    assert (await _consensus(world, figure))[0] > with_bob[0]


async def test_a_suspension_removes_follows_both_ways_and_ends_deliveries(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    alice, bob = remote.actor("alice"), elsewhere.actor("bob")
    for number, (follower, followee, inbox) in enumerate(
        [(alice.id, world.group, alice.inbox), (world.member, alice.id, None), (bob.id, world.group, bob.inbox)]
    ):
        await world.pool.execute(
            "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
            " VALUES ($1, $2, $3, 'accepted', $4)",
            f"{BASE}/follows/{number}",
            follower,
            followee,
            inbox,
        )
    group = await store.get(world.pool, "loyers")
    await lifecycle.edit(world.pool, world.urls, world.fed.instance.clock, group, display_name="Loyers", summary=None)
    fanout = job_handlers(world.fed)["fanout"]
    for row in await world.pool.fetch("SELECT activity_id FROM outbox WHERE fanned_out_at IS NULL"):
        await fanout({"activity": row["activity_id"]})
    pending = "SELECT count(*) FROM deliveries WHERE state = 'pending' AND inbox = $1"
    assert await world.pool.fetchval(pending, alice.inbox) == 2  # the group's note and its Update
    assert await world.pool.fetchval(pending, bob.inbox) == 2

    applied = await _block(world, remote.host, "suspend")

    assert (applied.follows_removed, applied.deliveries_stopped) == (2, 2)
    left = await world.pool.fetch("SELECT follower FROM follows")
    assert [row["follower"] for row in left] == [bob.id]
    skipped = await world.pool.fetch("SELECT DISTINCT inbox, last_error FROM deliveries WHERE state = 'skipped'")
    assert [(row["inbox"], row["last_error"]) for row in skipped] == [(alice.inbox, "domain suspended: spam")]
    await world.flush()
    assert remote.received("POST") == []
    assert len(elsewhere.received("POST")) == 2


async def test_a_mastodon_report_is_kept_for_admins_and_resolved(world: World, remote: RemoteServer) -> None:
    moderator = remote.actor("mod")
    flag = replayed(
        "mastodon_flag_1.json",
        {
            "https://my_domain/users/tobi/statuses/01GP388K19DGXSV3SW2RXWM533": world.note,
            "https://my_domain/users/tobi": world.member,
            "https://other_domain/actor": moderator.id,
            "https://other_domain": remote.base,
        },
    )
    flag["content"] = "<p>misinfo: it&#39;s <b>not</b> a good morning</p>" + "x" * 5000

    assert (await world.deliver(moderator, flag)).status_code == 202
    assert (await world.process())[0].startswith("report ")

    [report] = await reports.listing(world.pool)
    assert report.reporter == moderator.id
    assert report.domain == remote.host
    assert report.objects == [world.member, world.note]
    assert report.content.startswith("misinfo: it's not a good morning xxx")
    assert len(report.content) == reports.MAX_CONTENT
    assert await world.pool.fetchval("SELECT count(*) FROM inbox_items") == 0  # not shown to the reported member
    assert await reports.resolve(world.pool, report.id, world.fed.instance.clock())
    assert await reports.listing(world.pool) == []
    assert not await reports.resolve(world.pool, report.id, world.fed.instance.clock())


async def test_an_admin_removes_a_remote_post_and_then_its_author(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)
    alice = remote.actor("alice")
    reply = {
        "@context": AS2,
        "id": f"{alice.id}/statuses/1/activity",
        "type": "Create",
        "actor": alice.id,
        "object": {
            "id": f"{alice.id}/statuses/1",
            "type": "Note",
            "attributedTo": alice.id,
            "inReplyTo": figure,
            "content": "plutôt 845 €/mois",
            "to": [world.group],
        },
    }
    assert (await world.deliver(alice, reply)).status_code == 202
    assert (await world.deliver(alice, like(alice.id, figure, f"{alice.id}/likes/1"))).status_code == 202
    await world.process()
    live = "SELECT count(*) FROM claims WHERE actor = $1 AND withdrawn_at IS NULL"
    assert await world.pool.fetchval(live, alice.id) == 2

    removed = await removal.remove(world.fed.instance, world.fed.remote, f"{alice.id}/statuses/1")

    assert (removed.what, removed.objects, removed.claims) == ("object", 1, 1)
    assert (
        await world.pool.fetchval(
            "SELECT document->>'type' FROM remote_objects WHERE uri = $1", f"{alice.id}/statuses/1"
        )
        == "Tombstone"
    )
    assert await world.pool.fetchval(live, alice.id) == 1
    removed = await removal.remove(world.fed.instance, world.fed.remote, alice.id)
    assert (removed.what, removed.claims) == ("actor", 1)
    assert await world.pool.fetchval(live, alice.id) == 0
    with pytest.raises(removal.RemovalError, match="no remote actor"):
        await removal.remove(world.fed.instance, world.fed.remote, f"{alice.id}/statuses/404")


async def _marie_followed_by(world: World, follower: RemoteActor) -> Actor:
    """The member marie, with ``follower`` (elsewhere) among her accepted followers."""
    await world.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
        " VALUES ($1, $2, $3, 'accepted', $4)",
        f"{follower.id}/follows/1",
        follower.id,
        world.member,
        follower.inbox,
    )
    return await store.get(world.pool, "marie")


async def test_a_suspended_local_actor_refuses_and_publishes_nothing_then_its_deletion_reaches_its_followers(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("alice")
    marie = await _marie_followed_by(world, alice)
    assert await standing.suspend(world.pool, marie)
    world.fed.remote.suspension.invalidate()

    refused = await world.deliver(alice, like(alice.id, world.note, f"{alice.id}/likes/1"), "/actors/marie/inbox")
    assert refused.status_code == 403
    shown = await world.client.get("/actors/marie", headers={"Accept": "application/activity+json"})
    assert shown.status_code == 200
    assert shown.json()["suspended"] is True
    assert shown.json()["name"] == ""
    with pytest.raises(ActorError, match="suspended"):
        await lifecycle.edit(world.pool, world.urls, world.fed.instance.clock, marie, display_name="M", summary=None)
    assert await standing.suspend(world.pool, marie, undo=True)

    update = await lifecycle.edit(
        world.pool, world.urls, world.fed.instance.clock, marie, display_name="Marie D.", summary=None
    )
    gone = await lifecycle.delete(world.pool, world.urls, world.fed.instance.clock, marie)
    await world.flush()

    posted = [item.body for item in remote.received("POST")]
    assert [b'"Update"' in body and update["id"].encode() in body for body in posted] == [True, False]
    assert gone["id"].encode() in posted[1]
    tombstone = await world.client.get("/actors/marie", headers={"Accept": "application/activity+json"})
    assert tombstone.status_code == 410
    assert tombstone.json()["type"] == "Tombstone"
    world.fed.remote.suspension.invalidate()
    assert (
        await world.deliver(alice, like(alice.id, world.note, f"{alice.id}/likes/2"), "/actors/marie/inbox")
    ).status_code == 410


async def test_a_suspension_and_its_end_reach_the_followers_as_updates_of_the_actor(
    world: World, remote: RemoteServer
) -> None:
    """As Mastodon tells followers (``distribute_update_actor!``): its servers then show the actor suspended, then
    back; a suspension that changes nothing sends nothing."""
    alice = remote.actor("alice")
    marie = await _marie_followed_by(world, alice)
    clock = world.fed.instance.clock

    suspended = await lifecycle.suspend(world.pool, world.urls, clock, marie)
    assert await lifecycle.suspend(world.pool, world.urls, clock, marie) is None
    assert await standing.of(world.pool, marie.id) == "suspended"
    back = await lifecycle.suspend(world.pool, world.urls, clock, marie, undo=True)
    assert await lifecycle.suspend(world.pool, world.urls, clock, marie, undo=True) is None
    await world.flush()

    assert suspended is not None
    assert back is not None
    posted = [json.loads(item.body) for item in remote.received("POST")]
    assert [(update["id"], update["type"], update["object"]["id"]) for update in posted] == [
        (suspended["id"], "Update", world.member),
        (back["id"], "Update", world.member),
    ]
    assert (posted[0]["object"]["suspended"], posted[0]["object"]["name"]) == (True, "")
    assert "suspended" not in posted[1]["object"]
    assert posted[1]["object"]["name"] == actor_document(marie, world.urls)["name"] == "marie"
    assert await standing.of(world.pool, marie.id) == "active"


async def test_the_queue_lists_failed_deliveries_and_parked_rows_and_sends_them_round_again(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("alice")
    await world.pool.execute(
        "INSERT INTO deliveries (activity_id, inbox, domain, signer, state, attempts, last_error)"
        " SELECT activity_id, $1, $2, actor_id, 'failed', 3, 'HTTP 500' FROM outbox LIMIT 1",
        alice.inbox,
        remote.host,
    )
    assert (await world.deliver(alice, like(alice.id, world.note, f"{alice.id}/likes/1"))).status_code == 202
    await world.pool.execute("UPDATE inbox_activities SET parked_at = now(), outcome = 'parked: timed out'")
    delivery = await world.pool.fetchval("SELECT id FROM deliveries WHERE state = 'failed'")
    row = await world.pool.fetchval("SELECT id FROM inbox_activities")

    waiting = await backlog.listing(world.pool)

    assert [(item.id, item.state, item.what, item.reason) for item in waiting] == [
        (f"d{delivery}", "failed", remote.host, "HTTP 500"),
        (f"i{row}", "parked", f"Like from {alice.id}", "timed out"),
    ]
    assert await backlog.retry_all_failed(world.pool) == 2
    assert await world.pool.fetchval("SELECT state FROM deliveries WHERE id = $1", delivery) == "pending"
    jobs = await world.pool.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", DELIVER)
    assert jobs >= 1
    [again] = await backlog.listing(world.pool)
    assert (again.id, again.state, again.attempts) == (f"d{delivery}", "pending", 0)
    assert again.next_try is not None  # its deliver job is queued
    assert (await world.process())[0] != ""
    assert await backlog.drop(world.pool, [delivery], []) == 1
    assert await backlog.listing(world.pool) == []
    with pytest.raises(backlog.BacklogError):
        backlog.parse_ids(["x12"])


async def test_a_follow_of_a_suspended_group_through_the_shared_inbox_is_refused(
    world: World, remote: RemoteServer
) -> None:
    alice = remote.actor("alice")
    group = await store.get(world.pool, "loyers")
    await standing.suspend(world.pool, group)
    world.fed.remote.suspension.invalidate()
    follow = {"@context": AS2, "id": f"{alice.id}/follows/1", "type": "Follow", "actor": alice.id}

    refused = await world.deliver(alice, follow | {"object": world.group}, "/inbox")

    assert refused.status_code == 403
    assert refused.json()["error"] == "this actor is suspended"
    assert await world.pool.fetchval("SELECT count(*) FROM inbox_activities") == 0


async def test_a_suspended_groups_figure_still_takes_claims_but_the_group_sends_nothing(
    world: World, remote: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    await world.flush()
    alice = remote.actor("alice")
    group = await store.get(world.pool, "loyers")
    await standing.suspend(world.pool, group)

    assert (await world.deliver(alice, like(alice.id, figure, f"{alice.id}/likes/1"))).status_code == 202
    [outcome] = await world.process()

    assert outcome.startswith("like; claim endorse")
    kept = await world.pool.fetch(
        "SELECT fanned_out_at IS NOT NULL AS closed FROM outbox WHERE document->>'type' = 'Announce'"
    )
    assert [row["closed"] for row in kept] == [True]  # relayed into the outbox, never fanned out
    await world.flush()
    assert remote.received("POST") == []


async def test_nothing_is_scheduled_for_a_suspended_domain_whoever_asks(world: World) -> None:
    await _block(world, "spam.example", "suspend")
    await _block(world, "loud.example", "silence")
    async with world.pool.acquire() as connection:
        new = await schedule(
            connection,
            "https://chiffres.test/activities/1",
            ["https://SPAM.example/users/a/inbox", "https://loud.example/inbox", "https://ok.example/inbox"],
            signer_id=1,
        )
    kept = await world.pool.fetch("SELECT inbox FROM deliveries ORDER BY inbox")
    assert new == 2
    assert [row["inbox"] for row in kept] == ["https://loud.example/inbox", "https://ok.example/inbox"]


async def test_a_suspended_actors_posts_answer_403_and_a_deleted_ones_410_save_its_delete(world: World) -> None:
    marie = await store.get(world.pool, "marie")
    clock = world.fed.instance.clock
    note = str((await notes.post(world.pool, world.urls, marie, "Le T2 est à 830 €", "public", clock))["id"])
    create = await world.pool.fetchval("SELECT activity_id FROM outbox WHERE document->'object'->>'id' = $1", note)
    as2 = {"Accept": "application/activity+json"}

    async def status(url: str) -> int:
        return (await world.client.get(url.removeprefix(world.urls.base), headers=as2)).status_code

    assert (await status(note), await status(create)) == (200, 200)
    assert await standing.suspend(world.pool, marie)
    assert (await status(note), await status(create)) == (403, 403)
    assert await status(world.note) == 200  # the group's post: another author
    assert await standing.suspend(world.pool, marie, undo=True)
    gone = await lifecycle.delete(world.pool, world.urls, clock, marie)

    tombstone = await world.client.get(note.removeprefix(world.urls.base), headers=as2)
    assert (tombstone.status_code, tombstone.json()["type"]) == (410, "Tombstone")
    assert await status(create) == 410
    assert await status(gone["id"]) == 200  # the Delete its followers check stays readable


async def test_a_block_covers_every_domain_under_it_and_no_other(world: World) -> None:
    """Blocking spam.example blocks a.spam.example and x.y.spam.example, not notspam.example nor ham.example."""
    under = ["https://a.spam.example/users/x", "https://x.y.spam.example/users/y"]
    others = ["https://notspam.example/users/z", "https://ham.example/users/w"]
    for number, follower in enumerate([*under, *others]):
        await world.pool.execute(
            "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
            " VALUES ($1, $2, $3, 'accepted', $4)",
            f"{BASE}/follows/{number}",
            follower,
            world.group,
            f"{follower}/inbox",
        )
    await world.pool.executemany(
        "INSERT INTO domains (domain, first_seen) VALUES ($1, now())",
        [("a.spam.example",), ("notspam.example",)],
    )

    applied = await _block(world, "spam.example", "suspend")

    assert applied.follows_removed == 2
    left = await world.pool.fetch("SELECT follower FROM follows ORDER BY follower")
    assert [row["follower"] for row in left] == sorted(others)
    suspension = world.fed.remote.suspension
    assert [await suspension.holds(url) for url in [*under, *others]] == [
        "a.spam.example",
        "x.y.spam.example",
        None,
        None,
    ]
    async with world.pool.acquire() as connection:
        new = await schedule(
            connection, "https://chiffres.test/activities/1", [f"{url}/inbox" for url in [*under, *others]], 1
        )
    assert new == 2
    levels = await trust_levels(world.pool)
    assert (levels["spam.example"], levels["a.spam.example"]) == (0, 0)
    assert "notspam.example" not in levels
    assert await claims_blocked(world.pool, "x.y.SPAM.example")
    assert not await claims_blocked(world.pool, "notspam.example")
