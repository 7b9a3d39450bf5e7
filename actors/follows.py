"""Follow relations: incoming follows wait for approval on groups; approvals, refusals and revocations answer them.

A follow is identified by its ``Follow`` activity. Approving sends ``Accept`` with the Follow embedded (Mastodon
accepts the id or the object; the object spares it a fetch). ``Reject`` works before and after acceptance: after,
it revokes access, and Mastodon unfollows. Our own follows of others are rows too, pending until their Accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from actors import store
from actors.actor import Actor, ActorError
from actors.outbox import activity, new_activity_id, publish
from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.types import JSON, Clock
from fedi.urls import Urls


class FollowError(ActorError):
    """A follow id that does not exist or does not belong to the actor named."""


@dataclass(frozen=True)
class Follow:
    id: int
    activity_id: str
    follower: str
    followee: str
    state: str
    created_at: datetime | None = None
    answered_at: datetime | None = None


_COLUMNS = "id, activity_id, follower, followee, state, created_at, answered_at"


def _follow(row: object) -> Follow:
    return Follow(**{key: row[key] for key in _COLUMNS.split(", ")})  # type: ignore[index]


async def record_incoming(
    connection: Connection,
    document: JSON,
    follower: str,
    followee: Actor,
    urls: Urls,
    inbox: str | None,
    shared_inbox: str | None,
) -> Follow:
    """Store a received Follow; a repeated follow of the same pair keeps its state and takes the new id.

    The instance actor accepts only its peers: instances it follows itself (``chiffres peer add``)."""
    state = "pending" if followee.manually_approves else "accepted"
    if followee.is_instance:
        peer = await connection.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state <> 'rejected'",
            urls.instance_actor(),
            follower,
        )
        state = "accepted" if peer else "pending"
    row = await connection.fetchrow(
        "INSERT INTO follows (activity_id, follower, followee, state, document, follower_inbox, follower_shared_inbox,"
        " answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $4 = 'accepted' THEN now() END)"
        " ON CONFLICT (follower, followee) WHERE state <> 'rejected' DO UPDATE SET activity_id = excluded.activity_id,"
        " document = excluded.document, follower_inbox = excluded.follower_inbox,"
        " follower_shared_inbox = excluded.follower_shared_inbox, updated_at = now()"
        f" RETURNING {_COLUMNS}",
        document["id"],
        follower,
        store.uri_of(urls, followee),
        state,
        document,
        inbox,
        shared_inbox,
    )
    assert row is not None
    return _follow(row)


async def listing(pool: Pool, urls: Urls, *, actor: Actor | None = None, pending_only: bool = False) -> list[Follow]:
    """Follows of and by local actors, oldest first."""
    clauses, values = [], []
    if actor is not None:
        values.append(store.uri_of(urls, actor))
        clauses.append("(followee = $1 OR follower = $1)")
    if pending_only:
        clauses.append("state = 'pending'")
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM follows{where} ORDER BY id", *values)
    return [_follow(row) for row in rows]


async def _incoming(
    connection: Connection, urls: Urls, follow_id: int, actor: Actor | None
) -> tuple[Follow, Actor, JSON]:
    row = await connection.fetchrow(f"SELECT {_COLUMNS}, document FROM follows WHERE id = $1 FOR UPDATE", follow_id)
    followee = await store.by_uri(connection, urls, row["followee"]) if row else None
    if row is None or followee is None or row["document"] is None:
        raise FollowError(f"no follow request {follow_id} to a local actor")
    if actor is not None and followee.id != actor.id:
        raise FollowError(f"follow {follow_id} is not addressed to {actor.name}")
    return _follow(row), followee, row["document"]


async def approve(
    pool: Pool, urls: Urls, follow_ids: list[int], clock: Clock, actor: Actor | None = None
) -> list[Follow]:
    return [await _answer(pool, urls, follow_id, "Accept", clock, actor) for follow_id in follow_ids]


async def reject(
    pool: Pool, urls: Urls, follow_ids: list[int], clock: Clock, actor: Actor | None = None
) -> list[Follow]:
    return [await _answer(pool, urls, follow_id, "Reject", clock, actor) for follow_id in follow_ids]


async def _answer(pool: Pool, urls: Urls, follow_id: int, kind: str, clock: Clock, actor: Actor | None) -> Follow:
    async with pool.acquire() as connection, connection.transaction():
        return await answer_on(connection, urls, follow_id, kind, clock, actor)


async def answer_on(
    connection: Connection,
    urls: Urls,
    follow_id: int,
    kind: str,
    clock: Clock,
    actor: Actor | None = None,
    *,
    charter_version: str | None = None,
    reinstate: bool = False,
) -> Follow:
    """Answer a follow inside the caller's transaction: the inbox approves a follower who accepted the charter in
    the same transaction as it records their reply.

    ``reinstate`` accepts a follow that was rejected: the group itself revoked it (the reciprocity charter) and
    gives it back, so the follower need not follow again."""
    follow, followee, document = await _incoming(connection, urls, follow_id, actor)
    if kind == "Accept" and follow.state == "rejected" and not reinstate:
        raise FollowError(f"follow {follow_id} was rejected; the follower must follow again")
    state = "accepted" if kind == "Accept" else "rejected"
    answered_at = await connection.fetchval(
        "UPDATE follows SET state = $2, updated_at = now(), answered_at = now(),"
        " charter_version = coalesce($3, charter_version) WHERE id = $1 RETURNING answered_at",
        follow_id,
        state,
        charter_version,
    )
    answer = activity(urls, store.uri_of(urls, followee), kind, document, to=[follow.follower], published=clock())
    await publish(connection, followee, answer, "direct")
    return Follow(
        follow.id, follow.activity_id, follow.follower, follow.followee, state, follow.created_at, answered_at
    )


async def pending_ids(pool: Pool, urls: Urls, actor: Actor | None) -> list[int]:
    return [
        follow.id
        for follow in await listing(pool, urls, actor=actor, pending_only=True)
        if urls.is_local(follow.followee)
    ]


async def follow(pool: Pool, urls: Urls, actor: Actor, target: str, target_inbox: str, clock: Clock) -> Follow:
    """Follow someone (here or elsewhere); pending until their Accept arrives."""
    actor_id = store.uri_of(urls, actor)
    document: JSON = {
        "@context": AS2,
        "id": new_activity_id(urls),
        "type": "Follow",
        "actor": actor_id,
        "object": target,
        "to": [target],
    }
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchrow(
            f"SELECT {_COLUMNS} FROM follows WHERE follower = $1 AND followee = $2 AND state <> 'rejected'",
            actor_id,
            target,
        )
        if existing is not None:
            return _follow(existing)
        row = await connection.fetchrow(
            "INSERT INTO follows (activity_id, follower, followee, state, document) VALUES ($1, $2, $3, 'pending', $4)"
            f" RETURNING {_COLUMNS}",
            document["id"],
            actor_id,
            target,
            document,
        )
        await publish(connection, actor, document, "direct")
    assert row is not None
    return _follow(row)


async def unfollow(pool: Pool, urls: Urls, actor: Actor, target: str, clock: Clock) -> Follow:
    actor_id = store.uri_of(urls, actor)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "DELETE FROM follows WHERE follower = $1 AND followee = $2 AND state <> 'rejected'"
            f" RETURNING {_COLUMNS}, document",
            actor_id,
            target,
        )
        if row is None:
            raise FollowError(f"{actor.name} does not follow {target}")
        undo = activity(urls, actor_id, "Undo", row["document"], to=[target], published=clock())
        await publish(connection, actor, undo, "direct")
    return _follow(row)


async def on_answer(connection: Connection, follow_ref: str, answerer: str, accepted: bool) -> bool:
    """An Accept or Reject of one of our follows, from the actor we followed; False when it matches nothing."""
    result = await connection.execute(
        "UPDATE follows SET state = $3, updated_at = now(), answered_at = now()"
        " WHERE activity_id = $1 AND followee = $2 AND state <> 'rejected'",
        follow_ref,
        answerer,
        "accepted" if accepted else "rejected",
    )
    return not result.endswith(" 0")


async def on_undo(connection: Connection, follow_ref: str, follower: str) -> bool:
    """A follow the group revoked (``revoked_at``, the reciprocity charter) is kept, marked undone: Mastodon sends
    this Undo when it receives our Reject, and the row is the record of why access was withdrawn."""
    result = await connection.execute(
        "DELETE FROM follows WHERE activity_id = $1 AND follower = $2 AND revoked_at IS NULL", follow_ref, follower
    )
    if not result.endswith(" 0"):
        return True
    kept = await connection.execute(
        "UPDATE follows SET undone_at = coalesce(undone_at, now()) WHERE activity_id = $1 AND follower = $2"
        " AND revoked_at IS NOT NULL",
        follow_ref,
        follower,
    )
    return not kept.endswith(" 0")


async def remove_actor(connection: Connection, actor_uri: str) -> None:
    """A deleted actor follows no one and is followed by no one."""
    await connection.execute("DELETE FROM follows WHERE follower = $1 OR followee = $1", actor_uri)
