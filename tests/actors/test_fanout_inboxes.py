"""Where a group's activities go: public ones to each server's shared inbox; followers-only ones to a shared inbox
only when every follower of the group on that server is approved, else to each approved follower's own inbox, so
that a server which still believes a refused or revoked user follows the group has nothing to hand them."""

from __future__ import annotations

from actors import store
from actors.outbox import FanOut
from fedi.instance import Instance
from fedi.normalise import PUBLIC

MASTO = "https://masto.example"


async def _follower(instance: Instance, name: str, state: str, *, revoked: bool = False, undone: bool = False) -> None:
    follower = f"{MASTO}/users/{name}"
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox, follower_shared_inbox,"
        " revoked_at, revoked_reason, undone_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        f"{follower}#follow",
        follower,
        instance.urls.actor("loyers"),
        state,
        f"{follower}/inbox",
        f"{MASTO}/inbox",
        instance.clock() if revoked else None,
        "below the charter's threshold" if revoked else None,
        instance.clock() if undone else None,
    )


async def _inboxes(instance: Instance, public: bool) -> list[str]:
    group = instance.urls.actor("loyers")
    followers = instance.urls.followers("loyers")
    to, cc = ([PUBLIC], [followers]) if public else ([followers], [])
    document = {"id": f"{group}#a", "type": "Create", "actor": group, "object": f"{group}#n", "to": to, "cc": cc}
    async with instance.pool.acquire() as connection:
        return await FanOut(instance.pool, instance.urls).inboxes(connection, document, "loyers", "group")


async def test_a_server_whose_followers_are_all_approved_gets_one_delivery(instance: Instance) -> None:
    await store.create(instance.pool, "loyers", "group", visibility="members")
    await _follower(instance, "alice", "accepted")
    await _follower(instance, "bob", "accepted")
    assert await _inboxes(instance, public=False) == [f"{MASTO}/inbox"]
    assert await _inboxes(instance, public=True) == [f"{MASTO}/inbox"]


async def test_a_pending_refused_or_revoked_follower_keeps_followers_only_activities_off_the_shared_inbox(
    instance: Instance,
) -> None:
    await store.create(instance.pool, "loyers", "group", visibility="members")
    await _follower(instance, "alice", "accepted")
    await _follower(instance, "bob", "accepted")
    for name, state, revoked in (("carol", "pending", False), ("dan", "rejected", False), ("eve", "rejected", True)):
        await _follower(instance, name, state, revoked=revoked)
        assert await _inboxes(instance, public=False) == [f"{MASTO}/users/alice/inbox", f"{MASTO}/users/bob/inbox"]
        assert await _inboxes(instance, public=True) == [f"{MASTO}/inbox"], "public ones are anyone's"
        await instance.pool.execute("DELETE FROM follows WHERE follower = $1", f"{MASTO}/users/{name}")
    # A revoked follow that its server undid (Mastodon unfollows on our Reject) is forgotten there too.
    await _follower(instance, "eve", "rejected", revoked=True, undone=True)
    assert await _inboxes(instance, public=False) == [f"{MASTO}/inbox"]
