"""Background work on pgqueuer: jobs are rows in the same PostgreSQL as the data they are about.

:func:`enqueue` takes the caller's connection, so a job is inserted in the same transaction as the write that
causes it: either both happen or neither. A :class:`Worker` holds one dedicated connection (pgqueuer LISTENs on
it) and runs the registered handlers; a worker killed mid-job leaves a stale heartbeat, and another worker picks
the job up again, so handlers must be idempotent.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager

from fedi.database import Connection, connect
from fedi.types import JSON

logger = logging.getLogger(__name__)

Handler = Callable[[JSON], Awaitable[None]]
Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class JobPayloadError(Exception):
    """A job's payload is not the JSON object its handler expects."""


async def enqueue(
    connection: Connection,
    entrypoint: str,
    payload: JSON,
    *,
    delay: timedelta | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue one job on ``connection`` (inside the caller's transaction, if any)."""
    queries = queries_on(connection)
    await queries.enqueue(
        entrypoint,
        json.dumps(payload, separators=(",", ":")).encode(),
        execute_after=delay,
        dedupe_key=dedupe_key,
        on_conflict="skip" if dedupe_key else "raise",
    )


async def enqueue_many(connection: Connection, entrypoint: str, payloads: list[JSON]) -> None:
    """Queue many jobs of one kind in one statement (fan-out to many inboxes)."""
    if not payloads:
        return
    queries = queries_on(connection)
    await queries.enqueue(
        [entrypoint] * len(payloads),
        [json.dumps(payload, separators=(",", ":")).encode() for payload in payloads],
        [0] * len(payloads),
    )


def queries_on(connection: Connection) -> Queries:
    """pgqueuer's queries over our connection; a pooled connection proxies a plain one faithfully."""
    return Queries(AsyncpgDriver(cast("asyncpg.Connection[asyncpg.Record]", connection)))


def decode(job: Job) -> JSON:
    try:
        payload = json.loads(job.payload or b"null")
    except ValueError as error:
        raise JobPayloadError(f"job {job.id}: payload is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise JobPayloadError(f"job {job.id}: payload is not a JSON object")
    return payload


class Worker:
    """Runs queued jobs, and loops that drain tables of their own, until :meth:`stop`; any number of workers may
    share one database."""

    def __init__(
        self,
        url: str,
        handlers: Mapping[str, Handler],
        *,
        loops: Sequence[Loop] = (),
        concurrency: int = 50,
        heartbeat_timeout: timedelta = timedelta(seconds=15),
    ) -> None:
        self._url = url
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._heartbeat_timeout = heartbeat_timeout
        self._manager: QueueManager | None = None
        self._stopping = False
        self._loops = list(loops)
        self._stop_loops = asyncio.Event()

    async def run(self) -> None:
        tasks = [asyncio.create_task(loop(self._stop_loops)) for loop in self._loops]
        try:
            await self._run_queue()
        finally:
            self._stop_loops.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run_queue(self) -> None:
        connection = await connect(self._url)
        try:
            manager = QueueManager(Queries(AsyncpgDriver(connection)))
            for name, handler in self._handlers.items():
                manager.entrypoint(name, accepts_context=False)(_runner(handler))
            self._manager = manager
            if self._stopping:
                return
            await manager.run(
                dequeue_timeout=timedelta(seconds=5),
                batch_size=max(1, self._concurrency // 2),
                max_concurrent_tasks=self._concurrency,
                heartbeat_timeout=self._heartbeat_timeout,
            )
        finally:
            await connection.close()

    def stop(self) -> None:
        self._stopping = True
        self._stop_loops.set()
        if self._manager is not None:
            self._manager.shutdown.set()


def _runner(handler: Handler) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        await handler(decode(job))

    return run
