"""The worker side of the inbox: claim unprocessed activities in batches and process them.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and a lease, so any number of workers share the work and the
rows of a worker killed mid-batch are claimed again when their lease ends. An activity whose processing keeps
failing is given up after ``MAX_ATTEMPTS`` with the reason recorded, instead of blocking the ones behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fedi.database import Pool
from fedi.types import JSON

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Process = Callable[[JSON], Awaitable[None]]


class Drain:
    def __init__(
        self,
        pool: Pool,
        process: Process,
        *,
        batch: int = 50,
        concurrency: int = 8,
        idle: float = 0.1,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._pool = pool
        self._process = process
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._idle = idle
        self._lease = lease

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            claimed = await self.claim()
            await asyncio.gather(*(self._one(row_id, inbox, attempts) for row_id, inbox, attempts in claimed))
            if len(claimed) < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self._idle)

    async def claim(self) -> list[tuple[int, str | None, int]]:
        rows = await self._pool.fetch(
            "UPDATE inbox_activities SET claimed_until = now() + $2::interval, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM inbox_activities WHERE processed_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
            " RETURNING id, delivered_to, attempts",
            self._batch,
            self._lease,
        )
        return sorted((row["id"], row["delivered_to"], row["attempts"]) for row in rows)

    async def _one(self, row_id: int, inbox: str | None, attempts: int) -> None:
        async with self._slots:
            if attempts > MAX_ATTEMPTS:
                await self._give_up(row_id, "failed: too many attempts")
                return
            try:
                await self._process({"id": row_id, "inbox": inbox})
            except Exception as error:  # the job runner records the failure; the lease brings the row back
                logger.exception("processing inbox activity %s failed (attempt %s)", row_id, attempts)
                if attempts >= MAX_ATTEMPTS:
                    await self._give_up(row_id, f"failed: {type(error).__name__}: {error}")

    async def _give_up(self, row_id: int, reason: str) -> None:
        await self._pool.execute(
            "UPDATE inbox_activities SET processed_at = now(), outcome = $2 WHERE id = $1 AND processed_at IS NULL",
            row_id,
            reason[:500],
        )
