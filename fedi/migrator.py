"""Numbered schema migrations, applied once each, safely from several processes at once.

The files ``fedi/migrations/NNNN_name.sql`` are applied in order, each in its own transaction, and recorded in
``schema_migrations``. A session advisory lock serialises concurrent runs: two ``chiffres serve`` started together
both wait for the lock, and the second finds nothing left to do. The job queue's own tables belong to pgqueuer,
which installs and upgrades them under the same lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from fedi.database import Connection
from fedi.queue import queries_on

_LOCK_KEY = 0x43484946  # "CHIF": an arbitrary constant shared by every process of every version
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """A migration file is misnamed or failed to apply."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    found: list[Migration] = []
    for entry in resources.files("fedi").joinpath("migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"misnamed migration file: {entry.name} (want NNNN_name.sql)")
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a number")
    return found


async def applied(connection: Connection) -> set[int]:
    exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return set()
    return {row["version"] for row in await connection.fetch("SELECT version FROM schema_migrations")}


async def migrate(connection: Connection) -> list[Migration]:
    """Apply what is missing; returns what this call applied (empty when up to date)."""
    await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = await applied(connection)
        new = [migration for migration in available() if migration.version not in done]
        for migration in new:
            await _apply(connection, migration)
        await _install_queue(connection)
        return new
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def _apply(connection: Connection, migration: Migration) -> None:
    try:
        async with connection.transaction():
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
    except Exception as error:
        raise MigrationError(f"migration {migration.version:04d}_{migration.name} failed: {error}") from error


async def _install_queue(connection: Connection) -> None:
    queries = queries_on(connection)
    if not await queries.schema_is_installed():
        await queries.install()
    else:
        await queries.upgrade()
