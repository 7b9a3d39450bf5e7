"""Peer instances (federation mode B): instance actors that follow each other and exchange consensus summaries.

A summary says what one origin's own actors think of a figure (value, interval, Σ weight, count). The receiver
replaces the previous summary from that origin, weighs it with its own trust and cap, and never re-exports it:
summaries we send are computed from our own actors' claims only.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from actors import store
from actors.outbox import activity, iso, publish
from consensus.vocabulary import ConsensusError, Summary
from fedi.database import Connection, Pool
from fedi.jsonld import outgoing_context
from fedi.types import JSON, Clock
from fedi.urls import Urls

SUMMARY_TYPE = "ConsensusSummary"


def summary_document(summary: Summary) -> JSON:
    """The summary as its Update carries it: in our vocabulary, with our context inlined, and without an id.

    A summary is the current word of one origin on one figure, replaced by the next one; it is never fetched on its
    own, so it gets no id of its own that would have to resolve. The Update that carries it has one, served only to
    the peers it names (an activity addressed to no collection).
    """
    document: JSON = {
        "@context": outgoing_context(),
        "type": SUMMARY_TYPE,
        "figure": summary.figure,
        "origin": summary.origin,
        "value": summary.value,
        "low": summary.low,
        "high": summary.high,
        "weight": summary.weight,
        "count": summary.count,
        "made": iso(summary.made_at),
    }
    if summary.version is not None:
        document["version"] = summary.version
    return document


def summary_from(document: object, origin: str, made_at: datetime) -> Summary | None:
    """A peer's summary, if well formed and about its own origin; None otherwise."""
    if not isinstance(document, dict) or document.get("origin") != origin:
        return None
    try:
        value, low, high, weight = (float(document[key]) for key in ("value", "low", "high", "weight"))
        version = document.get("version")
        return Summary(
            str(document["figure"]),
            origin,
            value,
            low,
            high,
            weight,
            int(document["count"]),
            version if isinstance(version, int) else None,
            made_at,
            ratio=value > 0 and low > 0,
        )
    except (KeyError, TypeError, ValueError, ConsensusError):
        return None


async def remember(connection: Connection, summary: Summary) -> bool:
    """Replace the origin's previous summary of the figure (only by a newer one)."""
    result = await connection.execute(
        "INSERT INTO summaries (figure_uri, origin, value, low, high, weight, count, version, made_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (figure_uri, origin) DO UPDATE SET"
        " value = excluded.value, low = excluded.low, high = excluded.high, weight = excluded.weight,"
        " count = excluded.count, version = excluded.version, made_at = excluded.made_at, received_at = now()"
        " WHERE summaries.made_at <= excluded.made_at",
        summary.figure,
        summary.origin,
        *_measures(summary),
        summary.made_at,
    )
    return not result.endswith(" 0")


async def is_peer(db: Pool | Connection, urls: Urls, actor_uri: str) -> bool:
    """A peer is an instance actor we follow and that accepted."""
    return bool(
        await db.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'",
            urls.instance_actor(),
            actor_uri,
        )
    )


class Sharing:
    """Sends our summaries to the peer instances that follow our instance actor, and that may read the figure.

    A summary carries a figure's value. For a public figure every peer may have it; for a members-only figure only
    a peer whose domain has an approved follower of the figure's group (or the group's own host) may, since that
    peer could fetch the figure itself. The Update is addressed to those peers by name, never to a collection, so
    nothing else that follows the instance actor (a relay, say) receives it.
    """

    def __init__(self, pool: Pool, urls: Urls, clock: Clock) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock

    async def __call__(self, summary: Summary) -> None:
        peers: list[str] = [
            row["follower"]
            for row in await self._pool.fetch(
                # Peers both ways: they follow our instance actor and ours follows theirs. Anyone else an admin
                # let follow the instance actor is no peer, and a summary is not theirs to read.
                "SELECT f.follower FROM follows f WHERE f.followee = $1 AND f.state = 'accepted' AND EXISTS"
                " (SELECT 1 FROM follows b WHERE b.follower = $1 AND b.followee = f.follower AND b.state = 'accepted')"
                " ORDER BY f.id",
                self._urls.instance_actor(),
            )
        ]
        readers = await self.readers(summary.figure)
        recipients = [peer for peer in peers if readers is None or _host(peer) in readers]
        if not recipients:
            return
        instance = await store.instance_actor(self._pool)
        update = activity(
            self._urls,
            self._urls.instance_actor(),
            "Update",
            summary_document(summary),
            to=recipients,
            published=self._clock(),
        )
        async with self._pool.acquire() as connection, connection.transaction():
            if not await _moved(connection, summary, recipients):
                return
            await publish(connection, instance, update, "direct")

    async def readers(self, figure_uri: str) -> set[str] | None:
        """The hosts that may read the figure's value, or None when anyone may (a public figure)."""
        row = await self._pool.fetchrow(
            "SELECT audience, group_uri FROM figures WHERE uri = $1 AND deleted_at IS NULL", figure_uri
        )
        if row is not None and row["audience"] == "public":
            return None
        group = row["group_uri"] if row is not None and row["group_uri"] else None
        if group is None:
            return {_host(figure_uri)} - {self._urls.domain}
        followers = await self._pool.fetch(
            "SELECT follower FROM follows WHERE followee = $1 AND state = 'accepted'", group
        )
        return ({_host(row["follower"]) for row in followers} | {_host(group)}) - {self._urls.domain}


#: How far a summary must move to be sent again: a peer's consensus runs on every summary it receives, and so does
#: ours, so a summary sent again unchanged would come back and forth without end. The value and its interval move
#: by float noise between two runs over the same claims; the weight also moves as reputations settle.
MOVED_VALUE = 1e-6
MOVED_WEIGHT = 1e-3


async def _moved(connection: Connection, summary: Summary, recipients: list[str]) -> bool:
    """Whether ``summary`` differs from the last one sent for its figure, or goes to other peers; if so it is
    recorded as sent (in the transaction that publishes it)."""
    last = await connection.fetchrow(
        "SELECT value, low, high, weight, count, version, recipients FROM shared_summaries WHERE figure_uri = $1"
        " FOR UPDATE",
        summary.figure,
    )
    if (
        last is not None
        and sorted(last["recipients"]) == sorted(recipients)
        and (last["count"], last["version"]) == (summary.count, summary.version)
        and all(_close(last[name], getattr(summary, name), MOVED_VALUE) for name in ("value", "low", "high"))
        and _close(last["weight"], summary.weight, MOVED_WEIGHT)
    ):
        return False
    await connection.execute(
        "INSERT INTO shared_summaries (figure_uri, value, low, high, weight, count, version, recipients, shared_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT (figure_uri) DO UPDATE SET"
        " value = excluded.value, low = excluded.low, high = excluded.high, weight = excluded.weight,"
        " count = excluded.count, version = excluded.version, recipients = excluded.recipients,"
        " shared_at = excluded.shared_at",
        summary.figure,
        *_measures(summary),
        recipients,
    )
    return True


def _measures(summary: Summary) -> tuple[float, float, float, float, int, int | None]:
    """What a summary says, in the order of the columns that keep it (value, low, high, weight, count, version)."""
    return summary.value, summary.low, summary.high, summary.weight, summary.count, summary.version


def _close(before: float, now: float, share: float) -> bool:
    return abs(now - before) <= share * max(abs(before), abs(now))


def _host(uri: str) -> str:
    return (urlsplit(uri).netloc or "").lower()
