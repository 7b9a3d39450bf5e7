"""The figure's JSON record says why it has its consensus: the line and every claim with the weight it carried, as
``chiffres consensus show --json`` prints it, described in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from chiffres.app import Federation
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.publication import Publisher
from tests.web.test_api import API, World, conforms, world

__all__ = ["world"]

CLAIM = {"actor", "domain", "kind", "value", "unit", "parsed", "version", "weight", "reference"}


async def test_the_record_lists_the_claims_behind_the_consensus(
    client: httpx.AsyncClient, world: World, fed: Federation, pool: Any
) -> None:
    published = await world.publish()
    assert (await client.get(f"{API}/{published.id}")).json()["consensus"] is None, "not computed yet"
    for actor in ("https://b.example/actors/bea", "https://c.example/actors/cyril"):
        async with pool.acquire() as connection:
            await claims.record(
                connection,
                published.uri,
                actor,
                actor.split("/")[2],
                ClaimedValue("correct", Decimal("905"), parsed=True),
                f"{actor}/notes/1",
                datetime.now(UTC),
            )
    instance = fed.instance
    job = ConsensusJob(pool, instance.urls, instance.clock, Publisher(pool, instance.urls, instance.clock, "fr"))
    await job.recompute(published.uri)

    shown = (await client.get(f"{API}/{published.id}")).json()
    why = shown["consensus"]
    stored = await pool.fetchrow("SELECT status, contributors FROM consensus WHERE figure_uri = $1", published.uri)
    assert (why["status"], why["contributors"]) == (stored["status"], stored["contributors"])
    assert why["unit"] == "EUR/month"
    assert all(set(claim) == CLAIM for claim in why["claims"])
    kinds = sorted((claim["kind"], claim["value"], claim["parsed"]) for claim in why["claims"])
    assert kinds == [("correct", "905", True), ("correct", "905", True), ("publish", "845", False)]
    assert all(claim["weight"] > 0 for claim in why["claims"])
    described = (await client.get("/api/openapi.json")).json()
    conforms(described, "FigureRecord", shown)
