"""Claims on figures: what each actor says a figure's value is, recorded once and withdrawn on Undo or Delete.

Recording a claim queues a ``consensus`` job for its figure in the same transaction, so no claim is ever left out
of the next computation. Each claim says how its author was established; an unverified one is kept to be seen
but weighs nothing. Trust in other domains, which weighs their claims, is kept here too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from fedi import queue
from fedi.database import Connection, Pool
from figures.claims import ClaimedValue

logger = logging.getLogger(__name__)

CONSENSUS = "consensus"
DEFAULT_NEW_TRUST = 0.3

#: How a claim's author was established (see migration 0009); only ``unverified`` claims weigh nothing.
Authenticity = Literal["signed", "proof", "host", "fetched", "unverified"]
UNVERIFIED: Authenticity = "unverified"


async def record(
    connection: Connection,
    figure_uri: str,
    actor: str,
    domain: str,
    claimed: ClaimedValue,
    reference: str,
    made_at: datetime,
    relayed_by: str | None = None,
    authenticity: Authenticity = "signed",
) -> bool:
    """Keep one claim and queue the figure's recomputation; True when it is new or now established.

    A claim is known by its actor and reference together: a reference is an id the actor chose, and another actor
    reusing it names another claim. A claim first kept unverified (relayed without proof) is replaced when it
    arrives again established, since the established copy is the one its author stands behind.
    """
    stored = await connection.fetchval(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, version, parsed, source_url, reason, reference,"
        " relayed_by, made_at, authenticity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT (actor, reference) DO UPDATE SET figure_uri = excluded.figure_uri, domain = excluded.domain,"
        " kind = excluded.kind, value = excluded.value, version = excluded.version, parsed = excluded.parsed,"
        " source_url = excluded.source_url, reason = excluded.reason, relayed_by = excluded.relayed_by,"
        " made_at = excluded.made_at, authenticity = excluded.authenticity"
        " WHERE claims.authenticity = 'unverified' AND excluded.authenticity <> 'unverified'"
        " RETURNING id",
        figure_uri,
        actor,
        domain,
        claimed.kind,
        claimed.value,
        claimed.version,
        claimed.parsed,
        claimed.source_url,
        claimed.reason,
        reference,
        relayed_by,
        made_at,
        authenticity,
    )
    if stored is not None:
        await queue.enqueue(connection, CONSENSUS, {"figure": figure_uri})
    return stored is not None


async def withdraw(connection: Connection, reference: str, actor: str, now: datetime) -> str | None:
    """Undo or Delete of what made a claim: the actor's claim of that reference stops counting; returns its figure."""
    figure: str | None = await connection.fetchval(
        "UPDATE claims SET withdrawn_at = $3 WHERE actor = $2 AND reference = $1 AND withdrawn_at IS NULL"
        " RETURNING figure_uri",
        reference,
        actor,
        now,
    )
    if figure is not None:
        await queue.enqueue(connection, CONSENSUS, {"figure": figure})
    return figure


async def trust_levels(db: Pool | Connection) -> dict[str, float]:
    return {row["domain"]: row["value"] for row in await db.fetch("SELECT domain, value FROM trust")}


async def set_trust(db: Pool | Connection, domain: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError("trust is a number from 0 (blocked) to 1 (as our own)")
    await db.execute(
        "INSERT INTO trust (domain, value) VALUES ($1, $2) ON CONFLICT (domain) DO UPDATE SET value = excluded.value,"
        " updated_at = now()",
        domain.lower(),
        value,
    )
