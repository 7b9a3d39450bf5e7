"""Durable delivery: one queued job per (activity, destination inbox), retried with backoff, never lost.

:func:`schedule` records a ``deliveries`` row per inbox and queues its job in the caller's transaction. The
``deliver`` job signs and POSTs the activity kept in the outbox, then records the outcome; a retry is a new job
queued in the same transaction as the failure it follows. A worker killed mid-POST leaves its job to be picked
up again, so a peer may receive an activity twice — inboxes deduplicate by activity id — but never zero times.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from fedi import breaker, queue, retry
from fedi.breaker import HostHealth
from fedi.database import Connection, Pool
from fedi.fetch import Fetcher, FetchError, Signer, json_body
from fedi.types import JSON, Clock

logger = logging.getLogger(__name__)

DELIVER = "deliver"
SignerFor = Callable[[int], Awaitable[Signer]]
SyncHeader = Callable[[JSON, str], Awaitable[str | None]]


async def schedule(connection: Connection, activity_id: str, inboxes: list[str], signer_id: int) -> int:
    """Record and queue one delivery per inbox not yet scheduled; returns how many were new."""
    unique = list(dict.fromkeys(inboxes))
    if not unique:
        return 0
    rows = await connection.fetch(
        "INSERT INTO deliveries (activity_id, inbox, domain, signer)"
        " SELECT $1, inbox, split_part(split_part(inbox, '://', 2), '/', 1), $3 FROM unnest($2::text[]) AS inbox"
        " ON CONFLICT (activity_id, inbox) DO NOTHING RETURNING id",
        activity_id,
        unique,
        signer_id,
    )
    await queue.enqueue_many(connection, DELIVER, [{"delivery": row["id"]} for row in rows])
    return len(rows)


class Deliverer:
    """Runs ``deliver`` jobs: sign, POST, record, and schedule the next attempt when the peer may recover."""

    def __init__(
        self,
        pool: Pool,
        fetcher: Fetcher,
        signer_for: SignerFor,
        clock: Clock,
        sync_header: SyncHeader | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._pool = pool
        self._fetcher = fetcher
        self._signer_for = signer_for
        self._clock = clock
        self._sync_header = sync_header
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrets)

    async def __call__(self, payload: JSON) -> None:
        row = await self._pool.fetchrow(
            "SELECT d.id, d.inbox, d.domain, d.signer, d.state, d.attempts, o.document FROM deliveries d"
            " JOIN outbox o ON o.activity_id = d.activity_id WHERE d.id = $1",
            int(payload["delivery"]),
        )
        if row is None or row["state"] != "pending":
            return
        health = await self._health(row["domain"])
        now = self._clock()
        if health.unreachable(now) and health.last_failure_at and health.first_failure_at:
            await self._finish(
                row["id"], "skipped", None, f"{row['domain']} unreachable since {health.first_failure_at}"
            )
            return
        if health.is_open(now) and health.open_until is not None:
            await self._postpone(row["id"], health.open_until - now)
            return
        status, error = await self._post(row["inbox"], row["document"], row["signer"])
        await self._record(row["id"], row["domain"], row["attempts"] + 1, status, error)

    async def _post(self, inbox: str, document: JSON, signer_id: int) -> tuple[int | None, str | None]:
        extra: dict[str, str] = {}
        if self._sync_header is not None:
            header = await self._sync_header(document, urlsplit(inbox).netloc)
            if header:
                extra["Collection-Synchronization"] = header
        try:
            response = await self._fetcher.post(inbox, json_body(document), await self._signer_for(signer_id), extra)
        except FetchError as failure:
            return None, str(failure)
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    async def _record(
        self, delivery_id: int, domain: str, attempts: int, status: int | None, error: str | None
    ) -> None:
        outcome = retry.classify(status)
        now = self._clock()
        health = await self._health(domain)
        async with self._pool.acquire() as connection, connection.transaction():
            if outcome is retry.Outcome.DELIVERED:
                await self._save_health(connection, breaker.success(health, now))
                await self._set(connection, delivery_id, "delivered", attempts, status, None)
                return
            if status is None or status >= 500:
                await self._save_health(connection, breaker.failure(health, now))
            delay = retry.backoff(attempts, self._rng) if outcome is retry.Outcome.RETRY else None
            if delay is None:
                await self._set(connection, delivery_id, "failed", attempts, status, error)
                logger.info("delivery %s to %s failed for good: %s", delivery_id, domain, error)
                return
            await self._set(connection, delivery_id, "pending", attempts, status, error)
            await queue.enqueue(connection, DELIVER, {"delivery": delivery_id}, delay=delay)

    async def _postpone(self, delivery_id: int, delay: timedelta) -> None:
        async with self._pool.acquire() as connection:
            await queue.enqueue(connection, DELIVER, {"delivery": delivery_id}, delay=delay)

    async def _finish(self, delivery_id: int, state: str, status: int | None, error: str | None) -> None:
        async with self._pool.acquire() as connection:
            await self._set(connection, delivery_id, state, None, status, error)

    async def _set(
        self,
        connection: Connection,
        delivery_id: object,
        state: str,
        attempts: int | None,
        status: int | None,
        error: str | None,
    ) -> None:
        await connection.execute(
            "UPDATE deliveries SET state = $2, attempts = coalesce($3, attempts), last_status = $4,"
            " last_error = $5, updated_at = $6 WHERE id = $1",
            delivery_id,
            state,
            attempts,
            status,
            error,
            self._clock(),
        )

    async def _health(self, domain: str) -> HostHealth:
        row = await self._pool.fetchrow("SELECT * FROM hosts WHERE domain = $1", domain)
        return HostHealth(**dict(row)) if row else HostHealth(domain)

    async def _save_health(self, connection: Connection, health: HostHealth) -> None:
        await connection.execute(
            "INSERT INTO hosts (domain, consecutive_failures, first_failure_at, last_failure_at, last_success_at,"
            " open_until) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (domain) DO UPDATE SET"
            " consecutive_failures = excluded.consecutive_failures, first_failure_at = excluded.first_failure_at,"
            " last_failure_at = excluded.last_failure_at,"
            " last_success_at = coalesce(excluded.last_success_at, hosts.last_success_at),"
            " open_until = excluded.open_until",
            health.domain,
            health.consecutive_failures,
            health.first_failure_at,
            health.last_failure_at,
            health.last_success_at,
            health.open_until,
        )
