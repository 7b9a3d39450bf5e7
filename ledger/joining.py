"""Joining a group per its policy: what a follower is told, and how their reply approves them.

``open`` groups accept at once (the follow is recorded accepted and answered by the inbox, as a member's is).
``charter`` groups send the follower a direct message with the charter's link and the acceptance phrase; a reply
of theirs that contains the phrase approves the follow, recording which version of the charter they accepted.
``admin`` groups tell the follower that a moderator will answer and tell each moderator who asks: only an admin's
or a moderator's ``chiffres follows approve`` approves, so the phrase does nothing there.

A changed charter asks members to accept it again at their next contribution: the ledger marks such a member and
queues the ``charter`` job (:class:`AskAgain`), which sends them the new version's link and the phrase, once per
version; their reply with the phrase records the version, as on joining.

The messages are Notes addressed to one person (``to`` them alone, no ``cc``) with a ``Mention`` of them, the
shape of a Mastodon direct message: Mastodon files a post as direct only when everyone it is addressed to is
mentioned, and otherwise shows it as a "limited" post that its apps hide from the conversation view.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from actors import follows, membership, store
from actors.actor import Actor
from actors.follows import Follow
from actors.outbox import activity, iso, publish
from fedi.database import Connection, Pool
from fedi.instance import Instance
from fedi.negotiation import AS2
from fedi.normalise import PUBLIC, Node
from fedi.types import JSON
from figures.html import Html, escape, join, link, mention, paragraph
from figures.markup import strip_markup
from ledger import charter

logger = logging.getLogger(__name__)

# Phones type a curly apostrophe where keyboards type a straight one; both spell the same phrase.
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u2032`\u00b4]")
_BLANKS = re.compile(r"\s+")


def contains_phrase(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` contains one of the phrases, whatever the case, apostrophe or spacing."""
    said = _normalised(text)
    return any(_normalised(phrase) in said for phrase in phrases if phrase.strip())


def _normalised(text: str) -> str:
    return _BLANKS.sub(" ", _APOSTROPHES.sub("'", text)).casefold().strip()


async def welcome(connection: Connection, instance: Instance, group: Actor, follow: Follow) -> str:
    """Tell a new pending follower of ``group`` what to do next; returns the inbox outcome."""
    if group.kind != "group" or follow.state != "pending":
        return follow.state
    policy = await membership.policy(connection, group)
    if policy == "open":  # a follow recorded before the policy opened, or a local person's own row of it
        answered = await follows.answer_on(connection, instance.urls, follow.id, "Accept", instance.clock)
        return answered.state
    if await _told(connection, group, follow):
        return "pending: already told what to do"
    handle = await handle_of(connection, instance, follow.follower)
    if policy == "admin":
        await direct(connection, instance, group, follow.follower, handle, _awaiting_moderator(instance, group))
        notified = await _notify_moderators(connection, instance, group, follow, handle)
        logger.info("follow %s of %s by %s awaits a moderator (%d notified)", follow.id, group.name, handle, notified)
        return f"pending: {notified} moderator(s) notified"
    await direct(connection, instance, group, follow.follower, handle, _invitation(instance, group))
    return "pending: charter sent"


async def _told(connection: Connection, group: Actor, follow: Follow) -> bool:
    """Whether the group already sent this follower a direct message since their request was made: a follow
    sent again while it waits (a second click, a server's retry) must not bring a second welcome, nor a second
    round of notices to the moderators."""
    found = await connection.fetchval(
        "SELECT 1 FROM outbox WHERE actor_id = $1 AND audience = 'direct' AND document->>'type' = 'Create'"
        " AND document->'to' = jsonb_build_array($2::text) AND published >= $3 LIMIT 1",
        group.id,
        follow.follower,
        follow.created_at,
    )
    return found is not None


async def on_note(connection: Connection, instance: Instance, sender: str, note: Node) -> str | None:
    """A note from ``sender``: when it answers one of our groups' invitations, approve or say why not; when it
    answers a request to accept a changed charter, record the version.

    None when the note has nothing to do with joining (the sender waits on none of the groups it reaches)."""
    for group in await _groups_reached(connection, instance, note):
        follow_id = await membership.pending_request(connection, instance.urls, group, sender)
        if follow_id is not None:
            return await _answer(connection, instance, group, follow_id, note)
        asked = await connection.fetchval(
            "SELECT id FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'"
            " AND charter_asked IS NOT NULL AND charter_asked IS DISTINCT FROM charter_version",
            sender,
            store.uri_of(instance.urls, group),
        )
        if asked is not None:
            return await _accept_again(connection, instance, group, asked, note)
    return None


