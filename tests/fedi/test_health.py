"""``/readyz`` says whether this process can do its work: the database and its job queue both answer. A balancer
that sees 503 sends traffic elsewhere; ``/livez`` keeps answering, so the supervisor does not restart a process
that is only waiting for its database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from chiffres.app import build_app, federation
from fedi.config import Settings
from fedi.database import create_pool
from fedi.embedded import EmbeddedPostgres, database_url
from fedi.instance import Instance
from fedi.migrator import migrate
from fedi.urls import Urls
from tests.conftest import TEST_DOMAIN

TOKEN = "readiness-" + "y" * 40


async def test_ready_when_the_database_and_the_queue_answer_and_not_when_the_queue_is_gone(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready")

    await instance.pool.execute("ALTER TABLE pgqueuer RENAME TO pgqueuer_away")
    try:
        gone = await client.get("/readyz")
    finally:
        await instance.pool.execute("ALTER TABLE pgqueuer_away RENAME TO pgqueuer")
    assert (gone.status_code, gone.text) == (503, "queue unavailable")
    assert int(gone.headers["retry-after"]) > 0
    assert (await client.get("/livez")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


@pytest.fixture
async def own_database(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    """A PostgreSQL of this test's own, which the test may stop: the session's is shared by every test."""
    server = EmbeddedPostgres(tmp_path / "db")
    admin = await asyncio.to_thread(server.start)
    try:
        yield server, database_url(admin, "postgres")
    finally:
        await asyncio.to_thread(server.stop)


async def test_readyz_answers_503_once_the_database_is_stopped(
    own_database: tuple[EmbeddedPostgres, str], tmp_path: Path
) -> None:
    server, url = own_database
    pool = await create_pool(url, min_size=1, max_size=3)
    async with pool.acquire() as connection:
        await migrate(connection)
    settings = Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=False, metrics_token=TOKEN)
    fed = federation(Instance(settings, Urls.for_domain(TEST_DOMAIN, "https"), pool))
    transport = httpx.ASGITransport(app=build_app(fed), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as client:
            assert (await client.get("/readyz")).status_code == 200

            await asyncio.to_thread(server.stop)
            down = [await client.get("/readyz") for _ in range(3)]  # a broken pooled connection, then none at all
            live = await client.get("/livez")
            scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        await fed.close()
        pool.terminate()

    assert [response.status_code for response in down] == [503, 503, 503]
    assert all(response.text == "database unavailable" for response in down), [r.text for r in down]
    assert all(int(response.headers["retry-after"]) > 0 for response in down)
    assert (live.status_code, live.text) == (200, "ok")
    assert scraped.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    assert [sample.value for sample in families["chiffres_metrics_database_up"].samples] == [0]
    assert "chiffres_http_requests" in families, "what the process counted itself is still reported"
