"""A local actor's standing: active, suspended by an admin, or deleted.

A suspended actor cannot publish (a group's publications are kept unsent), its inbox refuses
(``inbox.suspension``), and its document says ``suspended`` with its profile left blank, as Mastodon presents a
suspended account — its id and keys stay, so that what it signed before still verifies and the suspension can be
undone. A deleted actor answers 410 with a ``Tombstone``
for good; its keys are kept only to sign the ``Delete`` its followers receive.
"""

from __future__ import annotations

from typing import Literal

from starlette.exceptions import HTTPException
from starlette.responses import Response

from actors.actor import Actor, ActorError
from actors.document import ACTOR_CONTEXT, actor_document
from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.responses import activity_json
from fedi.urls import Urls

Standing = Literal["active", "suspended", "deleted"]


class ActorSuspended(ActorError):
    """The actor is suspended or deleted: it cannot publish."""


async def of(db: Pool | Connection, actor_id: int) -> Standing:
    row = await db.fetchrow("SELECT suspended_at, deleted_at FROM actors WHERE id = $1", actor_id)
    if row is None or row["deleted_at"] is not None:
        return "deleted"
    return "suspended" if row["suspended_at"] is not None else "active"


async def check(db: Pool | Connection, actor: Actor) -> None:
    """Refuse to publish in the name of an actor that is not active."""
    standing = await of(db, actor.id)
    if standing != "active":
        raise ActorSuspended(f"@{actor.name} is {standing} and cannot publish")


async def sends(db: Pool | Connection, actor: Actor) -> bool:
    """Whether what the actor publishes is sent: a person not active is refused (they asked, and are told why); a
    group's publications not active are kept unsent instead, since a group publishes from background jobs (claims
    relayed, consensus updates, welcomes) that would otherwise fail again and again on every claim that arrives."""
    if actor.kind == "person":
        await check(db, actor)
        return True
    return await of(db, actor.id) == "active"


async def suspend(db: Pool | Connection, actor: Actor, *, undo: bool = False) -> bool:
    """Suspend the actor, or lift its suspension; False when there was nothing to change."""
    changed = await db.fetchval(
        "UPDATE actors SET suspended_at = CASE WHEN $2 THEN NULL ELSE now() END WHERE id = $1"
        " AND deleted_at IS NULL AND (suspended_at IS NULL) = NOT $2 RETURNING id",
        actor.id,
        undo,
    )
    return changed is not None


def suspended_document(actor: Actor, urls: Urls) -> dict[str, object]:
    document = actor_document(actor, urls)
    context = [dict(part, suspended="toot:suspended") if isinstance(part, dict) else part for part in ACTOR_CONTEXT]
    document.update({"@context": context, "name": "", "summary": "", "suspended": True})
    document.pop("attachment", None)
    return document


async def answer(db: Pool | Connection, actor: Actor, urls: Urls, machine: bool) -> Response | None:
    """What the actor's address answers when the actor is not active (None when it is): a ``Tombstone`` with 410
    once deleted; while suspended, its document marked ``suspended`` for servers and a 403 page for people."""
    standing = await of(db, actor.id)
    if standing == "active":
        return None
    if standing == "deleted":
        if machine:
            return activity_json({"@context": AS2, "id": urls.actor(actor.name), "type": "Tombstone"}, status=410)
        raise HTTPException(410, "this account was deleted")
    if machine:
        return activity_json(suspended_document(actor, urls))
    raise HTTPException(403, "this account is suspended")
