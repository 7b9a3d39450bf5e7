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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import uvicorn
from starlette.types import ASGIApp

from fedi.config import ConfigError, Settings
from fedi.database import Database, Pool, open_database
from fedi.instance import Instance
from fedi.migrator import migrate
from fedi.queue import Handler, Loop, Worker
from fedi.supervisor import Supervisor
from fedi.urls import Urls

logger = logging.getLogger(__name__)

DEV_DOMAIN = "localhost:8000"  # where `make serve` listens


@dataclass
class Prepared:
    database: Database
    instance: Instance


async def resolve_domain(pool: Pool, settings: Settings, *, serving: bool) -> str:
    """The domain ids are minted under, recorded at first start and never silently changed.

    A command-line process on a running instance does not know the server's port; it reads the recorded domain.
    In development the record follows the server (ports change between runs); in production a different domain
    is refused, since every id already federated would break.
    """
    recorded: str | None = await pool.fetchval("SELECT value FROM instance_settings WHERE key = 'domain'")
    wanted = settings.domain
    if wanted is None and recorded is None and settings.dev:
        wanted = DEV_DOMAIN
    if wanted is None:
        if recorded is None:
            raise ConfigError("CHIFFRES_DOMAIN: not set, and no instance has run on this database yet")
        return recorded
    if recorded is not None and recorded != wanted and not settings.dev and serving:
        raise ConfigError(f"CHIFFRES_DOMAIN: this database was created for {recorded!r}; ids cannot move to {wanted!r}")
    if serving or recorded is None:
        await pool.execute(
            "INSERT INTO instance_settings (key, value) VALUES ('domain', $1)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            wanted,
        )
    return wanted


async def resolve_mode(pool: Pool, settings: Settings, *, serving: bool) -> Settings:
    """A command run beside a development instance (``make serve``) works in development mode too: the ids it
    mints must be the server's http ids, and the peers it reaches live on loopback."""
    if serving:
        await pool.execute(
            "INSERT INTO instance_settings (key, value) VALUES ('dev', $1)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            "1" if settings.dev else "0",
        )
        return settings
    recorded = await pool.fetchval("SELECT value FROM instance_settings WHERE key = 'dev'")
    return replace(settings, dev=True) if recorded == "1" and not settings.dev else settings


async def prepare(settings: Settings, *, serving: bool, pool_size: int = 10) -> Prepared:
    """Open (or start) the database, bring its schema up to date and settle the domain."""
    database = await open_database(settings, min_size=1, max_size=pool_size)
    try:
        async with database.pool.acquire() as connection:
            applied = await migrate(connection)
        if applied:
            logger.info("applied migrations: %s", ", ".join(f"{m.version:04d}_{m.name}" for m in applied))
        settings = await resolve_mode(database.pool, settings, serving=serving)
        domain = await resolve_domain(database.pool, settings, serving=serving)
        urls = Urls.for_domain(domain, settings.scheme)
        return Prepared(database, Instance(settings.with_domain(domain), urls, database.pool))
    except BaseException:
        await database.close()
        raise


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
        access_log=False,
        proxy_headers=True,
        server_header=False,
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
    try:
        await server.serve()
    finally:
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
    try:
        await worker.run()
    finally:
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
