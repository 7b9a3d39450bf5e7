"""Handlers per activity type. Each checks what it needs, changes state idempotently and says what it did.

Follows of local actors are recorded (pending for groups, accepted and answered for members); answers to our own
follows settle them; notes addressed to us or from those we follow are kept, updated only by a newer ``updated``
and tombstoned by ``Delete``; likes and boosts of our objects are kept for the consensus.
"""

from __future__ import annotations

from actors import follows, relays, store
from actors.outbox import activity as new_activity
from actors.outbox import publish
from fedi import queue
from fedi.domains import host_of
from fedi.normalise import Activity
from inbox import claims as claims_in
from inbox import figures as received_figures
from inbox import flags
from inbox import requests as requests_in
from inbox.processor import Context, Handler
from inbox.remote import ActorUnavailable
from inbox.timestamps import claim_time, timestamp
from ledger import joining, peers
from ledger.claims import CONSENSUS

_NOTE_TYPES = ("Note", "Question", "Article", "Page")


async def on_follow(activity: Activity, context: Context) -> str:
    urls, connection = context.instance.urls, context.connection
    target = activity.object_id
    followee = await store.by_uri(connection, urls, target) if target else None
    if followee is None:
        return f"ignored: follow of {target}, not a local actor"
    if followee.is_instance and await relays.find(connection, activity.actor):
        # activityrelay follows back its subscribers; a relay must never become a follower (a peer) of ours.
        return f"ignored: follow from the relay {activity.actor}, which has public figures by our subscription"
    inbox, shared = await _inboxes(activity.actor, context)
    if inbox is None:
        return f"ignored: follower {activity.actor} cannot be reached"
    follow = await follows.record_incoming(
        connection, activity.to_json(), activity.actor, followee, urls, inbox, shared
    )
    if follow.state == "accepted":
        answer = new_activity(
            urls,
            store.uri_of(urls, followee),
            "Accept",
            activity.to_json(),
            to=[activity.actor],
            published=context.instance.clock(),
        )
        await publish(connection, followee, answer, "direct")
    return await joining.welcome(connection, context.instance, followee, follow)


async def _inboxes(actor_uri: str, context: Context) -> tuple[str | None, str | None]:
    urls = context.instance.urls
    local = urls.local_name(actor_uri)
    if local is not None:
        return urls.inbox(local), urls.shared_inbox()
    try:
        remote = await context.remote.actor(actor_uri)
    except ActorUnavailable:
        return None, None
    return remote.inbox, remote.shared_inbox


async def on_accept(activity: Activity, context: Context) -> str:
    return await _answer(activity, context, accepted=True)


async def on_reject(activity: Activity, context: Context) -> str:
    return await _answer(activity, context, accepted=False)


async def _answer(activity: Activity, context: Context, *, accepted: bool) -> str:
    follow_ref = activity.object_id
    if follow_ref is None:
        return "ignored: answer without object"
    matched = await follows.on_answer(context.connection, follow_ref, activity.actor, accepted)
    if not matched and activity.object is not None:
        # Some servers answer with a Follow object that carries no id we know: match it by its parties.
        target = activity.object.ref("object")
        follower = activity.object.ref("actor")
        if target == activity.actor and follower:
            row = await context.connection.fetchval(
                "SELECT activity_id FROM follows WHERE follower = $1 AND followee = $2 AND state <> 'rejected'",
                follower,
                target,
            )
            matched = bool(row) and await follows.on_answer(context.connection, row, activity.actor, accepted)
    if not matched:
        relay = await relays.on_answer(context.connection, follow_ref, activity.actor, accepted)
        if relay is not None:
            return f"relay subscription {relay.state}"
        return "ignored: no follow of ours matches"
    return "accepted" if accepted else "rejected"


async def on_undo(activity: Activity, context: Context) -> str:
    inner = activity.object
    inner_id = activity.object_id
    if inner_id is None:
        return "ignored: undo without object"
    if inner is not None and inner.ref("actor") not in (None, activity.actor):
        return "rejected: undo of someone else's activity"
    if (inner is None or inner.is_a("Follow")) and await follows.on_undo(context.connection, inner_id, activity.actor):
        return "unfollowed"
    result = await context.connection.execute(
        "DELETE FROM reactions WHERE activity_id = $1 AND actor = $2", inner_id, activity.actor
    )
    withdrawn = await claims_in.withdraw(activity, inner_id, context)
    if not result.endswith(" 0"):
        return "reaction withdrawn" + ("; claim withdrawn" if withdrawn else "")
    return "claim withdrawn" if withdrawn else "ignored: nothing to undo"


async def on_reaction(activity: Activity, context: Context) -> str:
    if activity.is_a("Announce") and await _from_relay(activity, context):
        # A relay rebroadcasts what its subscribers send: the Announce says nothing of the relay's own view.
        held = await context.connection.fetchval("SELECT 1 FROM figures WHERE uri = $1", activity.object_id)
        what = "a figure we hold" if held else "an object"
        return f"relayed by {activity.actor}: {what}, {activity.object_id}, not a claim"
    if activity.is_a("Announce") and activity.object is not None and activity.object.is_a("Like", "Create"):
        relayed = await claims_in.on_relayed(activity, context)
        return relayed or "ignored: relayed activity about nothing we know"
    claim = await claims_in.on_endorsement(activity, context)
    outcome = await _reaction(activity, context)
    return f"{outcome}; {claim}" if claim else outcome


