"""``/metrics`` as a Prometheus scraper sees it: absent without a token, refused without the right one, and after
real traffic (signed activities to the inbox, a follow that queues and delivers an answer, a parked row, a
consensus change) every listed series is there with what happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from actors.outbox import FANOUT
from chiffres.app import Federation, build_app, federation, job_handlers
from fedi import config, keys
from fedi.config import Settings
from fedi.delivery import DELIVER
from fedi.instance import Instance
from fedi.metrics import Metrics
from inbox.drain import MAX_ATTEMPTS, Drain
from inbox.endpoint import PROCESS
from tests.conftest import TEST_DOMAIN
from tests.inbox.conftest import BASE, World, populate
from tests.support.remote_server import AS2, RemoteServer, encode

TOKEN = "t0ken-" + "x" * 40
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=True, metrics_token=TOKEN)


@pytest.fixture(scope="module")
def remote_server() -> Iterator[RemoteServer]:
    running = RemoteServer().start()
    yield running
    running.stop()


@pytest.fixture
async def world(fed: Federation, client: httpx.AsyncClient, remote_server: RemoteServer) -> World:
    remote_server.reset()
    return await populate(fed, client, remote_server, [keys.generate() for _ in range(3)])


async def _scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return _samples(text_string_to_metric_families(response.text))


def _samples(families: Iterable[Metric]) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_without_a_token_there_is_no_metrics_page(instance: Instance) -> None:
    plain = federation(replace(instance, settings=replace(instance.settings, metrics_token=None)))
    try:
        transport = httpx.ASGITransport(app=build_app(plain))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            assert (await client.get("/metrics")).status_code == 404
            assert (await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 404
    finally:
        await plain.close()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-" + "x" * 30, f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", f"Bearer {TOKEN[:-1]}"],
)
async def test_a_scraper_without_the_token_gets_401(client: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "chiffres_" not in response.text


async def test_after_real_traffic_every_listed_series_says_what_happened(
    world: World, remote_server: RemoteServer
) -> None:
    sender = remote_server.actor("alice")
    follow = {"@context": AS2, "id": f"{sender.id}/follows/1", "type": "Follow", "actor": sender.id}
    follow["object"] = world.group
    like = {"@context": AS2, "id": f"{sender.id}/likes/1", "type": "Like", "actor": sender.id, "object": world.note}
    assert (await world.deliver(sender, follow)).status_code == 202
    assert (await world.deliver(sender, like, "/actors/loyers/inbox")).status_code == 202
    unsigned = await world.client.post("/inbox", content=encode(like), headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert (await world.client.get("/actors/loyers")).status_code in (200, 406)
    assert (await world.client.get("/no/such/page/for/a/probe")).status_code == 404

    # The like fails every attempt: the drain parks it; the follow is processed and queues an answer to alice.
    await world.pool.execute(
        "UPDATE inbox_activities SET attempts = $2 WHERE activity_id = $1", like["id"], MAX_ATTEMPTS
    )
    await _drain(world)
    processed = await _scrape(world.client)
    await _fan_out(world)
    queued = await _scrape(world.client)
    await _deliver_queued(world)
    await world.pool.execute(
        "INSERT INTO consensus_history (figure_uri, at, status, value, low, high)"
        " VALUES ($1, now(), 'provisional', 812, 800, 820)",
        world.note,
    )
    after = await _scrape(world.client)

    assert _value(after, "chiffres_inbox_requests_total", status="202") == 2
    assert _value(after, "chiffres_inbox_requests_total", status="401") == 1
    assert _value(after, "chiffres_http_requests_total", method="POST", route="/inbox", status="2xx") == 1
    assert _value(after, "chiffres_http_requests_total", method="POST", route="/actors/{name}/inbox", status="2xx") == 1
    assert _value(after, "chiffres_http_requests_total", method="GET", route="unmatched", status="4xx") == 1
    routes = {dict(labels).get("route", "") for _, labels in after}
    assert not any("loyers" in route or "probe" in route for route in routes), routes

    assert _value(processed, "chiffres_queue_jobs", kind=FANOUT, status="queued") >= 1
    assert _value(processed, "chiffres_queue_oldest_job_age_seconds", kind=FANOUT) > 0
    assert _value(queued, "chiffres_queue_jobs", kind=DELIVER, status="queued") >= 1
    assert ("chiffres_queue_oldest_job_age_seconds", (("kind", DELIVER),)) in queued
    assert _value(queued, "chiffres_deliveries", state="pending") >= 1
    assert _value(after, "chiffres_deliveries", state="pending") == 0
    pending = _value(queued, "chiffres_deliveries", state="pending")
    assert _value(after, "chiffres_deliveries", state="delivered") == pending
    assert remote_server.received("POST"), "the answer reached alice's server"

    assert _value(after, "chiffres_inbox_activities", state="parked") == 1
    assert _value(after, "chiffres_inbox_activities", state="waiting") == 0
    assert _value(after, "chiffres_inbox_received_total") == 2
    assert _value(after, "chiffres_consensus_updates_total") == 1
    assert abs(_value(after, "chiffres_consensus_last_update_timestamp_seconds") - time.time()) < 3600

    # Alice's key came from her server once, then from memory; it was parsed once and reused.
    assert _value(after, "chiffres_signature_keys_total", source="network") == 1
    assert _value(after, "chiffres_signature_keys_total", source="memory") >= 1
    assert _value(after, "chiffres_signature_key_cache_total", result="miss") == 1
    assert _value(after, "chiffres_signature_key_cache_total", result="hit") >= 1
    assert _value(after, "chiffres_metrics_database_up") == 1


async def test_large_tables_are_estimated_and_the_series_stay(world: World) -> None:
    """Past the exact-count limit the planner's estimate stands in, and the scrape still answers every series."""
    await world.pool.execute(
        "INSERT INTO deliveries (activity_id, inbox, domain, signer, state)"
        " SELECT 'https://chiffres.test/activities/' || n, 'https://remote.example/inbox', 'remote.example',"
        " (SELECT id FROM actors LIMIT 1), CASE WHEN n % 4 = 0 THEN 'failed' ELSE 'delivered' END"
        " FROM generate_series(1, 2000) AS n"
    )
    await world.pool.execute("ANALYZE deliveries, inbox_activities")
    exact = _samples(await Metrics(world.pool, TOKEN, inboxes=()).database_families())
    estimated = _samples(await Metrics(world.pool, TOKEN, inboxes=(), exact_rows=100).database_families())

    assert _value(exact, "chiffres_deliveries", state="delivered") == 1500
    assert _value(exact, "chiffres_deliveries", state="failed") == 500
    for state, count in (("delivered", 1500), ("failed", 500)):
        assert 0.5 * count <= _value(estimated, "chiffres_deliveries", state=state) <= 1.5 * count
    assert ("chiffres_inbox_activities", (("state", "parked"),)) in estimated
    assert _value(estimated, "chiffres_metrics_database_up") == 1


