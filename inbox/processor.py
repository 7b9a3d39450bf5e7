"""The ``inbox`` job: one stored activity, handed to the handler for its type, its outcome recorded.

Handlers receive the normalised activity and a :class:`Context`; each returns a short outcome (``"pending"``,
``"ignored: …"``) kept on the row for admins. A handler that meets a value the figure domain refuses may raise its
``FiguresError``: the activity is then ``"rejected: <reason>"``, with nothing of it kept, and is not retried.
Handlers must be idempotent: a job may run twice after a crash.
Who *received* the activity — the local actors it is addressed to, and the local followers of its actor when it
is public or sent to that actor's followers — is recorded for ``chiffres inbox``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fedi.database import Connection
from fedi.instance import Instance
from fedi.normalise import PUBLIC, Activity, MalformedActivity, normalise_activity
from fedi.types import JSON
from figures.numbers import FiguresError
from inbox.remote import RemoteActors

logger = logging.getLogger(__name__)
_MAX_OUTCOME = 500


@dataclass(frozen=True)
class Context:
    instance: Instance
    remote: RemoteActors
    connection: Connection


Handler = Callable[[Activity, Context], Awaitable[str]]


class Processor:
    def __init__(self, instance: Instance, remote: RemoteActors, handlers: dict[str, Handler]) -> None:
        self._instance = instance
        self._remote = remote
        self._handlers = handlers

    async def __call__(self, payload: JSON) -> None:
        pool = self._instance.pool
        row = await pool.fetchrow(
            "SELECT id, document, processed_at, delivered_to FROM inbox_activities WHERE id = $1", int(payload["id"])
        )
        if row is None or row["processed_at"] is not None:
            return
        try:
            activity = normalise_activity(row["document"])
        except MalformedActivity as error:
            await pool.execute(
                "UPDATE inbox_activities SET processed_at = now(), outcome = $2 WHERE id = $1",
                row["id"],
                f"malformed: {error}",
            )
            return
        inbox = payload.get("inbox") or row["delivered_to"]
        try:
            outcome = await self._handle(activity, row["id"], inbox if isinstance(inbox, str) else None)
        except FiguresError as error:
            # A value the figure domain refuses (a number beyond the bounds…) is the peer's fault and will not get
            # better: the activity is done, nothing it did is kept, and the reason is its outcome. Not retried.
            outcome = f"rejected: {error}"[:_MAX_OUTCOME]
            await pool.execute(
                "UPDATE inbox_activities SET processed_at = now(), outcome = $2 WHERE id = $1", row["id"], outcome
            )
        logger.debug("%s %s: %s", activity.types[0], activity.id, outcome)

    async def _handle(self, activity: Activity, row_id: int, inbox: str | None) -> str:
        """Run the activity's handler and record its outcome in one transaction: all of it happens, or none."""
        handler = next((self._handlers[kind] for kind in activity.types if kind in self._handlers), None)
        async with self._instance.pool.acquire() as connection, connection.transaction():
            context = Context(self._instance, self._remote, connection)
            outcome = await handler(activity, context) if handler else f"ignored: {activity.types[0]} not handled"
            if not outcome.startswith(("ignored", "rejected")) and not activity.is_a("Flag"):  # reports: admins'
                await record_recipients(connection, self._instance, activity, row_id, inbox)
            await connection.execute(
                "UPDATE inbox_activities SET processed_at = now(), outcome = $2 WHERE id = $1", row_id, outcome
            )
        return outcome


async def record_recipients(
    connection: Connection, instance: Instance, activity: Activity, row_id: int, inbox_of: str | None = None
) -> None:
    """Servers that deliver only to personal inboxes (bovine) and address a followers collection we cannot map
    still reach the owner of that inbox when it follows the sender."""
    urls = instance.urls
    addressed = set(activity.recipients)
    obj = activity.object
    if obj is not None:
        addressed |= set(obj.recipients)
    if activity.object_id:
        addressed.add(activity.object_id)
    names = {name for uri in addressed if (name := urls.local_name(uri))}
    followers_of_actor = await connection.fetchval("SELECT followers FROM remote_actors WHERE uri = $1", activity.actor)
    if (
        PUBLIC in addressed
        or (followers_of_actor and followers_of_actor in addressed)
        or _local_followers(urls.local_name(activity.actor), addressed, urls.followers)
    ):
        rows = await connection.fetch(
            "SELECT follower FROM follows WHERE followee = $1 AND state = 'accepted'", activity.actor
        )
        names |= {name for row in rows if (name := urls.local_name(row["follower"]))}
    if inbox_of is not None and inbox_of not in names:
        follows_sender = await connection.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'",
            urls.actor(inbox_of),
            activity.actor,
        )
        if follows_sender:
            names.add(inbox_of)
    if not names:
        return
    await connection.execute(
        "INSERT INTO inbox_items (actor_id, activity) SELECT id, $2 FROM actors WHERE name = ANY($1::text[])"
        " ON CONFLICT DO NOTHING",
        sorted(names),
        row_id,
    )


def _local_followers(name: str | None, addressed: set[str], followers: Callable[[str], str]) -> bool:
    return name is not None and followers(name) in addressed
