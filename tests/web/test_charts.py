"""A figure's chart: SVG for its page, PNG for link previews, drawn once per change of the figure, and shown only
to those who may read the figure."""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from actors import store
from chiffres.app import Federation
from ledger.publication import Publisher
from tests.web.test_accounts import Client, make_client, signup
from tests.web.test_api import Ticking
from tests.web.test_figure_page import corrected_rent
from web import charts

__all__ = ["make_client"]  # the fixture

LABELS = {
    key: key.upper()
    for key in ("history", "claims", "versions", "consensus", "interval", "publish", "endorse", "boost", "correct")
}


def series(value: float = 845.0) -> charts.Series:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    return charts.Series(
        versions=[(start, value), (start + timedelta(days=2), 812.0)],
        consensus=[charts.Step(start + timedelta(days=1), 870.0, 840.0, 905.0)],
        claims=[charts.Point("publish", 812.0, 0.5), charts.Point("correct", 905.0, 0.25)],
        now=start + timedelta(days=5),
        unit="€/mois",
        labels=LABELS,
        dates=lambda moment: f"d{moment.day}",
    )


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_names_its_series_and_previews_at_the_size_link_cards_use() -> None:
    svg = charts.draw(series(), "svg").decode()
    assert "<svg" in svg
    for label in ("HISTORY", "CLAIMS", "VERSIONS", "CONSENSUS", "INTERVAL", "PUBLISH", "CORRECT", "€/mois", "d3"):
        assert label in svg, label
    assert png_size(charts.draw(series(), "png")) == (1200, 630)
    empty = charts.Series([], [], [], datetime(2026, 5, 1, tzinfo=UTC), "", LABELS, str)
    assert "<svg" in charts.draw(empty, "svg").decode()


async def test_a_chart_is_drawn_once_per_key_and_the_oldest_dropped() -> None:
    drawn = charts.Charts(size=2)
    asked: list[float] = []

    def made(value: float) -> Callable[[], Awaitable[charts.Series]]:
        async def make() -> charts.Series:
            asked.append(value)
            return series(value)

        return make

    first = await drawn.chart(("a", 1), "svg", made(845.0))
    assert await drawn.chart(("a", 1), "svg", made(999.0)) == first
    assert asked == [845.0]
    await drawn.chart(("a", 2), "svg", made(850.0))
    await drawn.chart(("b", 1), "svg", made(860.0))
    await drawn.chart(("a", 1), "svg", made(870.0))
    assert asked == [845.0, 850.0, 860.0, 870.0], "a new key draws anew; beyond the size the oldest is dropped"


async def test_the_chart_of_a_public_figure_is_served_to_anyone(make_client: Client, fed: Federation) -> None:
    author = await make_client(signup="open")
    await signup(author, "marie")
    figure, path = await corrected_rent(fed)
    name = path.rsplit("/", 1)[-1]
    reader = await make_client()

    svg = await reader.get(f"/charts/{name}.svg")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "Valeur publiée" in svg.text
    assert "Contributions autour du consensus" in svg.text
    assert "correction" in svg.text
    assert (await reader.get(f"/charts/{name}.svg")).content == svg.content, "kept, not drawn again"
    english = await reader.get(f"/charts/{name}.svg?lang=en")
    assert "Published value" in english.text
    png = await reader.get(f"/charts/{name}.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png_size(png.content) == (1200, 630)
    svg = await reader.get(f"/charts/{name}.svg")

    pool, urls = fed.instance.pool, fed.instance.urls
    marie = await store.get(pool, "marie")
    await Publisher(pool, urls, Ticking(), "fr").update(figure.uri, {"value": "799"}, marie)
    assert (await reader.get(f"/charts/{name}.svg")).content != svg.content, "a new version is drawn anew"

    for missing in ("not-a-uuid", "7c1f0a52-0b5e-4bb0-9d3e-000000000000"):
        refused = await reader.get(f"/charts/{missing}.svg")
        assert refused.status_code == 404
        assert "<h1>" in refused.text
    await Publisher(pool, urls, Ticking(), "fr").delete(figure.uri, marie)
    assert (await reader.get(f"/charts/{name}.png")).status_code == 404


async def test_the_chart_of_a_members_only_figure_is_for_its_members(make_client: Client, fed: Federation) -> None:
    author, stranger = [await make_client(signup="open") for _ in range(2)]
    await signup(author, "marie")
    await signup(stranger, "lea")
    _, path = await corrected_rent(fed, "members")
    name = path.rsplit("/", 1)[-1]
    anonymous = await make_client()
    assert (await author.get(f"/charts/{name}.svg")).status_code == 200
    mine = await author.get(f"/charts/{name}.png")
    assert mine.status_code == 200
    assert "private" in mine.headers["cache-control"]
    for reader in (stranger, anonymous):
        for kind in ("svg", "png"):
            refused = await reader.get(f"/charts/{name}.{kind}")
            assert refused.status_code == 404
            assert "812" not in refused.text
