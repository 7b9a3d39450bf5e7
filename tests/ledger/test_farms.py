"""A farm of fresh domains sharing one key cannot flip a figure that two members published and endorsed.

The attack as it was found: six domains made a minute earlier on one machine, all with the same RSA key, each
"correct" a local figure that two members published and liked. Counted as six independent domains they settle it
as corrected; counted as the one source they are, they can at most contest it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from consensus.vocabulary import Status
from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.independence import Independence
from ledger.publication import Publisher

T0 = datetime(2026, 11, 30, 9, tzinfo=UTC)
FARM = [f"farm{i}.example" for i in range(6)]


def _job(instance: Instance, farms: Independence | None) -> ConsensusJob:
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    return ConsensusJob(instance.pool, instance.urls, lambda: T0, publisher, farms=farms)


async def _claim(instance: Instance, figure: str, actor: str, kind: str, value: str, minute: int) -> None:
    async with instance.pool.acquire() as connection:
        await claims.record(
            connection,
            figure,
            actor,
            actor.split("/")[2],
            ClaimedValue(kind, Decimal(value)),
            f"{actor}/claims/{minute}",
            T0 - timedelta(minutes=60 - minute),
        )


async def _attack(instance: Instance) -> str:
    figure = instance.urls.object("rent")
    own = instance.urls.domain
    await _claim(instance, figure, f"https://{own}/actors/ana", "publish", "812", 0)
    await _claim(instance, figure, f"https://{own}/actors/bob", "endorse", "812", 1)
    for number, domain in enumerate(FARM):
        actor = f"https://{domain}/users/sock"
        await instance.pool.execute(
            "INSERT INTO remote_actors (uri, domain, inbox, document) VALUES ($1, $2, $3, '{}')",
            actor,
            domain,
            actor + "/inbox",
        )
        await instance.pool.execute(
            "INSERT INTO remote_keys (key_id, owner, material) VALUES ($1, $2, 'ONE SHARED RSA KEY')",
            actor + "#main-key",
            actor,
        )
        await instance.pool.execute(
            "INSERT INTO domains (domain, first_seen) VALUES ($1, $2)", domain, T0 - timedelta(minutes=1)
        )
        await _claim(instance, figure, actor, "correct", "1500", 10 + number)
    return figure


async def test_the_farm_wins_when_its_domains_count_as_independent(instance: Instance) -> None:
    """The attack works without the farm rules: the test below is meaningful."""
    figure = await _attack(instance)
    result = await _job(instance, None).recompute(figure)
    assert result is not None
    assert result.status is Status.CORRECTED
    assert result.value == pytest.approx(1500, rel=0.01)


async def test_a_farm_counts_as_one_source_and_cannot_correct_the_figure(instance: Instance) -> None:
    figure = await _attack(instance)
    result = await _job(instance, Independence()).recompute(figure)
    assert result is not None
    assert result.domains == 2
    assert result.status is not Status.CORRECTED
    assert result.value != pytest.approx(1500, rel=0.05)
