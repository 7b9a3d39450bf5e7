"""The worker side of the inbox: claim unprocessed activities in batches and process them.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and a lease, so any number of workers share the work and the
rows of a worker killed mid-batch are claimed again when their lease ends. Each attempt has a deadline shorter
than the lease, so that a row is never processed by two workers at once and one that hangs does not hold up the
rows claimed with it. An attempt is counted when its row is claimed, so one that never finishes (the worker hung
or was killed) counts too. A row whose attempts failed, timed out or never finished ``MAX_ATTEMPTS`` times is
parked (``parked_at``, and ``outcome`` "parked: <reason>"): neither processed nor claimed again, instead of
retried forever ahead of the ones behind it.
An activity interrupted because the database went away is handed back as soon as the database answers again,
rather than left leased to us for minutes; the attempt still counts, so that an error mistaken for an outage
cannot keep a row coming back forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fedi.database import Pool, is_unavailable
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
        timeout: float = 60.0,
    ) -> None:
        if timedelta(seconds=timeout) >= lease:
            raise ValueError("an attempt's timeout must end before its lease, or another worker would take the row")
        self._pool = pool
        self._process = process
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._idle = idle
        self._lease = lease
        self._timeout = timeout
        self._interrupted: set[int] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self._hand_back()
            claimed = await self.claim()
            await asyncio.gather(*(self._one(row_id, inbox, attempts) for row_id, inbox, attempts in claimed))
            if len(claimed) < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), self._idle)

    async def claim(self) -> list[tuple[int, str | None, int]]:
        rows = await self._pool.fetch(
            "UPDATE inbox_activities SET claimed_until = now() + $2::interval, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM inbox_activities WHERE processed_at IS NULL AND parked_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
            " RETURNING id, delivered_to, attempts",
            self._batch,
            self._lease,
        )
        return sorted((row["id"], row["delivered_to"], row["attempts"]) for row in rows)

    async def _one(self, row_id: int, inbox: str | None, attempts: int) -> None:
        async with self._slots:
            if attempts > MAX_ATTEMPTS:
                await self._park(
                    row_id, f"{MAX_ATTEMPTS} attempts never finished (the worker stopped or hung while processing it)"
                )
                return
            try:
                await asyncio.wait_for(self._process({"id": row_id, "inbox": inbox}), self._timeout)
            except TimeoutError:  # checked first: a cancelled query must not read as the database going away
                logger.warning("processing inbox activity %s timed out (attempt %s)", row_id, attempts)
                if attempts >= MAX_ATTEMPTS:
                    await self._park(row_id, f"timed out after {self._timeout:g} s")
            except Exception as error:  # the job runner records the failure; the lease brings the row back
                if is_unavailable(error):
                    self._interrupted.add(row_id)
                    return
                logger.exception("processing inbox activity %s failed (attempt %s)", row_id, attempts)
                if attempts >= MAX_ATTEMPTS:
                    await self._park(row_id, f"{type(error).__name__}: {error}")

    async def _hand_back(self) -> None:
        """Release the rows the database's absence interrupted (raises while it is still away; the worker runs
        this loop again)."""
        if self._interrupted:
            await self._pool.execute(
                "UPDATE inbox_activities SET claimed_until = NULL WHERE id = ANY($1::bigint[])"
                " AND processed_at IS NULL",
                sorted(self._interrupted),
            )
            self._interrupted.clear()

    async def _park(self, row_id: int, reason: str) -> None:
        """Set the row aside with its reason, where an admin sees it; it is not processed and not claimed again."""
        logger.warning("inbox activity %s parked after %s attempts: %s", row_id, MAX_ATTEMPTS, reason)
        await self._pool.execute(
            "UPDATE inbox_activities SET parked_at = now(), claimed_until = NULL, outcome = $2"
            " WHERE id = $1 AND processed_at IS NULL",
            row_id,
            f"parked: {reason}"[:500],
        )
