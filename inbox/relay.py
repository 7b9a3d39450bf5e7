"""Our groups relay the claims on their figures — one actor's at a bounded rate, the latest always in the end.

A group relays each claim on its figures to its followers, wrapped in an ``Announce`` (FEP-1b12) around the
activity exactly as received, so that peers weigh the same claims and the claim's proof still verifies. Relayed one
for one, an actor who likes a figure 335 times sends 335 Announces to every follower inbox. Only an actor's latest
claim on a figure counts, so a group relays at most one claim per actor and figure per ``window``, and an actor's
claims on at most ``per_hour`` of its figures an hour. A claim that must wait is not dropped: one deferred ``relay``
job per actor and figure (deduplicated while it waits) relays whatever is then that actor's latest claim, if it was
not relayed already. Claims count here at once either way; only their relaying waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from actors import store
from actors.actor import Actor
from actors.outbox import activity as new_activity
from actors.outbox import publish
from fedi import queue
from fedi.database import Connection, Pool
from fedi.jsonld import outgoing_context
from fedi.normalise import PUBLIC
from fedi.types import JSON, Clock
from fedi.urls import Urls
from ledger import claims

RELAY = "relay"
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class RelayPolicy:
    """One relay per actor and figure per ``window`` (5 minutes); an actor's claims on ``per_hour`` figures an hour
    (30) per group."""

    window: timedelta = timedelta(minutes=5)
    per_hour: int = 30


def wait(last: datetime | None, hour: list[datetime], now: datetime, policy: RelayPolicy) -> timedelta:
    """How long an actor's claim on a figure must wait before its group relays it; zero to relay it now.

    ``last``: when this actor's claim on this figure was last relayed; ``hour``: when their claims on the group's
    other figures were relayed within the past hour.
    """
    waits = [timedelta(0)]
    if last is not None:
        waits.append(last + policy.window - now)
    recent = sorted(moment for moment in hour if now - moment < _HOUR)
    if len(recent) >= policy.per_hour:
        waits.append(recent[len(recent) - policy.per_hour] + _HOUR - now)
    return max(waits)


class Relayer:
    """Relays a claim now, or defers it; also the handler of the deferred ``relay`` job."""

    def __init__(self, pool: Pool, urls: Urls, clock: Clock, policy: RelayPolicy | None = None) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._policy = policy or RelayPolicy()

    async def offer(
        self,
        connection: Connection,
        group: Actor,
        figure_uri: str,
        public: bool,
        claim: tuple[str, str],
        fallback: JSON,
    ) -> str:
        """A new claim (actor, reference) on ``group``'s figure: relay it now, or queue the relay of the actor's
        latest claim. ``fallback`` is the activity to relay when the one received is not kept."""
        actor, reference = claim
        delay = await self._wait(connection, group, figure_uri, actor)
        if delay > timedelta(0):
            payload = {"group": group.name, "figure": figure_uri, "actor": actor, "public": public}
            key = f"{RELAY}:{group.id}:{actor}:{figure_uri}"
            await queue.enqueue(connection, RELAY, payload, delay=delay, dedupe_key=key)
            return "relay deferred"
        document = await _as_received(connection, actor, reference) or fallback
        await self._announce(connection, group, figure_uri, public, actor, reference, document)
        return "relayed"

    async def __call__(self, payload: JSON) -> None:
        """The deferred relay: the actor's latest claim on the figure, if it is not the one relayed last."""
        group = await store.find(self._pool, str(payload["group"]))
        figure_uri, actor = str(payload["figure"]), str(payload["actor"])
        if group is None or group.kind != "group":
            return
        async with self._pool.acquire() as connection, connection.transaction():
            latest = await connection.fetchval(
                "SELECT reference FROM claims WHERE figure_uri = $1 AND actor = $2 AND withdrawn_at IS NULL"
                " AND relayed_by IS NULL ORDER BY made_at DESC, id DESC LIMIT 1",
                figure_uri,
                actor,
            )
            relayed = await connection.fetchval(
                "SELECT reference FROM relays WHERE group_id = $1 AND actor = $2 AND figure_uri = $3",
                group.id,
                actor,
                figure_uri,
            )
            if latest is None or latest == relayed or await claims.blocked(connection, urlsplit(actor).netloc):
                return  # a domain blocked since the claim came is not relayed
            if await self._wait(connection, group, figure_uri, actor) > timedelta(0):
                payload_again = dict(payload)
                await queue.enqueue(connection, RELAY, payload_again, delay=self._policy.window)
                return
            document = await _as_received(connection, actor, latest)
            if document is not None:
                public = bool(payload.get("public"))
                await self._announce(connection, group, figure_uri, public, actor, latest, document)

    async def _wait(self, connection: Connection, group: Actor, figure_uri: str, actor: str) -> timedelta:
        now = self._clock()
        rows = await connection.fetch(
            "SELECT figure_uri, relayed_at FROM relays WHERE group_id = $1 AND actor = $2 AND relayed_at > $3",
            group.id,
            actor,
            now - _HOUR,
        )
        last = next((row["relayed_at"] for row in rows if row["figure_uri"] == figure_uri), None)
        hour = [row["relayed_at"] for row in rows if row["figure_uri"] != figure_uri]
        return wait(last, hour, now, self._policy)

    async def _announce(
        self,
        connection: Connection,
        group: Actor,
        figure_uri: str,
        public: bool,
        actor: str,
        reference: str,
        document: JSON,
    ) -> None:
        followers = self._urls.followers(group.name)
        to, cc = ([PUBLIC], [followers]) if public else ([followers], [])
        announce = new_activity(
            self._urls, self._urls.actor(group.name), "Announce", document, to=to, cc=cc, published=self._clock()
        )
        # What the Announce carries is in our vocabulary too (a correction): a claim embedded as received from a
        # peer that wrote no context of ours still reads as our terms, instead of ActivityStreams' blank nodes.
        announce["@context"] = outgoing_context()
        await connection.execute(
            "INSERT INTO relays (group_id, actor, figure_uri, reference, relayed_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (group_id, actor, figure_uri) DO UPDATE SET reference = excluded.reference,"
            " relayed_at = excluded.relayed_at",
            group.id,
            actor,
            figure_uri,
            reference,
            self._clock(),
        )
        await publish(connection, group, announce, "public" if public else "followers")


async def _as_received(connection: Connection, actor: str, reference: str) -> dict[str, Any] | None:
    """The activity that made the claim, as its sender wrote it: normalisation reshapes a document, and a proof
    signs the original. A reply's claim is known by its note, so the Create carrying that note is looked up too."""
    document = await connection.fetchval(
        "SELECT document FROM inbox_activities WHERE actor = $1"
        " AND (activity_id = $2 OR (type = 'Create' AND document->'object'->>'id' = $2)) ORDER BY id DESC LIMIT 1",
        actor,
        reference,
    )
    return document if isinstance(document, dict) else None
