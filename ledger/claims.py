"""Claims on figures: what each actor says a figure's value is, recorded once and withdrawn on Undo or Delete.

Recording a claim marks its figure pending in the same transaction, so no claim is ever left out of the next
computation; a ``consensus`` job is queued only when none is pending for the figure yet, so that a burst of claims
becomes one computation (``ledger.consensus``). Each claim says how its author was established; an unverified one
is kept to be seen but weighs nothing. Trust in other domains, which weighs their claims, is kept here too.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Literal

from fedi import queue
from fedi.database import Connection, Pool
from fedi.domains import known_under_blocks, under
from figures.claims import ClaimedValue
from ledger import reciprocity

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
    arrives again established, since the established copy is the one its author stands behind. An implausible
    correction (``figures.plausibility``) is kept with its flag: the consensus leaves it out until another agrees.
    """
    stored = await connection.fetchval(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, version, parsed, source_url, reason, reference,"
        " relayed_by, made_at, authenticity, implausible)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        " ON CONFLICT (actor, reference) DO UPDATE SET figure_uri = excluded.figure_uri, domain = excluded.domain,"
        " kind = excluded.kind, value = excluded.value, version = excluded.version, parsed = excluded.parsed,"
        " source_url = excluded.source_url, reason = excluded.reason, relayed_by = excluded.relayed_by,"
        " made_at = excluded.made_at, authenticity = excluded.authenticity, implausible = excluded.implausible"
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
        claimed.implausible,
    )
    if stored is not None:
        await pending(connection, figure_uri)
        if authenticity != UNVERIFIED:  # an unverified claim weighs nothing, and contributes nothing yet
            await reciprocity.claimed(connection, figure_uri, actor, domain, claimed.kind, reference, made_at)
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
        await pending(connection, figure)
    return figure


async def pending(connection: Connection, figure_uri: str) -> None:
    """A claim on the figure changed: raise its generation, and queue its ``consensus`` job if none is pending.

    Not pgqueuer's dedupe key: its unique index holds running jobs as well as queued ones, so a claim committed as
    the running job finishes would be absorbed by a job that had already read the claims, and wait for the next
    one. The row lock taken here orders this claim with the job's check (``ledger.consensus``) instead.
    """
    generation = await connection.fetchval(
        "INSERT INTO consensus_pending (figure_uri) VALUES ($1) ON CONFLICT (figure_uri)"
        " DO UPDATE SET generation = consensus_pending.generation + 1 RETURNING generation",
        figure_uri,
    )
    if generation == 1:
        await queue.enqueue(connection, CONSENSUS, {"figure": figure_uri})


class TrustError(ValueError):
    """A trust setting that names no host or no level; the message says which, for one line of the CLI."""


# A host name as actor ids carry it: dot-separated labels, with a port only where instances share loopback (dev).
_HOST = re.compile(
    r"^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$"
)


def host_name(value: str, *, dev: bool) -> str:
    """The domain a trust level is about, as claims record it (the host of an actor id, lower case).

    A URL or a name with a path would be stored as a domain no claim ever carries, so that the setting would
    silently do nothing; it is refused instead.
    """
    host = value.strip().lower()
    if "://" in host or "/" in host:
        raise TrustError(f"{value!r} is a URL; give the host name alone (e.g. chiffres.example)")
    if not _HOST.match(host):
        raise TrustError(f"{value!r} is not a host name (e.g. chiffres.example)")
    if ":" in host and not dev:
        raise TrustError(f"{value!r} has a port; ports are only allowed in development (CHIFFRES_DEV=1)")
    return host


async def trust_levels(db: Pool | Connection) -> dict[str, float]:
    """Trust set here, and 0 for every blocked domain (``ledger.blocks``) and every domain we have heard from under
    one, whatever its trust says. The consensus reads a claim's domain in this map as it stands: a domain under a
    block is named here once it is known (``domains``, written when its first actor is fetched), before any of its
    claims can be."""
    blocked = f"EXISTS (SELECT 1 FROM domain_blocks b WHERE {under('t.domain', 'b.domain')})"
    rows = await db.fetch(
        f"SELECT domain, CASE WHEN {blocked} THEN 0 ELSE value END AS value FROM trust t"
        f" UNION SELECT domain, 0 FROM domain_blocks UNION SELECT domain, 0 FROM ({known_under_blocks()}) AS under"
    )
    return {row["domain"]: row["value"] for row in rows}


async def blocked(db: Pool | Connection, domain: str) -> bool:
    """Whether this instance set its trust in ``domain`` to 0 or blocked it or a domain above it: its claims never
    count, nor are they relayed."""
    value = await db.fetchval(
        f"SELECT CASE WHEN EXISTS (SELECT 1 FROM domain_blocks b WHERE {under('$1', 'b.domain')}) THEN 0"
        " ELSE (SELECT value FROM trust WHERE domain = $1) END",
        domain.lower(),
    )
    return value is not None and value <= 0


async def set_trust(db: Pool | Connection, domain: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise TrustError("trust is a number from 0 (blocked) to 1 (as our own)")
    await db.execute(
        "INSERT INTO trust (domain, value) VALUES ($1, $2) ON CONFLICT (domain) DO UPDATE SET value = excluded.value,"
        " updated_at = now()",
        domain.lower(),
        value,
    )
