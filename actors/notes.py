"""Plain notes: the general machinery of publishing, before figures take their place."""

from __future__ import annotations

import html
import uuid

from actors.actor import Actor
from actors.outbox import activity, iso, publish
from fedi.database import Pool
from fedi.negotiation import AS2
from fedi.normalise import PUBLIC
from fedi.types import JSON, Clock
from fedi.urls import Urls

VISIBILITIES = ("followers", "public")


def note_html(text: str) -> str:
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    return "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)


def addressing(urls: Urls, actor: Actor, visibility: str) -> tuple[list[str], list[str]]:
    """Followers-only notes put the followers collection in ``to``: Mastodon's parser reads ``to`` only."""
    followers = urls.followers(actor.name)
    if visibility == "public":
        return [PUBLIC], [followers]
    return [followers], []


async def post(
    pool: Pool, urls: Urls, actor: Actor, text: str, visibility: str, clock: Clock, language: str = "fr"
) -> JSON:
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    now = clock()
    to, cc = addressing(urls, actor, visibility)
    note: JSON = {
        "@context": AS2,
        "id": urls.object(str(uuid.uuid4())),
        "type": "Note",
        "attributedTo": urls.actor(actor.name),
        "content": note_html(text),
        "contentMap": {language: note_html(text)},
        "published": iso(now),
        "to": to,
        "cc": cc,
    }
    note["url"] = note["id"]
    create = activity(urls, urls.actor(actor.name), "Create", note, to=to, cc=cc, published=now)
    async with pool.acquire() as connection:
        await publish(connection, actor, create, "public" if visibility == "public" else "followers", obj=note)
    return note
