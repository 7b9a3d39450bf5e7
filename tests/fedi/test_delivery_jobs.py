"""Deliveries are queued one job per server (up to ``PER_JOB`` of its inboxes), posted in turn over one kept-alive
connection; a server that asks us to wait is asked once per job, a job run again after a crash sends only what it
had not recorded, and one broken delivery does not hold back the others. Real HTTP on loopback, real keys."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from actors import store
from fedi import delivery, keys
from fedi.addresses import AddressGuard
from fedi.database import Pool
from fedi.delivery import DELIVER, PER_JOB, Deliverer
from fedi.fetch import Fetcher, Signer, default_client
from fedi.queue import JobPayloadError
from fedi.types import JSON
from inbox import backlog
from tests.support.receiver import Receiver
from tests.support.remote_server import new_key

GUARD = AddressGuard(allow_private=True)  # the receivers live on loopback
ACTIVITY = "https://chiffres.test/activities/jobs-1"


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    first, second = Receiver().start(), Receiver().start()
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    client = default_client(GUARD)
    yield Fetcher(client, GUARD, clock)
    await client.aclose()


async def _scheduled(pool: Pool, inboxes: list[str]) -> int:
    """One stored activity scheduled to ``inboxes``, as a fan-out leaves it; returns its signer's id."""
    sender = await store.create(pool, "marie", "person", key_factory=keys.generate)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO outbox (actor_id, activity_id, audience, document) VALUES ($1, $2, 'public', $3)",
            sender.id,
            ACTIVITY,
            {"id": ACTIVITY, "type": "Create", "actor": "https://chiffres.test/actors/marie"},
        )
        assert await delivery.schedule(connection, ACTIVITY, inboxes, sender.id) == len(inboxes)
    return sender.id


async def _jobs(pool: Pool) -> list[tuple[JSON, bool]]:
    """Queued ``deliver`` jobs: (payload, whether it waits for later)."""
    rows = await pool.fetch(
        "SELECT payload, execute_after > now() + interval '1 second' AS later FROM pgqueuer"
        " WHERE entrypoint = $1 ORDER BY id",
        DELIVER,
    )
    return [(json.loads(row["payload"]), row["later"]) for row in rows]


async def _ids(pool: Pool, inboxes: list[str]) -> list[int]:
    rows = await pool.fetch("SELECT id, inbox FROM deliveries WHERE activity_id = $1", ACTIVITY)
    by_inbox = {row["inbox"]: row["id"] for row in rows}
    return [by_inbox[inbox] for inbox in inboxes]


def _deliverer(pool: Pool, fetcher: Fetcher, signer: Signer, broken: int | None = None) -> Deliverer:
    async def signer_for(actor_id: int) -> Signer:
        if actor_id == broken:
            raise RuntimeError("no key for this actor")
        return signer

    return Deliverer(pool, fetcher, signer_for, clock)


@pytest.fixture
def signer() -> Signer:
    return Signer("https://chiffres.test/actors/marie#main-key", new_key())


async def test_a_server_gets_its_followers_deliveries_from_one_job_over_one_connection(
    pool: Pool, fetcher: Fetcher, signer: Signer, receivers: tuple[Receiver, Receiver]
) -> None:
    many, few = receivers
    crowd = [many.inbox(f"u{n}") for n in range(PER_JOB + 4)]
    pair = [few.inbox("a"), few.inbox("b")]
    await _scheduled(pool, [*crowd, *pair])

    jobs = await _jobs(pool)
    crowd_ids, pair_ids = await _ids(pool, crowd), await _ids(pool, pair)
    assert [payload for payload, _ in jobs] == [
        {"deliveries": crowd_ids[:PER_JOB]},
        {"deliveries": crowd_ids[PER_JOB:]},
        {"deliveries": pair_ids},
    ]

    deliverer = _deliverer(pool, fetcher, signer)
    for payload, _ in jobs:
        await deliverer(payload)
    assert many.received == {f"u{n}": 1 for n in range(PER_JOB + 4)}
    assert few.received == {"a": 1, "b": 1}
    assert len(many.connections) <= 2  # one kept-alive connection per job, not one per follower
    assert len(few.connections) == 1
    states = await pool.fetch("SELECT DISTINCT state FROM deliveries WHERE activity_id = $1", ACTIVITY)
    assert [row["state"] for row in states] == ["delivered"]


