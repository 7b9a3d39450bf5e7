"""``GET /api/v1/groups/{name}/requests``: a group's requests for figures, as described, read by whoever may read
its figures; filtered by state, open ones turning stale after 30 days."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jsonschema
import pytest

import schemas
from actors import store, tokens
from chiffres.app import Federation
from figures.note import Contributor
from ledger.requests import Requests, wanted
from tests.web.test_api import World, bearer, conforms, world

__all__ = ["world"]


def requests_of(fed: Federation, world: World) -> Requests:
    instance = fed.instance
    return Requests(instance.pool, instance.urls, world.clock, "fr", world.publisher)


def asker(world: World) -> Contributor:
    return Contributor(world.urls.actor("marie"), "marie", world.urls.domain)


async def test_a_public_group_s_requests_are_listed_newest_first_as_described(
    fed: Federation, world: World, client: httpx.AsyncClient
) -> None:
    made = requests_of(fed, world)
    old, _ = await made.ask(asker(world), world.loyers, wanted("prix du pain", "Lyon", "2026", "€/kg"))
    world.clock.now += timedelta(days=31)
    fresh, _ = await made.ask(asker(world), world.loyers, wanted("prix du lait", "Lyon", "2026-Q2"))
    answer = {"value": "1,2", "unit": "€/l", "source": "https://prix.example/lait"}
    _, figure = await made.answer(fresh.uri, world.paul, answer, "fr")

    response = await client.get("/api/v1/groups/loyers/requests")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    items = response.json()["items"]
    assert [(item["id"], item["state"]) for item in items] == [(fresh.id, "answered"), (old.id, "stale")]
    assert items[0]["answer"] == figure.uri
    assert items[0]["request"]["answeredBy"] == figure.uri
    assert items[1]["request"] == {
        "type": "Request",
        "measures": "prix du pain",
        "place": {"name": "Lyon"},
        "period": "2026",
        "unit": {"code": "EUR/kilogram", "display": "€/kg"},
        "status": "open",
    }
    described = (await client.get("/api/openapi.json")).json()
    conforms(described, "RequestList", response.json())
    request_schema = schemas.load_json("request.schema.json")
    for item in items:
        jsonschema.Draft202012Validator(request_schema).validate(item["request"])

    stale = (await client.get("/api/v1/groups/loyers/requests", params={"status": "stale"})).json()["items"]
    assert [item["id"] for item in stale] == [old.id]
    assert (await client.get("/api/v1/groups/loyers/requests?status=open")).json()["items"] == []


async def test_a_members_group_s_requests_are_for_its_members(
    fed: Federation, world: World, client: httpx.AsyncClient
) -> None:
    await requests_of(fed, world).ask(asker(world), world.entraide, wanted("prix du pain", "Lyon", "2026"))
    path = "/api/v1/groups/entraide/requests"
    assert (await client.get(path)).status_code == 403
    outsider = await store.create(fed.instance.pool, "zoe", "person")
    zoe = await tokens.create_token(fed.instance.pool, outsider.id)
    refused = await client.get(path, headers=bearer(zoe))
    assert refused.status_code == 403
    assert "only approved members of entraide" in refused.json()["error"]
    listed = await client.get(path, headers=bearer(world.paul_token))
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/groups/nobody/requests", 404),
        ("/api/v1/groups/marie/requests", 404),
        ("/api/v1/groups/loyers/requests?status=pending", 400),
        ("/api/v1/groups/loyers/requests?sort=new", 400),
    ],
)
async def test_bad_requests_are_refused_in_json(
    world: World, client: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert response.json()["status"] == status
