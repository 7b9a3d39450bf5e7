"""Publishing figures: a member publishes into a group, every edit is a new version, a deletion a tombstone.

The group sends the ``Create``, ``Update`` and ``Delete`` activities and is the Note's ``attributedTo``: strict
receivers (Takahē) refuse an activity whose actor is not its object's ``attributedTo``, and Mastodon files a post
under the activity's actor whatever the object says. Its followers are the audience (``to``: the followers
collection for a ``members`` group, Public for a ``public`` one): Mastodon shows a followers-only post only to
followers of the activity's actor, and only the group is followed. The member who contributed the figure is
credited in it (``contributor`` in the figure object, a Mention, "Publié par @ana" in the text), and stays its
author here: the ``figures`` row, the API and the publish claim are theirs. Each version is stored, and served by
the API.

Figures sent before the group was their ``attributedTo`` (their Note names the member) change sides at their next
Update, which names the group like every Update now. Mastodon accepts it: it looks the post up by id and by the
activity's actor, the group, under which it filed the original ``Create``, and never compares ``attributedTo``
with what it stored. Takahē refused that ``Create`` and has no copy, so it would drop the Update as an edit of a
post it never saw (and it would refuse any Update still naming the member). So the first Update of such a figure
follows a ``Create`` of the same, new Note: Takahē takes it as the figure's first appearance, Mastodon and our
peers, who have the figure, ignore it as a repeat. Either order of arrival leaves every receiver with the new
version.

Only a group's members speak through it: publishing and changing a figure need the person's follow of the group
to be accepted, checked here so that the API and the command line cannot differ. A member whose access was revoked
may still withdraw what they published.

The module runs a little past 400 lines because publishing, updating and deleting share, each in one
transaction, the member check, the group's addressing and the publish claim; apart, each would have to restate it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from actors import store
from actors.actor import Actor, ActorError
from actors.outbox import activity, publish
from consensus import verdict
from consensus.vocabulary import Consensus
from fedi.database import Connection, Pool
from fedi.normalise import PUBLIC
from fedi.types import JSON, Clock
from fedi.urls import Urls
from figures.claims import publication
from figures.figure import Figure, build_figure, figure_from_wire, figure_to_wire, revise
from figures.note import Contributor, edit_time, note_object
from figures.numbers import Lang
from ledger import claims, reciprocity


class PublicationError(ActorError):
    """A figure cannot be published, changed or deleted as asked (unknown, not yours, not a group…)."""


class NotAMember(PublicationError):
    """The person is not an approved member of the group: their follow of it is missing, pending or revoked."""


@dataclass(frozen=True)
class StoredFigure:
    id: int
    uri: str
    author: str
    group_uri: str | None
    audience: str
    version: int
    figure: Figure
    note: JSON
    published: datetime
    updated: datetime | None
    deleted: bool
    origin: str


_COLUMNS = "id, uri, author, group_uri, audience, version, wire, note, published, updated, deleted_at, origin, language"


def stored(row: Mapping[str, Any] | asyncpg.Record) -> StoredFigure:
    return StoredFigure(
        id=row["id"],
        uri=row["uri"],
        author=row["author"],
        group_uri=row["group_uri"],
        audience=row["audience"],
        version=row["version"],
        figure=figure_from_wire(row["wire"], row["language"]),
        note=row["note"],
        published=row["published"],
        updated=row["updated"],
        deleted=row["deleted_at"] is not None,
        origin=row["origin"],
    )


def search_text(figure: Figure) -> str:
    parts = [
        figure.measures,
        figure.place.name or "",
        figure.place.code or "",
        figure.method or "",
        figure.source.title or "",
        " ".join(figure.tags),
    ]
    return " ".join(part for part in parts if part)


def _columns(figure: Figure) -> tuple[object, ...]:
    return (
        figure.value,
        figure.unit.code,
        figure.measures,
        figure.place.name,
        figure.place.code,
        str(figure.period) if figure.period else None,
        figure.period.start if figure.period else None,
        figure.period.end if figure.period else None,
        list(figure.tags),
        figure.language,
        search_text(figure),
    )


async def save(
    connection: Connection,
    *,
    uri: str,
    origin: str,
    author: str,
    group_uri: str | None,
    author_id: int | None,
    group_id: int | None,
    audience: str,
    figure: Figure,
    note: JSON,
    published: datetime,
    updated: datetime | None,
) -> int:
    """Insert or move a figure to a newer version, keeping the version; older or equal versions are ignored."""
    wire = figure_to_wire(figure)
    figure_id: int | None = await connection.fetchval(
        "INSERT INTO figures (uri, origin, author, group_uri, author_id, group_id, audience, version, wire, note,"
        " value, unit_code, measures, place_name, place_code, period, period_start, period_end, tags, language,"
        " search_text, published, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
        " $16, $17, $18, $19, $20, $21, $22, $23)"
        " ON CONFLICT (uri) DO UPDATE SET version = excluded.version, wire = excluded.wire, note = excluded.note,"
        " value = excluded.value, unit_code = excluded.unit_code, measures = excluded.measures,"
        " place_name = excluded.place_name, place_code = excluded.place_code, period = excluded.period,"
        " period_start = excluded.period_start, period_end = excluded.period_end, tags = excluded.tags,"
        " language = excluded.language, search_text = excluded.search_text, updated = excluded.updated"
        " WHERE figures.version < excluded.version AND figures.deleted_at IS NULL AND figures.author = excluded.author"
        " RETURNING id",
        uri,
        origin,
        author,
        group_uri,
        author_id,
        group_id,
        audience,
        figure.version,
        wire,
        note,
        *_columns(figure),
        published,
        updated,
    )
    if figure_id is None:
        return 0
    await connection.execute(
        "INSERT INTO figure_versions (figure_id, version, wire, created_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        figure_id,
        figure.version,
        wire,
        updated or published,
    )
    return figure_id


def _answers(current: StoredFigure) -> str | None:
    """The request a stored figure answers, kept by its next versions."""
    figure = current.note.get("figure")
    answers = figure.get("answers") if isinstance(figure, dict) else None
    return answers if isinstance(answers, str) else None


class Publisher:
    def __init__(self, pool: Pool, urls: Urls, clock: Clock, language: Lang) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._language = language

    def _addressing(self, group: Actor) -> tuple[list[str], list[str], str]:
        followers = self._urls.followers(group.name)
        if group.visibility == "public":
            return [PUBLIC], [followers], "public"
        return [followers], [], "followers"

    def _note(
        self,
        figure: Figure,
        note_id: str,
        author: Contributor,
        group: Actor,
        published: datetime,
        updated: datetime | None,
        consensus: Consensus | None = None,
        answers: str | None = None,
    ) -> JSON:
        """The group's Note crediting the member: the group sends it, so the group is its ``attributedTo``.
        ``answers`` links the figure to the request it answers (:mod:`ledger.requests`), in every version."""
        to, cc, _ = self._addressing(group)
        lines: dict[Lang, str] | None = None
        if consensus is not None:
            lines = {"fr": verdict.line(consensus, figure, "fr"), "en": verdict.line(consensus, figure, "en")}
        group_id = self._urls.actor(group.name)
        note = note_object(
            figure,
            note_id=note_id,
            author=group_id,
            url=note_id,
            to=to,
            cc=cc,
            published=published,
            updated=updated,
            default_language=self._language,
            status_line=lines,
            tag_url=lambda tag: f"{self._urls.base}/tags/{tag}",
            attributed_group=group_id,
            contributor=author,
        )
        if consensus is not None:
            note["consensus"] = verdict.wire(consensus, figure, self._urls.instance_actor())
        if answers is not None:
            note["figure"]["answers"] = answers
        return note

    async def publish(
        self, author: Actor, group: Actor, fields: Mapping[str, object], lang: Lang, *, answers: str | None = None
    ) -> StoredFigure:
        if author.kind != "person":
            raise PublicationError(f"{author.name} is not a member")
        credit = Contributor(self._urls.actor(author.name), author.name, self._urls.domain)
        async with self._pool.acquire() as connection, connection.transaction():
            return await self.publish_for(connection, credit, author.id, group, fields, lang, answers=answers)

    async def publish_for(
        self,
        connection: Connection,
        author: Contributor,
        author_id: int | None,
        group: Actor,
        fields: Mapping[str, object],
        lang: Lang,
        *,
        answers: str | None = None,
    ) -> StoredFigure:
        """Publish in the caller's transaction for an approved follower of the group, local (``author_id``) or
        from another server: a follower who answers a request from their Mastodon app (:mod:`inbox.requests`)."""
        if group.kind != "group":
            raise PublicationError(f"{group.name} is not a group")
        figure = build_figure(fields, lang)
        now = self._clock()
        note_id = self._urls.object(str(uuid.uuid4()))
        note = self._note(figure, note_id, author, group, now, None, answers=answers)
        to, cc, audience = self._addressing(group)
        create = activity(self._urls, self._urls.actor(group.name), "Create", note, to=to, cc=cc, published=now)
        async with connection.transaction():
            await self._member(connection, author.id, author.username, group)
            await save(
                connection,
                uri=note_id,
                origin=self._urls.domain,
                author=author.id,
                group_uri=self._urls.actor(group.name),
                author_id=author_id,
                group_id=group.id,
                audience=audience,
                figure=figure,
                note=note,
                published=now,
                updated=None,
            )
            await publish(connection, group, create, audience, obj=note)
            await claims.record(
                connection,
                note_id,
                author.id,
                self._urls.domain,
                publication(figure),
                f"{note_id}#v{figure.version}",
                now,
            )
            group_uri = self._urls.actor(group.name)
            await reciprocity.published(connection, note_id, group_uri, author.id, figure.source.url, now)
        return await self.get(note_id, connection)

    async def update(
        self, uri: str, changes: Mapping[str, object], by: Actor, lang: Lang | None = None
    ) -> StoredFigure:
        current = await self._own(uri, by)
        figure = revise(current.figure, changes, lang)
        now = self._clock()
        edited = edit_time(current.updated or current.published, now)
        author, group = await self._parties(current)
        note = self._note(figure, uri, author, group, current.published, edited, answers=_answers(current))
        _, _, audience = self._addressing(group)
        async with self._pool.acquire() as connection, connection.transaction():
            if by.kind == "person":
                await self._member(connection, self._urls.actor(by.name), by.name, group)
            saved = await save(
                connection,
                uri=uri,
                origin=current.origin,
                author=current.author,
                group_uri=current.group_uri,
                author_id=None,  # the row is there, and keeps its author_id
                group_id=group.id,
                audience=audience,
                figure=figure,
                note=note,
                published=current.published,
                updated=edited,
            )
            if not saved:
                raise PublicationError(f"figure {uri} changed meanwhile; try again")
            await self._send_change(connection, current, group, note, edited)
            await claims.record(
                connection, uri, current.author, self._urls.domain, publication(figure), f"{uri}#v{figure.version}", now
            )
        return await self.get(uri)

    async def publish_consensus(self, uri: str, consensus: Consensus) -> None:
        """An Update carrying the consensus and its line; the figure's version does not change."""
        current = await self.get(uri)
        author, group = await self._parties(current)
        now = edit_time(current.updated or current.published, self._clock())
        note = self._note(current.figure, uri, author, group, current.published, now, consensus, _answers(current))
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("UPDATE figures SET note = $2, updated = $3 WHERE uri = $1", uri, note, now)
            await self._send_change(connection, current, group, note, now)

    async def _send_change(
        self, connection: Connection, current: StoredFigure, group: Actor, note: JSON, now: datetime
    ) -> None:
        """The Update of a changed figure, after a Create when its Note was first sent attributed to its member
        (see the module's docstring): receivers that refused that Create then see the figure for the first time."""
        to, cc, audience = self._addressing(group)
        group_id = self._urls.actor(group.name)
        kinds = ["Update"] if current.note.get("attributedTo") == group_id else ["Create", "Update"]
        for kind in kinds:
            sent = activity(self._urls, group_id, kind, note, to=to, cc=cc, published=now)
            await publish(connection, group, sent, audience, obj=note)

    async def delete(self, uri: str, by: Actor) -> None:
        current = await self._own(uri, by)
        _, group = await self._parties(current)
        to, cc, audience = self._addressing(group)
        tombstone = {"id": uri, "type": "Tombstone"}
        delete = activity(
            self._urls, self._urls.actor(group.name), "Delete", tombstone, to=to, cc=cc, published=self._clock()
        )
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("UPDATE figures SET deleted_at = $2 WHERE uri = $1", uri, self._clock())
            await connection.execute("UPDATE local_objects SET deleted_at = $2 WHERE uri = $1", uri, self._clock())
            await publish(connection, group, delete, audience)

    async def get(self, uri: str, db: Pool | Connection | None = None) -> StoredFigure:
        """A figure by URI; through ``db`` when it may not be committed yet."""
        row = await (db or self._pool).fetchrow(f"SELECT {_COLUMNS} FROM figures WHERE uri = $1", uri)
        if row is None:
            raise PublicationError(f"no figure {uri}")
        return stored(row)

    async def versions(self, uri: str) -> list[tuple[int, JSON, datetime]]:
        rows = await self._pool.fetch(
            "SELECT v.version, v.wire, v.created_at FROM figure_versions v JOIN figures f ON f.id = v.figure_id"
            " WHERE f.uri = $1 ORDER BY v.version",
            uri,
        )
        return [(row["version"], row["wire"], row["created_at"]) for row in rows]

    async def _member(self, connection: Connection, person: str, name: str, group: Actor) -> None:
        """Raise NotAMember unless the person's follow of the group is accepted; the row is locked until the
        transaction ends, so that a revocation cannot slip between this check and the publication."""
        accepted = await connection.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted' FOR SHARE",
            person,
            self._urls.actor(group.name),
        )
        if not accepted:
            raise NotAMember(
                f"{name} is not an approved member of {group.name}: follow the group and wait for its approval"
            )

    async def _own(self, uri: str, by: Actor) -> StoredFigure:
        current = await self.get(uri)
        if current.deleted:
            raise PublicationError(f"figure {uri} was deleted")
        if current.origin != self._urls.domain:
            raise PublicationError(f"figure {uri} was published elsewhere; only its author can change it")
        if current.author != self._urls.actor(by.name) and not (current.group_uri == self._urls.actor(by.name)):
            raise PublicationError(f"figure {uri} is not {by.name}'s")
        return current

    async def _parties(self, current: StoredFigure) -> tuple[Contributor, Actor]:
        """Who a figure credits and the group that sends it; a follower from another server who answered a
        request is credited as the figure's Mention named them."""
        group_name = self._urls.local_name(current.group_uri or "") or ""
        group = await store.get(self._pool, group_name)
        author_name = self._urls.local_name(current.author)
        if author_name is not None:
            await store.get(self._pool, author_name)  # still here
            return Contributor(current.author, author_name, self._urls.domain), group
        tags: list[JSON] = current.note.get("tag", [])
        mention: JSON = next((tag for tag in tags if tag.get("href") == current.author), {})
        username, _, domain = str(mention.get("name", "")).lstrip("@").partition("@")
        return Contributor(current.author, username or current.author, domain or self._urls.domain), group
