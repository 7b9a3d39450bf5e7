"""Background work on pgqueuer: jobs are rows in the same PostgreSQL as the data they are about.

:func:`enqueue` takes the caller's connection, so a job is inserted in the same transaction as the write that
causes it: either both happen or neither. A :class:`Worker` holds one dedicated connection (pgqueuer LISTENs on
it) and runs the registered handlers; a worker killed mid-job leaves a stale heartbeat, and another worker picks
the job up again, so handlers must be idempotent.

The database may go away while a worker runs. A job that fails because of it is put back in the queue rather
than counted as failed (pgqueuer would delete it, and a delivery would be lost); the worker's own connection is
opened again, and its loops started again, with a growing pause, for as long as the worker is not stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager, RetryRequested

from fedi.database import Connection, connect, is_unavailable, reconnect_delay, release
from fedi.types import JSON

logger = logging.getLogger(__name__)

Handler = Callable[[JSON], Awaitable[None]]
Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
RETRY_WHEN_AWAY = timedelta(seconds=5)  # a job that met the database away runs again after this
CONCURRENCY = 100  # jobs a worker runs at once: deliveries wait on peers far more than on this process


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
        concurrency: int = CONCURRENCY,
        heartbeat_timeout: timedelta = timedelta(seconds=15),
        retry_when_away: timedelta = RETRY_WHEN_AWAY,
        grace: float = 10.0,
    ) -> None:
        self._url = url
        self._grace = grace
        self._retry_when_away = retry_when_away
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._heartbeat_timeout = heartbeat_timeout
        self._manager: QueueManager | None = None
        self._stopping = False
        self._loops = list(loops)
        self._stop_loops = asyncio.Event()

    async def run(self) -> None:
        """Run until :meth:`stop`, then give the running jobs and loops ``grace`` seconds to finish (the drain hands
        its rows back within its own, shorter, grace) and cancel what is left: a job cut short stays picked with a
        stale heartbeat, and another worker runs it again after ``heartbeat_timeout``."""
        tasks = [asyncio.create_task(self._keep(loop, _name(loop))) for loop in self._loops]
        tasks.append(asyncio.create_task(self._keep(self._run_queue, "the queue")))
        try:
            await self._stop_loops.wait()
            _, late = await asyncio.wait(tasks, timeout=self._grace)
            if late:
                logger.warning("%d worker tasks still running after %g s; cancelled", len(late), self._grace)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, loop: Loop, name: str) -> None:
        """Run ``loop`` until the worker stops, starting it again after it fails, with a growing pause.

        The broad catch is the job runner's: a loop that dies here would leave its work undone until someone
        restarts the process, which is the failure this exists to prevent; the error is logged each time.
        """
        failures = 0
        while not self._stop_loops.is_set():
            try:
                await loop(self._stop_loops)
                failures = 0
            except Exception as error:
                failures += 1
                if is_unavailable(error):
                    logger.warning("%s: database unavailable (%s); starting again", name, error)
                else:
                    logger.exception("%s failed; starting again", name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_loops.wait(), reconnect_delay(failures))

    async def _run_queue(self, stopping: asyncio.Event) -> None:
        connection = await connect(self._url)
        try:
            manager = QueueManager(Queries(AsyncpgDriver(connection)))
            for name, handler in self._handlers.items():
                manager.entrypoint(name, accepts_context=False)(_runner(handler, self._retry_when_away))
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
            await release(connection)

    def stop(self) -> None:
        self._stopping = True
        self._stop_loops.set()
        if self._manager is not None:
            self._manager.shutdown.set()


def _runner(handler: Handler, retry_when_away: timedelta) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        try:
            await handler(decode(job))
        except Exception as error:
            if is_unavailable(error):
                raise RetryRequested(retry_when_away, f"database unavailable: {error}") from error
            raise

    return run


def _name(loop: Loop) -> str:
    """A loop's name for the log: its owner's class for a bound method."""
    owner = getattr(loop, "__self__", None)
    return type(owner).__name__ if owner is not None else getattr(loop, "__qualname__", repr(loop))
