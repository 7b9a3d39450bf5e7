"""The connection pool, and the embedded server behind it when no URL is configured.

Every other module receives a :class:`Database` (or a connection from it) and never opens one itself, so tests
point the whole instance at a throwaway database by passing a different URL.
"""

from __future__ import annotations

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


class DatabaseUnavailable(Exception):
    """The database cannot be reached or started; the message says which and why."""


@dataclass
class Database:
    """An open pool, and the embedded server this process holds, if any."""

    url: str
    pool: Pool
    embedded: EmbeddedPostgres | None = None

    async def close(self) -> None:
        await self.pool.close()
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


class _Connection(asyncpg.Connection):
    """Pooled connections skip asyncpg's reset query on release (a round trip per use): no code of ours leaves
    session state (LISTEN, prepared cursors, settings) on a pooled connection; advisory locks are released in the
    same block that takes them."""

    def get_reset_query(self) -> str:
        return ""


async def _init_connection(connection: Connection) -> None:
    """jsonb columns come and go as Python values: activities are stored as the documents they are."""
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect(url: str) -> asyncpg.Connection[asyncpg.Record]:
    """One plain connection (LISTEN, migrations), with the same codecs as the pool."""
    try:
        connection: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError, ssl.SSLError) as error:
        raise DatabaseUnavailable(f"database unreachable ({_safe(url)}): {error}") from None
    await _init_connection(connection)
    return connection


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    try:
        pool: Pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, init=_init_connection, timeout=10, connection_class=_Connection
        )
    except (OSError, asyncpg.PostgresError, TimeoutError, ssl.SSLError) as error:
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
