"""Claims on figures: what each actor says a figure's value is, recorded once and withdrawn on Undo or Delete.

Recording a claim queues a ``consensus`` job for its figure in the same transaction, so no claim is ever left out
of the next computation. Trust in other domains, which weighs their claims, is kept here too.
"""

from __future__ import annotations

import logging
from datetime import datetime

from fedi import queue
from fedi.database import Connection, Pool
from figures.claims import ClaimedValue

logger = logging.getLogger(__name__)

CONSENSUS = "consensus"
DEFAULT_NEW_TRUST = 0.3


async def record(
    connection: Connection,
    figure_uri: str,
    actor: str,
    domain: str,
    claimed: ClaimedValue,
    reference: str,
    made_at: datetime,
    relayed_by: str | None = None,
) -> bool:
    """Keep one claim (idempotent by reference) and queue the figure's recomputation."""
    inserted = await connection.fetchval(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, version, parsed, source_url, reason, reference,"
        " relayed_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (reference) DO NOTHING RETURNING id",
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
    )
    if inserted is not None:
        await queue.enqueue(connection, CONSENSUS, {"figure": figure_uri})
    return inserted is not None


async def withdraw(connection: Connection, reference: str, actor: str, now: datetime) -> str | None:
    """Undo or Delete of what made a claim: the claim stops counting; returns its figure."""
    figure: str | None = await connection.fetchval(
        "UPDATE claims SET withdrawn_at = $3 WHERE reference = $1 AND actor = $2 AND withdrawn_at IS NULL"
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
