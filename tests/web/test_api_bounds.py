"""The JSON API refuses a value beyond the bounds of a figure with 422, naming the value field.

A JSON number is read as a Decimal so that its digits are kept: "1e400" passed as one digit with a large exponent,
and a value of 10^20 had fewer than the 30 digits then checked; both are refused now, typed or scaled.
"""

from __future__ import annotations

import httpx
import pytest

from chiffres.app import Federation
from fedi import keys
from tests.web.test_api import API, World, bearer, fields_of, make_world, rent

GIANT = "1" + "0" * 400


@pytest.fixture
async def world(fed: Federation, key_pair: keys.KeyPair) -> World:
    return await make_world(fed.instance.pool, fed.instance.urls, key_pair)


@pytest.mark.parametrize(
    "raw_value",
    [
        "1e400",  # a JSON number
        "-1e400",
        "1e20",
        "100000000000000000000",  # a JSON integer of 21 digits
        f'"{GIANT}"',  # a string of 401 digits
        '"1 000 000 000 000 000"',
        "0.0000000000000000001",
    ],
)
async def test_a_value_beyond_the_bounds_is_a_422_on_the_value_field(
    client: httpx.AsyncClient, world: World, raw_value: str
) -> None:
    body = httpx.Request("POST", "/", json={**rent(value="__VALUE__"), "group": "loyers"}).content.decode()
    response = await client.post(API, content=body.replace('"__VALUE__"', raw_value), headers=bearer(world.marie_token))
    named = fields_of(response)
    assert set(named) == {"value"}, named
    assert "digits" in named["value"] or "too long" in named["value"], named


async def test_a_scale_that_carries_a_value_beyond_the_bounds_is_a_422(client: httpx.AsyncClient, world: World) -> None:
    body = {**rent(value="9999999999999", unit="k€/an"), "group": "loyers"}
    named = fields_of(await client.post(API, json=body, headers=bearer(world.marie_token)))
    assert set(named) == {"value"}, named


async def test_a_revision_beyond_the_bounds_is_a_422(client: httpx.AsyncClient, world: World) -> None:
    mine = bearer(world.marie_token)
    created = await client.post(API, json={**rent(), "group": "loyers"}, headers=mine)
    assert created.status_code == 201, created.text
    address = f"{API}/{created.json()['id']}"
    assert set(fields_of(await client.patch(address, json={"value": GIANT}, headers=mine))) == {"value"}
    assert (await client.get(address)).json()["figure"]["value"] == "845"
