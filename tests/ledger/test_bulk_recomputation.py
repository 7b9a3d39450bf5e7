"""The batch recomputation read and written in bulk gives every figure the consensus the figure-by-figure path gives.

Both run over the same few hundred figures with every kind of claim the model has: publications, likes of current
and replaced versions, boosts, corrections, withdrawn and unverified claims, implausible values alone and
corroborated, negative values, a row beyond the bounds, peers' summaries, a farm of domains sharing a key, our
own approved members, corrections waiting to be judged. The stored consensus, the corrections judged, the
changes published (one Update each) and the summaries shared must be the same.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from consensus.vocabulary import Summary
from fedi import keys
from fedi.instance import Instance
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.independence import Independence
from ledger.publication import Publisher
from tests.ledger.members import group_with_members
from tests.ledger.test_publication import RENT, Ticking

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
DOMAINS = [f"d{i}.example" for i in range(8)] + [f"farm{i}.example" for i in range(3)]
REMOTE_FIGURES = 300


async def _world(instance: Instance) -> list[str]:
    """Figures and claims; the uris of our own figures."""
    pool, urls, own = instance.pool, instance.urls, instance.urls.domain
    clock = Ticking()
    group, members = await group_with_members(instance, keys.generate(), clock, ("ana", "bob"), visibility="public")
    publisher = Publisher(pool, urls, clock, "fr")
    local = []
    for number in range(12):
        stored = await publisher.publish(members[0], group, RENT | {"value": str(800 + number)}, "fr")
        if number % 3 == 0:
            await publisher.update(stored.uri, {"value": str(900 + number)}, members[0])
        local.append(stored.uri)
    remote = [f"https://{DOMAINS[k % 8]}/objects/f{k}" for k in range(REMOTE_FIGURES)]
    rng = random.Random(14)
    rows: list[tuple[object, ...]] = []
    for figure in local + remote:
        base = 800 + rng.randrange(400)
        if rng.random() < 0.05:
            base = -base  # a balance, negative: worked linearly
        actors = rng.sample(range(40), rng.randrange(3, 12))
        for slot, number in enumerate(actors):
            domain = DOMAINS[number % len(DOMAINS)]
            actor = f"https://{domain}/users/u{number}"
            if figure in local and number < 4:
                domain, actor = own, urls.actor(("ana", "bob", "carl", "dora")[number])
            kind = rng.choice(("endorse", "endorse", "boost", "correct", "publish"))
            value = base * (1 + rng.gauss(0, 0.03))
            version = rng.choice((None, 1, 2)) if kind in ("endorse", "boost") else None
            for again in range(rng.choice((1, 1, 2))):  # an actor's later claim replaces the earlier one
                rows.append(
                    (
                        figure,
                        actor,
                        domain,
                        kind,
                        Decimal(f"{value * (1 + again / 10):.2f}"),
                        version,
                        f"{actor}/claims/{len(rows)}",
                        T0 + timedelta(minutes=slot * 3 + again),
                        "unverified" if rng.random() < 0.03 else "signed",
                        rng.random() < 0.04,
                        T0 + timedelta(hours=1) if rng.random() < 0.05 else None,
                    )
                )
    await pool.executemany(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, version, reference, made_at, authenticity,"
        " implausible, withdrawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        rows,
    )
    await pool.execute(
        "INSERT INTO claims (figure_uri, actor, domain, kind, value, reference, made_at)"
        " VALUES ($1, 'https://evil.example/u/m', 'evil.example', 'correct', 1e300, 'giant', $2)",
        remote[0],
        T0,
    )
    for number, figure in enumerate(remote[:40]):
        summary = Summary(figure, "peer.example", 950.0, 900.0, 1000.0, 2.0, 3, None, T0)
        await pool.execute(
            "INSERT INTO summaries (figure_uri, origin, value, low, high, weight, count, made_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            summary.figure,
            summary.origin,
            summary.value * (1 + number / 100),
            summary.low,
            summary.high,
            summary.weight,
            summary.count,
            summary.made_at,
        )
    for domain, level in (("d0.example", 1.0), ("d1.example", 0.8), ("d2.example", 0.0), ("peer.example", 1.0)):
        await claims.set_trust(pool, domain, level)
    for number in range(3):
        actor = f"https://farm{number}.example/users/u{8 + number}"
        await pool.execute(
            "INSERT INTO remote_actors (uri, domain, inbox, document) VALUES ($1, $2, $3, '{}')",
            actor,
            f"farm{number}.example",
            actor + "/inbox",
        )
        await pool.execute(
            "INSERT INTO remote_keys (key_id, owner, material) VALUES ($1, $2, 'ONE SHARED KEY')", actor + "#k", actor
        )
    await pool.execute(
        "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, object, at)"
        " SELECT $1, actor, domain, 'corrected', reference, made_at FROM claims WHERE kind = 'correct'",
        urls.actor("loyers"),
    )
    return local


async def _outcome(instance: Instance) -> dict[str, Any]:
    pool = instance.pool
    stored = {
        row["figure_uri"]: dict(row)
        for row in await pool.fetch(
            "SELECT figure_uri, value, low, high, status, agreement, n_eff, contributors, domains, settled_at,"
            " published_status FROM consensus"
        )
    }
    moved = await pool.fetch("SELECT id, moved FROM reciprocity_events ORDER BY id")
    history = await pool.fetch("SELECT figure_uri, status FROM consensus_history ORDER BY figure_uri, id")
    updates = await pool.fetchval("SELECT count(*) FROM outbox WHERE document->>'type' = 'Update'")
    return {
        "stored": stored,
        "moved": [tuple(row) for row in moved],
        "history": [tuple(row) for row in history],
        "updates": updates,
    }


async def _forget(instance: Instance) -> None:
    for statement in (
        "DELETE FROM consensus",
        "DELETE FROM consensus_history",
        "UPDATE reciprocity_events SET moved = NULL",
    ):
        await instance.pool.execute(statement)


async def test_the_bulk_path_gives_each_figure_what_the_figure_path_gives(instance: Instance) -> None:
    local = await _world(instance)
    shared: list[Summary] = []

    async def share(summary: Summary) -> None:
        shared.append(summary)

    publisher = Publisher(instance.pool, instance.urls, Ticking(), "fr")
    job = ConsensusJob(instance.pool, instance.urls, lambda: T0, publisher, share, farms=Independence())
    updates_before = await instance.pool.fetchval("SELECT count(*) FROM outbox WHERE document->>'type' = 'Update'")

    skipped: list[str] = []
    expected = await job._run(None, skipped)  # the figure-by-figure path, over every figure
    one = await _outcome(instance)
    shared_one = list(shared)
    await job._run(None)  # again: the previous results now weigh (hysteresis, settled figures)
    one_again = await _outcome(instance)
    await _forget(instance)
    shared.clear()

    report = await job.recompute_batch()
    two = await _outcome(instance)
    shared_two = list(shared)
    await job.recompute_batch()
    two_again = await _outcome(instance)

    assert report.figures == len(expected) > REMOTE_FIGURES
    assert report.skipped == tuple(skipped)
    assert len(skipped) == 1
    _same(one, two)
    _same(one_again, two_again)
    assert any(moved for _, moved in one["moved"]), "some corrections moved their figure"
    assert one["history"], "our changed figures were published"
    assert {uri for uri, _ in one["history"]} <= set(local)
    assert two["updates"] - one_again["updates"] == one["updates"] - updates_before  # one Update per change
    assert two_again["updates"] - two["updates"] == one_again["updates"] - one["updates"]
    assert sorted(map(repr, shared_two)) == sorted(map(repr, shared_one))
    assert shared_one


def _same(one: dict[str, Any], two: dict[str, Any]) -> None:
    assert one["stored"].keys() == two["stored"].keys()
    for uri, row in one["stored"].items():
        again = two["stored"][uri]
        for name in ("value", "low", "high", "agreement", "n_eff"):
            assert again[name] == pytest.approx(row[name], rel=1e-9, abs=1e-12), (uri, name)
        for name in ("status", "contributors", "domains", "settled_at", "published_status"):
            assert again[name] == row[name], (uri, name)
    assert one["moved"] == two["moved"]
    assert one["history"] == two["history"]
