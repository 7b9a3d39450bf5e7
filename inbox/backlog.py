"""The work that did not go through: deliveries not delivered, and received activities parked by the drain.

Admins see both kinds in one list (``chiffres queue``), each known by a prefixed id — ``d12`` a delivery, ``i7`` a
parked inbox row — and send them round again or drop them. A delivery retried goes back to ``pending`` with a new
``deliver`` job; one dropped ends ``skipped`` with the reason, as a suspended domain's do. A parked row unparked is
taken again by the drain with its attempts reset; one dropped is deleted. A delivery still pending already has its
job waiting, so it is not queued twice (two jobs could post it twice at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fedi import queue
from fedi.database import Connection, Pool, borrow
from fedi.delivery import DELIVER
from fedi.domains import suspended

DROPPED = "dropped by an admin"
LIMIT = 1000


class BacklogError(ValueError):
    """An id that names neither a delivery (``d12``) nor an inbox row (``i7``)."""


@dataclass(frozen=True)
class Waiting:
    """A delivery not delivered, or a parked inbox row, as the queue lists it."""

    id: str
    kind: str
    state: str
    what: str
    attempts: int
    reason: str | None
    next_try: datetime | None
    since: datetime


def parse_ids(texts: list[str]) -> tuple[list[int], list[int]]:
    """Delivery ids and inbox row ids from ``d12`` / ``i7``."""
    deliveries: list[int] = []
    rows: list[int] = []
    for text in texts:
        kind, number = text.strip()[:1].lower(), text.strip()[1:]
        if kind not in ("d", "i") or not number.isdigit() or len(number) > 18:
            raise BacklogError(f"{text!r} is not a queue id (d12 for a delivery, i7 for an inbox row)")
        (deliveries if kind == "d" else rows).append(int(number))
    return deliveries, rows


async def listing(db: Pool | Connection, limit: int = LIMIT) -> list[Waiting]:
    deliveries = await db.fetch(
        "WITH payloads AS (SELECT convert_from(payload, 'UTF8')::jsonb AS p, execute_after FROM pgqueuer"
        " WHERE entrypoint = $2),"
        " jobs AS (SELECT named.id::bigint AS delivery, min(execute_after) AS next_try FROM payloads,"
        " jsonb_array_elements_text(coalesce(p->'deliveries', jsonb_build_array(p->'delivery'))) AS named(id)"
        " GROUP BY 1)"
        " SELECT d.id, d.state, d.domain, d.attempts, d.last_error, d.created_at, j.next_try"
        " FROM deliveries d LEFT JOIN jobs j ON j.delivery = d.id"
        " WHERE d.state IN ('pending', 'failed') ORDER BY d.id LIMIT $1",
        limit,
        DELIVER,
    )
    parked = await db.fetch(
        "SELECT id, actor, type, attempts, outcome, received_at FROM inbox_activities"
        " WHERE parked_at IS NOT NULL AND processed_at IS NULL ORDER BY id LIMIT $1",
        limit,
    )
    return [
        *(
            Waiting(
                f"d{r['id']}",
                "delivery",
                r["state"],
                r["domain"],
                r["attempts"],
                r["last_error"],
                r["next_try"],
                r["created_at"],
            )
            for r in deliveries
        ),
        *(
            Waiting(
                f"i{r['id']}",
                "inbox",
                "parked",
                f"{r['type']} from {r['actor']}",
                r["attempts"],
                _reason(r["outcome"]),
                None,
                r["received_at"],
            )
            for r in parked
        ),
    ]


def _reason(outcome: str | None) -> str | None:
    return outcome.removeprefix("parked: ") if outcome else None


async def retry(db: Pool | Connection, deliveries: list[int], rows: list[int]) -> int:
    """Send failed or dropped deliveries again (never to a suspended domain) and unpark inbox rows; how many went
    back."""
    async with borrow(db) as connection, connection.transaction():
        again = await connection.fetch(
            "UPDATE deliveries SET state = 'pending', attempts = 0, last_error = NULL, updated_at = now()"
            " WHERE id = ANY($1::bigint[]) AND state IN ('failed', 'skipped')"
            f" AND NOT {suspended('lower(domain)')} RETURNING id",
            deliveries,
        )
        await queue.enqueue_many(connection, DELIVER, [{"delivery": row["id"]} for row in again])
        unparked = await _unpark(connection, rows)
    return len(again) + unparked


async def retry_all_failed(db: Pool | Connection) -> int:
    async with borrow(db) as connection, connection.transaction():
        failed = [row["id"] for row in await connection.fetch("SELECT id FROM deliveries WHERE state = 'failed'")]
        parked = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM inbox_activities WHERE parked_at IS NOT NULL AND processed_at IS NULL"
            )
        ]
        return await retry(connection, failed, parked)


async def _unpark(connection: Connection, rows: list[int]) -> int:
    status = await connection.execute(
        "UPDATE inbox_activities SET parked_at = NULL, attempts = 0, claimed_until = NULL, outcome = NULL"
        " WHERE id = ANY($1::bigint[]) AND parked_at IS NOT NULL AND processed_at IS NULL",
        rows,
    )
    return int(status.rsplit(" ", 1)[-1])


async def drop(db: Pool | Connection, deliveries: list[int], rows: list[int]) -> int:
    """End deliveries not delivered (``skipped``, with the reason) and delete parked inbox rows; how many."""
    async with borrow(db) as connection, connection.transaction():
        ended = await connection.execute(
            "UPDATE deliveries SET state = 'skipped', last_error = $2, updated_at = now()"
            " WHERE id = ANY($1::bigint[]) AND state IN ('pending', 'failed')",
            deliveries,
            DROPPED,
        )
        deleted = await connection.execute(
            "DELETE FROM inbox_activities WHERE id = ANY($1::bigint[]) AND parked_at IS NOT NULL"
            " AND processed_at IS NULL",
            rows,
        )
    return int(ended.rsplit(" ", 1)[-1]) + int(deleted.rsplit(" ", 1)[-1])
