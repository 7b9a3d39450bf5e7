"""Claims arriving in the inbox: likes, boosts and replies about figures we know, and claims relayed by groups.

A claim about a figure published here is also relayed by the figure's group to its followers, wrapped in an
``Announce`` (FEP-1b12), so that peer instances compute their own consensus from the same claims. A relayed claim
is accepted only from the group the figure was published into; its inner actor's domain is what the receiver's
trust applies to.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from actors import store
from actors.outbox import activity as new_activity
from actors.outbox import publish
from fedi.normalise import PUBLIC, Activity, MalformedActivity, Node, normalise_activity
from figures import claims as reading
from figures.claims import ClaimedValue
from inbox.processor import Context
from inbox.remote import host_of
from inbox.timestamps import timestamp
from ledger import claims
from ledger.publication import StoredFigure, stored

logger = logging.getLogger(__name__)

_COLUMNS = "id, uri, author, group_uri, audience, version, wire, note, published, updated, deleted_at, origin, language"


async def _figure(context: Context, uri: str | None) -> tuple[StoredFigure, dict[int, Decimal]] | None:
    if uri is None:
        return None
    row = await context.connection.fetchrow(
        f"SELECT {_COLUMNS} FROM figures WHERE uri = $1 AND deleted_at IS NULL", uri
    )
    if row is None:
        return None
    versions = await context.connection.fetch(
        "SELECT version, wire FROM figure_versions WHERE figure_id = $1", row["id"]
    )
    return stored(row), {v["version"]: Decimal(str(v["wire"]["value"])) for v in versions}


async def on_endorsement(activity: Activity, context: Context, *, relayed_by: str | None = None) -> str | None:
    """A Like (or boost) of a figure: a claim of the endorsed version's value."""
    found = await _figure(context, activity.object_id)
    if found is None:
        return None
    figure, versions = found
    claimed = reading.endorsement(versions, figure.version, activity.get("version"), boost=activity.is_a("Announce"))
    if claimed is None:
        return None
    return await _record(activity, context, figure, claimed, activity.id or "", relayed_by)


async def on_reply(activity: Activity, note: Node, context: Context, *, relayed_by: str | None = None) -> str | None:
    """A reply to a figure: our correction object, or a value read from its text (marked as parsed)."""
    found = await _figure(context, note.ref("inReplyTo"))
    if found is None or note.id is None:
        return None
    figure, _ = found
    correction = note.node("correction")
    if correction is not None:
        claimed = reading.correction(correction.to_json(), figure.figure)
    else:
        language = next(iter(note.content_map), None)
        claimed = reading.reply(note.content or "", figure.figure, "en" if language == "en" else None)
    if claimed is None:
        return "no claim: the reply holds no usable value"
    return await _record(activity, context, figure, claimed, note.id, relayed_by)


async def _record(
    activity: Activity,
    context: Context,
    figure: StoredFigure,
    claimed: ClaimedValue,
    reference: str,
    relayed_by: str | None,
) -> str:
    made_at = timestamp(activity.get("published")) or context.instance.clock()
    uri = figure.uri
    new = await claims.record(
        context.connection, uri, activity.actor, host_of(activity.actor), claimed, reference, made_at, relayed_by
    )
    if new and relayed_by is None:
        await _relay(activity, context, figure)
    parsed = " (parsed)" if claimed.parsed else ""
    return f"claim {claimed.kind} {claimed.value}{parsed}" if new else "claim already known"


async def _relay(activity: Activity, context: Context, figure: StoredFigure) -> None:
    """Our group shares a claim on its figure with its followers, so peers weigh the same claims."""
    urls = context.instance.urls
    group_uri = figure.group_uri
    name = urls.local_name(group_uri or "")
    group = await store.find(context.connection, name) if name else None
    if group is None or group.kind != "group":
        return
    followers = urls.followers(group.name)
    public = figure.audience == "public"
    to, cc = ([PUBLIC], [followers]) if public else ([followers], [])
    announce = new_activity(
        urls, urls.actor(group.name), "Announce", activity.to_json(), to=to, cc=cc, published=context.instance.clock()
    )
    await publish(context.connection, group, announce, "public" if public else "followers")


async def on_relayed(activity: Activity, context: Context) -> str | None:
    """An Announce whose object is a claim activity about a figure, from the figure's own group."""
    inner_data = activity.object
    if inner_data is None:
        return None
    try:
        inner = normalise_activity(inner_data.to_json())
    except MalformedActivity:
        return None
    if not inner.is_a("Like", "Create"):
        return None
    target = inner.object_id if inner.is_a("Like") else (inner.object.ref("inReplyTo") if inner.object else None)
    found = await _figure(context, target)
    if found is None:
        return None
    figure, _ = found
    if figure.group_uri != activity.actor or host_of(figure.uri) != host_of(activity.actor):
        return "ignored: claims are relayed only by the figure's group"
    if inner.is_a("Like"):
        return await on_endorsement(inner, context, relayed_by=activity.actor)
    note = inner.object
    return await on_reply(inner, note, context, relayed_by=activity.actor) if note is not None else None


async def withdraw(activity: Activity, reference: str, context: Context) -> bool:
    figure = await claims.withdraw(context.connection, reference, activity.actor, context.instance.clock())
    return figure is not None
