"""The database probe a supervisor relies on: it says why the database is away, and only when it is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest

from fedi.database import Database, create_pool
from tests.support.cluster import Cluster
from tests.support.proxy import DatabaseProxy


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[DatabaseProxy]:
    running = DatabaseProxy(cluster.admin_url).start()
    yield running
    running.stop()


@pytest.fixture
async def database(database_url: str, proxy: DatabaseProxy) -> AsyncIterator[Database]:
    url = proxy.url(urlsplit(database_url).path.lstrip("/"))
    opened = Database(url, await create_pool(url, min_size=1, max_size=1))
    yield opened
    await opened.close()


async def test_check_says_why_while_the_database_is_away_and_nothing_once_back(
    database: Database, proxy: DatabaseProxy
) -> None:
    assert await database.check() is None
    proxy.cut()
    reason = await database.check()
    assert reason is not None
    assert "refused" in reason.lower()
    proxy.restore()
    assert await database.check() is None


async def test_a_busy_pool_is_not_a_database_gone(database: Database) -> None:
    async with database.pool.acquire():  # the only connection: the pool cannot answer the probe
        assert await database.check() is None


async def test_revive_is_for_the_embedded_server_only(database: Database) -> None:
    assert await database.revive() is False
