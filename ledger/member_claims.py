"""A local member's endorsement or correction of a figure, from the command line or a web form alike.

Both send what a Mastodon user's like or reply would carry — a ``Like`` of the figure, or a reply ``Note`` with a
``correction`` object — to the figure's group (which relays it) and its author, and count the member's claim here
at once, in the same transaction as the activity: a claim is never counted for an activity that was not queued,
nor an activity queued without its claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from actors.actor import Actor
from actors.notes import note_html
from actors.outbox import activity, iso, publish
from fedi.database import Pool
from fedi.jsonld import outgoing_context
from fedi.types import JSON
from fedi.urls import Urls
from figures import claims as reading
from figures.claims import ClaimedValue
from figures.figure import Figure, figure_from_wire
from ledger import claims
from ledger.publication import PublicationError


class MemberClaims:
    def __init__(self, pool: Pool, urls: Urls, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock

    async def parties(self, figure_uri: str) -> list[str]:
        """Who hears about a claim: the figure's group, which relays it, and its author."""
        row = await self._pool.fetchrow(
            "SELECT author, group_uri FROM figures WHERE uri = $1 AND deleted_at IS NULL", figure_uri
        )
        if row is None:
            raise PublicationError(f"no figure {figure_uri} known here (follow its group first)")
        return list(dict.fromkeys(uri for uri in (row["group_uri"], row["author"]) if uri))

    async def current(self, figure_uri: str) -> tuple[Figure, dict[int, Decimal]]:
        """The figure as it stands and the value of each of its versions."""
        row = await self._pool.fetchrow("SELECT id, wire, language FROM figures WHERE uri = $1", figure_uri)
        if row is None:
            raise PublicationError(f"no figure {figure_uri} known here")
        versions = await self._pool.fetch("SELECT version, wire FROM figure_versions WHERE figure_id = $1", row["id"])
        figure = figure_from_wire(row["wire"], "en" if row["language"] == "en" else "fr")
        return figure, {v["version"]: Decimal(str(v["wire"]["value"])) for v in versions}

    async def consensus(self, figure_uri: str) -> Decimal | None:
        known = await self._pool.fetchval("SELECT value FROM consensus WHERE figure_uri = $1", figure_uri)
        return Decimal(str(known)) if known is not None else None

    async def endorse(self, member: Actor, figure_uri: str) -> str:
        """A Like of the figure's current version; its id."""
        like = activity(
            self._urls,
            self._urls.actor(member.name),
            "Like",
            figure_uri,
            to=await self.parties(figure_uri),
            published=self._clock(),
        )
        figure, versions = await self.current(figure_uri)
        await self._send(member, figure_uri, like, None, reading.endorsement(versions, figure.version))
        return str(like["id"])

    async def claimed(self, figure_uri: str, text: str, correction: JSON | None) -> ClaimedValue | None:
        """What a reply claims: its ``correction`` object, held to the figure's plausibility rule, or else what
        its text says (nothing, for a thank-you). Raises ``FiguresError`` for a correction that cannot be read."""
        figure, _ = await self.current(figure_uri)
        consensus = await self.consensus(figure_uri)
        if correction is not None:
            return reading.correction(correction, figure, consensus)
        return reading.reply(text, figure, None, consensus)

    def reply_note(self, member: Actor, in_reply_to: str, text: str, to: list[str]) -> JSON:
        return {
            "@context": outgoing_context(),
            "id": self._urls.object(str(uuid.uuid4())),
            "type": "Note",
            "attributedTo": self._urls.actor(member.name),
            "inReplyTo": in_reply_to,
            "content": note_html(text),
            "published": iso(self._clock()),
            "to": to,
            "cc": [],
        }

    async def reply(
        self, member: Actor, figure_uri: str, text: str, correction: JSON | None, claimed: ClaimedValue | None
    ) -> str:
        """A reply to the figure, with its ``correction`` when given; the claim as :meth:`claimed` read it."""
        note = self.reply_note(member, figure_uri, text, await self.parties(figure_uri))
        if correction is not None:
            note["correction"] = correction
        create = activity(
            self._urls, self._urls.actor(member.name), "Create", note, to=note["to"], published=self._clock()
        )
        await self._send(member, figure_uri, create, note, claimed)
        return str(note["id"])

    async def _send(
        self, member: Actor, figure_uri: str, document: JSON, obj: JSON | None, claimed: ClaimedValue | None
    ) -> None:
        reference = str(obj["id"] if obj is not None else document["id"])
        async with self._pool.acquire() as connection, connection.transaction():
            await publish(connection, member, document, "direct", obj=obj)
            if claimed is not None:
                await claims.record(
                    connection,
                    figure_uri,
                    self._urls.actor(member.name),
                    self._urls.domain,
                    claimed,
                    reference,
                    self._clock(),
                )
