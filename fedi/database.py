"""The connection pool, and the embedded server behind it when no URL is configured.

Every other module receives a :class:`Database` (or a connection from it) and never opens one itself, so tests
point the whole instance at a throwaway database by passing a different URL.

The database may go away (restarted, crashed, unplugged) while we run. asyncpg's pool drops a connection whose
server is gone and opens a new one on the next acquire, so nothing here reconnects by hand; what this module adds
is one way to tell "the database is away" from a bug (:func:`is_unavailable`), so that requests get 503 instead of
500 and loops wait instead of dying, and the probes a supervisor needs (:meth:`Database.check`,
:meth:`Database.revive`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from fedi.config import Settings
from fedi.embedded import EmbeddedPostgres, EmbeddedUnavailable, database_url

logger = logging.getLogger(__name__)

DATABASE_NAME = "chiffres"
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


CLOSE_TIMEOUT = 10.0  # a pool waits for its connections to come back; a dead server must not hold shutdown up
PROBE_TIMEOUT = 5.0
POOL_PROBE_TIMEOUT = 1.0
_UNREACHABLE = (OSError, asyncpg.PostgresError, TimeoutError, ssl.SSLError)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or started; the message says which and why."""


# Errors that mean the server is away rather than that a query is wrong: the connection broke or was refused, or
# the server is shutting down, crashed, starting up or full.
UNAVAILABLE: tuple[type[Exception], ...] = (
    DatabaseUnavailable,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
# Errors asyncpg raises for misuse as well as for a connection that died under a transaction or a query; their
# chain or their message tells which. A connection whose server died while it read an error is handed back to the
# pool before the end of its socket is seen, and the next query on it finds it stuck in that operation.
SUSPECT: tuple[type[Exception], ...] = (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)
_BROKEN = ("connection is closed", "another operation (2) is in progress")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from or while handling) says the database is away.

    A connection that dies inside ``async with connection.transaction()`` surfaces as an ``InterfaceError`` about
    the transaction, raised while handling the real cause; the cause is what tells. State 2 is asyncpg's
    "consuming an error until the server is ready": a server that died never becomes ready.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, UNAVAILABLE):
            return True
        if isinstance(current, SUSPECT) and any(sign in str(current) for sign in _BROKEN):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def reconnect_delay(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failures to reach the database: from half a second, doubling
    to 5 s, so that a restarted database is found again within seconds and a dead one is not hammered."""
    return float(min(0.5 * 2 ** max(failures - 1, 0), 5.0))


@dataclass
class Database:
    """An open pool, and the embedded server this process holds, if any."""

    url: str
    pool: Pool
    embedded: EmbeddedPostgres | None = None

    async def check(self) -> str | None:
        """Why the database cannot be reached now, or ``None`` when it answers.

        The pool answers first, as cheaply as a query can; when it does not, a fresh connection decides, since a
        pool busy with slow requests is not a database gone, and a supervisor that took one for the other would
        count a busy server against its deadline.
        """
        with suppress(TimeoutError, *UNAVAILABLE, *SUSPECT):
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), POOL_PROBE_TIMEOUT)
            return None
        try:
            connection = await asyncpg.connect(self.url, timeout=PROBE_TIMEOUT)
            try:
                await asyncio.wait_for(connection.fetchval("SELECT 1"), PROBE_TIMEOUT)
            finally:
                connection.terminate()
        except (*_UNREACHABLE, asyncpg.InterfaceError) as error:
            return f"database unreachable: {type(error).__name__}: {error}".rstrip(": ")
        return None

    async def revive(self) -> bool:
        """Start the embedded server again if it died; ``True`` when this process started it."""
        if self.embedded is None:
            return False
        try:
            return await asyncio.to_thread(self.embedded.revive)
        except EmbeddedUnavailable as error:
            raise DatabaseUnavailable(str(error)) from None

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), CLOSE_TIMEOUT)
        except TimeoutError:
            logger.warning("database connections still busy after %g s; closing them anyway", CLOSE_TIMEOUT)
            self.pool.terminate()
        if self.embedded is not None:
            embedded, self.embedded = self.embedded, None
            await asyncio.to_thread(embedded.stop)


class _Connection(asyncpg.Connection):
    """Pooled connections skip asyncpg's reset query on release (a round trip per use): no code of ours leaves
    session state (LISTEN, prepared cursors, settings) on a pooled connection; advisory locks are released in the
    same block that takes them."""

    def get_reset_query(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class JsonText:
    """A document that is already JSON text, written to a json or jsonb column as it is: an activity received as
    a body need not be encoded a second time (a few microseconds of every inbox POST)."""

    text: str


def _encode(value: object) -> str:
    return value.text if isinstance(value, JsonText) else json.dumps(value)


async def _init_connection(connection: Connection) -> None:
    """jsonb columns come and go as Python values: activities are stored as the documents they are."""
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(kind, encoder=_encode, decoder=json.loads, schema="pg_catalog")


async def connect(url: str) -> asyncpg.Connection[asyncpg.Record]:
    """One plain connection (LISTEN, migrations), with the same codecs as the pool."""
    try:
        connection: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(url, timeout=10)
    except _UNREACHABLE as error:
        raise DatabaseUnavailable(f"database unreachable ({_safe(url)}): {error}") from None
    await _init_connection(connection)
    return connection


async def release(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """Close a plain connection politely, or drop it when the server is gone or does not answer."""
    try:
        await connection.close(timeout=PROBE_TIMEOUT)
    except (*_UNREACHABLE, asyncpg.InterfaceError):
        connection.terminate()


async def _pool_connect(dsn: str | None = None, **options: Any) -> asyncpg.Connection[asyncpg.Record]:
    """How the pool opens a connection: a refused or failed connect becomes :class:`DatabaseUnavailable`, so the
    caller of any pool method learns that the database is away rather than meeting a bare ``OSError``."""
    try:
        connection: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(dsn, **options)
    except _UNREACHABLE as error:
        reason = f"{type(error).__name__}: {error}"
        raise DatabaseUnavailable(f"database unreachable ({_safe(dsn or '')}): {reason}") from None
    return connection


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    try:
        pool: Pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            init=_init_connection,
            timeout=10,
            connection_class=_Connection,
            connect=_pool_connect,
        )
    except _UNREACHABLE as error:
        raise DatabaseUnavailable(f"database unreachable ({_safe(url)}): {error}") from None
    return pool


async def ensure_database(admin_url: str, name: str) -> None:
    """Create ``name`` on the server if missing; two processes racing to create it both succeed."""
    connection = await connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            with suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def open_database(settings: Settings, **pool_options: Any) -> Database:
    """The configured database, or the embedded one in the data directory (started or joined)."""
    if settings.database_url:
        return Database(settings.database_url, await create_pool(settings.database_url, **pool_options))
    embedded = EmbeddedPostgres(settings.data_dir)
    try:
        admin_url = embedded.start()
    except EmbeddedUnavailable as error:
        raise DatabaseUnavailable(str(error)) from None
    try:
        await ensure_database(admin_url, DATABASE_NAME)
        url = database_url(admin_url, DATABASE_NAME)
        return Database(url, await create_pool(url, **pool_options), embedded)
    except BaseException:
        embedded.stop()
        raise


def _safe(url: str) -> str:
    """The URL without its password, for error messages."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


@asynccontextmanager
async def borrow(db: Pool | Connection) -> AsyncIterator[Connection]:
    """The given connection, or one borrowed from the pool for the block: callers stay agnostic."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as connection:
            yield connection
    else:
        yield db
