"""The reciprocity ledger: each contribution and consultation is one event, recorded once however often it arrives,
and counted per actor, per server and per group over a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from actors import tokens
from actors.actor import Actor
from actors.outbox import FanOut
from actors.routes import object_routes
from fedi import keys
from fedi.database import Pool
from fedi.instance import Instance
from figures.claims import ClaimedValue
from figures.note import Contributor
from ledger import claims, reciprocity
from ledger.publication import Publisher, StoredFigure
from ledger.requests import Requests, wanted
from tests.ledger.members import group_with_members
from tests.ledger.test_publication import RENT, Ticking

ZOE = "https://masto.example/users/zoe"
MASTO_ACTOR = "https://masto.example/actor"
STRANGER = "https://other.example/users/eve"


@dataclass
class Parties:
    pool: Pool
    instance: Instance
    publisher: Publisher
    group: Actor
    ana: Actor
    bob: Actor
    group_uri: str
    clock: Ticking

    def uri(self, name: str) -> str:
        return self.instance.urls.actor(name)

    async def publish(self, by: Actor, **fields: object) -> StoredFigure:
        return await self.publisher.publish(by, self.group, {**RENT, **fields}, "fr")

    async def tally(self, who: str, days: int = reciprocity.DEFAULT_DAYS) -> reciprocity.Tally:
        [found] = await reciprocity.show(self.pool, who, self.clock.now, days)
        assert found.group_uri == self.group_uri
        return found

    async def events(self, kind: str) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM reciprocity_events WHERE kind = $1", kind))


async def _blank(request: object, document: object) -> str:
    return ""


@pytest.fixture
async def parties(instance: Instance, key_pair: keys.KeyPair) -> Parties:
    pool, urls, clock = instance.pool, instance.urls, Ticking()
    group, members = await group_with_members(instance, key_pair, clock, ("ana", "bob"))
    await pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox, follower_shared_inbox)"
        " VALUES ($1, $2, $3, 'accepted', $4, $5)",
        f"{ZOE}#follow",
        ZOE,
        urls.actor("loyers"),
        f"{ZOE}/inbox",
        "https://masto.example/inbox",
    )
    ana, bob = members
    publisher = Publisher(pool, urls, clock, "fr")
    return Parties(pool, instance, publisher, group, ana, bob, urls.actor("loyers"), clock)


async def test_a_figure_published_counts_once_and_its_source_once_per_group(parties: Parties) -> None:
    figure = await parties.publish(parties.ana)
    await parties.publish(parties.bob, value="830")  # the same source: bob brings a figure, not a source
    await parties.publish(parties.bob, value="840", source="https://insee.example/loyers")
    async with parties.pool.acquire() as connection:  # replayed: nothing more
        source = figure.figure.source.url
        await reciprocity.published(
            connection, figure.uri, parties.group_uri, parties.uri("ana"), source, figure.published
        )

    ana, bob = await parties.tally(parties.uri("ana")), await parties.tally(parties.uri("bob"))
    assert (ana.counts["published"], ana.counts["source"], ana.contributions) == (1, 1, 2)
    assert (bob.counts["published"], bob.counts["source"], bob.contributions) == (2, 1, 3)
    assert ana.consultations == 0
    assert ana.last_contribution == figure.published
    assert ana.last_consultation is None


async def test_an_answer_counts_as_answered_and_published(parties: Parties) -> None:
    requests = Requests(parties.pool, parties.instance.urls, parties.clock, "fr", parties.publisher)
    asker = Contributor(parties.uri("ana"), "ana", parties.instance.urls.domain)
    request, _ = await requests.ask(asker, parties.group, wanted("loyer médian d'un T3", "Lyon", "2026-Q2"))
    answer = {"value": "912", "unit": "€/mois", "source": "https://observatoire.example/t3"}
    await requests.answer(str(request.id), parties.bob, answer, "fr")
    async with parties.pool.acquire() as connection:
        await reciprocity.answered(connection, request.uri, parties.group_uri, parties.uri("bob"), parties.clock())

    bob = await parties.tally(parties.uri("bob"))
    assert (bob.counts["answered"], bob.counts["published"], bob.counts["source"]) == (1, 1, 1)
    assert await reciprocity.show(parties.pool, parties.uri("ana"), parties.clock.now) == []
    assert await parties.events("answered") == 1


async def _claim(parties: Parties, figure: str, actor: str, claimed: ClaimedValue, reference: str, **how: str) -> bool:
    async with parties.pool.acquire() as connection:
        return await claims.record(
            connection,
            figure,
            actor,
            reciprocity.domain_of(actor),
            claimed,
            reference,
            parties.clock(),
            **how,  # type: ignore[arg-type]
        )


async def test_endorsements_and_corrections_count_once_each_and_unverified_ones_not_yet(parties: Parties) -> None:
    figure = await parties.publish(parties.ana)
    like = ClaimedValue("endorse", Decimal("812"), 1)
    boost = ClaimedValue("boost", Decimal("812"), 1)
    fix = ClaimedValue("correct", Decimal("845"))
    assert await _claim(parties, figure.uri, ZOE, like, f"{ZOE}#like")
    assert not await _claim(parties, figure.uri, ZOE, like, f"{ZOE}#like")  # delivered twice
    await _claim(parties, figure.uri, ZOE, boost, f"{ZOE}#boost")
    await _claim(parties, figure.uri, ZOE, fix, f"{ZOE}#fix", authenticity="unverified")
    zoe = await parties.tally(ZOE)
    assert (zoe.counts["endorsed"], zoe.counts["corrected"]) == (2, 0)

    await _claim(parties, figure.uri, ZOE, fix, f"{ZOE}#fix", authenticity="signed")  # now established
    await _claim(parties, figure.uri, ZOE, fix, f"{ZOE}#fix", authenticity="signed")
    zoe = await parties.tally(ZOE)
    assert (zoe.counts["endorsed"], zoe.counts["corrected"], zoe.moved) == (2, 1, 0)
    domain = await parties.tally("masto.example")
    assert domain.who == "masto.example"
    assert domain.contributions == 3
    # the publish claim is the figure's publication, not an endorsement
    ana = await parties.tally(parties.uri("ana"))
    assert (ana.counts["published"], ana.counts["endorsed"]) == (1, 0)


async def test_claims_on_figures_of_other_servers_groups_are_not_ours_to_count(parties: Parties) -> None:
    await _claim(parties, "https://peer.example/objects/1", ZOE, ClaimedValue("endorse", Decimal("1")), f"{ZOE}#l")
    assert await reciprocity.show(parties.pool, ZOE, parties.clock.now) == []


async def test_a_correction_moved_the_consensus_when_the_next_value_came_within_tolerance(parties: Parties) -> None:
    figure = await parties.publish(parties.ana)  # 812
    await _claim(parties, figure.uri, ZOE, ClaimedValue("correct", Decimal("900")), f"{ZOE}#fix")
    await _claim(parties, figure.uri, STRANGER, ClaimedValue("correct", Decimal("845")), f"{STRANGER}#fix")
    assert await reciprocity.moved(parties.pool, figure.uri, 812.0, 880.0, 0.05) == 2
    assert await reciprocity.moved(parties.pool, figure.uri, 880.0, 700.0, 0.05) == 0  # judged once
    zoe, eve = await parties.tally(ZOE), await parties.tally(STRANGER)
    assert (zoe.counts["corrected"], zoe.moved) == (1, 1)
    assert (eve.counts["corrected"], eve.moved) == (1, 0)  # 812 was already within 5 % of 845: nothing moved


async def test_a_consensus_computation_judges_the_corrections_before_it(parties: Parties) -> None:
    from ledger.consensus import ConsensusJob

    figure = await parties.publish(parties.ana)  # 812
    await _claim(parties, figure.uri, ZOE, ClaimedValue("correct", Decimal("1200")), f"{ZOE}#fix")
    job = ConsensusJob(parties.pool, parties.instance.urls, parties.clock, parties.publisher)
    await job.recompute(figure.uri)
    judged = await parties.pool.fetchval("SELECT moved FROM reciprocity_events WHERE kind = 'corrected'")
    assert judged is False  # one lone correction 50 % away does not move a figure


async def _fan_out(parties: Parties, fanned: reciprocity.Fanned) -> None:
    handler = FanOut(parties.pool, parties.instance.urls, fanned)
    for activity in await parties.pool.fetch("SELECT activity_id FROM outbox ORDER BY id"):
        await handler({"activity": activity["activity_id"]})


async def test_a_figure_is_delivered_once_to_each_follower_per_activity(parties: Parties) -> None:
    # Local members follow through our own inbox, as `chiffres follow` does: they receive the figures there.
    await parties.pool.execute(
        "UPDATE follows SET follower_inbox = follower || '/inbox' WHERE follower = ANY($1)",
        [parties.uri("ana"), parties.uri("bob")],
    )
    figure = await parties.publish(parties.ana)
    await parties.publisher.update(figure.uri, {"value": "815"}, parties.ana)
    fanned = reciprocity.on_fanout(parties.instance.urls, parties.clock)
    await _fan_out(parties, fanned)
    await _fan_out(parties, fanned)  # fanned out already: nothing happens
    document = await parties.pool.fetchval("SELECT document FROM outbox ORDER BY id DESC LIMIT 1")
    async with parties.pool.acquire() as connection:
        await fanned(connection, document)  # a fan-out repeated after a crash

    zoe = await parties.tally(ZOE)
    assert zoe.counts["delivered"] == 2  # the Create and the Update
    assert zoe.last_consultation is not None
    assert (await parties.tally("masto.example")).consultations == 2
    # bob, a local member, received them in his inbox here; ana, their author, consulted nothing
    assert (await parties.tally(parties.uri("bob"))).counts["delivered"] == 2
    assert (await parties.tally(parties.uri("ana"))).counts["delivered"] == 0
    assert await parties.events("delivered") == 4


async def test_a_signed_fetch_of_a_members_only_object_counts_for_the_signer(parties: Parties) -> None:
    figure = await parties.publish(parties.ana)
    readers = iter([ZOE, MASTO_ACTOR, STRANGER, None])

    async def signed_by(request: Request) -> str | None:
        return next(readers)

    fetched = reciprocity.on_fetch(parties.pool, parties.instance.urls, parties.clock)
    app = Starlette(routes=object_routes(parties.instance, signed_by, _blank, fetched))
    transport = httpx.ASGITransport(app=app)
    path = figure.uri.removeprefix(parties.instance.urls.base)
    headers = {"Accept": "application/activity+json"}
    async with httpx.AsyncClient(transport=transport, base_url=parties.instance.urls.base) as client:
        statuses = [(await client.get(path, headers=headers)).status_code for _ in range(4)]
    assert statuses == [200, 200, 404, 404]

    zoe = await parties.tally(ZOE)
    assert zoe.counts["fetched"] == 1
    server = await parties.tally("masto.example")
    assert server.counts["fetched"] == 2
    [top] = [
        tally
        for tally in await reciprocity.top(parties.pool, parties.group_uri, parties.clock.now)
        if tally.who == "masto.example"
    ]
    assert top.counts["fetched"] == 1  # the instance actor read for its followers: filed under the server
    assert await reciprocity.show(parties.pool, STRANGER, parties.clock.now) == []


async def test_api_reads_by_a_token_holder_count_per_group(parties: Parties, client: httpx.AsyncClient) -> None:
    figure = await parties.publish(parties.ana)
    token = await tokens.create_token(parties.pool, parties.bob.id)
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/api/v1/figures/{figure.id}", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/figures", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/figures")).status_code == 200  # anonymous: nobody to count
    now = datetime.now(UTC)
    [bob] = await reciprocity.show(parties.pool, parties.uri("bob"), now)
    assert bob.counts["read"] == 2
    assert await parties.events("read") == 2


async def test_top_orders_by_contributions_and_the_window_leaves_old_events_out(parties: Parties) -> None:
    await parties.publish(parties.ana)
    await parties.publish(parties.bob, value="830")
    await parties.publish(parties.bob, value="840", source="https://insee.example/loyers")
    old = parties.clock.now - timedelta(days=100)
    await parties.pool.execute(
        "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, object, at)"
        " VALUES ($1, $2, 'masto.example', 'endorsed', 'old-like', $3)",
        parties.group_uri,
        ZOE,
        old,
    )
    ranked = await reciprocity.top(parties.pool, parties.group_uri, parties.clock.now)
    assert [(tally.who, tally.contributions) for tally in ranked] == [(parties.uri("bob"), 3), (parties.uri("ana"), 2)]
    assert [
        tally.who for tally in await reciprocity.top(parties.pool, parties.group_uri, parties.clock.now, limit=1)
    ] == [parties.uri("bob")]
    longer = await reciprocity.top(parties.pool, parties.group_uri, parties.clock.now, days=101)
    assert [(tally.who, tally.counts["endorsed"]) for tally in longer][-1] == (ZOE, 1)
    assert await reciprocity.show(parties.pool, ZOE, parties.clock.now) == []
    assert (await parties.tally(ZOE, days=101)).counts["endorsed"] == 1
    with pytest.raises(reciprocity.ReciprocityError):
        await reciprocity.top(parties.pool, parties.group_uri, parties.clock.now, days=0)
