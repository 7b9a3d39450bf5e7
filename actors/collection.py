"""Paged ``OrderedCollection``s: outbox, followers, following, featured.

The collection document carries ``totalItems`` and a link to its first page; pages carry ``orderedItems`` and
``next``/``prev``. Mastodon and others walk ``first`` → ``next``; they never need the whole set in one response.
Who follows a members-only group is its members' business: that collection says how many, with no pages to walk
(as Mastodon and GoToSocial do for an account that hides its network), and a person's ``following`` leaves out the
members-only groups of this instance, which would otherwise name their members one by one.
"""

from __future__ import annotations

from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.types import JSON

PAGE_SIZE = 20


def collection(collection_id: str, total: int) -> JSON:
    return {
        "@context": AS2,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{collection_id}?page=1",
        "last": f"{collection_id}?page={max(1, -(-total // PAGE_SIZE))}",
    }


def count_only(collection_id: str, total: int) -> JSON:
    return {"@context": AS2, "id": collection_id, "type": "OrderedCollection", "totalItems": total}


def page(collection_id: str, number: int, items: list[object], total: int) -> JSON:
    document: JSON = {
        "@context": AS2,
        "id": f"{collection_id}?page={number}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if number * PAGE_SIZE < total:
        document["next"] = f"{collection_id}?page={number + 1}"
    if number > 1:
        document["prev"] = f"{collection_id}?page={number - 1}"
    return document


def page_number(raw: str | None) -> int | None:
    """``None`` for the collection itself; raises ValueError for a page that is not a positive integer."""
    if raw is None:
        return None
    number = int(raw)
    if number < 1 or number > 1_000_000:
        raise ValueError("page must be a positive integer")
    return number


async def followers(db: Pool | Connection, actor_id: str, number: int) -> tuple[int, list[object]]:
    """Accepted followers only: pending and rejected follows are nobody's business."""
    return await _follow_side(db, "follower", "followee", actor_id, number)


async def follower_count(db: Pool | Connection, actor_id: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM follows WHERE followee = $1 AND state = 'accepted'", actor_id)
    return count


async def following(db: Pool | Connection, actor_id: str, number: int, actors_base: str) -> tuple[int, list[object]]:
    """Accepted follows, less local groups that are not public (``actors_base`` + name is a local actor's id)."""
    hidden = (
        "NOT EXISTS (SELECT 1 FROM actors g WHERE g.kind = 'group' AND g.visibility <> 'public'"
        " AND $2::text || g.name = followee)"
    )
    return await _follow_side(db, "followee", "follower", actor_id, number, hidden, actors_base)


async def _follow_side(
    db: Pool | Connection, listed: str, anchor: str, actor_id: str, number: int, where: str = "true", *args: object
) -> tuple[int, list[object]]:
    """``where`` may use ``$2``… for ``args``; the page's own arguments come after them."""
    clause = f"{anchor} = $1 AND state = 'accepted' AND {where}"
    total = await db.fetchval(f"SELECT count(*) FROM follows WHERE {clause}", actor_id, *args)
    after = len(args) + 2
    rows = await db.fetch(
        f"SELECT {listed} AS uri FROM follows WHERE {clause} ORDER BY id DESC LIMIT ${after} OFFSET ${after + 1}",
        actor_id,
        *args,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
    )
    return total, [row["uri"] for row in rows]


async def outbox(db: Pool | Connection, local_id: int, number: int) -> tuple[int, list[object]]:
    """Public activities only; followers-only ones are served to approved followers by signed fetch."""
    total = await db.fetchval("SELECT count(*) FROM outbox WHERE actor_id = $1 AND audience = 'public'", local_id)
    rows = await db.fetch(
        "SELECT document FROM outbox WHERE actor_id = $1 AND audience = 'public' ORDER BY id DESC LIMIT $2 OFFSET $3",
        local_id,
        PAGE_SIZE,
        (number - 1) * PAGE_SIZE,
    )
    return total, [row["document"] for row in rows]


async def featured(db: Pool | Connection, local_id: int) -> list[object]:
    """What the actor pinned, newest first, each object in full: Mastodon reads a featured collection's items
    without fetching them again, and a profile pins a handful of posts, never a page's worth. Public ones only."""
    rows = await db.fetch(
        "SELECT o.document FROM featured f JOIN local_objects o ON o.uri = f.uri"
        " WHERE f.actor_id = $1 AND o.audience = 'public' ORDER BY f.pinned_at DESC, f.uri",
        local_id,
    )
    return [row["document"] for row in rows]


def inline(collection_id: str, items: list[object]) -> JSON:
    """A small collection with its items in it, as Mastodon serves ``featured``."""
    return {
        "@context": AS2,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
