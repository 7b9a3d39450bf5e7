"""A bad row in the claims or the summaries is skipped and reported; it never stops the other figures' consensus.

The red-team's claim of 400 digits became infinity once read as a float: building its claim raised, and the batch
recomputation (``chiffres consensus recompute``, the periodic pass) failed for every figure, while the poisoned
figure's own consensus was frozen. Such rows can only predate the bounds on input, or come from outside the
application; they are left out, each with its reason, and counted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob, Periodic
from ledger.publication import Publisher

POISONED = "https://a.example/objects/poisoned"
HEALTHY = "https://a.example/objects/healthy"
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def _job(instance: Instance) -> ConsensusJob:
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    return ConsensusJob(instance.pool, instance.urls, instance.clock, publisher)


async def _claim(instance: Instance, figure: str, actor: str, kind: str, value: str, minutes: int) -> None:
    async with instance.pool.acquire() as connection:
        await claims.record(
            connection,
            figure,
            actor,
            actor.split("/")[2],
            ClaimedValue(kind, Decimal(value)),
            f"{actor}/claims/{figure.rsplit('/', 1)[1]}/{minutes}",
            T0 + timedelta(minutes=minutes),
        )


async def _figures(instance: Instance) -> None:
    for figure in (POISONED, HEALTHY):
        await _claim(instance, figure, "https://a.example/actors/ana", "publish", "812", 0)
        await _claim(instance, figure, "https://b.example/actors/bea", "correct", "905", 1)
        await _claim(instance, figure, "https://c.example/actors/cyril", "correct", "905", 2)
    for domain in ("a.example", "b.example", "c.example"):
        await claims.set_trust(instance.pool, domain, 1.0)


async def _poison(instance: Instance, value: str, actor: str = "https://evil.example/actors/mallory") -> None:
    """Written with SQL, as only an instance older than the bounds, or a hand on the database, could have."""
    await instance.pool.execute(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, reference, made_at)"
        " VALUES ($1, $2, 'evil.example', 'correct', $3::numeric, $2 || '/claims/giant', $4)",
        POISONED,
        actor,
        value,
        T0 + timedelta(minutes=3),
    )


GIANT = "1" + "0" * 400


@pytest.mark.parametrize("value", [GIANT, "-" + GIANT, "1e300", "NaN"])
async def test_the_batch_skips_a_poisoned_claim_and_computes_every_figure(instance: Instance, value: str) -> None:
    await _figures(instance)
    await _poison(instance, value)

    report = await _job(instance).recompute_batch()

    assert report.figures == 2
    assert len(report.skipped) == 1
    assert POISONED in report.skipped[0]
    assert "https://evil.example/actors/mallory" in report.skipped[0]
    rows = await instance.pool.fetch("SELECT figure_uri, value, contributors FROM consensus ORDER BY figure_uri")
    assert [row["figure_uri"] for row in rows] == [HEALTHY, POISONED]
    for row in rows:
        assert row["value"] == pytest.approx(905, rel=0.02)
        assert row["contributors"] == 3, "the poisoned claim is not counted"


async def test_the_poisoned_figure_is_still_computed_on_its_own(instance: Instance) -> None:
    await _figures(instance)
    await _poison(instance, GIANT)

    result = await _job(instance).recompute(POISONED)

    assert result is not None
    assert result.value == pytest.approx(905, rel=0.02)


@pytest.mark.parametrize(
    ("value", "weight", "reason"), [("Infinity", 1.0, "not a finite number"), ("900", -1.0, "bad weight")]
)
async def test_a_bad_summary_is_skipped_too(instance: Instance, value: str, weight: float, reason: str) -> None:
    await _figures(instance)
    await instance.pool.execute(
        "INSERT INTO summaries (figure_uri, origin, value, low, high, weight, count, made_at)"
        " VALUES ($1, 'evil.example', $2::text::float8, 1, $2::text::float8, $3, 3, $4)",
        POISONED,
        value,
        weight,
        T0,
    )

    report = await _job(instance).recompute_batch()

    assert report.figures == 2
    [skipped] = report.skipped
    assert f"summary of {POISONED} from evil.example" in skipped
    assert reason in skipped


async def test_the_periodic_pass_reports_what_it_skipped(instance: Instance, caplog: pytest.LogCaptureFixture) -> None:
    await _figures(instance)
    await _poison(instance, GIANT)
    periodic = Periodic(_job(instance), instance.pool)

    with caplog.at_level(logging.INFO, logger="ledger.consensus"):
        assert await periodic.tick() == 2

    assert any("bad rows skipped: 1" in record.getMessage() for record in caplog.records), caplog.text
    assert any(POISONED in record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING)