async def _accept_again(connection: Connection, instance: Instance, group: Actor, follow_id: int, note: Node) -> str:
    if not contains_phrase(plain_text(note), instance.settings.accept_phrases.values()):
        return f"charter not accepted again: no acceptance phrase in the reply to {group.name}"
    version = charter.load(instance.settings.data_dir).version
    await connection.execute("UPDATE follows SET charter_version = $2 WHERE id = $1", follow_id, version)
    return f"charter {version} accepted again for {group.name}"


async def serving(db: Pool | Connection, version: str) -> None:
    """Record the charter version the instance serves, which contributions compare with members' (see the
    module's docstring); a process records it when it starts, the hourly enforcement after an edit."""
    await db.execute(
        "INSERT INTO charter_current (only_row, version) VALUES (true, $1) ON CONFLICT (only_row) DO UPDATE"
        " SET version = excluded.version, since = now() WHERE charter_current.version <> excluded.version",
        version,
    )


class AskAgain:
    """The ``charter`` job: ask a member who accepted an older charter, and just contributed, to accept this one."""

    def __init__(self, instance: Instance) -> None:
        self._instance = instance

    async def __call__(self, payload: JSON) -> None:
        instance = self._instance
        async with instance.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT follower, followee, charter_asked, charter_version FROM follows WHERE id = $1"
                " AND state = 'accepted'",
                int(str(payload["follow"])),
            )
            name = instance.urls.local_name(row["followee"]) if row is not None else None
            group = await store.find(connection, name) if name else None
            if row is None or group is None or row["charter_asked"] == row["charter_version"]:
                return  # unfollowed, revoked or answered meanwhile: nothing to ask
            handle = await handle_of(connection, instance, row["follower"])
            text = _asking_again(instance, group, row["charter_asked"])
            await direct(connection, instance, group, row["follower"], handle, text)


async def _answer(connection: Connection, instance: Instance, group: Actor, follow_id: int, note: Node) -> str:
    if not contains_phrase(plain_text(note), instance.settings.accept_phrases.values()):
        return f"not joined: no acceptance phrase in the reply to {group.name}"
    if await membership.policy(connection, group) == "admin":
        return f"not joined: {group.name}'s moderators approve its followers, not the phrase"
    version = charter.load(instance.settings.data_dir).version
    await follows.answer_on(connection, instance.urls, follow_id, "Accept", instance.clock, charter_version=version)
    return f"joined {group.name}: charter {version} accepted"


def plain_text(note: Node) -> str:
    """Every language's text of the note, markup set aside."""
    sources = [note.content or "", *note.content_map.values()]
    return "\n".join(strip_markup(source).text for source in sources if source)


async def _groups_reached(connection: Connection, instance: Instance, note: Node) -> list[Actor]:
    """The groups a note answers: the author of the local note it replies to, or those a direct note names."""
    urls = instance.urls
    names: list[str] = []
    parent = note.ref("inReplyTo")
    if parent and urls.is_local(parent):
        owner = await connection.fetchval(
            "SELECT a.name FROM local_objects o JOIN actors a ON a.id = o.actor_id WHERE o.uri = $1", parent
        )
        names += [owner] if owner else []
    if PUBLIC not in note.recipients:
        mentioned = [tag.ref("href") or "" for tag in note.nodes("tag") if tag.is_a("Mention")]
        names += [name for uri in (*note.recipients, *mentioned) if (name := urls.local_name(uri))]
    found = [await store.find(connection, name) for name in dict.fromkeys(names)]
    return [group for group in found if group is not None and group.kind == "group"]


async def handle_of(connection: Connection, instance: Instance, actor_uri: str) -> str:
    """``user@host`` as WebFinger knows it: the preferred username on the actor's host (with its port, which
    only a development instance has: ``acct:alice@localhost:8000`` is what resolves there)."""
    urls = instance.urls
    local = urls.local_name(actor_uri)
    if local is not None:
        return f"{local}@{urls.domain}"
    username = await connection.fetchval("SELECT preferred_username FROM remote_actors WHERE uri = $1", actor_uri)
    parts = urlsplit(actor_uri)
    return f"{username or parts.path.rstrip('/').rsplit('/', 1)[-1]}@{parts.netloc}"


