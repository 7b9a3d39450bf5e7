"""Paged ``OrderedCollection``s: outbox, followers, following, featured.

The collection document carries ``totalItems`` and a link to its first page; pages carry ``orderedItems`` and
``next``/``prev``. Mastodon and others walk ``first`` → ``next``; they never need the whole set in one response.
Who follows a members-only group is its members' business: that collection says how many, with no pages to walk
(as Mastodon and GoToSocial do for an account that hides its network), and a person's ``following`` leaves out the
members-only groups of this instance, which would otherwise name their members one by one.

An outbox grows without end: its pages go by id (``?page=true&max_id=…``, newest first, as Mastodon's), so that
any page costs one index range, and its ``totalItems``, like a followers collection's, is a count kept by the
database as rows come and go (migration 0035), never a ``count(*)`` per read. Numbered pages (``?page=2``) of old
links still answer, up to ``NUMBERED_PAGES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.types import JSON

PAGE_SIZE = 20
#: Numbered pages of a keyset collection served by offset, for links made before it had keyset pages.
NUMBERED_PAGES = 50
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Keyset:
    """A page of a collection walked by id: the items below ``max_id``, or those above ``min_id`` (``prev``)."""

    max_id: int | None = None
    min_id: int | None = None

    def query(self) -> str:
        if self.max_id is not None:
            return f"?page=true&max_id={self.max_id}"
        if self.min_id is not None:
            return f"?page=true&min_id={self.min_id}"
        return "?page=true"


def keyset(query: Mapping[str, str]) -> Keyset | int | None:
    """What a query asks of a keyset collection: ``None`` for the collection itself, a ``Keyset`` page, or a page
    number (an old link). Raises ValueError for anything else."""
    if "max_id" in query or "min_id" in query or query.get("page") == "true":
        return Keyset(_id(query.get("max_id")), _id(query.get("min_id")))
    return page_number(query.get("page"))


def _id(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19 or int(raw) > _MAX_ID:
        raise ValueError("max_id and min_id must be whole numbers")
    return int(raw)


def keyset_collection(collection_id: str, total: int) -> JSON:
    return {
        "@context": AS2,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
        "first": f"{collection_id}?page=true",
        "last": f"{collection_id}?page=true&min_id=0",
    }


def keyset_page(collection_id: str, at: Keyset, rows: list[tuple[int, object]], more: bool, total: int) -> JSON:
    """``rows``: (id, item), newest first; ``more``: whether items lie beyond them in the direction walked."""
    document: JSON = {
        "@context": AS2,
        "id": f"{collection_id}{at.query()}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": [item for _, item in rows],
    }
    if not rows:
        return document
    older = more if at.min_id is None else at.min_id > 0
    newer = (at.max_id is not None) if at.min_id is None else more
    if older:
        document["next"] = f"{collection_id}?page=true&max_id={rows[-1][0]}"
    if newer:
        document["prev"] = f"{collection_id}?page=true&min_id={rows[0][0]}"
    return document


async def counted(db: Pool | Connection, kind: str, owner: str) -> int:
    """The count the database keeps of a collection (``outbox`` by actor row id, ``followers`` by actor id)."""
    total = await db.fetchval("SELECT total FROM collection_counts WHERE kind = $1 AND owner = $2", kind, owner)
    return int(total or 0)


async def public_posts(db: Pool | Connection) -> int:
    """Every local actor's public activities, from the kept counts: NodeInfo's ``localPosts`` is read by crawlers
    on every visit, and counting the outbox cost a scan of every activity."""
    total = await db.fetchval("SELECT sum(total) FROM collection_counts WHERE kind = 'outbox'")
    return int(total or 0)


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
    return await counted(db, "followers", actor_id)


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
    if listed == "follower":
        total = await follower_count(db, actor_id)
    else:  # a person follows a few actors; what ``where`` hides is no count the database keeps
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


async def outbox_page(db: Pool | Connection, local_id: int, at: Keyset) -> tuple[int, list[tuple[int, object]], bool]:
    """Public activities below ``max_id`` (newest first) or above ``min_id``; whether more lie beyond."""
    total = await counted(db, "outbox", str(local_id))
    if at.min_id is not None:
        found = await db.fetch(
            "SELECT id, document FROM outbox WHERE actor_id = $1 AND audience = 'public' AND id > $2"
            " ORDER BY id LIMIT $3",
            local_id,
            at.min_id,
            PAGE_SIZE + 1,
        )
        rows = [(row["id"], row["document"]) for row in found[:PAGE_SIZE]]
        return total, rows[::-1], len(found) > PAGE_SIZE
    found = await db.fetch(
        "SELECT id, document FROM outbox WHERE actor_id = $1 AND audience = 'public' AND id < $2"
        " ORDER BY id DESC LIMIT $3",
        local_id,
        _MAX_ID if at.max_id is None else at.max_id,
        PAGE_SIZE + 1,
    )
    return total, [(row["id"], row["document"]) for row in found[:PAGE_SIZE]], len(found) > PAGE_SIZE


async def outbox(db: Pool | Connection, local_id: int, number: int) -> tuple[int, list[object]]:
    """Public activities only; followers-only ones are served to approved followers by signed fetch."""
    total = await counted(db, "outbox", str(local_id))
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
