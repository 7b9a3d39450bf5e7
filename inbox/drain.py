"""The worker side of the inbox: claim unprocessed activities and process them, a bounded number at a time.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and a lease, so any number of workers share the work and the
rows of a worker killed mid-way are claimed again when their lease ends. The drain refills as rows finish: it
holds at most ``concurrency`` rows, all of them being processed, and claims more as soon as one is done, so a slow
row holds up only its own slot and no row waits, leased, behind others. Each attempt has a deadline shorter than
the lease, so that a row is never processed by two workers at once. An attempt is counted when its row is
claimed, so one that never finishes (the worker hung or was killed) counts too. A row whose attempts failed,
timed out or never finished ``MAX_ATTEMPTS`` times is parked (``parked_at``, and ``outcome`` "parked: <reason>"):
neither processed nor claimed again, instead of retried forever ahead of the ones behind it.
An activity interrupted because the database went away is handed back as soon as the database answers again,
rather than left leased to us for minutes; the attempt still counts, so that an error mistaken for an outage
cannot keep a row coming back forever. A worker asked to stop claims nothing more, lets the rows in hand finish
for ``grace`` seconds, and hands back the ones still running, for another worker to take at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fedi.database import Pool, is_unavailable
from fedi.types import JSON

logger = logging.getLogger(__name__)
#: How long a worker holds the rows it took: a killed worker's rows are taken again after it.
LEASE = timedelta(minutes=2)

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
        lease: timedelta = LEASE,
        timeout: float = 60.0,
        grace: float = 5.0,
    ) -> None:
        if timedelta(seconds=timeout) >= lease:
            raise ValueError("an attempt's timeout must end before its lease, or another worker would take the row")
        self._pool = pool
        self._process = process
        self._batch = batch
        self._concurrency = concurrency
        self._idle = idle
        self._lease = lease
        self._timeout = timeout
        self._grace = grace
        self._interrupted: set[int] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        running: dict[asyncio.Task[object], int] = {}
        stopped = asyncio.create_task(stopping.wait())
        try:
            while not stopping.is_set():
                await self._hand_back()
                free = min(self._concurrency - len(running), self._batch)
                claimed = await self.claim(free) if free > 0 else []
                for row_id, inbox, attempts in claimed:
                    running[asyncio.create_task(self._one(row_id, inbox, attempts))] = row_id
                if len(running) < self._concurrency and claimed and len(claimed) == free:
                    continue  # slots left and perhaps more rows: claim again at once
                # With every slot taken, wait for one to free; otherwise new rows may arrive, so look again soon.
                full = len(running) >= self._concurrency
                done, _ = await asyncio.wait(
                    [stopped, *running], timeout=None if full else self._idle, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done - {stopped}:
                    del running[task]
                    task.result()  # a row that could not even be parked: the worker runs this loop again
        finally:
            stopped.cancel()
            await self._wind_down(running)

    async def claim(self, limit: int | None = None) -> list[tuple[int, str | None, int]]:
        rows = await self._pool.fetch(
            "UPDATE inbox_activities SET claimed_until = now() + $2::interval, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM inbox_activities WHERE processed_at IS NULL AND parked_at IS NULL"
            " AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)"
            " RETURNING id, delivered_to, attempts",
            self._batch if limit is None else limit,
            self._lease,
        )
        return sorted((row["id"], row["delivered_to"], row["attempts"]) for row in rows)

    async def _wind_down(self, running: dict[asyncio.Task[object], int]) -> None:
        """Let the rows in hand finish within the grace period, then cancel the others and hand them back."""
        if running:
            _, late = await asyncio.wait(running, timeout=self._grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)  # the worker is stopping: what failed is logged
            self._interrupted.update(running[task] for task in late)
        await self._hand_back()

    async def _one(self, row_id: int, inbox: str | None, attempts: int) -> None:
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
