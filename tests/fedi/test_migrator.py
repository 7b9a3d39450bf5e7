from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from fedi import migrator
from fedi.database import connect
from tests.support.cluster import Cluster


@pytest.fixture
async def empty_url(cluster: Cluster) -> AsyncIterator[str]:
    name = await cluster.create_database(empty=True)
    yield cluster.url(name)
    await cluster.drop_database(name)


def test_migration_files_are_numbered_and_ordered() -> None:
    found = migrator.available()
    assert found, "no migrations shipped"
    assert [m.version for m in found] == sorted({m.version for m in found})
    assert found[0].version == 1


async def test_migrate_is_idempotent(empty_url: str) -> None:
    connection = await connect(empty_url)
    try:
        first = await migrator.migrate(connection)
        second = await migrator.migrate(connection)
        assert [m.version for m in first] == [m.version for m in migrator.available()]
        assert second == []
        assert await migrator.applied(connection) == {m.version for m in migrator.available()}
        assert await connection.fetchval("SELECT to_regclass('pgqueuer') IS NOT NULL")
    finally:
        await connection.close()


async def test_concurrent_migrations_apply_each_file_once(empty_url: str) -> None:
    connections = [await connect(empty_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrator.migrate(c) for c in connections))
        applied_counts = sorted(len(result) for result in results)
        assert applied_counts == [0, 0, 0, len(migrator.available())]
        rows = await connections[0].fetch("SELECT version FROM schema_migrations")
        assert len(rows) == len(migrator.available())
    finally:
        for connection in connections:
            await connection.close()


async def test_a_failing_migration_is_reported_and_not_recorded(empty_url: str) -> None:
    connection = await connect(empty_url)
    try:
        await migrator.migrate(connection)
        broken = migrator.Migration(9999, "broken", "CREATE TABLE actors (id int)")
        with pytest.raises(migrator.MigrationError, match="9999_broken"):
            await migrator._apply(connection, broken)
        assert 9999 not in await migrator.applied(connection)
    finally:
        await connection.close()
