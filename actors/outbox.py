"""Publishing: an activity is stored in the outbox and its fan-out queued in one transaction.

The ``fanout`` job then works out the destination inboxes — followers (one shared inbox per server) when the
activity is addressed to the public or to the actor's followers, plus every actor named in the addressing, plus the
subscribed relays for a group's public Create, Update or Delete (``relays``) — and schedules one delivery each. It
marks the outbox row as fanned out in the same transaction, so a worker killed half-way through repeats the fan-out
instead of losing it, and deliveries already scheduled are not doubled.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from actors import relays, standing
from actors.actor import Actor
from fedi import delivery, queue
from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.normalise import PUBLIC, ids_of
from fedi.types import JSON
from fedi.urls import Urls

FANOUT = "fanout"
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")


def new_activity_id(urls: Urls) -> str:
    return urls.activity(str(uuid.uuid4()))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def activity(
    urls: Urls,
    actor_id: str,
    kind: str,
    obj: object,
    *,
    to: list[str],
    cc: list[str] | None = None,
    published: datetime | None = None,
) -> JSON:
    document: JSON = {
        "@context": AS2,
        "id": new_activity_id(urls),
        "type": kind,
        "actor": actor_id,
        "object": obj,
        "to": to,
    }
    if cc:
        document["cc"] = cc
    if published is not None:
        document["published"] = iso(published)
    return document


async def publish(
    connection: Connection, actor: Actor, document: JSON, audience: str, *, obj: JSON | None = None
) -> None:
    """Store ``document`` (and the object it creates) and queue its fan-out, atomically."""
    async with connection.transaction():
        sent = await standing.sends(connection, actor)  # a suspended or deleted actor publishes nothing
        await connection.execute(
            "INSERT INTO outbox (actor_id, activity_id, audience, document) VALUES ($1, $2, $3, $4)",
            actor.id,
            document["id"],
            audience,
            document,
        )
        if obj is not None:
            await connection.execute(
                "INSERT INTO local_objects (uri, actor_id, audience, document) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (uri) DO UPDATE SET document = excluded.document, audience = excluded.audience",
                obj["id"],
                actor.id,
                audience,
                obj,
            )
        if not sent:  # kept, never fanned out
            await connection.execute("UPDATE outbox SET fanned_out_at = now() WHERE activity_id = $1", document["id"])
            return
        await queue.enqueue(connection, FANOUT, {"activity": document["id"]})


#: Told of each activity fanned out, in the fan-out's transaction: what packages above count (the reciprocity
#: ledger), passed in by the composition root since this package may not import them.
FannedOut = Callable[[Connection, JSON], Awaitable[None]]


class FanOut:
    """The ``fanout`` job handler."""

    def __init__(self, pool: Pool, urls: Urls, fanned_out: FannedOut | None = None) -> None:
        self._pool = pool
        self._urls = urls
        self._fanned_out = fanned_out

    async def __call__(self, payload: JSON) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT o.actor_id, o.document, a.name, a.kind FROM outbox o JOIN actors a ON a.id = o.actor_id"
                " WHERE o.activity_id = $1 AND o.fanned_out_at IS NULL FOR UPDATE OF o",
                str(payload["activity"]),
            )
            if row is None:
                return
            inboxes = await self.inboxes(connection, row["document"], row["name"], row["kind"])
            await delivery.schedule(connection, str(payload["activity"]), inboxes, row["actor_id"])
            if self._fanned_out is not None:
                await self._fanned_out(connection, row["document"])
            await connection.execute(
                "UPDATE outbox SET fanned_out_at = now() WHERE activity_id = $1", str(payload["activity"])
            )

    async def inboxes(self, connection: Connection, document: JSON, name: str, kind: str) -> list[str]:
        actor_id = self._urls.instance_actor() if kind == "application" else self._urls.actor(name)
        followers_uri = (
            f"{self._urls.instance_actor()}/followers" if kind == "application" else self._urls.followers(name)
        )
        recipients = [ident for key in ADDRESSING for ident in ids_of(document.get(key))]
        found: list[str] = []
        if PUBLIC in recipients:
            rows = await connection.fetch(
                "SELECT coalesce(follower_shared_inbox, follower_inbox) AS inbox FROM follows"
                " WHERE followee = $1 AND state = 'accepted' AND follower_inbox IS NOT NULL ORDER BY id",
                actor_id,
            )
            found += [row["inbox"] for row in rows]
        elif followers_uri in recipients:
            found += await self._followers_only(connection, actor_id)
        if kind == "group" and relays.carries(document):
            found += await relays.inboxes(connection)
        for recipient in recipients:
            if recipient in (PUBLIC, followers_uri, actor_id):
                continue
            inbox = await self._inbox_of(connection, recipient)
            if inbox:
                found.append(inbox)
        return list(dict.fromkeys(found))

    @staticmethod
    async def _followers_only(connection: Connection, actor_id: str) -> list[str]:
        """Where a followers-only activity goes: a server's shared inbox only when every follower of the actor it
        serves is approved. A server hands what reaches its shared inbox to whoever it believes follows the actor,
        and not every server forgets a follow we refused or revoked (bovine-herd keeps it after our Reject), so a
        server with a pending, refused or revoked follower (not yet undone) gets each approved follower's own
        inbox instead."""
        rows = await connection.fetch(
            "SELECT CASE WHEN f.follower_shared_inbox IS NULL OR EXISTS (SELECT 1 FROM follows o"
            " WHERE o.followee = f.followee AND o.follower_shared_inbox = f.follower_shared_inbox"
            " AND o.state <> 'accepted' AND o.undone_at IS NULL) THEN f.follower_inbox"
            " ELSE f.follower_shared_inbox END AS inbox FROM follows f"
            " WHERE f.followee = $1 AND f.state = 'accepted' AND f.follower_inbox IS NOT NULL ORDER BY f.id",
            actor_id,
        )
        return [row["inbox"] for row in rows]

    async def _inbox_of(self, connection: Connection, uri: str) -> str | None:
        local = self._urls.local_name(uri)
        if local is not None:
            return self._urls.inbox(local)
        if uri == self._urls.instance_actor():
            return self._urls.instance_inbox()
        inbox: str | None = await connection.fetchval(
            "SELECT inbox FROM remote_actors WHERE uri = $1 AND gone_at IS NULL", uri
        )
        if inbox is None:
            inbox = await connection.fetchval(
                "SELECT follower_inbox FROM follows WHERE follower = $1 AND follower_inbox IS NOT NULL LIMIT 1", uri
            )
        return inbox
