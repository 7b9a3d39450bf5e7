"""A burst of claims on one figure is one computation taking them all, and one Update per change of status.

Measured before: 2,000 likes on one figure ran 2,000 full recomputations, and overlapping jobs each read "nothing
published yet" and each sent an Update (10 to 14 where one was due, with differing counts).
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from fedi import queue
from fedi.instance import Instance
from fedi.types import JSON
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import CONSENSUS, ConsensusJob
from ledger.publication import Publisher
from tests.ledger.test_publication import RENT, Parties, parties

__all__ = ["parties"]

LIKES = 1000
DOMAINS = 10


async def _settled(instance: Instance, deadline: float) -> None:
    """Until no consensus job is queued or running and no figure awaits one."""
    while time.monotonic() < deadline:
        jobs = await instance.pool.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", CONSENSUS)
        waiting = await instance.pool.fetchval("SELECT count(*) FROM consensus_pending")
        if jobs == 0 and waiting == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the consensus jobs did not finish")


async def _updates(instance: Instance, figure: str) -> list[JSON]:
    rows = await instance.pool.fetch(
        "SELECT document FROM outbox WHERE document->>'type' = 'Update' AND document->'object'->>'id' = $1"
        " AND document->'object' ? 'consensus' ORDER BY id",
        figure,
    )
    return [row["document"] for row in rows]


async def test_a_burst_of_likes_sends_one_update(instance: Instance, parties: Parties, database_url: str) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    job = ConsensusJob(
        instance.pool, instance.urls, instance.clock, Publisher(instance.pool, instance.urls, instance.clock, "fr")
    )
    runs: list[str] = []

    async def counted(payload: JSON) -> None:
        runs.append(str(payload["figure"]))
        await job(payload)

    worker = queue.Worker(database_url, {CONSENSUS: counted}, concurrency=50)
    running = asyncio.create_task(worker.run())
    try:
        for number in range(LIKES):
            actor = f"https://d{number % DOMAINS}.example/actors/a{number}"
            async with instance.pool.acquire() as connection, connection.transaction():
                await claims.record(
                    connection,
                    published.uri,
                    actor,
                    f"d{number % DOMAINS}.example",
                    ClaimedValue("endorse", Decimal("812"), 1),
                    f"{actor}/likes/1",
                    instance.clock(),
                )
        await _settled(instance, time.monotonic() + 60)
    finally:
        worker.stop()
        await asyncio.wait_for(running, timeout=20)

    row = await instance.pool.fetchrow(
        "SELECT status, contributors FROM consensus WHERE figure_uri = $1", published.uri
    )
    assert row is not None
    assert row["status"] == "confirmed"
    assert row["contributors"] == LIKES + 1, "the last computation took every claim"
    updates = await _updates(instance, published.uri)
    assert len(updates) == 1, [update["object"]["consensus"] for update in updates]
    assert len(runs) < LIKES / 10, f"{len(runs)} jobs for one figure: claims were not coalesced"


async def test_claims_queue_one_job_while_one_is_pending(instance: Instance, parties: Parties) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    for number in range(20):
        actor = f"https://b.example/actors/a{number}"
        async with instance.pool.acquire() as connection, connection.transaction():
            await claims.record(
                connection,
                published.uri,
                actor,
                "b.example",
                ClaimedValue("endorse", Decimal("812"), 1),
                f"{actor}/likes/1",
                instance.clock(),
            )
    assert await instance.pool.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", CONSENSUS) == 1


async def test_a_claim_made_during_a_computation_is_taken_by_another_pass(instance: Instance, parties: Parties) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    late = "https://b.example/actors/late"

    class Interrupted(ConsensusJob):
        """A claim commits while the first pass computes, as in a burst."""

        passes = 0

        async def recompute(self, figure_uri: str) -> object:  # type: ignore[override]
            result = await super().recompute(figure_uri)
            self.passes += 1
            if self.passes == 1:
                async with instance.pool.acquire() as connection, connection.transaction():
                    await claims.record(
                        connection,
                        figure_uri,
                        late,
                        "b.example",
                        ClaimedValue("endorse", Decimal("812"), 1),
                        f"{late}/likes/1",
                        instance.clock(),
                    )
            return result

    job = Interrupted(
        instance.pool, instance.urls, instance.clock, Publisher(instance.pool, instance.urls, instance.clock, "fr")
    )
    await job({"figure": published.uri})
    assert job.passes == 2
    assert await instance.pool.fetchval("SELECT contributors FROM consensus WHERE figure_uri = $1", published.uri) == 2
    assert await instance.pool.fetchval("SELECT count(*) FROM consensus_pending") == 0
    assert await instance.pool.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", CONSENSUS) == 1


async def test_overlapping_computations_send_one_update(instance: Instance, parties: Parties) -> None:
    """The batch and a figure's job may still overlap: the change is sent once, whichever decides first."""
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    for number in range(6):
        actor = f"https://d{number}.example/actors/a{number}"
        async with instance.pool.acquire() as connection:
            await claims.record(
                connection,
                published.uri,
                actor,
                f"d{number}.example",
                ClaimedValue("endorse", Decimal("812"), 1),
                f"{actor}/likes/1",
                instance.clock(),
            )
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    jobs = [ConsensusJob(instance.pool, instance.urls, instance.clock, publisher) for _ in range(4)]
    results = await asyncio.gather(*(job.recompute(published.uri) for job in jobs))
    assert {str(result.status) for result in results if result is not None} == {"confirmed"}
    assert len(await _updates(instance, published.uri)) == 1
