"""Real servers' payloads, signed as those servers sign, replayed into our inbox: the answer and what it leaves.

Identities in the captured payloads are rewritten to a remote server on loopback (the sender) and to our
instance (the group, the member, the group's note); everything else is sent as captured.
"""

from __future__ import annotations

from datetime import UTC, datetime

from actors import follows, membership, store
from fedi.signatures import KeyCache, PublicKeyInfo, SignedRequest, verify_request
from tests.inbox.conftest import BASE, JSON, World, replayed
from tests.support.remote_server import AS2, RemoteActor, RemoteServer

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _approving(world: World) -> None:
    """The follows below are of a group that approves its followers: a public group's follows are open."""
    await membership.set_policy(world.pool, await store.get(world.pool, "loyers"), "charter")


async def _follow(world: World, sender: RemoteActor, target: str, path: str = "/actors/loyers/inbox") -> JSON:
    follow: JSON = {"@context": AS2, "id": f"{sender.id}/follows/1", "type": "Follow", "actor": sender.id}
    follow["object"] = target
    response = await world.deliver(sender, follow, path)
    assert response.status_code == 202, response.text
    return follow


async def test_mastodon_follow_of_a_group_waits_for_approval(world: World, remote: RemoteServer) -> None:
    await _approving(world)
    john = remote.actor("JohnMastodon")
    follow = replayed(
        "mastodon_follow_1.json",
        {"https://my_domain/activitypub/user": world.group, "https://example.com/": remote.base + "/"},
    )
    assert follow["actor"] == john.id
    response = await world.deliver(john, follow, "/actors/loyers/inbox")
    assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    assert await world.process() == ["pending: charter sent"]
    row = await world.pool.fetchrow("SELECT activity_id, follower, followee, state, follower_inbox FROM follows")
    assert row is not None
    assert dict(row) == {
        "activity_id": follow["id"],
        "follower": john.id,
        "followee": world.group,
        "state": "pending",
        "follower_inbox": john.inbox,
    }
    assert await world.pool.fetchval("SELECT signer FROM inbox_activities") == john.id
    assert await world.pool.fetchval("SELECT count(*) FROM outbox WHERE document->>'type' = 'Accept'") == 0
    fetches = remote.received("GET")
    assert fetches, "the key was fetched from the sender's server"
    assert all(f'keyId="{BASE}/actor#main-key"' in item.headers["signature"] for item in fetches)


