"""The reciprocity ledger: what each member, follower and peer server gives to a group and takes from it.

The charter asks that those who read a group's figures also contribute. Before anything is enforced, the ledger
only counts — and counts from events, not counters: one row per contribution (a figure published, a request
answered, an endorsement, a correction and whether it moved the consensus, a source new to the group) or
consultation (a figure delivered, a members-only object fetched, an API read), so that any count can be recomputed
for any window and checked, row by row, against the activities exchanged. What may be recorded twice (a claim
arriving again, a fan-out repeated after a crash) is recorded once, by the unique keys of migration 0019.

Fetches and deliveries happen in ``actors``, which may not import this package. They reach the ledger through
callbacks that the composition root (``chiffres.app``) passes in — :func:`on_fetch`, :func:`on_fanout` — rather
than through a table that ``actors`` would own and this module read: one table, one owner, one set of keys, and
``actors`` keeps knowing nothing of figures or groups' accounts. The fan-out callback runs in the fan-out's own
transaction, so a delivery is counted exactly when it is scheduled, and once.

A delivery is counted per follower, the actor of each accepted follow of the group that the fan-out sends to (the
same rows, in the same transaction): a shared inbox carries a figure to every follower on its server, and it is
each of them the figure is for; the follower's server is the domain, so that a peer's total is its followers'.
A local member follows through our own inbox like anyone else and receives the group's figures there, so those
deliveries count too — except to the figure's author: having one's own figure back is no consultation, and counting
it would make every publisher look like a reader. The counts are the deliveries, neither more nor fewer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

import asyncpg
from asyncpg import Record

from actors.actor import ActorError
from fedi import queue
from fedi.database import Connection, Pool
from fedi.normalise import ids_of
from fedi.types import JSON, Clock
from fedi.urls import Urls

__all__ = [
    "CONSULTATIONS",
    "CONTRIBUTIONS",
    "DEFAULT_DAYS",
    "Fanned",
    "Fetched",
    "ReciprocityError",
    "Tally",
    "answered",
    "claimed",
    "domain_of",
    "known",
    "moved",
    "on_fanout",
    "on_fetch",
    "published",
    "read",
    "show",
    "top",
]

CONTRIBUTIONS: Final = ("published", "answered", "endorsed", "corrected", "source")
CONSULTATIONS: Final = ("delivered", "fetched", "read")
#: The job that asks a member to accept the charter again (its handler is ``ledger.joining.AskAgain``).
CHARTER_AGAIN: Final = "charter"
#: How far back ``show`` and ``top`` look unless told otherwise.
DEFAULT_DAYS: Final = 90
#: Which claims are contributions to a figure, and under which name: a boost is an endorsement here too.
_CLAIMS: Final = {"endorse": "endorsed", "boost": "endorsed", "correct": "corrected"}

#: Called by the fan-out in its transaction with the activity fanned out.
Fanned = Callable[[Connection, JSON], Awaitable[None]]
#: Called by the object routes with the signer, the owner's actor id and the object's id, when a members-only
#: object is served to a signed fetch.
Fetched = Callable[[str, int, str], Awaitable[None]]


class ReciprocityError(ActorError):
    """A ledger question that names nothing known; the message says what, in one line."""


@dataclass(frozen=True)
class Tally:
    """One line of the ledger: what ``who`` (an actor id, or a domain) did in one group over the window."""

    group_uri: str
    who: str
    counts: dict[str, int]
    moved: int
    last_contribution: datetime | None
    last_consultation: datetime | None

    @property
    def contributions(self) -> int:
        return sum(self.counts[kind] for kind in CONTRIBUTIONS)

    @property
    def consultations(self) -> int:
        return sum(self.counts[kind] for kind in CONSULTATIONS)


def domain_of(uri: str) -> str:
    """The server of an actor id, as claims record it: its host, in lower case."""
    return urlsplit(uri).netloc.lower()


async def _record(
    connection: Connection | Pool,
    kind: str,
    group_uri: str,
    actor: str | None,
    domain: str,
    obj: str | None,
    at: datetime,
    activity: str | None = None,
) -> bool:
    """One event; False when its unique key says it was recorded already."""
    recorded = await connection.fetchval(
        "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, object, activity, at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
        group_uri,
        actor,
        domain,
        kind,
        obj,
        activity,
        at,
    )
    if recorded is not None and actor is not None and kind in CONTRIBUTIONS:
        if isinstance(connection, asyncpg.Pool):
            async with connection.acquire() as acquired:
                await _ask_again(acquired, group_uri, actor)
        else:
            await _ask_again(connection, group_uri, actor)
    return recorded is not None


async def _ask_again(connection: Connection, group_uri: str, actor: str) -> None:
    """A member who accepted an older charter contributes: the group asks them, once per version, to accept the
    one it serves now (the ``charter`` job sends the message; :mod:`ledger.joining` reads the answer)."""
    follow_id = await connection.fetchval(
        "UPDATE follows f SET charter_asked = c.version FROM charter_current c"
        " WHERE f.follower = $1 AND f.followee = $2 AND f.state = 'accepted' AND f.charter_version IS NOT NULL"
        " AND f.charter_version <> c.version AND f.charter_asked IS DISTINCT FROM c.version RETURNING f.id",
        actor,
        group_uri,
    )
    if follow_id is not None:
        await queue.enqueue(connection, CHARTER_AGAIN, {"follow": follow_id})


# --- Contributions -------------------------------------------------------------------------------------------------


async def published(
    connection: Connection, figure_uri: str, group_uri: str, author: str, source_url: str, at: datetime
) -> None:
    """A figure published into a group by its contributor, and its source when the group had not used it yet."""
    domain = domain_of(author)
    await _record(connection, "published", group_uri, author, domain, figure_uri, at)
    await _record(connection, "source", group_uri, author, domain, source_url, at)


async def answered(connection: Connection, request_uri: str, group_uri: str, answerer: str, at: datetime) -> None:
    await _record(connection, "answered", group_uri, answerer, domain_of(answerer), request_uri, at)


async def claimed(
    connection: Connection, figure_uri: str, actor: str, domain: str, kind: str, reference: str, at: datetime
) -> None:
    """An endorsement or correction of a figure of one of our groups (``group_id`` names a local group); the
    claim's reference, an id its actor chose, makes a claim that arrives again the same event."""
    named = _CLAIMS.get(kind)
    if named is None:
        return
    group_uri: str | None = await connection.fetchval(
        "SELECT group_uri FROM figures WHERE uri = $1 AND group_id IS NOT NULL", figure_uri
    )
    if group_uri is not None:
        await _record(connection, named, group_uri, actor, domain, reference, at)


