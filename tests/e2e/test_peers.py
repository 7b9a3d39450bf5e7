"""Peer instances (mode B): instance actors follow each other and exchange consensus summaries, each summary
replacing the previous one from its origin."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pair(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InstanceProcess, ...]]:
    with fleet(cluster, tmp_path_factory, ["peera", "peerb"]) as running:
        yield running["peera"], running["peerb"]


async def _summaries(url: str, figure: str) -> list[dict[str, object]]:
    connection = await connect(url)
    try:
        rows = await connection.fetch("SELECT origin, count, value FROM summaries WHERE figure_uri = $1", figure)
    finally:
        await connection.close()
    return [dict(row) for row in rows]


def test_peers_exchange_summaries_that_replace_each_other(pair: tuple[InstanceProcess, ...]) -> None:
    a, b = pair
    a.cli("actor", "create", "loyers", "--group", "--visibility", "public")
    a.cli("actor", "create", "ana")
    for name in ("bea", "bruno"):
        b.cli("actor", "create", name)
        b.cli("follow", "--as", name, f"loyers@{a.domain}")
    # A public group's follows are open: accepted as they arrive.
    eventually(lambda: a.cli("follows", "list").stdout.count("\taccepted\t") == 2, what="two accepted follows")

    a.cli("peer", "add", b.domain)
    eventually(lambda: "follows us\tpending" in b.cli("peer", "list").stdout, what="A's request on B")
    b.cli("peer", "add", a.domain)
    for side in (a, b):
        eventually(
            lambda side=side: side.cli("peer", "list").stdout.count("accepted") == 2,  # type: ignore[misc]
            what="peering both ways",
        )

    join(a, "ana", "loyers")
    figure = publish_figure(a, "ana", "loyers")
    eventually(lambda: b.cli("figure", "show", figure, check=False).returncode == 0, what="the figure on B")
    b.cli("like", "--as", "bea", figure)
    url = a.env["CHIFFRES_DATABASE_URL"]
    first = eventually(lambda: asyncio.run(_summaries(url, figure)), what="B's summary on A")
    assert first == [{"origin": b.domain, "count": 1, "value": pytest.approx(812)}]

    b.cli("like", "--as", "bruno", figure)
    eventually(lambda: asyncio.run(_summaries(url, figure))[0]["count"] == 2, what="the summary replaced")
    assert len(asyncio.run(_summaries(url, figure))) == 1
