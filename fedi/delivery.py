"""Durable delivery: one ``deliveries`` row per (activity, destination inbox), retried with backoff, never lost.

:func:`schedule` records a row per inbox and queues the jobs in the caller's transaction: one job per server
for up to :data:`PER_JOB` of its inboxes, posted one after the other. A server that gives each follower its own
inbox (bovine, many small servers) then gets its deliveries over one kept-alive connection instead of as many
connections as followers, and the queue carries a job per server, not per follower: the job's own bookkeeping
(taking it, its heartbeat, its status) cost about as much as a POST. The ``deliver`` job signs and POSTs the
activity kept in the outbox, then records each outcome; a retry is a new job for that one delivery, queued in the
same transaction as the failure it follows, and when a server asks us to come back later the job's remaining
deliveries wait with it instead of knocking one by one. A worker killed mid-job leaves it to be picked up again;
what it had recorded as delivered is not sent again, so a peer may receive an activity twice — inboxes
deduplicate by activity id — but never zero times.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from asyncpg import Record

from fedi import domains, queue, retry
from fedi.batch import Batch
from fedi.breaker import Hosts
from fedi.database import Connection, Pool, is_unavailable
from fedi.fetch import Fetcher, FetchError, Signer, json_body
from fedi.types import JSON, Clock

logger = logging.getLogger(__name__)

DELIVER = "deliver"
SignerFor = Callable[[int], Awaitable[Signer]]
SyncHeader = Callable[[JSON, str], Awaitable[str | None]]
KEPT_ACTIVITIES = 64  # activities whose body a worker keeps at once
PER_JOB = 16  # deliveries to one server that one job posts in turn


async def schedule(connection: Connection, activity_id: str, inboxes: list[str], signer_id: int) -> int:
    """Record and queue one delivery per inbox not yet scheduled; returns how many were new.

    An inbox on a domain this instance suspended, or under one, gets nothing, whatever asked for it (a follower list
    read a moment before the suspension, a reply to one of its posts, an address typed by hand): the suspension
    removes the domain's follows, and this is the one place every delivery passes.
    """
    unique = list(dict.fromkeys(inboxes))
    if not unique:
        return 0
    rows = await connection.fetch(
        "INSERT INTO deliveries (activity_id, inbox, domain, signer)"
        " SELECT $1, inbox, host, $3 FROM unnest($2::text[]) AS inbox,"
        " split_part(split_part(inbox, '://', 2), '/', 1) AS host"
        f" WHERE NOT {domains.suspended('lower(host)')}"
        " ON CONFLICT (activity_id, inbox) DO NOTHING RETURNING id, lower(domain) AS domain",
        activity_id,
        unique,
        signer_id,
    )
    by_server: dict[str, list[int]] = {}
    for row in rows:
        by_server.setdefault(row["domain"], []).append(row["id"])
    await queue.enqueue_many(connection, DELIVER, [payload(ids) for ids in _chunks(by_server.values())])
    return len(rows)


def payload(ids: list[int]) -> JSON:
    """The ``deliver`` job for these deliveries (one server's, at most :data:`PER_JOB`)."""
    return {"delivery": ids[0]} if len(ids) == 1 else {"deliveries": ids}


def deliveries_of(job: JSON) -> list[int]:
    """The delivery ids a ``deliver`` job names (a job queued before jobs carried several names one)."""
    many = job.get("deliveries")
    ids = many if many is not None else [job.get("delivery")]
    if not isinstance(ids, list) or not 0 < len(ids) <= PER_JOB or not all(type(i) is int for i in ids):
        raise queue.JobPayloadError(f"not a deliver job: {str(job)[:200]}")
    return ids


def _chunks(groups: Iterable[list[int]]) -> Iterator[list[int]]:
    for ids in groups:
        for start in range(0, len(ids), PER_JOB):
            yield ids[start : start + PER_JOB]


@dataclass(frozen=True)
class Outgoing:
    """An activity as every inbox receives it: read and serialised once per fan-out, not once per delivery."""

    document: JSON
    body: bytes


class Deliverer:
    """Runs ``deliver`` jobs: sign, POST, record, and schedule the next attempt when the peer may recover.

    The rows of jobs running together are read in one statement and their successes recorded in one (see
    :mod:`fedi.batch`); each job still returns only once its outcome is written. The activity's body is kept for
    ``fresh`` seconds per activity, and host health is read from :class:`~fedi.breaker.Hosts`, which writes only
    when it changes.
    """

    def __init__(
        self,
        pool: Pool,
        fetcher: Fetcher,
        signer_for: SignerFor,
        clock: Clock,
        sync_header: SyncHeader | None = None,
        rng: random.Random | None = None,
        *,
        hosts: Hosts | None = None,
        fresh: timedelta = timedelta(seconds=60),
    ) -> None:
        self._pool = pool
        self._fetcher = fetcher
        self._signer_for = signer_for
        self._clock = clock
        self._sync_header = sync_header
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrets)
        self._hosts = hosts or Hosts(pool, clock)
        self._fresh = fresh
        self._rows: Batch[int, Record | None] = Batch(self._read)
        self._delivered: Batch[tuple[int, int, int], None] = Batch(self._mark_delivered)
        self._outgoing: OrderedDict[str, tuple[datetime, asyncio.Task[Outgoing | None]]] = OrderedDict()

    async def __call__(self, job: JSON) -> None:
        """Post the job's deliveries in turn. One that fails for a reason of its own (a bug) does not stop the
        others; it is raised once they are done, so the job is logged as failed as a one-delivery job would be.
        The database going away stops the job at once: it runs again, and what was recorded is not sent again."""
        ids = deliveries_of(job)
        failure: Exception | None = None
        for index, delivery_id in enumerate(ids):
            try:
                come_back = await self._one(delivery_id)
            except Exception as error:
                if is_unavailable(error):
                    raise
                logger.exception("delivery %s failed", delivery_id)
                failure = failure or error
                continue
            rest = ids[index + 1 :]
            if come_back is not None and rest:
                await self._postpone_many(rest, come_back)
                break
        if failure is not None:
            raise failure

    async def _one(self, delivery_id: int) -> timedelta | None:
        """Deliver one; when its server asked us to come back later, how long the job's other deliveries to it
        wait (they keep their attempts: they were not tried)."""
        row = await self._rows(delivery_id)
        if row is None or row["state"] != "pending":
            return None
        health = await self._hosts.health(row["domain"])
        now = self._clock()
        if health.unreachable(now) and health.last_failure_at and health.first_failure_at:
            await self._finish(
                row["id"], "skipped", None, f"{row['domain']} unreachable since {health.first_failure_at}"
            )
            return None
        if health.is_open(now) and health.open_until is not None:
            await self._postpone(row["id"], health.open_until - now)
            return None
        outgoing = await self._activity(row["activity_id"])
        if outgoing is None:
            return None
        status, error = await self._post(row["inbox"], outgoing, row["signer"])
        return await self._record(row["id"], row["domain"], row["attempts"] + 1, status, error)

    async def _read(self, ids: list[int]) -> list[Record | None]:
        rows = await self._pool.fetch(
            "SELECT id, activity_id, inbox, domain, signer, state, attempts FROM deliveries"
            " WHERE id = ANY($1::bigint[])",
            ids,
        )
        found = {row["id"]: row for row in rows}
        return [found.get(delivery_id) for delivery_id in ids]

    async def _activity(self, activity_id: str) -> Outgoing | None:
        now = self._clock()
        known = self._outgoing.get(activity_id)
        if known is None or now - known[0] >= self._fresh or _failed(known[1]):
            known = (now, asyncio.ensure_future(self._load(activity_id)))
            self._outgoing[activity_id] = known
            while len(self._outgoing) > KEPT_ACTIVITIES:
                self._outgoing.popitem(last=False)
        return await asyncio.shield(known[1])

    async def _load(self, activity_id: str) -> Outgoing | None:
        document = await self._pool.fetchval("SELECT document FROM outbox WHERE activity_id = $1", activity_id)
        return None if document is None else Outgoing(document, json_body(document))

    async def _post(self, inbox: str, outgoing: Outgoing, signer_id: int) -> tuple[int | None, str | None]:
        extra: dict[str, str] = {}
        if self._sync_header is not None:
            header = await self._sync_header(outgoing.document, urlsplit(inbox).netloc)
            if header:
                extra["Collection-Synchronization"] = header
        try:
            response = await self._fetcher.post(inbox, outgoing.body, await self._signer_for(signer_id), extra)
        except FetchError as failure:
            return None, str(failure)
        return response.status_code, None if response.is_success else f"HTTP {response.status_code}"

    async def _record(
        self, delivery_id: int, domain: str, attempts: int, status: int | None, error: str | None
    ) -> timedelta | None:
        """Write the outcome; the delay before the next attempt when the server asked us to come back later."""
        outcome = retry.classify(status)
        now = self._clock()
        if outcome is retry.Outcome.DELIVERED and status is not None:
            await self._delivered((delivery_id, attempts, status))
            await self._hosts.succeeded(domain, now)
            return None
        if status is None or status >= 500:
            await self._hosts.failed(domain, now)
        delay = retry.backoff(attempts, self._rng) if outcome is retry.Outcome.RETRY else None
        async with self._pool.acquire() as connection, connection.transaction():
            if delay is None:
                await self._set(connection, delivery_id, "failed", attempts, status, error)
                logger.info("delivery %s to %s failed for good: %s", delivery_id, domain, error)
                return retry.backoff(1, self._rng) if outcome is retry.Outcome.RETRY else None
            await self._set(connection, delivery_id, "pending", attempts, status, error)
            await queue.enqueue(connection, DELIVER, {"delivery": delivery_id}, delay=delay)
        return delay

    async def _mark_delivered(self, outcomes: list[tuple[int, int, int]]) -> list[None]:
        await self._pool.execute(
            "UPDATE deliveries AS d SET state = 'delivered', attempts = o.attempts, last_status = o.status,"
            " last_error = NULL, updated_at = $4"
            " FROM unnest($1::bigint[], $2::int[], $3::int[]) AS o(id, attempts, status) WHERE d.id = o.id",
            [outcome[0] for outcome in outcomes],
            [outcome[1] for outcome in outcomes],
            [outcome[2] for outcome in outcomes],
            self._clock(),
        )
        return [None] * len(outcomes)

    async def _postpone(self, delivery_id: int, delay: timedelta) -> None:
        async with self._pool.acquire() as connection:
            await queue.enqueue(connection, DELIVER, {"delivery": delivery_id}, delay=delay)

    async def _postpone_many(self, ids: list[int], delay: timedelta) -> None:
        async with self._pool.acquire() as connection:
            await queue.enqueue(connection, DELIVER, payload(ids), delay=delay)

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


def _failed(task: asyncio.Task[Outgoing | None]) -> bool:
    return task.done() and (task.cancelled() or task.exception() is not None)
