"""The figures JSON API through the app, on a real database: writes, reads, search, pages, access and errors.

Past 400 lines because it mirrors one module with one test per route and error; split, the shared fixtures
would have to move to a conftest that serves no other file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.routing import Route

import schemas
from actors import follows, store, tokens
from actors.actor import Actor
from chiffres.app import Federation, build_app
from fedi import keys
from fedi.signatures import sign_cavage
from fedi.urls import Urls
from figures.figure import build_figure
from inbox.remote import RemoteActor
from ledger.publication import Publisher, StoredFigure, save
from web import openapi

API = "/api/v1/figures"
PEER = "https://peer.example"
JSON = dict[str, Any]


class Ticking:
    """A clock a second further on at each reading, so that figures have distinct, ordered publication times."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class World:
    """Members marie and paul (with tokens), both approved followers of a public group ``loyers`` and of a
    members-only group ``entraide``."""

    publisher: Publisher
    clock: Ticking
    urls: Urls
    marie: Actor
    paul: Actor
    loyers: Actor
    entraide: Actor
    marie_token: str
    paul_token: str

    async def publish(self, group: Actor | None = None, author: Actor | None = None, **fields: Any) -> StoredFigure:
        return await self.publisher.publish(author or self.marie, group or self.loyers, rent(**fields), "fr")


async def make_world(pool: Any, urls: Urls, pair: keys.KeyPair) -> World:
    async def actor(name: str, kind: Any, visibility: Any = "public") -> Actor:
        return await store.create(pool, name, kind, visibility=visibility, key_factory=lambda: pair)

    marie, paul = await actor("marie", "person"), await actor("paul", "person")
    loyers, entraide = await actor("loyers", "group"), await actor("entraide", "group", "members")
    clock = Ticking()
    for person in (marie, paul):
        for group in (loyers, entraide):
            await join(pool, urls, person, group, clock)
    return World(
        Publisher(pool, urls, clock, "fr"),
        clock,
        urls,
        marie,
        paul,
        loyers,
        entraide,
        await tokens.create_token(pool, marie.id),
        await tokens.create_token(pool, paul.id),
    )


@pytest.fixture
async def world(fed: Federation, key_pair: keys.KeyPair) -> World:
    return await make_world(fed.instance.pool, fed.instance.urls, key_pair)


async def join(pool: Any, urls: Urls, person: Actor, group: Actor, clock: Ticking) -> follows.Follow:
    """A local person follows a local group and the group approves: they are a member."""
    asked = await follows.follow(pool, urls, person, urls.actor(group.name), urls.inbox(group.name), clock)
    [approved] = await follows.approve(pool, urls, [asked.id], clock, group)
    return approved


def rent(**fields: Any) -> JSON:
    figure: JSON = {
        "value": "845",
        "unit": "€/mois",
        "measures": "loyer médian d'un T2",
        "place": {"name": "Paris 11e", "code": "75111"},
        "period": "2026-Q1",
        "source": "https://example.org/loyers",
        "tags": ["loyers", "paris"],
    }
    return {**figure, **fields}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def remote_figure(world: World, pool: Any, number: int, audience: str = "public", **fields: Any) -> int:
    """A figure as received from a peer: stored by the same function the inbox uses."""
    async with pool.acquire() as connection:
        return await save(
            connection,
            uri=f"{PEER}/objects/{number}",
            origin="peer.example",
            author=f"{PEER}/actors/bob",
            group_uri=f"{PEER}/actors/prix",
            author_id=None,
            group_id=None,
            audience=audience,
            figure=build_figure(rent(**fields), "fr"),
            note={},
            published=world.clock(),
            updated=None,
        )


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    reason = response.json()["error"]
    assert isinstance(reason, str)
    assert reason
    return reason


def fields_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid figure"
    return {item["field"]: item["reason"] for item in body["fields"]}