async def moved(pool: Pool, figure_uri: str, before: float | None, after: float, tolerance: float) -> int:
    """After a consensus computation: the figure's corrections not judged yet moved it when the new value is within
    ``tolerance`` (relative, as the engine's) of theirs and the previous one (``before``: the last consensus, else
    the figure's own value) was not. Each correction is judged once, at the first computation that saw it."""
    status: str = await pool.execute(
        "UPDATE reciprocity_events e SET moved = abs(c.value::float8 - $2) <= $4 * abs(c.value::float8)"
        " AND NOT coalesce(abs(c.value::float8 - $3) <= $4 * abs(c.value::float8), false)"
        " FROM claims c WHERE e.kind = 'corrected' AND e.moved IS NULL AND c.actor = e.actor"
        " AND c.reference = e.object AND c.figure_uri = $1",
        figure_uri,
        after,
        before,
        tolerance,
    )
    return int(status.split()[-1])


# --- Consultations -------------------------------------------------------------------------------------------------


def on_fanout(urls: Urls, clock: Clock) -> Fanned:
    """The fan-out's callback: a Create or Update of a figure of one of our groups, sent to its followers, is
    delivered to each accepted follower with an inbox — the rows the fan-out reads, in its transaction — but its
    author."""

    async def delivered(connection: Connection, document: JSON) -> None:
        obj = document.get("object")
        figure_uri = obj.get("id") if isinstance(obj, dict) else obj
        if document.get("type") not in ("Create", "Update") or not isinstance(figure_uri, str):
            return
        group_uri = str(document.get("actor"))
        name = urls.local_name(group_uri)
        addressed = {ident for key in ("to", "cc") for ident in ids_of(document.get(key))}
        if name is None or urls.followers(name) not in addressed:
            return
        await connection.execute(
            "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, object, activity, at)"
            " SELECT $1, w.follower, lower(split_part(w.follower, '/', 3)), 'delivered', $2, $3, $4 FROM follows w"
            " WHERE w.followee = $1 AND w.state = 'accepted' AND w.follower_inbox IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM figures f WHERE f.uri = $2 AND f.group_uri = $1 AND f.group_id IS NOT NULL"
            " AND f.author <> w.follower)"
            " ON CONFLICT DO NOTHING",
            group_uri,
            figure_uri,
            str(document.get("id")),
            clock(),
        )

    return delivered


