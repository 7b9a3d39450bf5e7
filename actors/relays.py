"""Relays: servers that rebroadcast what their subscribers send them, so that public figures reach far beyond our
followers.

A relay (activityrelay, Activity-Relay, aoderelay…) accepts only instance actors (``Application``). Our instance
actor subscribes the way Mastodon does — a ``Follow`` of the Public collection POSTed to the relay's inbox URL —
or, given the relay actor's URL, the LitePub way — a ``Follow`` of that actor; activityrelay takes either. The
relay's ``Accept`` makes the subscription active. From then on, the ``Create``, ``Update`` and ``Delete`` of a
public group go to the relay too (``outbox.FanOut``): activityrelay turns a ``Create`` into an ``Announce`` of the
object for its other subscribers and forwards ``Update`` and ``Delete`` as they are.

Subscriptions live in their own table, not in ``follows``: a relay never becomes a follower or a peer of our
instance actor, so nothing addressed to peers (consensus summaries) or to followers-only audiences can reach it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from actors import store
from actors.actor import ActorError
from fedi import delivery
from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.normalise import PUBLIC, ids_of
from fedi.types import JSON, Clock
from fedi.urls import Urls

#: What a relay rebroadcasts and what Mastodon-family timelines make something of: the rest stays with followers.
RELAYED = ("Create", "Update", "Delete")
_COLUMNS = "id, inbox, actor, follow_id, state"


class RelayError(ActorError):
    """A relay address that cannot be used, or a relay we do not subscribe to."""


@dataclass(frozen=True)
class Subscription:
    id: int
    inbox: str
    actor: str | None
    follow_id: str
    state: str


def _subscription(row: object) -> Subscription:
    return Subscription(**{key: row[key] for key in ("id", "inbox", "actor", "follow_id", "state")})  # type: ignore[index]


def host_of(uri: str) -> str:
    return (urlsplit(uri).netloc or "").lower()


def check_url(url: str, urls: Urls) -> str:
    """A relay is reached over https (over http only by a development instance, which itself speaks http)."""
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if urls.base.startswith("http://") else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.fragment or parts.username:
        raise RelayError(f"not a relay address: {url!r} (give its {' or '.join(schemes)} inbox or actor URL)")
    return url.strip()


def is_inbox_url(url: str) -> bool:
    """Mastodon's admins give a relay's inbox URL, Pleroma's its actor URL: the path tells which."""
    return urlsplit(url).path.rstrip("/").endswith("/inbox")


async def subscribe(pool: Pool, urls: Urls, clock: Clock, inbox: str, relay_actor: str | None = None) -> Subscription:
    """Send our instance actor's Follow to ``inbox``: of ``relay_actor`` when known (LitePub), else of Public.

    Adding a relay already subscribed to (or waiting) changes nothing; one that refused us is asked again.
    """
    instance = await store.instance_actor(pool)
    follow: JSON = {
        "@context": AS2,
        "id": urls.activity(str(uuid.uuid4())),
        "type": "Follow",
        "actor": urls.instance_actor(),
        "object": relay_actor or PUBLIC,
    }
    if relay_actor:
        follow["to"] = [relay_actor]
    async with pool.acquire() as connection, connection.transaction():
        existing = await connection.fetchrow(
            f"SELECT {_COLUMNS} FROM relay_subscriptions WHERE inbox = $1 FOR UPDATE", inbox
        )
        if existing is not None and existing["state"] != "rejected":
            return _subscription(existing)
        row = await connection.fetchrow(
            "INSERT INTO relay_subscriptions (inbox, actor, follow_id, state) VALUES ($1, $2, $3, 'pending')"
            " ON CONFLICT (inbox) DO UPDATE SET actor = excluded.actor, follow_id = excluded.follow_id,"
            f" state = 'pending', updated_at = now() RETURNING {_COLUMNS}",
            inbox,
            relay_actor,
            follow["id"],
        )
        await _send(connection, instance.id, follow, inbox, clock)
    assert row is not None
    return _subscription(row)


