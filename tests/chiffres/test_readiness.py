"""While the database is away the instance says so: 503 with a reason and ``Retry-After``, never 500; ``/readyz``
reports it, ``/livez`` does not depend on it, and the same pool serves again once the database is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from chiffres import server
from chiffres.app import build_app, federation
from fedi.config import Settings
from fedi.database import DatabaseUnavailable, create_pool
from fedi.instance import Instance
from fedi.urls import Urls
from tests.conftest import TEST_DOMAIN
from tests.support.cluster import Cluster
from tests.support.proxy import DatabaseProxy


@pytest.fixture
def proxy(cluster: Cluster) -> Iterator[DatabaseProxy]:
    running = DatabaseProxy(cluster.admin_url).start()
    yield running
    running.stop()


@pytest.fixture
async def client(database_url: str, proxy: DatabaseProxy, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The application on a pool that reaches the database through the proxy, answering errors as a server does."""
    pool = await create_pool(proxy.url(urlsplit(database_url).path.lstrip("/")), min_size=1, max_size=3)
    settings = Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=False)
    fed = federation(Instance(settings, Urls.for_domain(TEST_DOMAIN, "https"), pool))
    transport = httpx.ASGITransport(app=build_app(fed), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as opened:
            yield opened
    finally:
        await fed.close()
        pool.terminate()


async def _until(client: httpx.AsyncClient, path: str, status: int) -> httpx.Response:
    """The first answer with ``status`` within 15 s, or the last one."""
    deadline = time.monotonic() + 15
    while True:
        response = await client.get(path)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_readyz_answers_503_while_the_database_is_unreachable_and_200_after(
    client: httpx.AsyncClient, proxy: DatabaseProxy
) -> None:
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")

    proxy.cut()
    down = await client.get("/readyz")
    assert down.status_code == 503
    assert "database" in down.text
    assert int(down.headers["retry-after"]) > 0

    proxy.restore()
    back = await _until(client, "/readyz", 200)
    assert (back.status_code, back.text) == (200, "ready")


async def test_requests_during_an_outage_get_503_with_retry_after_then_are_served_again(
    client: httpx.AsyncClient, proxy: DatabaseProxy
) -> None:
    assert (await client.get("/healthz")).status_code == 200
    proxy.cut()
    answers = [
        await client.get("/healthz"),
        await client.get("/"),
        await client.get("/actors/loyers", headers={"Accept": "application/activity+json"}),
        await client.post("/actors/loyers/inbox", content=b"{}"),
    ]
    assert [response.status_code for response in answers] == [503, 503, 503, 503]
    for response in answers:
        assert int(response.headers["retry-after"]) > 0
        assert response.json()["error"].startswith("database unavailable")
    live = await client.get("/livez")
    assert (live.status_code, live.text) == (200, "ok")

    proxy.restore()
    assert (await _until(client, "/healthz", 200)).status_code == 200
    assert (await client.get("/")).status_code == 200


async def test_a_server_starting_before_its_database_waits_for_it(
    database_url: str, proxy: DatabaseProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Compose and systemd start the database and the instance together: the instance tries again until the
    database answers, instead of exiting on the first refused connection."""
    name = urlsplit(database_url).path.lstrip("/")
    settings = Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=False, database_url=proxy.url(name))
    proxy.cut()
    starting = asyncio.create_task(server.prepare(settings, serving=True, wait=True))
    await asyncio.sleep(1.5)
    assert not starting.done(), "still waiting for the database"
    proxy.restore()
    prepared = await asyncio.wait_for(starting, 30)
    try:
        assert await prepared.instance.pool.fetchval("SELECT 1") == 1
    finally:
        await prepared.database.close()
    assert any("trying again" in record.getMessage() for record in caplog.records)


async def test_a_database_that_never_comes_stops_the_start_after_the_deadline(
    database_url: str, proxy: DatabaseProxy, tmp_path: Path
) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    settings = Settings(
        domain=TEST_DOMAIN, data_dir=tmp_path, dev=False, database_url=proxy.url(name), database_deadline=1.0
    )
    proxy.cut()
    began = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="unreachable"):
        await server.prepare(settings, serving=True, wait=True)
    assert time.monotonic() - began < 15
    with pytest.raises(DatabaseUnavailable):  # a command does not wait at all
        await server.prepare(replace(settings, database_deadline=60.0), serving=False)