async def listed(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any) -> list[JSON]:
    response = await client.get(API, params={"limit": 500, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    items: list[JSON] = response.json()["items"]
    return items


# --- Writing ---------------------------------------------------------------------------------------------------


async def test_a_member_publishes_a_figure(client: httpx.AsyncClient, world: World) -> None:
    body = {**rent(value="845,50"), "group": "loyers", "source_title": "Observatoire des loyers"}
    response = await client.post(API, json=body, headers=bearer(world.marie_token))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == created["url"] == f"{world.urls.base}{API}/{created['id']}"
    assert created["figure"]["value"] == "845.50"
    assert created["figure"]["unit"] == {"code": "EUR/month", "display": "€/mois"}
    assert created["figure"]["source"] == {"url": "https://example.org/loyers", "title": "Observatoire des loyers"}
    assert created["author"] == world.urls.actor("marie")
    assert (created["group"], created["audience"], created["origin"]) == (
        world.urls.actor("loyers"),
        "public",
        "chiffres.test",
    )
    again = await client.get(response.headers["location"])
    assert again.json() == created


async def test_numbers_are_read_in_the_language_given(client: httpx.AsyncClient, world: World) -> None:
    english = {**rent(value="1,200.5"), "group": world.urls.actor("loyers"), "lang": "en"}
    french = {**rent(value="1 200,5"), "group": "@loyers@chiffres.test"}
    exact = {**rent(), "group": "loyers"}
    sent = (await client.post(API, json=english, headers=bearer(world.marie_token))).json()
    assert sent["figure"]["value"] == "1200.5"
    assert sent["language"] == "en"
    sent = (await client.post(API, json=french, headers=bearer(world.marie_token))).json()
    assert sent["figure"]["value"] == "1200.5"
    raw = json.dumps(exact).replace('"845"', "845.50")
    response = await client.post(API, content=raw, headers=bearer(world.marie_token))
    assert response.json()["figure"]["value"] == "845.50", "a JSON number keeps its written digits"


async def test_writing_needs_a_valid_token(client: httpx.AsyncClient, world: World) -> None:
    body = {**rent(), "group": "loyers"}
    for headers in ({}, bearer("not-a-token"), {"Authorization": f"Basic {world.marie_token}"}, bearer("")):
        response = await client.post(API, json=body, headers=headers)
        assert response.status_code == 401, headers
        assert error_of(response)
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await listed(client) == []


async def test_a_group_that_is_not_a_local_group_is_refused_on_the_group_field(
    client: httpx.AsyncClient, world: World
) -> None:
    for group in ("nowhere", "paul", f"{PEER}/actors/prix", "loyers@peer.example", 12, None):
        response = await client.post(API, json={**rent(), "group": group}, headers=bearer(world.marie_token))
        assert "group" in fields_of(response), group


async def test_every_invalid_field_is_named(client: httpx.AsyncClient, world: World) -> None:
    body = {**rent(value="beaucoup", source="ftp://example.org"), "group": "x!", "colour": "red", "lang": "de"}
    del body["period"]
    named = fields_of(await client.post(API, json=body, headers=bearer(world.marie_token)))
    assert set(named) == {"group", "value", "source", "colour", "period", "lang"}
    assert named["period"] == "required"
    assert named["colour"] == "unknown field"


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{", 400),
        (b"[1, 2]", 400),
        (b'{"value": NaN}', 400),
        (b'{"measures": "a\\u0000b"}', 400),
        (b'{"x": "' + b"a" * 70_000 + b'"}', 413),
    ],
)
async def test_unreadable_bodies_are_refused(
    client: httpx.AsyncClient, world: World, content: bytes, status: int
) -> None:
    response = await client.post(API, content=content, headers=bearer(world.marie_token))
    assert response.status_code == status
    assert error_of(response)


async def test_the_author_changes_a_figure_and_every_version_is_kept(client: httpx.AsyncClient, world: World) -> None:
    published = await world.publish()
    address = f"{API}/{published.id}"
    response = await client.patch(
        address, json={"value": "850", "source_title": "OLAP"}, headers=bearer(world.marie_token)
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["version"] == changed["figure"]["version"] == 2
    assert changed["figure"]["value"] == "850"
    assert changed["figure"]["source"] == {"url": "https://example.org/loyers", "title": "OLAP"}
    assert changed["updated"] is not None
    versions = (await client.get(f"{address}/versions")).json()
    assert versions["uri"] == published.uri
    assert [(v["version"], v["figure"]["value"]) for v in versions["versions"]] == [(1, "845"), (2, "850")]


async def test_changes_are_refused_with_the_reason(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    published = await world.publish()
    address = f"{API}/{published.id}"
    assert (await client.patch(address, json={"value": "1"})).status_code == 401
    assert (await client.patch(address, json={"value": "1"}, headers=bearer(world.paul_token))).status_code == 403
    unknown = await client.patch(f"{API}/999999", json={"value": "1"}, headers=bearer(world.marie_token))
    assert unknown.status_code == 404
    assert error_of(unknown) == "no such figure"
    mine = bearer(world.marie_token)
    assert set(fields_of(await client.patch(address, json={"value": "x"}, headers=mine))) == {"value"}
    assert "changes" in fields_of(await client.patch(address, json={"value": "845"}, headers=mine))
    assert "group" in fields_of(await client.patch(address, json={"group": "entraide"}, headers=mine))
    assert "period" in fields_of(await client.patch(address, json={"period": "2026-13"}, headers=mine))
    remote = await remote_figure(world, pool, 1)
    assert (await client.patch(f"{API}/{remote}", json={"value": "1"}, headers=mine)).status_code == 403
    assert (await client.get(f"{address}/versions")).json()["versions"][-1]["version"] == 1


async def test_the_author_deletes_a_figure(client: httpx.AsyncClient, world: World) -> None:
    published = await world.publish()
    address = f"{API}/{published.id}"
    assert (await client.delete(address)).status_code == 401
    assert (await client.delete(address, headers=bearer(world.paul_token))).status_code == 403
    response = await client.delete(address, headers=bearer(world.marie_token))
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(address)).status_code == 410
    assert (await client.get(f"{address}/versions")).status_code == 410
    assert (await client.delete(address, headers=bearer(world.marie_token))).status_code == 410
    assert await listed(client) == []
    assert (await client.get(f"{API}/12345", headers=bearer(world.marie_token))).status_code == 404


async def test_an_unknown_or_impossible_figure_number_is_404(client: httpx.AsyncClient, world: World) -> None:
    for number in ("1", "99999999999999999999999"):
        response = await client.get(f"{API}/{number}")
        assert response.status_code == 404
        assert error_of(response)
    assert (await client.get(f"{API}/99999999999999999999999/versions")).status_code == 404


# --- Reading: search, filters, pages --------------------------------------------------------------------------


async def test_search_stems_french_and_english(client: httpx.AsyncClient, world: World) -> None:
    loyer = await world.publish(measures="loyer médian d'un studio", tags=[])
    rent_uk = await world.publish(measures="median rent of a flat", place="London", tags=[])
    await world.publish(measures="prix du pain", tags=[])
    assert [item["id"] for item in await listed(client, q="loyers")] == [loyer.id]
    assert [item["id"] for item in await listed(client, q="rents")] == [rent_uk.id]
    assert [item["id"] for item in await listed(client, q="médians")] == [loyer.id]
    assert [item["id"] for item in await listed(client, q="flats")] == [rent_uk.id]
    assert await listed(client, q="salaire") == []
    assert [item["id"] for item in await listed(client, q="rent -flat")] == []


async def test_filters(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    paris = await world.publish(tags=["loyers", "paris"], period="2026-01")
    lyon = await world.publish(place={"name": "Lyon 3e", "code": "69383"}, tags=["loyers"], period="2025")
    members = await world.publish(group=world.entraide, period="2026-W10")
    remote = await remote_figure(world, pool, 1, period="2024-06", tags=["loyers"])
    member = bearer(world.marie_token)

    def ids(items: list[JSON]) -> list[int]:
        return [item["id"] for item in items]

    assert ids(await listed(client, tag="paris")) == [paris.id]
    assert ids(await listed(client, tag="#Loyers")) == [remote, lyon.id, paris.id]
    assert ids(await listed(client, tag=["loyers", "paris"])) == [paris.id]
    assert ids(await listed(client, place="lyon")) == [lyon.id]
    assert ids(await listed(client, place="69383")) == [lyon.id]
    assert ids(await listed(client, place="75111")) == [remote, paris.id]
    assert ids(await listed(client, period="2026-Q1", headers=member)) == [members.id, paris.id]
    assert ids(await listed(client, period="2024/2025")) == [remote, lyon.id]
    assert ids(await listed(client, group="entraide", headers=member)) == [members.id]
    assert ids(await listed(client, group=world.urls.actor("loyers"))) == [lyon.id, paris.id]
    assert ids(await listed(client, group=f"{PEER}/actors/prix")) == [remote]
    assert ids(await listed(client, since=lyon.published.isoformat())) == [remote, lyon.id]
    assert ids(await listed(client, since="2099-01-01")) == []
    assert ids(await listed(client, uri=paris.uri)) == [paris.id]


async def test_pages_follow_cursors_newest_first(client: httpx.AsyncClient, world: World) -> None:
    published = [await world.publish(value=str(800 + number)) for number in range(7)]
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(API, params=params)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if pages == 1:
            await world.publish(value="999")  # published meanwhile: on no later page, and shifting none
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [figure.id for figure in reversed(published)]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "0"},
        {"limit": "²"},
        {"cursor": "garbage"},
        {"cursor": "WzEsMl0"},
        {"period": "2026-13"},
        {"period": "P6M"},
        {"since": "yesterday"},
        {"group": "not a group!"},
        {"colour": "red"},
        {"q": "a\x00b"},
    ],
)
async def test_bad_query_parameters_are_400(client: httpx.AsyncClient, world: World, params: dict[str, str]) -> None:
    await world.publish()
    for path in (API, f"{API}.csv", f"{API}.jsonl"):
        response = await client.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text)
        assert next(iter(params)) in error_of(response)