async def test_follow_of_a_member_is_accepted_and_the_accept_is_delivered(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    follow = await _follow(world, john, world.member, "/actors/marie/inbox")
    assert await world.process() == ["accepted"]
    await world.flush()
    [delivered] = remote.received("POST", "/users/john/inbox")
    accept = delivered.json()
    assert (accept["type"], accept["actor"], accept["object"]["id"]) == ("Accept", world.member, follow["id"])
    marie = await store.get(world.pool, "marie")

    async def marie_key(key_id: str, refresh: bool) -> PublicKeyInfo:
        return PublicKeyInfo(owner=world.member, material=marie.rsa_public_pem)

    signed = SignedRequest("POST", remote.base + delivered.path, delivered.headers, delivered.body)
    verified = await verify_request(signed, marie_key, datetime.now(UTC), KeyCache())
    assert verified.key_id == f"{world.member}#main-key"


async def test_undo_follow_ends_the_follow(world: World, remote: RemoteServer) -> None:
    await _approving(world)
    john = remote.actor("john")
    follow = await _follow(world, john, world.group)
    undo = {"@context": AS2, "id": f"{follow['id']}/undo", "type": "Undo", "actor": john.id, "object": follow}
    assert (await world.deliver(john, undo, "/actors/loyers/inbox")).status_code == 202
    assert await world.process() == ["pending: charter sent", "unfollowed"]
    assert await world.pool.fetchval("SELECT count(*) FROM follows") == 0


async def test_like_then_undo_like(world: World, remote: RemoteServer) -> None:
    phoenix = remote.actor("phoenix")
    identities = {"https://my_domain/activitypub/helge/id567": world.note, "https://other_domain/": remote.base + "/"}
    like = replayed("mastodon_like_1.json", identities)
    assert (await world.deliver(phoenix, like)).status_code == 202
    assert await world.process() == ["like"]
    row = await world.pool.fetchrow("SELECT activity_id, kind, actor, object FROM reactions")
    assert row is not None
    assert dict(row) == {"activity_id": like["id"], "kind": "like", "actor": phoenix.id, "object": world.note}
    undo = replayed("mastodon_like_1_undo.json", identities)
    assert (await world.deliver(phoenix, undo)).status_code == 202
    assert await world.process() == ["reaction withdrawn"]
    assert await world.pool.fetchval("SELECT count(*) FROM reactions") == 0


def _announce_identities(world: World, remote: RemoteServer) -> dict[str, str]:
    return {
        "https://second_domain/users/second/statuses/109724234853": world.note,
        "https://second_domain/users/second": world.group,
        "https://first_domain/": remote.base + "/",
    }


async def test_announce_then_undo_announce(world: World, remote: RemoteServer) -> None:
    first = remote.actor("first")
    announce = replayed("mastodon_announce_1.json", _announce_identities(world, remote))
    assert (await world.deliver(first, announce)).status_code == 202
    assert await world.process() == ["announce"]
    assert await world.pool.fetchval("SELECT kind FROM reactions WHERE object = $1", world.note) == "announce"
    undo = replayed("mastodon_announce_1_undo.json", _announce_identities(world, remote))
    undo["object"]["actor"] = first.id  # the capture's anonymisation renamed the inner actor; Mastodon's match
    assert (await world.deliver(first, undo)).status_code == 202
    assert await world.process() == ["reaction withdrawn"]
    assert await world.pool.fetchval("SELECT count(*) FROM reactions") == 0


async def test_undo_of_someone_elses_announce_changes_nothing(world: World, remote: RemoteServer) -> None:
    first = remote.actor("first")
    announce = replayed("mastodon_announce_1.json", _announce_identities(world, remote))
    assert (await world.deliver(first, announce)).status_code == 202
    undo = replayed("mastodon_announce_1_undo.json", _announce_identities(world, remote))
    assert undo["object"]["actor"] == f"{remote.base}/users/john", "the capture as it is: the inner actor differs"
    assert (await world.deliver(first, undo)).status_code == 202
    assert await world.process() == ["announce", "rejected: undo of someone else's activity"]
    assert await world.pool.fetchval("SELECT count(*) FROM reactions") == 1


def _reply(world: World, remote: RemoteServer, name: str) -> JSON:
    """Mastodon's Create(Note), made a reply to our note that mentions the group, as a Mastodon reply is."""
    create = replayed(name, {"https://mastodon/": remote.base + "/"})
    note = create["object"]
    note["inReplyTo"] = world.note
    note["cc"] = [*note["cc"], world.group]
    note["tag"] = [{"type": "Mention", "href": world.group, "name": "@loyers@chiffres.test"}]
    create["cc"] = note["cc"]
    return create


async def test_reply_is_stored_with_its_parent(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    create = _reply(world, remote, "mastodon_flow_1_create_note.json")
    assert (await world.deliver(john, create)).status_code == 202
    assert await world.process() == ["stored"]
    row = await world.pool.fetchrow("SELECT uri, attributed_to, type, in_reply_to, deleted_at FROM remote_objects")
    assert row is not None
    assert dict(row) == {
        "uri": create["object"]["id"],
        "attributed_to": john.id,
        "type": "Note",
        "in_reply_to": world.note,
        "deleted_at": None,
    }


async def test_update_applies_only_when_newer(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    assert (await world.deliver(john, _reply(world, remote, "mastodon_flow_1_create_note.json"))).status_code == 202
    update = replayed("mastodon_flow_1_update_note.json", {"https://mastodon/": remote.base + "/"})
    assert (await world.deliver(john, update)).status_code == 202
    stale = replayed("mastodon_flow_1_update_note.json", {"https://mastodon/": remote.base + "/"})
    stale["id"] += "-stale"
    stale["object"] |= {"updated": "2023-02-04T08:53:00Z", "content": "<p>an older edit</p>"}
    assert (await world.deliver(john, stale)).status_code == 202
    assert await world.process() == ["stored", "updated", "ignored: not newer or unknown"]
    document = await world.pool.fetchval("SELECT document FROM remote_objects WHERE uri = $1", update["object"]["id"])
    assert document["content"] == update["object"]["content"]


async def test_delete_of_a_note_leaves_a_tombstone_for_good(world: World, remote: RemoteServer) -> None:
    author = remote.actor("remote-user")
    create = _reply(world, remote, "mastodon_flow_2_create_note.json")
    delete = replayed("mastodon_flow_2_delete_note.json", {"https://mastodon/": remote.base + "/"})
    again = {**create, "id": f"{create['id']}#again"}
    for activity in (create, delete, again):
        assert (await world.deliver(author, activity)).status_code == 202
    assert (await world.process())[:2] == ["stored", "tombstoned"]
    row = await world.pool.fetchrow("SELECT document, deleted_at FROM remote_objects")
    assert row is not None
    assert row["document"] == {"id": create["object"]["id"], "type": "Tombstone"}, "a deleted id stays dead"
    assert row["deleted_at"] is not None


async def test_create_of_an_edited_note_is_stored(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    create = _reply(world, remote, "mastodon_flow_1_create_note.json")
    create["object"]["updated"] = "2023-02-04T09:00:00Z"
    assert (await world.deliver(john, create)).status_code == 202
    assert await world.process() == ["stored"]
    assert await world.pool.fetchval("SELECT updated_at FROM remote_objects") == datetime(2023, 2, 4, 9, tzinfo=UTC)


async def test_delete_of_an_account_whose_key_is_gone(world: World, remote: RemoteServer) -> None:
    """The key answers 410, so the Delete cannot be verified: it is accepted and the account forgotten."""
    alice = remote.actor("Alice")
    marie = await store.get(world.pool, "marie")
    await follows.follow(world.pool, world.urls, marie, alice.id, alice.inbox, world.fed.instance.clock)
    remote.delete("Alice")
    delete = replayed("mastodon_delete_actor_1.json", {"https://mastodon/": remote.base + "/"})
    response = await world.deliver(alice, delete)
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert await world.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert await world.pool.fetchval("SELECT count(*) FROM remote_keys WHERE owner = $1", alice.id) == 0


async def test_delete_of_an_account_verified_with_the_cached_key(world: World, remote: RemoteServer) -> None:
    await _approving(world)
    alice = remote.actor("Alice")
    await _follow(world, alice, world.group)
    remote.delete("Alice")
    delete = replayed("mastodon_delete_actor_1.json", {"https://mastodon/": remote.base + "/"})
    assert (await world.deliver(alice, delete)).status_code == 202
    assert await world.process() == ["pending: charter sent", "actor deleted"]
    assert await world.pool.fetchval("SELECT count(*) FROM follows") == 0
    assert await world.pool.fetchval("SELECT gone_at IS NOT NULL FROM remote_actors WHERE uri = $1", alice.id)


async def test_mitra_follow(world: World, remote: RemoteServer) -> None:
    await _approving(world)
    silverpill = remote.actor("silverpill", "mitra")
    follow = replayed(
        "mitra_follow.json",
        {"https://mymath.rocks/activitypub/helge": world.group, "https://mitra.social/": remote.base + "/"},
    )
    assert (await world.deliver(silverpill, follow, "/actors/loyers/inbox")).status_code == 202
    assert await world.process() == ["pending: charter sent"]
    assert await world.pool.fetchval("SELECT follower FROM follows WHERE state = 'pending'") == silverpill.id


async def test_bovine_follow_and_like(world: World, remote: RemoteServer) -> None:
    """bovine: ``Digest: sha-256=`` in lower case, key ``#serverKey``, compacted single-valued ``to``."""
    await _approving(world)
    user = remote.actor("bovine_user", "bovine")
    context = [AS2, "https://w3id.org/security/v1", {"Hashtag": "as:Hashtag"}]
    follow = {"@context": context, "type": "Follow", "id": f"{remote.base}/objects/f1", "actor": user.id}
    follow |= {"object": world.group, "to": world.group}
    like = {"@context": context, "type": "Like", "id": f"{remote.base}/objects/l1", "actor": user.id}
    like |= {"object": world.note, "to": world.group}
    for activity in (follow, like):
        assert (await world.deliver(user, activity, "/actors/loyers/inbox")).status_code == 202
    assert await world.process() == ["pending: charter sent", "like"]
    assert await world.pool.fetchval("SELECT key_id FROM remote_keys") == f"{user.id}#serverKey"


async def test_gotosocial_key_resolves_through_its_stub(world: World, remote: RemoteServer) -> None:
    user = remote.actor("gts_user", "gotosocial")
    like = {"@context": AS2, "type": "Like", "id": f"{user.id}/statuses/01H/like", "actor": user.id}
    like["object"] = world.note
    response = await world.deliver(user, like)
    assert response.status_code == 202, response.text
    assert await world.process() == ["like"]
    assert await world.pool.fetchval("SELECT key_id FROM remote_keys") == f"{user.id}/main-key"


async def test_rfc9421_signed_like(world: World, remote: RemoteServer) -> None:
    phoenix = remote.actor("phoenix")
    like = {"@context": AS2, "type": "Like", "id": f"{phoenix.id}#likes/9421", "actor": phoenix.id}
    like["object"] = world.note
    assert (await world.deliver(phoenix, like, rfc9421=True)).status_code == 202
    assert await world.process() == ["like"]


async def test_posts_of_a_followed_account_are_kept_then_deleted(world: World, remote: RemoteServer) -> None:
    """Our group follows the account; its Accept settles that, then its public posts come to us unaddressed."""
    cow = remote.actor("munchingcow")
    group = await store.get(world.pool, "loyers")
    ours = await follows.follow(world.pool, world.urls, group, cow.id, cow.inbox, world.fed.instance.clock)
    accept = {"@context": AS2, "id": f"{cow.id}/accepts/1", "type": "Accept", "actor": cow.id}
    accept["object"] = ours.activity_id
    identities = {"https://my_domain/activitypub/munchingcow": cow.id}
    create = replayed("munching_cow_create_note_1.json", identities)
    delete = replayed("munching_cow_delete_1.json", identities)
    for activity in (accept, create, delete):
        assert (await world.deliver(cow, activity, "/actors/loyers/inbox")).status_code == 202
    assert await world.process() == ["accepted", "stored", "tombstoned"]
    assert await world.pool.fetchval("SELECT state FROM follows") == "accepted"
    assert await world.pool.fetchval("SELECT deleted_at IS NOT NULL FROM remote_objects") is True


async def test_peertube_video_is_accepted_and_left_aside(world: World, remote: RemoteServer) -> None:
    channel = remote.actor("ddevault")
    video = replayed(
        "peertube_create_video_1.json",
        {"https://peertube/accounts/ddevault": channel.id, "https://peertube/": remote.base + "/"},
    )
    create: JSON = {"@context": AS2, "id": f"{video['id']}/activity", "type": "Create", "actor": channel.id}
    create |= {"object": video, "to": [PUBLIC], "cc": [world.group]}
    assert (await world.deliver(channel, create)).status_code == 202
    assert await world.process() == ["ignored: not an embedded note"]
    assert await world.pool.fetchval("SELECT count(*) FROM remote_objects") == 0
