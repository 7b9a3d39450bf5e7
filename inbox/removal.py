"""An admin removes what a remote actor sent: one post, figure or claim, or the actor and everything of theirs.

Removal takes the path a peer's own ``Delete`` takes (``inbox.handlers.on_delete``), as if the author had sent it:
the post is tombstoned, the claims it made are withdrawn (their figures' consensus is computed again), a figure we
held from a peer is deleted. It also takes the post out of our members' inboxes. Removing an actor forgets them as
a deleted actor is forgotten (follows both ways, cached keys) and removes each of their posts and claims. Nothing
is sent: the author's server is not told, and a new post from them arrives as any other would (block the domain
to stop that).
"""

from __future__ import annotations

from dataclasses import dataclass

from fedi.database import Connection
from fedi.instance import Instance
from fedi.normalise import normalise_activity
from inbox import handlers
from inbox.processor import Context
from inbox.remote import RemoteActors
from ledger import claims


class RemovalError(ValueError):
    """The URL names nothing held here from elsewhere."""


@dataclass(frozen=True)
class Removed:
    what: str  # "actor" or "object"
    objects: int
    claims: int


async def remove(instance: Instance, remote: RemoteActors, url: str) -> Removed:
    if instance.urls.is_local(url):
        raise RemovalError(f"{url} is ours: use chiffres actor delete or figure delete for local things")
    async with instance.pool.acquire() as connection, connection.transaction():
        context = Context(instance, remote, connection)
        if await _is_actor(connection, url):
            return await _remove_actor(context, url)
        found = await _remove_object(context, url)
    if found is None:
        raise RemovalError(f"no remote actor, post, figure or claim {url} held here")
    return found


async def _is_actor(connection: Connection, url: str) -> bool:
    known = await connection.fetchval(
        "SELECT EXISTS (SELECT 1 FROM remote_actors WHERE uri = $1)"
        " OR EXISTS (SELECT 1 FROM follows WHERE follower = $1 OR followee = $1)",
        url,
    )
    return bool(known)


async def _remove_actor(context: Context, actor: str) -> Removed:
    connection = context.connection
    withdrawn = await _live(context, "actor = $1", actor)
    await _delete(context, actor, actor)  # as their own Delete: gone, follows removed
    uris = [
        row["uri"]
        for row in await connection.fetch(
            "SELECT uri FROM remote_objects WHERE attributed_to = $1 AND deleted_at IS NULL"
            " UNION SELECT uri FROM figures WHERE (author = $1 OR group_uri = $1) AND deleted_at IS NULL"
            " AND origin <> $2",
            actor,
            context.instance.urls.domain,
        )
    ]
    for uri in uris:
        await _delete(context, actor, uri)
    await _withdraw(context, "actor = $1", actor)
    await connection.execute("DELETE FROM reactions WHERE actor = $1", actor)
    await connection.execute(
        "DELETE FROM inbox_items WHERE activity IN (SELECT id FROM inbox_activities WHERE actor = $1)", actor
    )
    return Removed("actor", len(uris), withdrawn)


async def _remove_object(context: Context, url: str) -> Removed | None:
    connection = context.connection
    author = await connection.fetchval(
        "SELECT attributed_to FROM remote_objects WHERE uri = $1 AND deleted_at IS NULL", url
    ) or await connection.fetchval(
        "SELECT coalesce(group_uri, author) FROM figures WHERE uri = $1 AND deleted_at IS NULL AND origin <> $2",
        url,
        context.instance.urls.domain,
    )
    withdrawn = await _live(context, "reference = $1", url)
    if author is not None:
        await _delete(context, str(author), url)
    await _withdraw(context, "reference = $1", url)
    reactions = await connection.execute("DELETE FROM reactions WHERE activity_id = $1", url)
    await connection.execute(
        "DELETE FROM inbox_items WHERE activity IN (SELECT id FROM inbox_activities WHERE activity_id = $1"
        " OR document->>'object' = $1 OR document->'object'->>'id' = $1)",
        url,
    )
    if author is None and not withdrawn and reactions.endswith(" 0"):
        return None
    return Removed("object", 1 if author is not None else 0, withdrawn)


async def _delete(context: Context, actor: str, target: str) -> str:
    delete = normalise_activity({"id": f"{target}#removed", "type": "Delete", "actor": actor, "object": target})
    return await handlers.on_delete(delete, context)


async def _live(context: Context, where: str, value: str) -> int:
    """How many live claims match ``where`` (``$1`` is ``value``), before removal withdraws them."""
    count = await context.connection.fetchval(
        f"SELECT count(*) FROM claims WHERE {where} AND withdrawn_at IS NULL",
        value,
    )
    return int(count)


async def _withdraw(context: Context, where: str, value: str) -> None:
    """Withdraw the live claims matching ``where`` (``$1`` is ``value``), and queue their figures' consensus."""
    connection = context.connection
    rows = await connection.fetch(
        f"UPDATE claims SET withdrawn_at = $2 WHERE {where} AND withdrawn_at IS NULL RETURNING figure_uri",
        value,
        context.instance.clock(),
    )
    for figure in sorted({row["figure_uri"] for row in rows}):
        await claims.pending(connection, figure)
