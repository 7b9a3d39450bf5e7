"""Consensus thresholds are each instance's policy (``CHIFFRES_CONSENSUS_*``), with documented defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from consensus.vocabulary import Status
from fedi.config import load
from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob, thresholds
from ledger.publication import Publisher

FIGURE = "https://a.example/objects/f1"
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def test_the_defaults_and_an_instance_of_its_own() -> None:
    defaults = thresholds(load({}))
    assert (defaults.min_domains, defaults.min_n_eff, defaults.confirm, defaults.tolerance) == (2, 3.0, 0.6, 0.05)
    strict = thresholds(
        load(
            {
                "CHIFFRES_CONSENSUS_MIN_SOURCES": "4",
                "CHIFFRES_CONSENSUS_MIN_CONTRIBUTORS": "5",
                "CHIFFRES_CONSENSUS_AGREEMENT": "0.55",
                "CHIFFRES_CONSENSUS_TOLERANCE": "0.02",
            }
        )
    )
    assert (strict.min_domains, strict.min_n_eff, strict.confirm, strict.tolerance) == (4, 5.0, 0.55, 0.02)
    assert strict.confirm - strict.margin >= 0.5, "a settled figure never holds on less than half the weight"


async def test_an_instance_that_asks_for_more_sources_waits_for_them(instance: Instance) -> None:
    for minutes, domain in enumerate(("a.example", "b.example", "c.example")):
        actor = f"https://{domain}/actors/someone"
        await claims.set_trust(instance.pool, domain, 1.0)
        kind = "publish" if minutes == 0 else "endorse"
        async with instance.pool.acquire() as connection:
            await claims.record(
                connection,
                FIGURE,
                actor,
                domain,
                ClaimedValue(kind, Decimal(812)),
                f"{actor}/claims/{minutes}",
                T0 + timedelta(minutes=minutes),
            )
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    relaxed = ConsensusJob(instance.pool, instance.urls, instance.clock, publisher, base=thresholds(load({})))
    strict = ConsensusJob(
        instance.pool,
        instance.urls,
        instance.clock,
        publisher,
        base=thresholds(load({"CHIFFRES_CONSENSUS_MIN_SOURCES": "4", "CHIFFRES_CONSENSUS_MIN_CONTRIBUTORS": "2"})),
    )
    first = await relaxed.recompute(FIGURE)
    assert first is not None
    assert first.status is Status.CONFIRMED
    second = await strict.recompute(FIGURE)
    assert second is not None
    assert second.status is Status.INSUFFICIENT