async def test_a_page_holds_at_most_500_figures(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(API, params={"limit": 501})
    assert response.status_code == 400
    assert error_of(response) == "limit: at most 500"
    assert (await client.get(API, params={"limit": 500})).status_code == 200


async def test_a_parameter_given_twice_is_400(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get(f"{API}?place=a&place=b")
    assert response.status_code == 400
    assert "place" in error_of(response)


async def test_remote_figures_are_listed_with_their_origin(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    remote = await remote_figure(world, pool, 7)
    items = await listed(client)
    assert [(item["id"], item["origin"], item["uri"]) for item in items] == [
        (remote, "peer.example", f"{PEER}/objects/7")
    ]


# --- Access ----------------------------------------------------------------------------------------------------


def signed_get(path: str, key_id: str, private_key: rsa.RSAPrivateKey) -> dict[str, str]:
    return sign_cavage(
        "GET", f"https://chiffres.test{path}", key_id=key_id, private_key=private_key, now=datetime.now(UTC)
    )


async def remote_reader(fed: Federation, name: str) -> tuple[str, rsa.RSAPrivateKey]:
    """A fediverse account whose key our cache already holds, so that its signature verifies offline."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    uri = f"{PEER}/users/{name}"
    document = {
        "id": uri,
        "type": "Person",
        "inbox": f"{uri}/inbox",
        "preferredUsername": name,
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public.decode()},
    }
    await fed.remote.remember(RemoteActor(uri, f"{uri}/inbox", None, None, name, document))
    return uri, key


async def test_members_only_figures_are_for_members_and_approved_followers(
    fed: Federation, client: httpx.AsyncClient, world: World, pool: Any
) -> None:
    public = await world.publish()
    private = await world.publish(group=world.entraide)
    hidden_remote = await remote_figure(world, pool, 3, audience="followers")
    follower, follower_key = await remote_reader(fed, "alice")
    stranger, stranger_key = await remote_reader(fed, "eve")
    await pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted'),"
        " ($4, $5, $3, 'pending')",
        f"{PEER}/follows/1",
        follower,
        world.urls.actor("entraide"),
        f"{PEER}/follows/2",
        stranger,
    )
    assert {item["id"] for item in await listed(client)} == {public.id}
    members_view = {item["id"] for item in await listed(client, headers=bearer(world.paul_token))}
    assert members_view == {public.id, private.id}, "a member of entraide, not a follower of the peer's group"
    assert hidden_remote not in members_view
    for path in (f"{API}/{private.id}", f"{API}/{private.id}/versions"):
        assert (await client.get(path)).status_code == 404
        assert (await client.get(path, headers=bearer(world.paul_token))).status_code == 200
        assert (
            await client.get(path, headers=signed_get(path, f"{follower}#main-key", follower_key))
        ).status_code == 200
        assert (
            await client.get(path, headers=signed_get(path, f"{stranger}#main-key", stranger_key))
        ).status_code == 404
    path = f"{API}?limit=500"
    signed = await client.get(path, headers=signed_get(path, f"{follower}#main-key", follower_key))
    assert {item["id"] for item in signed.json()["items"]} == {public.id, private.id}
    unverified = signed_get(path, f"{follower}#main-key", stranger_key)
    assert {item["id"] for item in (await client.get(path, headers=unverified)).json()["items"]} == {public.id}


async def test_a_bad_token_on_a_read_is_401_not_anonymous(client: httpx.AsyncClient, world: World) -> None:
    await world.publish()
    for path in (API, f"{API}.csv", f"{API}/1"):
        assert (await client.get(path, headers=bearer("wrong"))).status_code == 401


async def test_other_requests_under_api_answer_json(client: httpx.AsyncClient, world: World) -> None:
    response = await client.put(API, json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert error_of(response)
    response = await client.get("/api/v1/nothing", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert error_of(response)


# --- The description -------------------------------------------------------------------------------------------


async def test_every_api_route_is_described(fed: Federation, client: httpx.AsyncClient) -> None:
    described = (await client.get("/api/openapi.json")).json()
    routes = [route for route in build_app(fed).routes if isinstance(route, Route) and route.path.startswith("/api/v1")]
    assert len(routes) >= 8
    for route in routes:
        path = openapi.openapi_path(route.path)
        for method in (route.methods or set()) - {"HEAD"}:
            assert method.lower() in described["paths"][path], (method, path)
    operations = {(path, method) for path, item in described["paths"].items() for method in item}
    assert len(operations) == len(openapi.OPERATIONS)


async def test_the_description_is_valid_openapi(client: httpx.AsyncClient) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    described = (await client.get("/api/openapi.json")).json()
    validator.validate(described)
    assert described["openapi"] == "3.1.0"
    assert described["servers"] == [{"url": "https://chiffres.test"}]


async def test_the_figure_schema_is_ours_unchanged(client: httpx.AsyncClient) -> None:
    described = (await client.get("/api/openapi.json")).json()
    ours = schemas.load_json("figure.schema.json")
    included = described["components"]["schemas"]["Figure"]
    assert included["properties"].keys() == ours["properties"].keys()
    assert included["$defs"].keys() == ours["$defs"].keys()
    assert included["properties"]["value"] == {"$ref": "#/components/schemas/Figure/$defs/decimal"}
    assert included["required"] == ours["required"]


def conforms(described: JSON, schema: str, document: object) -> None:
    root = {**described, "$ref": f"#/components/schemas/{schema}"}
    jsonschema.Draft202012Validator(root).validate(document)


async def test_answers_match_their_description(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    described = (await client.get("/api/openapi.json")).json()
    published = await world.publish(method="médiane des annonces")
    await remote_figure(world, pool, 1)
    await client.patch(f"{API}/{published.id}", json={"value": "900"}, headers=bearer(world.marie_token))
    conforms(described, "FigurePage", (await client.get(API)).json())
    conforms(described, "FigureRecord", (await client.get(f"{API}/{published.id}")).json())
    conforms(described, "FigureVersions", (await client.get(f"{API}/{published.id}/versions")).json())
    conforms(described, "Error", (await client.get(f"{API}/999")).json())
    conforms(described, "FigureInput", {**rent(), "group": "loyers", "source_title": "x", "lang": "fr"})
    invalid = await client.post(API, json={"group": "loyers"}, headers=bearer(world.marie_token))
    conforms(described, "ValidationError", invalid.json())
    with pytest.raises(jsonschema.ValidationError):
        conforms(described, "FigureRecord", {**(await client.get(f"{API}/{published.id}")).json(), "figure": {}})