def on_fetch(pool: Pool, urls: Urls, clock: Clock) -> Fetched:
    """The object routes' callback: a members-only object of a group served to a signed fetch. The signer is the
    actor when the group accepted their follow; otherwise a server reads for its followers (Mastodon signs as its
    instance actor) and only the domain is known."""

    async def fetched(reader: str, owner_id: int, object_uri: str) -> None:
        owner = await pool.fetchrow("SELECT name, kind FROM actors WHERE id = $1", owner_id)
        if owner is None or owner["kind"] != "group":
            return
        group_uri = urls.actor(owner["name"])
        member = await pool.fetchval(
            "SELECT 1 FROM follows WHERE follower = $1 AND followee = $2 AND state = 'accepted'", reader, group_uri
        )
        await _record(pool, "fetched", group_uri, reader if member else None, domain_of(reader), object_uri, clock())

    return fetched


async def read(pool: Pool, reader: str, group_uris: Sequence[str], obj: str | None, at: datetime) -> None:
    """An API read by a token holder: one event per group whose figures they were shown."""
    for group_uri in dict.fromkeys(group_uris):
        await _record(pool, "read", group_uri, reader, domain_of(reader), obj, at)


# --- Queries -------------------------------------------------------------------------------------------------------

_TALLY: Final = (
    ", ".join(f"count(*) FILTER (WHERE kind = '{kind}') AS {kind}" for kind in CONTRIBUTIONS + CONSULTATIONS)
    + ", count(*) FILTER (WHERE kind = 'corrected' AND moved) AS moved"
    + f", max(at) FILTER (WHERE kind IN {CONTRIBUTIONS}) AS last_contribution"
    + f", max(at) FILTER (WHERE kind IN {CONSULTATIONS}) AS last_consultation"
)


def _since(now: datetime, days: int) -> datetime:
    if days < 1:
        raise ReciprocityError("--days must be at least 1")
    return now - timedelta(days=days)


async def show(db: Pool | Connection, who: str, now: datetime, days: int = DEFAULT_DAYS) -> list[Tally]:
    """What one actor (an id) or one server (a domain, every actor of it together) did, per group."""
    column = "actor" if "://" in who else "domain"
    rows = await db.fetch(
        f"SELECT group_uri, $1::text AS who, {_TALLY} FROM reciprocity_events WHERE {column} = $1 AND at >= $2"
        " GROUP BY group_uri ORDER BY group_uri",
        who if column == "actor" else who.lower(),
        _since(now, days),
    )
    return [_tally(row) for row in rows]


async def top(
    db: Pool | Connection, group_uri: str, now: datetime, days: int = DEFAULT_DAYS, limit: int = 20
) -> list[Tally]:
    """A group's contributors and readers, most contributions first: each actor, or a server where the actor is
    not known."""
    if limit < 1:
        raise ReciprocityError("--limit must be at least 1")
    rows = await db.fetch(
        f"SELECT group_uri, coalesce(actor, domain) AS who, {_TALLY} FROM reciprocity_events"
        " WHERE group_uri = $1 AND at >= $2 GROUP BY group_uri, coalesce(actor, domain)"
        f" ORDER BY count(*) FILTER (WHERE kind IN {CONTRIBUTIONS}) DESC, count(*) DESC, who LIMIT $3",
        group_uri,
        _since(now, days),
        limit,
    )
    return [_tally(row) for row in rows]


async def known(db: Pool | Connection, who: str) -> bool:
    """Whether the ledger ever recorded anything about an actor id or a domain."""
    column = "actor" if "://" in who else "domain"
    found = await db.fetchval(f"SELECT 1 FROM reciprocity_events WHERE {column} = $1 LIMIT 1", who)
    return found is not None


def _tally(row: Record) -> Tally:
    return Tally(
        group_uri=row["group_uri"],
        who=row["who"],
        counts={kind: int(row[kind]) for kind in CONTRIBUTIONS + CONSULTATIONS},
        moved=int(row["moved"]),
        last_contribution=row["last_contribution"],
        last_consultation=row["last_consultation"],
    )
