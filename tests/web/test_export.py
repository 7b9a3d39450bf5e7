"""Exports: CSV and JSON Lines say what the JSON listing says, for the same filters and the same reader."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from chiffres.app import Federation
from fedi import keys
from figures.units import format_value, unit_from_code
from tests.web.test_api import API, JSON, World, bearer, listed, make_world, remote_figure
from web import query
from web.openapi import CSV_COLUMNS


@pytest.fixture
async def world(fed: Federation, key_pair: keys.KeyPair) -> World:
    return await make_world(fed.instance.pool, fed.instance.urls, key_pair)


async def varied(world: World, pool: Any) -> None:
    """Figures that test the cells: decimals, quotes and commas, line breaks, no code, a title, a remote one."""
    await world.publish(value="845,50", source={"url": "https://example.org/a", "title": 'Le "bon" coin, 2026'})
    await world.publish(value="-12,5", unit="%", measures="évolution, sur un an", place="Lyon", tags=[])
    await world.publish(value="0,000001", method="relevé\nsur place ; deux lignes", tags=["été", "prix"])
    await world.publish(group=world.entraide, value="1 234 567,89")
    await remote_figure(world, pool, 1, value="3,14")


def expected_row(item: JSON) -> dict[str, str]:
    """What the CSV must say of a figure of the JSON listing."""
    figure = item["figure"]
    return {
        "id": str(item["id"]),
        "uri": item["uri"],
        "value": figure["value"],
        "unit": figure["unit"]["code"],
        "measures": figure["measures"],
        "place": figure["place"]["name"],
        "place_code": figure["place"].get("code", ""),
        "period": figure["period"],
        "source_url": figure["source"]["url"],
        "source_title": figure["source"].get("title", ""),
        "method": figure.get("method", ""),
        "tags": " ".join(figure["tags"]),
        "language": item["language"],
        "version": str(item["version"]),
        "origin": item["origin"],
        "author": item["author"],
        "group": item["group"] or "",
        "published": item["published"],
        "updated": item["updated"] or "",
        "display": format_value(Decimal(figure["value"]), unit_from_code(figure["unit"]["code"]), item["language"]),
    }


async def csv_rows(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, str]]:
    response = await client.get(f"{API}.csv", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


async def test_csv_says_what_the_listing_says(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    await varied(world, pool)
    member = bearer(world.marie_token)
    items = await listed(client, headers=member)
    rows = await csv_rows(client, headers=member)
    assert len(rows) == len(items) == 5
    assert rows == [expected_row(item) for item in items]
    assert [Decimal(row["value"]) for row in rows] == [Decimal(item["figure"]["value"]) for item in items]
    assert {row["value"] for row in rows} == {"3.14", "1234567.89", "0.000001", "-12.5", "845.50"}
    assert any("\n" in row["method"] for row in rows), "a line break inside a cell survives"
    assert "1\u202f234\u202f567,89\u00a0€/mois" in {row["display"] for row in rows}, "as the notes write it"


async def test_jsonl_lines_are_the_listing_items(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    await varied(world, pool)
    response = await client.get(f"{API}.jsonl", headers=bearer(world.marie_token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.text.split("\n")
    assert lines[-1] == ""
    parsed = [json.loads(line) for line in lines[:-1]]
    assert parsed == await listed(client, headers=bearer(world.marie_token))


async def test_exports_filter_as_the_listing_does(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    await varied(world, pool)
    anonymous = await csv_rows(client)
    assert len(anonymous) == 4, "the members-only figure is not exported to anonymous readers"
    assert [row["id"] for row in anonymous] == [str(item["id"]) for item in await listed(client)]
    filters: list[dict[str, Any]] = [{"tag": "été"}, {"q": "évolutions"}, {"place": "lyon"}, {"group": "loyers"}]
    for params in filters:
        expected = [str(item["id"]) for item in await listed(client, **params)]
        assert expected, params
        assert [row["id"] for row in await csv_rows(client, **params)] == expected, params
        jsonl = (await client.get(f"{API}.jsonl", params=params)).text.splitlines()
        assert [str(json.loads(line)["id"]) for line in jsonl] == expected, params


async def test_exports_go_past_a_page_and_stop_at_the_limit(client: httpx.AsyncClient, world: World, pool: Any) -> None:
    published = [await world.publish(value=str(number)) for number in range(7)]
    newest_first = [figure.id for figure in reversed(published)]
    streamed = [item.id async for item in query.everything(pool, query.Filters(), query.ANONYMOUS, batch=2)]
    assert streamed == newest_first
    capped = query.everything(pool, query.Filters(), query.ANONYMOUS, limit=5, batch=2)
    assert [item.id async for item in capped] == newest_first[:5]
    assert [int(row["id"]) for row in await csv_rows(client, limit=3)] == newest_first[:3]
    assert len(await csv_rows(client, limit=1000)) == 7, "an export is not held to a page's 500"
    page = (await client.get(API, params={"limit": 2})).json()
    after = await csv_rows(client, cursor=page["next"])
    assert [int(row["id"]) for row in after] == newest_first[2:]


async def test_an_empty_export_has_its_header(client: httpx.AsyncClient, world: World) -> None:
    assert await csv_rows(client) == []
    assert (await client.get(f"{API}.jsonl")).text == ""
