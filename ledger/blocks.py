"""Domain blocks: what this instance refuses of another domain, as an admin decided.

A block covers the domain and every domain under it (blocking ``spam.example`` blocks ``a.spam.example`` too), as
Mastodon's and GoToSocial's do: a server that hands out subdomains would otherwise escape it at no cost.
``silence`` keeps a domain's traffic coming but makes it weigh nothing: its claims count at trust 0 (the consensus
reads trust through :func:`ledger.claims.trust_levels`, which blocks override) and our groups relay none of them.
``suspend`` also cuts the domain off: its inbox requests are refused (``inbox.suspension``), nothing is fetched
from it, the deliveries still waiting for it end, and every follow between it and us (a relay subscription too) is
removed, so that no fan-out picks its inboxes again. Lifting a block lets new traffic in; what a suspension removed
stays removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fedi.database import Connection, Pool, borrow
from fedi.domains import under
from ledger import claims

Severity = Literal["silence", "suspend"]
SEVERITIES: tuple[Severity, ...] = ("silence", "suspend")
MAX_REASON = 500

# The host of a URL in SQL, as ``inbox.remote.host_of`` reads it in Python.
_HOST = "lower(split_part(split_part({}, '://', 2), '/', 1))"


@dataclass(frozen=True)
class Block:
    domain: str
    severity: Severity
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class Applied:
    """What a block changed at once: follows removed and deliveries stopped (both zero for a silence)."""

    block: Block
    follows_removed: int
    deliveries_stopped: int
    figures_recomputed: int


async def block(db: Pool | Connection, domain: str, severity: Severity, reason: str = "") -> Applied:
    """Block ``domain`` (a host name as ``claims.host_name`` returns it) or change its block's severity."""
    if severity not in SEVERITIES:
        raise claims.TrustError(f"unknown severity {severity!r} (silence or suspend)")
    async with borrow(db) as connection, connection.transaction():
        row = await connection.fetchrow(
            "INSERT INTO domain_blocks (domain, severity, reason) VALUES ($1, $2, $3) ON CONFLICT (domain)"
            " DO UPDATE SET severity = excluded.severity, reason = excluded.reason"
            " RETURNING domain, severity, reason, created_at",
            domain,
            severity,
            reason[:MAX_REASON],
        )
        removed = stopped = 0
        if severity == "suspend":
            removed, stopped = await _cut_off(connection, domain, reason)
        recomputed = await _recompute(connection, domain)
    if row is None:
        raise claims.TrustError(f"the block of {domain} was not recorded")
    return Applied(Block(**dict(row)), removed, stopped, recomputed)


async def _cut_off(connection: Connection, domain: str, reason: str) -> tuple[int, int]:
    follower, followee = _HOST.format("follower"), _HOST.format("followee")
    removed = await connection.execute(
        f"DELETE FROM follows WHERE {under(follower, '$1')} OR {under(followee, '$1')}", domain
    )
    relays = await connection.execute(  # a relay subscription is a follow too, and its fan-out reads it
        f"DELETE FROM relay_subscriptions WHERE {under(_HOST.format('inbox'), '$1')}", domain
    )
    stopped = await connection.execute(
        "UPDATE deliveries SET state = 'skipped', last_error = $2, updated_at = now()"
        f" WHERE state = 'pending' AND {under('lower(domain)', '$1')}",
        domain,
        f"domain suspended{': ' + reason if reason else ''}"[:MAX_REASON],
    )
    return _count(removed) + _count(relays), _count(stopped)


async def _recompute(connection: Connection, domain: str) -> int:
    """The figures the domain's live claims bear on: their consensus changes with the domain's weight."""
    rows = await connection.fetch(
        f"SELECT DISTINCT figure_uri FROM claims WHERE {under('domain', '$1')} AND withdrawn_at IS NULL", domain
    )
    for row in rows:
        await claims.pending(connection, row["figure_uri"])
    return len(rows)


def _count(status: str) -> int:
    """The row count of an asyncpg status line (``DELETE 3``, ``UPDATE 0``)."""
    return int(status.rsplit(" ", 1)[-1])


async def unblock(db: Pool | Connection, domain: str) -> bool:
    """Lift the block; False when there was none. Nothing removed comes back: new traffic is let in."""
    async with borrow(db) as connection, connection.transaction():
        gone = await connection.fetchval("DELETE FROM domain_blocks WHERE domain = $1 RETURNING domain", domain)
        if gone is not None:
            await _recompute(connection, domain)
    return gone is not None


async def listing(db: Pool | Connection) -> list[Block]:
    rows = await db.fetch("SELECT domain, severity, reason, created_at FROM domain_blocks ORDER BY domain")
    return [Block(**dict(row)) for row in rows]


async def suspended_domains(db: Pool | Connection) -> frozenset[str]:
    rows = await db.fetch("SELECT domain FROM domain_blocks WHERE severity = 'suspend'")
    return frozenset(row["domain"] for row in rows)
