"""An implausible correction is kept, flagged, and left out of the consensus until another claim agrees with it.

A member's `--value 5` on an 845 €/mois figure once made the consensus 65.57; a reply's stray "3" made it 54.77.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.publication import Publisher

FIGURE = "https://a.example/objects/f1"
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


async def claim(instance: Instance, who: str, value: str, kind: str = "correct", implausible: bool = False) -> None:
    actor = f"https://{who}.example/users/{who}"
    claimed = ClaimedValue(kind, Decimal(value), 1 if kind == "publish" else None, implausible=implausible)
    async with instance.pool.acquire() as connection:
        assert await claims.record(connection, FIGURE, actor, f"{who}.example", claimed, f"{actor}/n/1", T0)


async def consensus(instance: Instance) -> tuple[float, int]:
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    result = await ConsensusJob(instance.pool, instance.urls, instance.clock, publisher).recompute(FIGURE)
    assert result is not None
    return result.value, result.contributors


async def test_the_flag_is_stored(instance: Instance) -> None:
    await claim(instance, "a", "845", "publish")
    await claim(instance, "b", "5", implausible=True)
    rows = await instance.pool.fetch("SELECT domain, implausible FROM claims ORDER BY domain")
    assert [(row["domain"], row["implausible"]) for row in rows] == [("a.example", False), ("b.example", True)]


async def test_a_lone_implausible_claim_does_not_count(instance: Instance) -> None:
    await claim(instance, "a", "845", "publish")
    await claim(instance, "b", "5", implausible=True)
    value, contributors = await consensus(instance)
    assert contributors == 1
    assert round(value, 6) == 845


async def test_an_implausible_claim_counts_once_another_agrees_within_five_percent(instance: Instance) -> None:
    await claim(instance, "a", "845", "publish")
    await claim(instance, "b", "3000", implausible=True)
    await claim(instance, "c", "3140", implausible=True)  # 4.7 % above b's
    _, contributors = await consensus(instance)
    assert contributors == 3
    await claim(instance, "d", "9000", implausible=True)  # no one within 5 %
    _, contributors = await consensus(instance)
    assert contributors == 3
