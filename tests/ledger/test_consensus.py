from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from consensus.vocabulary import Consensus, Status
from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob, Periodic, should_publish
from ledger.publication import Publisher

FIGURE = "https://a.example/objects/f1"
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _job(instance: Instance) -> ConsensusJob:
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    return ConsensusJob(instance.pool, instance.urls, instance.clock, publisher)


async def _claim(instance: Instance, actor: str, kind: str, value: str, minutes: int) -> None:
    domain = actor.split("/")[2]
    async with instance.pool.acquire() as connection:
        await claims.record(
            connection,
            FIGURE,
            actor,
            domain,
            ClaimedValue(kind, Decimal(value)),
            f"{actor}/claims/{minutes}",
            T0 + timedelta(minutes=minutes),
        )


async def _claims(instance: Instance) -> None:
    await _claim(instance, "https://a.example/actors/ana", "publish", "812", 0)
    await _claim(instance, "https://b.example/actors/bea", "correct", "905", 1)
    await _claim(instance, "https://b.example/actors/bruno", "correct", "905", 2)
    await _claim(instance, "https://c.example/actors/cyril", "correct", "905", 3)
    await _claim(instance, "https://c.example/actors/chloe", "correct", "900", 4)


async def test_a_figure_is_recomputed_from_the_latest_claim_of_each_actor(instance: Instance) -> None:
    await _claims(instance)
    for domain in ("a.example", "b.example", "c.example"):
        await claims.set_trust(instance.pool, domain, 1.0)
    job = _job(instance)
    result = await job.recompute(FIGURE)
    assert result is not None
    assert result.value == pytest.approx(905, rel=0.01)
    assert result.domains == 3
    await _claim(instance, "https://b.example/actors/bea", "endorse", "812", 10)
    again = await job.recompute(FIGURE)
    assert again is not None
    assert again.contributors == result.contributors, "bea's later claim replaced her earlier one"
    row = await instance.pool.fetchrow("SELECT status, domains FROM consensus WHERE figure_uri = $1", FIGURE)
    assert row is not None
    assert row["domains"] == 3


async def test_trust_zero_removes_a_domain(instance: Instance) -> None:
    await _claims(instance)
    job = _job(instance)
    before = await job.recompute(FIGURE)
    await claims.set_trust(instance.pool, "c.example", 0)
    after = await job.recompute(FIGURE)
    assert before is not None
    assert after is not None
    assert after.domains == before.domains - 1
    with pytest.raises(ValueError):
        await claims.set_trust(instance.pool, "c.example", 1.5)


async def test_withdrawn_claims_stop_counting(instance: Instance) -> None:
    await _claims(instance)
    job = _job(instance)
    before = await job.recompute(FIGURE)
    async with instance.pool.acquire() as connection:
        figure = await claims.withdraw(
            connection, "https://c.example/actors/chloe/claims/4", "https://c.example/actors/chloe", T0
        )
    assert figure == FIGURE
    after = await job.recompute(FIGURE)
    assert before is not None
    assert after is not None
    assert after.contributors == before.contributors - 1


async def test_the_periodic_batch_runs_only_when_claims_changed(instance: Instance) -> None:
    await _claims(instance)
    periodic = Periodic(_job(instance), instance.pool)
    assert await periodic.tick() == 1
    assert await periodic.tick() == 0
    await _claim(instance, "https://c.example/actors/camille", "correct", "905", 20)
    assert await periodic.tick() == 1


def _result(status: Status, value: float = 905.0) -> Consensus:
    return Consensus(FIGURE, value, value - 10, value + 10, status, 0.8, 4.0, 5, 3, T0)


def test_publication_only_on_a_change_of_status_or_a_value_beyond_the_interval() -> None:
    assert not should_publish(None, _result(Status.INSUFFICIENT))
    assert should_publish(None, _result(Status.CORRECTED))
    published = {"published_status": "corrected", "published_low": 895.0, "published_high": 915.0}
    assert not should_publish(published, _result(Status.CORRECTED, 900.0))
    assert should_publish(published, _result(Status.CORRECTED, 930.0))
    assert should_publish(published, _result(Status.CONFIRMED, 900.0))
    agreeing = {"published_status": "confirmed", "published_low": 812.0, "published_high": 812.0}
    assert not should_publish(agreeing, _result(Status.CONFIRMED, 812.0000000000001)), "a rounding error is no change"
    assert should_publish(agreeing, _result(Status.CONFIRMED, 812.01))
