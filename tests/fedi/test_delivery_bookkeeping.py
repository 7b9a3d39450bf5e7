"""Delivery bookkeeping that scales: host health written only when it changes, the FEP-8fcf header worked out once
per (activity, server), and the jobs running together served by one statement."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from actors import store
from actors.synchronization import Synchronization, header
from fedi.batch import Batch
from fedi.breaker import TRIP_AFTER, Hosts
from fedi.database import Pool
from fedi.instance import Instance
from fedi.types import JSON

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


async def test_a_healthy_host_is_never_written_and_a_recovery_is(pool: Pool) -> None:
    hosts = Hosts(pool, clock)
    domain = "steady.example"
    for _ in range(20):
        await hosts.succeeded(domain, NOW)
    assert await pool.fetchrow("SELECT * FROM hosts WHERE domain = $1", domain) is None

    await hosts.failed(domain, NOW)
    row = await pool.fetchrow("SELECT consecutive_failures, first_failure_at FROM hosts WHERE domain = $1", domain)
    assert row is not None
    assert (row["consecutive_failures"], row["first_failure_at"]) == (1, NOW)

    later = NOW + timedelta(minutes=1)
    await hosts.succeeded(domain, later)
    row = await pool.fetchrow("SELECT * FROM hosts WHERE domain = $1", domain)
    assert row is not None
    assert (row["consecutive_failures"], row["first_failure_at"], row["last_success_at"]) == (0, None, later)

    for _ in range(20):
        await hosts.succeeded(domain, later + timedelta(minutes=5))
    kept = await pool.fetchval("SELECT last_success_at FROM hosts WHERE domain = $1", domain)
    assert kept == later  # nothing changed, so nothing was written


async def test_failures_from_two_workers_add_up_and_open_the_circuit(pool: Pool) -> None:
    first, second = Hosts(pool, clock), Hosts(pool, clock)
    domain = "down.example"
    for index in range(TRIP_AFTER):
        await (first if index % 2 else second).failed(domain, NOW)
    count = await pool.fetchval("SELECT consecutive_failures FROM hosts WHERE domain = $1", domain)
    assert count == TRIP_AFTER
    assert (await Hosts(pool, clock).health(domain)).is_open(NOW + timedelta(seconds=1))


async def test_the_synchronization_header_is_worked_out_once_per_activity_and_server(instance: Instance) -> None:
    pool, urls = instance.pool, instance.urls
    group = await store.create(pool, "synchro", "group")
    followee = urls.actor(group.name)
    followers = [f"https://{host}.example/users/{n}" for host in ("a", "b") for n in range(3)]
    await pool.executemany(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        [(f"{follower}#follow", follower, followee) for follower in followers],
    )
    computed: list[str] = []

    class Counting(Synchronization):
        async def compute(self, document: JSON, domain: str) -> str | None:
            computed.append(domain)
            return await super().compute(document, domain)

    sync = Counting(pool, urls)
    document: JSON = {"id": urls.activity("one"), "actor": followee, "to": [urls.followers(group.name)]}
    answers = await asyncio.gather(*(sync(document, domain) for domain in ["a.example", "b.example"] * 10))
    assert sorted(computed) == ["a.example", "b.example"]
    expected = header(urls.followers(group.name), f"{followee}/followers_synchronization", followers[:3])
    assert answers[0] == expected
    assert answers[1] != expected

    await sync({**document, "id": urls.activity("two")}, "a.example")
    assert len(computed) == 3  # another activity asks again


async def test_calls_made_together_share_one_run() -> None:
    runs: list[list[int]] = []

    async def double(items: list[int]) -> list[int]:
        runs.append(items)
        await asyncio.sleep(0)
        return [item * 2 for item in items]

    batch: Batch[int, int] = Batch(double)
    assert await asyncio.gather(*(batch(item) for item in range(10))) == [item * 2 for item in range(10)]
    assert runs == [list(range(10))]
    assert await batch(21) == 42