async def _from_relay(activity: Activity, context: Context) -> bool:
    relay = await relays.find(context.connection, activity.actor)
    return relay is not None and relay.state == "accepted"


async def _reaction(activity: Activity, context: Context) -> str:
    target = activity.object_id
    if target is None or not context.instance.urls.is_local(target):
        return "ignored: not about one of our objects"
    known = await context.connection.fetchval("SELECT 1 FROM local_objects WHERE uri = $1", target)
    if not known:
        return "ignored: unknown local object"
    kind = "like" if activity.is_a("Like") else "announce"
    await context.connection.execute(
        "INSERT INTO reactions (activity_id, kind, actor, object, document) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (activity_id, actor) DO NOTHING",
        activity.id,
        kind,
        activity.actor,
        target,
        activity.to_json(),
    )
    return kind


async def on_create(activity: Activity, context: Context) -> str:
    note = activity.object
    if note is None or not note.is_a(*_NOTE_TYPES) or note.id is None:
        return "ignored: not an embedded note"
    if not await _concerns_us(activity, context):
        return "ignored: addressed to no one here and from no one we follow"
    await context.connection.execute(
        "INSERT INTO remote_objects (uri, attributed_to, type, document, in_reply_to, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uri) DO NOTHING",
        note.id,
        activity.actor,
        note.types[0],
        note.to_json(),
        note.ref("inReplyTo"),
        timestamp(note.get("updated")),
    )
    figure = await received_figures.remember(activity, note, context)
    joined = await joining.on_note(context.connection, context.instance, activity.actor, note)
    claim = await claims_in.on_reply(activity, note, context) if note.ref("inReplyTo") else None
    asked = await requests_in.on_note(activity, note, context)
    return "; ".join(part for part in ("stored", figure, joined, claim, asked) if part)


async def on_update(activity: Activity, context: Context) -> str:
    if activity.object is not None and activity.object.is_a(peers.SUMMARY_TYPE):
        return await _on_summary(activity, context)
    note = activity.object
    if note is None or note.id is None or not note.is_a(*_NOTE_TYPES):
        return "ignored: not an embedded note"
    result = await context.connection.execute(
        "UPDATE remote_objects SET document = $2, updated_at = $3 WHERE uri = $1 AND deleted_at IS NULL"
        " AND attributed_to = $4 AND (updated_at IS NULL OR updated_at < $3)",
        note.id,
        note.to_json(),
        timestamp(note.get("updated") or note.get("published")),
        activity.actor,
    )
    figure = await received_figures.remember(activity, note, context)
    if figure:
        return f"updated; {figure}"
    return "updated" if not result.endswith(" 0") else "ignored: not newer or unknown"


async def _on_summary(activity: Activity, context: Context) -> str:
    """A peer's consensus summary (mode B): replaces its previous one and triggers our own recomputation."""
    if not await peers.is_peer(context.connection, context.instance.urls, activity.actor):
        return "ignored: summary from an instance that is not our peer"
    made_at = claim_time(activity.get("published"), context.instance.clock())  # a summary from 2099 freezes nothing
    summary = peers.summary_from(
        activity.object.to_json() if activity.object else None, host_of(activity.actor), made_at
    )
    if summary is None:
        return "ignored: malformed summary"
    known = await context.connection.fetchval("SELECT 1 FROM figures WHERE uri = $1", summary.figure)
    if not known:
        return "ignored: summary of a figure we do not know"
    if not await peers.remember(context.connection, summary):
        return "ignored: an older summary"
    await queue.enqueue(context.connection, CONSENSUS, {"figure": summary.figure})
    return "summary replaced"


async def on_delete(activity: Activity, context: Context) -> str:
    target = activity.object_id
    if target is None:
        return "ignored: delete without object"
    if target == activity.actor:
        await context.remote.mark_gone(activity.actor)
        await follows.remove_actor(context.connection, activity.actor)
        return "actor deleted"
    if host_of(target) != host_of(activity.actor):
        return "rejected: object on another host"
    result = await context.connection.execute(
        "UPDATE remote_objects SET deleted_at = now(), document = jsonb_build_object('id', uri, 'type', 'Tombstone')"
        " WHERE uri = $1 AND attributed_to = $2 AND deleted_at IS NULL",
        target,
        activity.actor,
    )
    await claims_in.withdraw(activity, target, context)
    figure_gone = await received_figures.forget(activity, target, context)
    if figure_gone:
        return "tombstoned; figure deleted"
    return "tombstoned" if not result.endswith(" 0") else "ignored: unknown object"


async def _concerns_us(activity: Activity, context: Context) -> bool:
    urls = context.instance.urls
    if any(urls.is_local(uri) for uri in activity.recipients):
        return True
    note = activity.object
    if note is not None and note.ref("inReplyTo") and urls.is_local(note.ref("inReplyTo") or ""):
        return True
    followed = await context.connection.fetchval(
        "SELECT 1 FROM follows WHERE followee = $1 AND state = 'accepted' LIMIT 1", activity.actor
    )
    return bool(followed)


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Accept": on_accept,
    "Reject": on_reject,
    "Undo": on_undo,
    "Like": on_reaction,
    "Announce": on_reaction,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Flag": flags.on_flag,
}
