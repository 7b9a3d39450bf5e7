"""A community on one instance corrects its own figure: four members agree, a vandal does not count.

One ``chiffres serve``, one members group. Ana publishes a figure at 812 €/mois; of five other approved members,
four reply that it is 905 and one claims a thousand times the figure. Our own approved members stand as
independent contributors, so the four settle the figure as corrected at their value without any other
instance; the vandal's claim is implausible, flagged and weighs nothing; and the group sends one consensus
Update, not one per claim.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

MEMBERS = ("bruno", "chloe", "dora", "emile", "victor")


@pytest.fixture(scope="module")
def community(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstanceProcess]:
    with fleet(cluster, tmp_path_factory, ["community"]) as running:
        yield running["community"]


async def _consensus_updates(url: str, figure: str) -> int:
    connection = await connect(url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE document->>'type' = 'Update'"
            " AND document->'object'->>'id' = $1 AND document->'object' ? 'consensus'",
            figure,
        )
    finally:
        await connection.close()
    return count


def _show(instance: InstanceProcess, figure: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(instance.cli("consensus", "show", figure, "--json").stdout)
    return shown


def test_five_members_of_one_instance_correct_a_figure_and_a_vandal_weighs_nothing(
    community: InstanceProcess,
) -> None:
    instance = community
    instance.cli("actor", "create", "loyers", "--group", "--visibility", "members")
    for member in ("ana", *MEMBERS):
        instance.cli("actor", "create", member)
        join(instance, member, "loyers")
    figure = publish_figure(instance, "ana", "loyers")
    source = "https://observatoire.example/2026"
    for member in MEMBERS[:4]:
        instance.cli("reply", "--as", member, figure, "Le relevé 2026 donne 905", "--value", "905", "--source", source)
    instance.cli("reply", "--as", "victor", figure, "812000 !", "--value", "812000", "--source", source)

    shown = eventually(
        lambda: (found := _show(instance, figure))["status"] == "corrected" and len(found["claims"]) == 6 and found,
        timeout=60,
        what="the community's consensus",
    )
    assert isinstance(shown, dict)
    assert float(str(shown["value"])) == pytest.approx(905, rel=0.01)
    assert shown["domains"] == 1
    claims = {claim["actor"].rsplit("/", 1)[1]: claim for claim in shown["claims"]}
    assert claims["victor"]["weight"] == pytest.approx(0, abs=1e-6)
    assert all(claims[member]["weight"] > 0.1 for member in MEMBERS[:4])
    url = instance.env["CHIFFRES_DATABASE_URL"]
    eventually(lambda: asyncio.run(_consensus_updates(url, figure)) >= 1, what="the consensus Update")
    assert asyncio.run(_consensus_updates(url, figure)) == 1
