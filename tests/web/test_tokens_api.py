"""A member's tokens through the API: listed without their secrets, revoked by id, one's own only."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from actors import tokens
from chiffres.app import Federation
from fedi import keys
from tests.web.test_api import World, bearer, error_of, make_world

TOKENS = "/api/v1/tokens"


@pytest.fixture
async def world(fed: Federation, key_pair: keys.KeyPair) -> World:
    return await make_world(fed.instance.pool, fed.instance.urls, key_pair)


async def test_a_member_lists_their_own_tokens_without_secrets(
    client: httpx.AsyncClient, world: World, pool: Any
) -> None:
    script = await tokens.create_token(pool, world.marie.id, "relevés")
    response = await client.get(TOKENS, headers=bearer(world.marie_token))
    assert response.status_code == 200, response.text
    assert "private" in response.headers["cache-control"]
    listed = response.json()["items"]
    assert [item["label"] for item in listed] == ["", "relevés"]
    assert all(item["state"] == "live" and item["expires_at"] is None for item in listed)
    assert world.marie_token not in response.text
    assert script not in response.text
    pauls = {record.id for record in await tokens.listing(pool, world.paul.id)}
    assert not pauls & {item["id"] for item in listed}
    described = (await client.get("/api/openapi.json")).json()
    jsonschema.Draft202012Validator({**described, "$ref": "#/components/schemas/TokenList"}).validate(response.json())


async def test_a_member_revokes_a_token_of_theirs_and_it_stops_working(
    client: httpx.AsyncClient, world: World, pool: Any
) -> None:
    script = await tokens.create_token(pool, world.marie.id, "script")
    [_, record] = await tokens.listing(pool, world.marie.id)
    [pauls] = await tokens.listing(pool, world.paul.id)
    mine = bearer(world.marie_token)
    other = await client.delete(f"{TOKENS}/{pauls.id}", headers=mine)
    assert other.status_code == 404
    assert error_of(other)
    assert (await client.get(TOKENS, headers=bearer(world.paul_token))).status_code == 200
    assert (await client.delete(f"{TOKENS}/{record.id}", headers=mine)).status_code == 204
    refused = await client.get(TOKENS, headers=bearer(script))
    assert refused.status_code == 401
    assert error_of(refused) == "this token was revoked"
    again = await client.delete(f"{TOKENS}/{record.id}", headers=mine)
    assert again.status_code == 404
    assert (await client.delete(f"{TOKENS}/99999999999999999999999", headers=mine)).status_code == 404
    states = {item["id"]: item["state"] for item in (await client.get(TOKENS, headers=mine)).json()["items"]}
    assert states[record.id] == "revoked"


async def test_tokens_need_a_token(client: httpx.AsyncClient, world: World) -> None:
    for response in (await client.get(TOKENS), await client.delete(f"{TOKENS}/1")):
        assert response.status_code == 401
        assert error_of(response)
