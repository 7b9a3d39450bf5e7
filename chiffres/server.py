"""Starting an instance: database, migrations, domain, then web server and worker in one event loop.

``chiffres serve`` runs both by default; ``--no-worker`` and ``chiffres worker`` split them so that any number of
each can run against one PostgreSQL. SIGINT and SIGTERM stop both gracefully, then release the embedded
database, which stops with its last holder.

Each process also runs a :class:`~fedi.supervisor.Supervisor`: it starts the embedded database again if it dies,
and once the database has been away for longer than ``CHIFFRES_DATABASE_DEADLINE`` it stops the process, which
exits non-zero so that systemd or Docker starts it afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import uvicorn
from starlette.types import ASGIApp

from chiffres import identity
from chiffres.reads import BufferedH11
from fedi.config import Settings
from fedi.database import Connection, Database, DatabaseUnavailable, open_database
from fedi.heap import Heap, map_large_blocks, trimmer
from fedi.instance import Instance
from fedi.migrator import migrate
from fedi.queue import Handler, Loop, Worker
from fedi.supervisor import Supervisor
from fedi.urls import Urls
from ledger import charter, joining

logger = logging.getLogger(__name__)

DEV_DOMAIN = identity.DEV_DOMAIN  # where `make serve` listens
_IDENTITY_LOCK = 0x43484944  # pg_advisory_xact_lock key: one process at a time records the identity


@dataclass
class Prepared:
    database: Database
    instance: Instance


#: Seconds an idle client connection stays open (see ``_serve``).
KEEP_ALIVE = 75


async def prepare(settings: Settings, *, serving: bool, pool_size: int = 10, wait: bool = False) -> Prepared:
    """Open (or start) the database, settle the domain and mode, bring the schema up to date, record the identity.

    With ``wait`` (the server and the worker), an external database that does not answer yet is tried again until
    ``CHIFFRES_DATABASE_DEADLINE``: started together by compose or systemd, the database is often a few seconds
    behind, and a process that exited at once would lose that race every time. A command fails at once.

    The identity is settled before anything is written, so that a refused process (one line, non-zero exit)
    leaves the database as it found it; after the migrations it is settled again and recorded under a lock, since
    another process may have recorded one meanwhile.
    """
    database = await _open(settings, wait=wait, min_size=1, max_size=pool_size)
    try:
        async with database.pool.acquire() as connection:
            await _identity(connection, settings, serving=serving)
            applied = await migrate(connection)
            if applied:
                logger.info("applied migrations: %s", ", ".join(f"{m.version:04d}_{m.name}" for m in applied))
            chosen = await _identity(connection, settings, serving=serving, recording=True)
            await joining.serving(connection, charter.load(settings.data_dir).version)
        settings = replace(settings, dev=chosen.dev).with_domain(chosen.domain)
        urls = Urls.for_domain(chosen.domain, settings.scheme)
        return Prepared(database, Instance(settings, urls, database.pool))
    except BaseException:
        await database.close()
        raise


async def _open(settings: Settings, *, wait: bool, min_size: int, max_size: int) -> Database:
    deadline = time.monotonic() + settings.database_deadline
    delay = 0.5
    while True:
        try:
            return await open_database(settings, min_size=min_size, max_size=max_size)
        except DatabaseUnavailable as error:
            left = deadline - time.monotonic()
            if not wait or settings.database_url is None or left <= 0:
                raise
            logger.warning("%s; trying again in %.1f s (giving up in %.0f s)", error, min(delay, left), left)
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, 5.0)


async def _identity(
    connection: Connection, settings: Settings, *, serving: bool, recording: bool = False
) -> identity.Identity:
    async with connection.transaction():
        if recording:
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _IDENTITY_LOCK)
        recorded = await identity.read(connection, unrecorded_dev=settings.dev)
        chosen = identity.settle(recorded, settings.domain, settings.dev, serving=serving)
        # A server writes it at every start, which also repairs a record an earlier version left inconsistent.
        if recording and (serving or chosen != recorded):
            await identity.record(connection, chosen)
    return chosen


class _Server(uvicorn.Server):
    """uvicorn re-raises captured signals after serving, which would skip our orderly shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _on_signals(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, callback)


async def serve(
    prepared: Prepared,
    app: ASGIApp,
    handlers: dict[str, Handler],
    *,
    loops: Sequence[Loop] = (),
    host: str,
    port: int,
    with_worker: bool,
) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_level="info",
        # Our handler writes uvicorn's lines too, in the one format (fedi.logs), and the access line is
        # fedi.logs.AccessLog's, which knows the request id.
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        http=BufferedH11,
        # Senders keep connections to us open and reuse them: activityrelay pushes a second activity on the
        # connection of the first and drops it, unretried, when we closed that connection after uvicorn's 5 s.
        # 75 s is nginx's default, what Mastodon's senders meet in front of most servers.
        timeout_keep_alive=KEEP_ALIVE,
    )
    server = _Server(config)
    worker = Worker(prepared.database.url, handlers, loops=loops) if with_worker else None
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        server.should_exit = True
        if worker is not None:
            worker.stop()

    _on_signals(stop)
    watch = _watch(prepared, stopping, stop)
    logger.info(
        "serving %s on http://%s:%d%s",
        prepared.instance.urls.base,
        host,
        port,
        "" if with_worker else " (no worker)",
    )
    worker_task = asyncio.create_task(worker.run()) if worker is not None else None
    map_large_blocks()
    trimming = asyncio.create_task(Heap(trimmer()).run())
    try:
        await server.serve()
    finally:
        trimming.cancel()
        stop()
        if worker_task is not None:
            await _finish(worker_task)
        await _close(prepared, watch)


async def run_worker(prepared: Prepared, handlers: dict[str, Handler], loops: Sequence[Loop] = ()) -> None:
    worker = Worker(prepared.database.url, handlers, loops=loops)
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        worker.stop()

    _on_signals(stop)
    watch = _watch(prepared, stopping, stop)
    logger.info("worker started for %s", prepared.instance.urls.base)
    map_large_blocks()
    trimming = asyncio.create_task(Heap(trimmer()).run())
    try:
        await worker.run()
    finally:
        trimming.cancel()
        stop()
        await _close(prepared, watch)


def _watch(prepared: Prepared, stopping: asyncio.Event, stop: Callable[[], None]) -> asyncio.Task[None]:
    """The supervisor's task; when it gives up on the database it stops the process, and awaiting the task then
    raises its :class:`~fedi.database.DatabaseUnavailable`, which the command line turns into a non-zero exit."""
    supervisor = Supervisor(prepared.database, deadline=prepared.instance.settings.database_deadline)
    task = asyncio.create_task(supervisor.run(stopping))
    task.add_done_callback(lambda _: stop())
    return task


async def _close(prepared: Prepared, watch: asyncio.Task[None]) -> None:
    """Let the supervisor finish what it is doing (it may be starting the embedded server) before the database is
    released, then raise what made it give up, if anything."""
    try:
        await watch
    finally:
        await prepared.database.close()


async def _finish(task: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(task, timeout=15)
    except TimeoutError:
        logger.warning("worker did not stop within 15 s; its jobs will be picked up again")
    except Exception:
        logger.exception("worker failed")
