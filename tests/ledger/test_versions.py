"""After an update the consensus is about the current version (issue 11).

Likes of a version since replaced by another value stay on record as evidence for that value, but weigh a
tenth per version since; an update that keeps the value keeps them whole. The status compares the consensus
with the figure's published value, not with its publisher's latest claim: a publisher who replies with a
correction to her own figure does not turn it "confirmed".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from actors.actor import Actor
from consensus.vocabulary import Status
from fedi import keys
from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.explanation import explain
from ledger.publication import Publisher, StoredFigure
from tests.ledger.members import group_with_members
from tests.ledger.test_publication import RENT, Ticking

PEERS = ("b.example", "c.example", "d.example", "e.example")


async def _setup(instance: Instance) -> tuple[Publisher, ConsensusJob, Actor, StoredFigure, Ticking]:
    pair = keys.generate()
    pool, urls, clock = instance.pool, instance.urls, Ticking()
    group, [ana] = await group_with_members(instance, pair, clock, ("ana",), visibility="public")
    publisher = Publisher(pool, urls, clock, "fr")
    job = ConsensusJob(pool, urls, clock, publisher)
    for domain in PEERS:
        await claims.set_trust(pool, domain, 1.0)
    figure = await publisher.publish(ana, group, RENT, "fr")
    return publisher, job, ana, figure, clock


async def _claim(instance: Instance, figure: str, domain: str, claimed: ClaimedValue, at: datetime) -> None:
    actor = f"https://{domain}/users/someone"
    async with instance.pool.acquire() as connection:
        await claims.record(connection, figure, actor, domain, claimed, f"{actor}/likes/{claimed.version}", at)


async def test_likes_of_a_replaced_value_no_longer_pull_the_figure_back(instance: Instance) -> None:
    publisher, job, ana, figure, clock = await _setup(instance)
    for domain in PEERS:
        await _claim(instance, figure.uri, domain, ClaimedValue("endorse", Decimal(812), 1), clock())
    before = await job.recompute(figure.uri)
    assert before is not None
    assert before.value == pytest.approx(812)

    await publisher.update(figure.uri, {"value": "845"}, ana)
    after = await job.recompute(figure.uri)
    assert after is not None
    # Four likes of 812 at a tenth each still weigh 0.4 against the publisher's 1: the value moves most of
    # the way, and the new value awaits its own confirmations.
    assert after.value == pytest.approx(845, rel=0.02)
    assert abs(after.value - 845) < abs(before.value - 845) / 2
    assert after.status is Status.INSUFFICIENT
    for domain in PEERS[:3]:
        await _claim(instance, figure.uri, domain, ClaimedValue("endorse", Decimal(845), 2), clock())
    confirmed = await job.recompute(figure.uri)
    assert confirmed is not None
    assert confirmed.value == pytest.approx(845, rel=0.005)
    assert confirmed.status is Status.CONFIRMED

    explained = await explain(job, instance.pool, figure.uri, clock())
    assert explained is not None
    likes = {c["domain"]: c for c in explained["claims"] if c["kind"] == "endorse"}
    old = likes.pop("e.example")
    assert (old["value"], old["version"]) == ("812", 1), "shown as endorsing version 1's value"
    assert {(c["value"], c["version"]) for c in likes.values()} == {("845", 2)}
    publish = next(c for c in explained["claims"] if c["kind"] == "publish")
    assert publish["version"] == 2
    assert all(old["weight"] < c["weight"] / 5 for c in likes.values())


async def test_an_update_that_keeps_the_value_keeps_its_endorsements(instance: Instance) -> None:
    publisher, job, ana, figure, clock = await _setup(instance)
    for domain in PEERS:
        await _claim(instance, figure.uri, domain, ClaimedValue("endorse", Decimal(812), 1), clock())
    first = await job.recompute(figure.uri)
    await publisher.update(figure.uri, {"source": "https://observatoire.example/loyers-2026"}, ana)
    second = await job.recompute(figure.uri)
    assert first is not None
    assert second is not None
    assert second.n_eff == pytest.approx(first.n_eff)
    assert second.status is first.status is Status.CONFIRMED


async def test_the_status_compares_with_the_published_value_not_the_publishers_latest_claim(
    instance: Instance,
) -> None:
    _, job, _, figure, clock = await _setup(instance)
    ana = instance.urls.actor("ana")
    async with instance.pool.acquire() as connection:
        correction = ClaimedValue("correct", Decimal(900))
        await claims.record(connection, figure.uri, ana, instance.urls.domain, correction, f"{ana}/r", clock())
    for domain in PEERS:
        await _claim(instance, figure.uri, domain, ClaimedValue("correct", Decimal(900)), clock())
    result = await job.recompute(figure.uri)
    assert result is not None
    assert result.value == pytest.approx(900)
    assert result.status is Status.CORRECTED, "812 is what the figure says; 900 corrects it"
