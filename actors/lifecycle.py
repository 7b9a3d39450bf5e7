"""An admin edits, suspends or deletes a local actor, and its followers are told through the normal delivery path.

An edit is an ``Update`` of the actor's document to its followers (Mastodon refreshes the profile it shows), and so
are a suspension (the document marked ``suspended``) and its end; a deletion is a ``Delete`` of the actor, signed
with its keys, after which its address answers 410 (``actors.standing``). The actor's follows are left for the
fan-out of that ``Delete`` to read.
"""

from __future__ import annotations

from dataclasses import replace

from actors import standing
from actors.actor import Actor, ActorError
from actors.document import actor_document
from actors.outbox import activity, publish
from fedi.database import Pool
from fedi.normalise import PUBLIC
from fedi.types import JSON, Clock
from fedi.urls import Urls

MAX_DISPLAY_NAME = 100
MAX_SUMMARY = 2000


async def edit(
    pool: Pool, urls: Urls, clock: Clock, actor: Actor, *, display_name: str | None, summary: str | None
) -> JSON:
    """Change what people see of the actor and send its new document to its followers; the ``Update`` sent."""
    if display_name is None and summary is None:
        raise ActorError("nothing to change: give --display-name or --summary")
    if display_name is not None and len(display_name) > MAX_DISPLAY_NAME:
        raise ActorError(f"the display name is over {MAX_DISPLAY_NAME} characters")
    if summary is not None and len(summary) > MAX_SUMMARY:
        raise ActorError(f"the summary is over {MAX_SUMMARY} characters")
    async with pool.acquire() as connection, connection.transaction():
        await standing.check(connection, actor)
        await connection.execute(
            "UPDATE actors SET display_name = coalesce($2, display_name), summary = coalesce($3, summary)"
            " WHERE id = $1",
            actor.id,
            display_name,
            summary,
        )
        changed = replace(
            actor,
            display_name=actor.display_name if display_name is None else display_name,
            summary=actor.summary if summary is None else summary,
        )
        document = actor_document(changed, urls)
        update = _to_followers(urls, changed, "Update", document, clock)
        await publish(connection, changed, update, "public")
    return update


async def suspend(pool: Pool, urls: Urls, clock: Clock, actor: Actor, *, undo: bool = False) -> JSON | None:
    """Suspend the actor, or lift its suspension, and send its followers its document as it now reads; the
    ``Update`` sent, or None when there was nothing to change.

    Mastodon does the same both ways (``distribute_update_actor!``), and a server that receives the document
    marked ``suspended`` shows the account suspended, then back when it receives the plain one: without them,
    followers elsewhere go on showing a suspended actor as active until they fetch it again. The ``Update`` is
    published while the actor is active, in the transaction that changes its standing, since a suspended actor
    publishes nothing.
    """
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT 1 FROM actors WHERE id = $1 FOR UPDATE", actor.id)
        state = await standing.of(connection, actor.id)
        if state == "deleted" or (state == "suspended") != undo:
            return None
        if undo:
            await standing.suspend(connection, actor, undo=True)
        document = actor_document(actor, urls) if undo else standing.suspended_document(actor, urls)
        update = _to_followers(urls, actor, "Update", document, clock)
        await publish(connection, actor, update, "public")
        if not undo:
            await standing.suspend(connection, actor)
    return update


async def delete(pool: Pool, urls: Urls, clock: Clock, actor: Actor) -> JSON:
    """Tell the actor's followers it is gone, then make its address a ``Tombstone``; the ``Delete`` sent."""
    async with pool.acquire() as connection, connection.transaction():
        if await standing.of(connection, actor.id) == "deleted":
            raise ActorError(f"@{actor.name} is already deleted")
        await connection.execute("UPDATE actors SET suspended_at = NULL WHERE id = $1", actor.id)
        gone = _to_followers(urls, actor, "Delete", urls.actor(actor.name), clock)
        await publish(connection, actor, gone, "public")
        await connection.execute("UPDATE actors SET deleted_at = $2 WHERE id = $1", actor.id, clock())
    return gone


def _to_followers(urls: Urls, actor: Actor, kind: str, obj: object, clock: Clock) -> JSON:
    actor_id = urls.actor(actor.name)
    return activity(urls, actor_id, kind, obj, to=[PUBLIC], cc=[urls.followers(actor.name)], published=clock())
