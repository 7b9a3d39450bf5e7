"""A group's pinned "ask here" post: where a follower asks for a figure from their Mastodon app by replying.

Asking with a post that mentions the group and carries ``#cherche`` works, but people have to know it; a post
pinned at the top of the group's profile tells them, and a reply to it asks without any hashtag
(:mod:`inbox.requests`). The post is public (it holds no figure) and pinned as Mastodon pins: it is in the group's
``featured`` collection, which Mastodon reads when it first meets the group, and an ``Add`` to that collection
tells the followers' servers at once. Pinning is idempotent: one such post per group.
"""

from __future__ import annotations

import uuid
from typing import Final

from actors.actor import Actor
from actors.notes import addressing
from actors.outbox import activity, iso, publish
from fedi.database import Connection, Pool
from fedi.negotiation import AS2
from fedi.types import JSON, Clock
from fedi.urls import Urls
from figures.html import Html, escape, paragraph, strong
from figures.numbers import LANGUAGES, Lang

__all__ = ["ask_here", "pin_ask_here"]

_TEXT: Final[dict[Lang, tuple[str, str, str]]] = {
    "fr": (
        "Vous cherchez un chiffre ?",
        " Répondez à ce message en disant ce qu'il mesure, où et quand, par exemple : « loyer médian d'un T2 à"
        " Lyon en 2026-Q2, unité : €/mois ».",
        " Si nous l'avons, la réponse arrive tout de suite ; sinon, la demande part aux membres du groupe.",
    ),
    "en": (
        "Looking for a figure?",
        " Reply to this post saying what it measures, where and when, for instance: “median rent of a 2-room flat"
        " in Lyon in 2026-Q2, unit: €/month”.",
        " If we hold it, the answer comes at once; otherwise the request goes to the group's members.",
    ),
}


def _content(lang: Lang) -> Html:
    title, how, then = _TEXT[lang]
    return paragraph(strong(title), escape(how), escape(then))


async def ask_here(db: Pool | Connection, uri: str) -> str | None:
    """The name of the group whose "ask here" post ``uri`` is, or None for any other post."""
    found: str | None = await db.fetchval(
        "SELECT a.name FROM featured f JOIN actors a ON a.id = f.actor_id WHERE f.uri = $1 AND f.purpose = 'ask'", uri
    )
    return found


async def pin_ask_here(pool: Pool, urls: Urls, clock: Clock, group: Actor, language: str = "fr") -> tuple[str, bool]:
    """The group's "ask here" post, sent to its followers and pinned the first time; its id, and whether it was
    made now."""
    if group.kind != "group":
        raise ValueError("only a group asks for figures")
    first: Lang = "en" if language == "en" else "fr"
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT 1 FROM actors WHERE id = $1 FOR UPDATE", group.id)
        pinned: str | None = await connection.fetchval(
            "SELECT uri FROM featured WHERE actor_id = $1 AND purpose = 'ask'", group.id
        )
        if pinned is not None:
            return pinned, False
        now = clock()
        group_id = urls.actor(group.name)
        to, cc = addressing(urls, group, "public")
        contents = {lang: str(_content(lang)) for lang in (first, *(lang for lang in LANGUAGES if lang != first))}
        note: JSON = {
            "@context": AS2,
            "id": urls.object(str(uuid.uuid4())),
            "type": "Note",
            "attributedTo": group_id,
            "content": contents[first],
            "contentMap": contents,
            "published": iso(now),
            "to": to,
            "cc": cc,
        }
        note["url"] = note["id"]
        create = activity(urls, group_id, "Create", note, to=to, cc=cc, published=now)
        await publish(connection, group, create, "public", obj=note)
        add = activity(urls, group_id, "Add", note["id"], to=to, cc=cc, published=now)
        add["target"] = urls.featured(group.name)
        await publish(connection, group, add, "public")
        await connection.execute(
            "INSERT INTO featured (actor_id, uri, purpose, pinned_at) VALUES ($1, $2, 'ask', $3)",
            group.id,
            note["id"],
            now,
        )
        return str(note["id"]), True