async def test_a_server_that_asks_us_to_wait_is_asked_once_and_the_rest_wait_untried(
    pool: Pool, fetcher: Fetcher, signer: Signer
) -> None:
    busy = Receiver(status=503).start()
    try:
        inboxes = [busy.inbox(f"u{n}") for n in range(5)]
        await _scheduled(pool, inboxes)
        ids = await _ids(pool, inboxes)
        [(payload, _)] = await _jobs(pool)
        await pool.execute("DELETE FROM pgqueuer WHERE entrypoint = $1", DELIVER)  # taken by this worker

        await _deliverer(pool, fetcher, signer)(payload)
        assert sum(busy.received.values()) == 1

        rows = {row["id"]: row for row in await pool.fetch("SELECT id, state, attempts, last_status FROM deliveries")}
        assert (rows[ids[0]]["attempts"], rows[ids[0]]["last_status"]) == (1, 503)
        assert all((rows[i]["state"], rows[i]["attempts"]) == ("pending", 0) for i in ids[1:])
        assert sorted(await _jobs(pool), key=str) == sorted(
            [({"delivery": ids[0]}, True), ({"deliveries": ids[1:]}, True)], key=str
        )
        listed = {waiting.id: waiting for waiting in await backlog.listing(pool)}
        assert all(listed[f"d{i}"].next_try is not None for i in ids)  # the admin sees when each goes again
    finally:
        busy.stop()


async def test_a_job_run_again_after_a_crash_sends_only_what_it_had_not_recorded(
    pool: Pool, fetcher: Fetcher, signer: Signer, receivers: tuple[Receiver, Receiver]
) -> None:
    receiver, _ = receivers
    inboxes = [receiver.inbox(f"u{n}") for n in range(4)]
    await _scheduled(pool, inboxes)
    ids = await _ids(pool, inboxes)
    await pool.execute("UPDATE deliveries SET state = 'delivered' WHERE id = ANY($1::bigint[])", ids[:2])

    [(payload, _)] = await _jobs(pool)
    await _deliverer(pool, fetcher, signer)(payload)
    assert receiver.received == {"u2": 1, "u3": 1}


async def test_one_broken_delivery_does_not_hold_back_the_others(
    pool: Pool, fetcher: Fetcher, signer: Signer, receivers: tuple[Receiver, Receiver]
) -> None:
    receiver, _ = receivers
    inboxes = [receiver.inbox(f"u{n}") for n in range(3)]
    await _scheduled(pool, inboxes)
    ids = await _ids(pool, inboxes)
    other = await store.create(pool, "paul", "person", key_factory=keys.generate)
    await pool.execute("UPDATE deliveries SET signer = $2 WHERE id = $1", ids[0], other.id)

    [(payload, _)] = await _jobs(pool)
    with pytest.raises(RuntimeError, match="no key"):
        await _deliverer(pool, fetcher, signer, broken=other.id)(payload)
    assert receiver.received == {"u1": 1, "u2": 1}


@pytest.mark.parametrize(
    "payload",
    [{}, {"delivery": "7"}, {"deliveries": []}, {"deliveries": ["x"]}, {"deliveries": list(range(PER_JOB + 1))}],
)
async def test_a_malformed_deliver_job_is_refused_with_its_reason(
    pool: Pool, fetcher: Fetcher, signer: Signer, payload: JSON
) -> None:
    with pytest.raises(JobPayloadError, match="not a deliver job"):
        await _deliverer(pool, fetcher, signer)(payload)
