"""Reports: what other servers' moderators tell us about our actors or posts (``Flag``), kept for our admins.

A report is peer input like any other: its comment is bounded and kept as text, its list of objects capped, and it
is recorded once per sender and id. Mastodon sends a report as its instance actor, to keep the reporter anonymous,
so what it says of its author is the reporting domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fedi.database import Connection, Pool

MAX_CONTENT = 2000
MAX_OBJECTS = 20
MAX_URL = 2048


@dataclass(frozen=True)
class Report:
    id: int
    reporter: str
    domain: str
    objects: list[str]
    content: str
    received_at: datetime
    resolved_at: datetime | None


async def record(
    connection: Connection, activity_id: str, reporter: str, domain: str, objects: list[str], content: str
) -> int | None:
    """Keep a report; its id, or None when it was already kept."""
    kept = [uri for uri in objects if uri.startswith(("https://", "http://")) and len(uri) <= MAX_URL]
    found: int | None = await connection.fetchval(
        "INSERT INTO reports (activity_id, reporter, domain, objects, content) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (activity_id, reporter) DO NOTHING RETURNING id",
        activity_id,
        reporter,
        domain,
        list(dict.fromkeys(kept))[:MAX_OBJECTS],
        content[:MAX_CONTENT],
    )
    return found


async def listing(db: Pool | Connection, *, include_resolved: bool = False) -> list[Report]:
    rows = await db.fetch(
        "SELECT id, reporter, domain, objects, content, received_at, resolved_at FROM reports"
        " WHERE $1 OR resolved_at IS NULL ORDER BY id",
        include_resolved,
    )
    return [Report(**dict(row)) for row in rows]


async def resolve(db: Pool | Connection, report_id: int, now: datetime) -> bool:
    """Mark the report resolved; False when no open report has that id."""
    done = await db.fetchval(
        "UPDATE reports SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL RETURNING id", report_id, now
    )
    return done is not None
