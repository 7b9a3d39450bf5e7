"""Slow-drip peers against the fetcher: a total deadline, a cap per host, and separate pools for fetches and
deliveries, checked with real drip servers on loopback.

Deadlines here are a second or two (production uses ten and thirty); every drip stops on its own after a few
seconds, so that a fetcher without a deadline fails these tests instead of hanging them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from actors import store
from fedi import delivery, keys
from fedi.addresses import AddressGuard
from fedi.database import Pool
from fedi.delivery import Deliverer
from fedi.fetch import Budget, Fetcher, FetchError, Signer, default_client
from tests.support.drip import DripServer, Mode
from tests.support.remote_server import RemoteServer, new_key

GUARD = AddressGuard(allow_private=True)  # every server of these tests lives on loopback


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer("https://chiffres.test/actor#main-key", new_key())


@pytest.fixture(scope="module")
def honest() -> Iterator[tuple[RemoteServer, RemoteServer]]:
    """Two honest hosts: one serves actors and their keys, the other takes deliveries."""
    keys_host, inbox_host = RemoteServer().start(), RemoteServer().start()
    yield keys_host, inbox_host
    keys_host.stop()
    inbox_host.stop()


class Pools:
    """A fetcher with small pools, so that a handful of drips is enough to fill one."""

    def __init__(self, budget: Budget, *, documents: int, deliveries: int | None) -> None:
        self.documents = default_client(GUARD, max_connections=documents)
        self.deliveries = default_client(GUARD, max_connections=deliveries) if deliveries else None
        self.fetcher = Fetcher(self.documents, GUARD, clock, deliveries=self.deliveries, budget=budget)

    async def close(self) -> None:
        await self.documents.aclose()
        if self.deliveries is not None:
            await self.deliveries.aclose()


@pytest.fixture
async def pools(request: pytest.FixtureRequest) -> AsyncIterator[Pools]:
    budget, documents, deliveries = request.param
    opened = Pools(budget, documents=documents, deliveries=deliveries)
    yield opened
    await opened.close()


@pytest.mark.parametrize("mode", ["head", "body"])
@pytest.mark.parametrize("pools", [(Budget(deadline=0.5), 4, 4)], indirect=True)
async def test_a_drip_is_cut_at_the_deadline(pools: Pools, signer: Signer, mode: Mode) -> None:
    """A byte every 0.1 s satisfies every per-read timeout; only the total deadline ends the fetch."""
    async with DripServer(interval=0.1, limit=60, mode=mode) as drip:
        started = time.monotonic()
        with pytest.raises(FetchError) as cut:
            await pools.fetcher.get_json(drip.url("/users/slow"), signer)
        elapsed = time.monotonic() - started
    assert cut.value.temporary
    assert "0.5 s" in str(cut.value)
    assert elapsed < 3


@pytest.mark.parametrize("pools", [(Budget(deadline=0.5, delivery_deadline=0.5), 4, 4)], indirect=True)
async def test_a_delivery_to_a_drip_inbox_is_cut_at_its_deadline(pools: Pools, signer: Signer) -> None:
    async with DripServer(interval=0.1, limit=60, mode="head") as drip:
        started = time.monotonic()
        with pytest.raises(FetchError) as cut:
            await pools.fetcher.post(drip.url("/inbox"), b"{}", signer)
        elapsed = time.monotonic() - started
    assert cut.value.temporary
    assert elapsed < 3


@pytest.mark.parametrize("pools", [(Budget(deadline=1.5, per_host=4, host_wait=0.3), 20, 4)], indirect=True)
async def test_at_most_four_fetches_are_in_flight_per_host(pools: Pools, signer: Signer) -> None:
    async with DripServer(interval=0.1, limit=40) as drip:
        fetches = [pools.fetcher.get_json(drip.url(f"/users/{index}"), signer) for index in range(10)]
        outcomes = await asyncio.gather(*fetches, return_exceptions=True)
    assert drip.peak == 4
    assert drip.accepted == 4
    assert all(isinstance(outcome, FetchError) and outcome.temporary for outcome in outcomes)
    assert sum("in flight" in str(outcome) for outcome in outcomes) == 6


@pytest.mark.parametrize("pools", [(Budget(deadline=2.0, per_host=4, host_wait=0.3), 6, 4)], indirect=True)
async def test_drips_to_one_host_starve_neither_key_fetches_nor_deliveries(
    pools: Pools, signer: Signer, honest: tuple[RemoteServer, RemoteServer]
) -> None:
    keys_host, inbox_host = honest
    alice, bob = keys_host.actor("alice"), inbox_host.actor("bob")
    async with DripServer(interval=0.1, limit=40) as drip:
        drips = [asyncio.create_task(pools.fetcher.get_json(drip.url(f"/users/{i}"), signer)) for i in range(12)]
        await drip.until_active(4)
        started = time.monotonic()
        document = await pools.fetcher.get_json(alice.key_id.split("#")[0], signer)
        response = await pools.fetcher.post(bob.inbox, b"{}", signer)
        elapsed = time.monotonic() - started
        await asyncio.gather(*drips, return_exceptions=True)
    assert document["publicKey"]["id"] == alice.key_id
    assert response.status_code == 202
    assert elapsed < 1.5
    assert drip.peak == 4


@pytest.fixture
async def outbox_delivery(pool: Pool, honest: tuple[RemoteServer, RemoteServer]) -> int:
    """One pending delivery of a stored activity to the inbox host, as fan-out leaves it."""
    sender = await store.create(pool, "marie", "person", key_factory=keys.generate)
    activity = "https://chiffres.test/activities/drip-1"
    document = {"id": activity, "type": "Create", "actor": "https://chiffres.test/actors/marie"}
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO outbox (actor_id, activity_id, audience, document) VALUES ($1, $2, 'public', $3)",
            sender.id,
            activity,
            document,
        )
        await delivery.schedule(connection, activity, [honest[1].actor("bob").inbox], sender.id)
    delivery_id = await pool.fetchval("SELECT id FROM deliveries WHERE activity_id = $1", activity)
    assert isinstance(delivery_id, int)
    return delivery_id


@pytest.mark.parametrize("pools", [(Budget(deadline=2.0, per_host=4, host_wait=0.3), 4, 4)], indirect=True)
async def test_a_full_fetch_pool_does_not_hold_deliveries(
    pools: Pools, signer: Signer, pool: Pool, outbox_delivery: int, honest: tuple[RemoteServer, RemoteServer]
) -> None:
    """Four drips fill the fetch pool to its last connection; the delivery job goes through its own pool."""

    async def signer_for(actor_id: int) -> Signer:
        return signer

    deliverer = Deliverer(pool, pools.fetcher, signer_for, clock)
    async with DripServer(interval=0.1, limit=40) as drip:
        drips = [asyncio.create_task(pools.fetcher.get_json(drip.url(f"/users/{i}"), signer)) for i in range(4)]
        await drip.until_active(4)
        started = time.monotonic()
        await deliverer({"delivery": outbox_delivery})
        elapsed = time.monotonic() - started
        await asyncio.gather(*drips, return_exceptions=True)
    row = await pool.fetchrow("SELECT state, last_status FROM deliveries WHERE id = $1", outbox_delivery)
    assert row is not None
    assert (row["state"], row["last_status"]) == ("delivered", 202)
    assert elapsed < 1.5
    assert honest[1].received("POST", "/users/bob/inbox")