async def unsubscribe(pool: Pool, urls: Urls, clock: Clock, address: str) -> Subscription:
    """Forget the relay named by its inbox or actor URL and send it ``Undo(Follow)``, the Follow embedded: that is
    what activityrelay reads to drop a subscriber."""
    instance = await store.instance_actor(pool)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            f"DELETE FROM relay_subscriptions WHERE inbox = $1 OR actor = $1 RETURNING {_COLUMNS}", address
        )
        if row is None:
            raise RelayError(f"no relay subscription for {address}")
        follow = await connection.fetchval("SELECT document FROM outbox WHERE activity_id = $1", row["follow_id"])
        undo: JSON = {
            "@context": AS2,
            "id": urls.activity(str(uuid.uuid4())),
            "type": "Undo",
            "actor": urls.instance_actor(),
            "object": follow or row["follow_id"],
        }
        if row["actor"]:
            undo["to"] = [row["actor"]]
        await _send(connection, instance.id, undo, row["inbox"], clock)
    return _subscription(row)


async def _send(connection: Connection, signer_id: int, document: JSON, inbox: str, clock: Clock) -> None:
    """Kept in the outbox (its id resolves, the delivery job reads it there) and delivered to the relay's inbox
    alone: it is addressed to no collection, so the fan-out has nothing to add."""
    await connection.execute(
        "INSERT INTO outbox (actor_id, activity_id, audience, document, published, fanned_out_at)"
        " VALUES ($1, $2, 'direct', $3, $4, $4)",
        signer_id,
        document["id"],
        document,
        clock(),
    )
    await delivery.schedule(connection, str(document["id"]), [inbox], signer_id)


async def listing(pool: Pool) -> list[Subscription]:
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM relay_subscriptions ORDER BY id")
    return [_subscription(row) for row in rows]


async def on_answer(connection: Connection, follow_ref: str, answerer: str, accepted: bool) -> Subscription | None:
    """The relay's Accept or Reject of our Follow. Its actor was unknown when we followed Public at its inbox, so the
    answer must come from the inbox's host (activityrelay's actor is ``https://HOST/actor``), and then names it."""
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM relay_subscriptions WHERE follow_id = $1 FOR UPDATE", follow_ref
    )
    if row is None or host_of(row["inbox"]) != host_of(answerer) or row["actor"] not in (None, answerer):
        return None
    updated = await connection.fetchrow(
        f"UPDATE relay_subscriptions SET actor = $2, state = $3, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
        row["id"],
        answerer,
        "accepted" if accepted else "rejected",
    )
    return _subscription(updated)


async def find(connection: Connection | Pool, actor_uri: str) -> Subscription | None:
    """The subscription of the relay ``actor_uri``: by its actor once known, else by its inbox's host (an instance
    subscribes to a handful of relays: reading them all is cheaper than parsing hosts in SQL)."""
    rows = await connection.fetch(f"SELECT {_COLUMNS} FROM relay_subscriptions ORDER BY id")
    for row in rows:
        if row["actor"] == actor_uri:
            return _subscription(row)
    host = host_of(actor_uri)
    return next((_subscription(row) for row in rows if row["actor"] is None and host_of(row["inbox"]) == host), None)


async def inboxes(connection: Connection) -> list[str]:
    """Where public activities of groups go besides followers: the relays that accepted us."""
    rows = await connection.fetch("SELECT inbox FROM relay_subscriptions WHERE state = 'accepted' ORDER BY id")
    return [row["inbox"] for row in rows]


def carries(document: JSON) -> bool:
    """Whether a relay should receive ``document``: a public Create, Update or Delete (never followers-only)."""
    kind = document.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if not any(item in RELAYED for item in kinds):
        return False
    return any(PUBLIC in ids_of(document.get(key)) for key in ("to", "cc"))
