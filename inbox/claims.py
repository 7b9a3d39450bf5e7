"""Claims arriving in the inbox: likes, boosts and replies about figures we know, and claims relayed by groups.

A claim about a figure published here is also relayed by the figure's group to its followers, wrapped in an
``Announce`` (FEP-1b12) around the activity exactly as received, so that its proof still verifies and peer
instances compute their own consensus from the same claims. A relayed claim is accepted only from the group the
figure was published into, never in the name of one of our members, and counts only when ``authenticity``
establishes its author; its inner actor's domain is what the receiver's trust applies to. A claim's time is ours:
its receipt, moved back (never forward) by the sender's ``published``.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from actors import store
from fedi.domains import host_of
from fedi.normalise import Activity, MalformedActivity, Node, normalise_activity
from figures import claims as reading
from figures.claims import ClaimedValue
from inbox.authenticity import Established, establish, impersonation
from inbox.processor import Context
from inbox.relay import Relayer
from inbox.timestamps import claim_time
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


async def on_endorsement(activity: Activity, context: Context, *, relayed: Established | None = None) -> str | None:
    """A Like (or boost) of a figure: a claim of the endorsed version's value."""
    found = await _figure(context, activity.object_id)
    if found is None:
        return None
    figure, versions = found
    claimed = reading.endorsement(versions, figure.version, activity.get("version"), boost=activity.is_a("Announce"))
    if claimed is None:
        return None
    return await _record(activity, context, figure, claimed, activity.id or "", relayed)


async def on_reply(
    activity: Activity, note: Node, context: Context, *, relayed: Established | None = None
) -> str | None:
    """A reply to a figure: our correction object, or a value read from its text (marked as parsed), judged
    plausible against the figure's value and its current consensus."""
    found = await _figure(context, note.ref("inReplyTo"))
    if found is None or note.id is None:
        return None
    figure, _ = found
    known = await context.connection.fetchval("SELECT value FROM consensus WHERE figure_uri = $1", figure.uri)
    consensus = Decimal(str(known)) if known is not None else None
    correction = note.node("correction")
    if correction is not None:
        claimed = reading.correction(correction.to_json(), figure.figure, consensus)
    else:
        language = next(iter(note.content_map), None)
        claimed = reading.reply(note.content or "", figure.figure, "en" if language == "en" else None, consensus)
    if claimed is None:
        return "no claim: the reply holds no usable value"
    return await _record(activity, context, figure, claimed, note.id, relayed)


async def _record(
    activity: Activity,
    context: Context,
    figure: StoredFigure,
    claimed: ClaimedValue,
    reference: str,
    relayed: Established | None,
) -> str:
    made_at = claim_time(activity.get("published"), context.instance.clock(), figure.published)
    new = await claims.record(
        context.connection,
        figure.uri,
        activity.actor,
        host_of(activity.actor),
        claimed,
        reference,
        made_at,
        relayed.relayer if relayed else None,
        relayed.authenticity if relayed else "signed",
    )
    if new and relayed is None:
        await _relay(activity, context, figure, reference)
    parsed = (" (parsed)" if claimed.parsed else "") + (" (implausible)" if claimed.implausible else "")
    outcome = f"claim {claimed.kind} {claimed.value}{parsed}" if new else "claim already known"
    if relayed is None:
        return outcome
    if relayed.authenticity == claims.UNVERIFIED:
        return f"{outcome}, relayed, unverified and weighing nothing: {relayed.reason}"
    return f"{outcome}, relayed, author established ({relayed.authenticity}: {relayed.reason})"


async def _relay(activity: Activity, context: Context, figure: StoredFigure, reference: str) -> None:
    """Our group shares a claim on its figure with its followers, so peers weigh the same claims (at a bounded
    rate per actor: ``inbox.relay``). A domain this instance trusts at 0 is not passed on: its claims count
    nowhere here, and relaying them would hand them to peers in our group's name."""
    if await claims.blocked(context.connection, host_of(activity.actor)):
        return
    urls = context.instance.urls
    name = urls.local_name(figure.group_uri or "")
    group = await store.find(context.connection, name) if name else None
    if group is None or group.kind != "group":
        return
    relayer = Relayer(context.instance.pool, urls, context.instance.clock)
    public = figure.audience == "public"
    await relayer.offer(context.connection, group, figure.uri, public, (activity.actor, reference), activity.to_json())


async def _as_received(activity: Activity, context: Context) -> dict[str, Any] | None:
    """The activity as its sender wrote it: normalisation reshapes a document, and a proof signs the original."""
    document = await context.connection.fetchval(
        "SELECT document FROM inbox_activities WHERE activity_id = $1 AND actor = $2", activity.id, activity.actor
    )
    return document if isinstance(document, dict) else None


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
    refused = impersonation(inner, host_of(context.instance.urls.base))
    if refused:
        return f"rejected: {refused}"
    announce = await _as_received(activity, context)
    received = announce.get("object") if announce else None
    relayed = await establish(inner, received if isinstance(received, dict) else None, activity.actor, context.remote)
    if inner.is_a("Like"):
        return await on_endorsement(relayed.activity, context, relayed=relayed)
    note = relayed.note
    return await on_reply(relayed.activity, note, context, relayed=relayed) if note is not None else None


async def withdraw(activity: Activity, reference: str, context: Context) -> bool:
    figure = await claims.withdraw(context.connection, reference, activity.actor, context.instance.clock())
    return figure is not None
