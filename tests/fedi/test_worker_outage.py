"""A worker outlives its database going away: it reconnects, starts its loops again, and loses no job."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest

from fedi import queue
from fedi.database import DatabaseUnavailable, Pool
from fedi.types import JSON
from tests.support.cluster import Cluster
from tests.support.proxy import DatabaseProxy


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[DatabaseProxy]:
    running = DatabaseProxy(cluster.admin_url).start()
    yield running
    running.stop()


async def _stopped(worker: queue.Worker, task: asyncio.Task[None]) -> None:
    worker.stop()
    await asyncio.wait_for(task, timeout=20)


async def test_the_worker_runs_jobs_again_after_its_database_was_away(
    pool: Pool, database_url: str, proxy: DatabaseProxy
) -> None:
    seen: list[JSON] = []
    done = asyncio.Event()

    async def record(payload: JSON) -> None:
        seen.append(payload)
        done.set()

    worker = queue.Worker(proxy.url(urlsplit(database_url).path.lstrip("/")), {"record": record})
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(1)  # the worker is listening
        proxy.cut()
        await asyncio.sleep(6)  # longer than the worker's longest wait for a notification: it has met the cut
        assert not task.done(), task
        proxy.restore()
        async with pool.acquire() as connection:
            await queue.enqueue(connection, "record", {"n": 1})
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        await _stopped(worker, task)
    assert seen == [{"n": 1}]


async def test_a_job_that_meets_the_database_away_is_queued_again_not_dropped(pool: Pool, database_url: str) -> None:
    runs: list[JSON] = []
    done = asyncio.Event()

    async def flaky(payload: JSON) -> None:
        runs.append(payload)
        if len(runs) == 1:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        done.set()

    async with pool.acquire() as connection:
        await queue.enqueue(connection, "flaky", {"n": 1})
    worker = queue.Worker(database_url, {"flaky": flaky}, retry_when_away=timedelta(milliseconds=100))
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        await _stopped(worker, task)
    assert runs == [{"n": 1}, {"n": 1}]


async def test_a_loop_that_fails_is_started_again(database_url: str) -> None:
    starts: list[int] = []
    done = asyncio.Event()

    async def loop(stopping: asyncio.Event) -> None:
        starts.append(len(starts))
        if len(starts) < 3:
            raise DatabaseUnavailable("database unreachable: refused")
        done.set()
        await stopping.wait()

    worker = queue.Worker(database_url, {}, loops=[loop])
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        await _stopped(worker, task)
    assert starts == [0, 1, 2]
