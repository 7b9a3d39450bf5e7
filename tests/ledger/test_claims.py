"""Claims are known by actor and reference; unverified ones are kept to be seen and weigh nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.publication import Publisher

if TYPE_CHECKING:
    from ledger.claims import Authenticity

FIGURE = "https://a.example/objects/f1"
ANA = "https://a.example/actors/ana"
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


async def record(
    instance: Instance,
    actor: str,
    reference: str,
    value: str = "905",
    kind: str = "correct",
    authenticity: Authenticity | None = None,
) -> bool:
    """A claim delivered by its actor, or (with ``authenticity``) relayed by a group."""
    claimed, when = ClaimedValue(kind, Decimal(value)), T0 + timedelta(minutes=1)
    domain = actor.split("/")[2]
    async with instance.pool.acquire() as connection:
        if authenticity is None:
            return await claims.record(connection, FIGURE, actor, domain, claimed, reference, when)
        return await claims.record(
            connection, FIGURE, actor, domain, claimed, reference, when, "https://a.example/actors/g", authenticity
        )


async def recompute(instance: Instance) -> int:
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    result = await ConsensusJob(instance.pool, instance.urls, instance.clock, publisher).recompute(FIGURE)
    assert result is not None
    return result.contributors


async def test_a_reference_names_a_claim_only_with_its_actor(instance: Instance) -> None:
    squatter = "https://evil.example/users/mallory"
    assert await record(instance, squatter, f"{FIGURE}#v2", kind="endorse")
    assert await record(instance, ANA, f"{FIGURE}#v2", "812", "publish")
    async with instance.pool.acquire() as connection:
        assert await claims.withdraw(connection, f"{FIGURE}#v2", squatter, T0) == FIGURE
    rows = await instance.pool.fetch("SELECT actor, withdrawn_at IS NULL AS live FROM claims ORDER BY actor")
    assert [(row["actor"], row["live"]) for row in rows] == [(ANA, True), (squatter, False)]
    assert not await record(instance, ANA, f"{FIGURE}#v2", "812", "publish"), "the same claim twice is one claim"


async def test_unverified_claims_weigh_nothing(instance: Instance) -> None:
    await record(instance, ANA, f"{FIGURE}#v1", "812", "publish")
    for number, domain in enumerate(("b.example", "c.example", "d.example")):
        await record(instance, f"https://{domain}/users/u", f"https://{domain}/n/{number}", authenticity="unverified")
    assert await recompute(instance) == 1
    assert await instance.pool.fetchval("SELECT count(*) FROM claims WHERE authenticity = 'unverified'") == 3
    await record(instance, "https://e.example/users/u", "https://e.example/n/1", authenticity="proof")
    assert await recompute(instance) == 2


async def test_an_unverified_claim_gives_way_to_the_established_one_never_the_reverse(instance: Instance) -> None:
    actor, reference = "https://b.example/users/bea", "https://b.example/notes/1"
    assert await record(instance, actor, reference, "999", authenticity="unverified")
    assert await record(instance, actor, reference, "905", authenticity="fetched")
    assert not await record(instance, actor, reference, "1", authenticity="unverified")
    row = await instance.pool.fetchrow("SELECT value, authenticity FROM claims WHERE actor = $1", actor)
    assert row is not None
    assert (str(row["value"]), row["authenticity"]) == ("905", "fetched")