async def _drain(world: World) -> None:
    drain = Drain(world.pool, job_handlers(world.fed)[PROCESS], idle=0.01)
    stopping = asyncio.Event()
    task = asyncio.create_task(drain.run(stopping))
    deadline = time.monotonic() + 30
    try:
        while await world.pool.fetchval(
            "SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL AND parked_at IS NULL"
        ):
            assert time.monotonic() < deadline, "the drain never finished"
            await asyncio.sleep(0.02)
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=10)


async def _fan_out(world: World) -> None:
    """What a worker does with the queued fan-outs: a delivery row and a job per inbox."""
    handler = job_handlers(world.fed)[FANOUT]
    for row in await world.pool.fetch("SELECT activity_id FROM outbox WHERE fanned_out_at IS NULL ORDER BY id"):
        await handler({"activity": row["activity_id"]})
    await world.pool.execute("DELETE FROM pgqueuer WHERE entrypoint = $1", FANOUT)


async def _deliver_queued(world: World) -> None:
    """What a worker does with the queued deliveries: run each, then the queue forgets it."""
    handler = job_handlers(world.fed)[DELIVER]
    for row in await world.pool.fetch("SELECT id FROM deliveries WHERE state = 'pending' ORDER BY id"):
        await handler({"delivery": row["id"]})
    await world.pool.execute("DELETE FROM pgqueuer WHERE entrypoint = $1", DELIVER)


def test_the_token_is_a_setting_that_refuses_a_guessable_value() -> None:
    assert config.load({"CHIFFRES_METRICS_TOKEN": TOKEN}).metrics_token == TOKEN
    assert config.load({}).metrics_token is None
    for weak in ("secret", "x" * 31, "has spaces " + "x" * 40, "é" * 40):
        with pytest.raises(config.ConfigError, match="CHIFFRES_METRICS_TOKEN"):
            config.load({"CHIFFRES_METRICS_TOKEN": weak})