def _invitation(instance: Instance, group: Actor) -> Mapping[str, Html]:
    phrases = instance.settings.accept_phrases
    address = instance.urls.charter()
    name = escape(group.display_name or group.name)
    return {
        "fr": paragraph(
            escape("Bienvenue ! Pour rejoindre "),
            name,
            escape(", lisez la charte de réciprocité ("),
            link(address, address),
            escape(f") puis répondez à ce message : « {phrases['fr']} »."),
        ),
        "en": paragraph(
            escape("Welcome! To join "),
            name,
            escape(", read the reciprocity charter ("),
            link(address, address),
            escape(f") and reply to this message: “{phrases['en']}”."),
        ),
    }


def _asking_again(instance: Instance, group: Actor, version: str) -> Mapping[str, Html]:
    phrases = instance.settings.accept_phrases
    address = instance.urls.charter()
    name = escape(group.display_name or group.name)
    return {
        "fr": paragraph(
            escape("Merci pour votre contribution à "),
            name,
            escape(f" ! La charte de réciprocité a changé (version {version}) : "),
            link(address, address),
            escape(f". Pour continuer, répondez à ce message : « {phrases['fr']} »."),
        ),
        "en": paragraph(
            escape("Thank you for contributing to "),
            name,
            escape(f"! The reciprocity charter has changed (version {version}): "),
            link(address, address),
            escape(f". To go on, reply to this message: “{phrases['en']}”."),
        ),
    }


def _awaiting_moderator(instance: Instance, group: Actor) -> Mapping[str, Html]:
    name = escape(group.display_name or group.name)
    address = instance.urls.charter()
    return {
        "fr": paragraph(
            escape("Votre demande pour rejoindre "),
            name,
            escape(" est transmise : un·e modérateur·rice vous répondra. La charte : "),
            link(address, address),
        ),
        "en": paragraph(
            escape("Your request to join "),
            name,
            escape(" was passed on: a moderator will answer. The charter: "),
            link(address, address),
        ),
    }


async def _notify_moderators(
    connection: Connection, instance: Instance, group: Actor, follow: Follow, handle: str
) -> int:
    listed = await membership.moderators(connection, group)
    for moderator in listed:
        text = {
            "fr": paragraph(
                escape(f"Demande d'adhésion à {group.name} : {handle} ({follow.follower}), demande n° {follow.id}. "),
                escape(f"chiffres follows approve {follow.id} --as {group.name} (ou reject)"),
            ),
            "en": paragraph(
                escape(f"Request to join {group.name}: {handle} ({follow.follower}), request #{follow.id}. "),
                escape(f"chiffres follows approve {follow.id} --as {group.name} (or reject)"),
            ),
        }
        moderator_uri = instance.urls.actor(moderator.name)
        await direct(
            connection, instance, group, moderator_uri, await handle_of(connection, instance, moderator_uri), text
        )
    return len(listed)


async def direct(
    connection: Connection, instance: Instance, group: Actor, to: str, handle: str, text: Mapping[str, Html]
) -> JSON:
    """Send ``text`` (one paragraph per language) from the group to one person, as a direct message."""
    urls, now = instance.urls, instance.clock()
    greeting = paragraph(mention(handle.split("@", 1)[0], to))
    first = instance.settings.language if instance.settings.language in text else "fr"
    ordered = [text[first], *(body for lang, body in text.items() if lang != first)]
    content = join([greeting, *ordered])
    note: JSON = {
        "@context": AS2,
        "id": urls.object(str(uuid.uuid4())),
        "type": "Note",
        "attributedTo": store.uri_of(urls, group),
        "content": content,
        "contentMap": {first: content},
        "published": iso(now),
        "to": [to],
        "tag": [{"type": "Mention", "href": to, "name": f"@{handle}"}],
    }
    note["url"] = note["id"]
    create = activity(urls, store.uri_of(urls, group), "Create", note, to=[to], published=now)
    await publish(connection, group, create, "direct", obj=note)
    return note
