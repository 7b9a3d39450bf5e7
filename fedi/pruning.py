"""The job queue's history, pruned: pgqueuer keeps a row in its log for every job it ran, and never deletes one.

A busy instance runs a job per delivery and per claim, so the log grew by tens of megabytes a day, and with it the
database's backups and vacuum work. pgqueuer 1.6 can only empty its log whole (``clear_queue_log``); rows older
than ``CHIFFRES_JOB_LOG_DAYS`` (7 by default) are deleted here instead, with the per-second statistics folded from
them, in batches so that no statement holds many locks or runs long. One worker of a cluster prunes each hour,
under a lease (``fedi.schedule``); a pass that overlaps another anyway is harmless, a batch skipping the rows the
other is deleting.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fedi.database import Pool
from fedi.schedule import Lease, every

logger = logging.getLogger(__name__)

#: Rows deleted per statement.
BATCH = 5_000
TABLES = ("pgqueuer_log", "pgqueuer_statistics")


class JobLogPruning:
    """Deletes the queue's log rows older than ``days``, every ``interval`` seconds."""

    def __init__(self, pool: Pool, days: float = 7.0, interval: float = 3600.0) -> None:
        self._pool = pool
        self._age = timedelta(days=days)
        self._interval = interval

    async def run(self, stopping: asyncio.Event) -> None:
        await every(self._interval, stopping, self.tick, lease=Lease(self._pool, "job log pruning"))

    async def tick(self) -> int:
        """Prune now; how many rows went."""
        pruned = 0
        for table in TABLES:
            pruned += await self._prune(table)
        if pruned:
            logger.info("job log: %d rows older than %s deleted", pruned, self._age)
        return pruned

    async def _prune(self, table: str) -> int:
        statement = (
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE created < now() - $1::interval"
            " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
        )
        pruned = 0
        while True:
            status: str = await self._pool.execute(statement, self._age, BATCH)
            count = int(status.split()[-1])
            pruned += count
            if count < BATCH:
                return pruned
