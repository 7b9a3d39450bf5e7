"""Self-correction across three instances: endorsements and corrections move A's consensus to `corrected`,
A's followers receive one Update carrying it, and B, trusting C less, computes its own consensus. A strict
Mastodon-family server following the group shows the correction, refusing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial

import pytest

from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.strict_receiver import StrictReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trio(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, InstanceProcess]]:
    with fleet(cluster, tmp_path_factory, ["consa", "consb", "consc"]) as running:
        yield {"a": running["consa"], "b": running["consb"], "c": running["consc"]}


@pytest.fixture(scope="module")
def strict() -> Iterator[StrictReceiver]:
    started = StrictReceiver().start()
    yield started
    started.stop()


def _follow_group(member_side: InstanceProcess, member: str, group_side: InstanceProcess) -> None:
    member_side.cli("follow", "--as", member, f"loyers@{group_side.domain}")
    eventually(
        lambda: (
            f"{member_side.base}/actors/{member}" in group_side.cli("follows", "list", "--pending", "--json").stdout
        ),
        what=f"{member}'s follow request",
    )
    group_side.cli("follows", "approve", "--all")
    eventually(
        lambda: "accepted" in member_side.cli("follows", "list", "--as", member).stdout, what=f"{member}'s approval"
    )


def _knows(instance: InstanceProcess, figure: str) -> bool:
    return instance.cli("figure", "show", figure, check=False).returncode == 0


def _consensus(instance: InstanceProcess, figure: str) -> list[str]:
    result = instance.cli("consensus", "show", figure, check=False)
    return result.stdout.split("\t") if result.returncode == 0 else []


def _updates_with_consensus(instance: InstanceProcess, member: str, figure: str) -> list[dict[str, object]]:
    found = []
    for row in json.loads(instance.cli("inbox", "--as", member, "--json", "--limit", "200").stdout):
        activity = row["activity"]
        obj = activity.get("object")
        is_update = activity.get("type") == "Update" and isinstance(obj, dict) and obj.get("id") == figure
        if is_update and isinstance(obj, dict) and isinstance(obj.get("consensus"), dict):
            found.append(obj["consensus"])
    return found


def test_corrections_from_two_domains_correct_the_figure(
    trio: dict[str, InstanceProcess], strict: StrictReceiver
) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    a.cli("actor", "create", "loyers", "--group")
    a.cli("actor", "create", "ana")
    for name in ("bea", "bruno"):
        b.cli("actor", "create", name)
    for name in ("cyril", "chloe", "camille"):
        c.cli("actor", "create", name)
    for side, member in ((b, "bea"), (b, "bruno"), (c, "cyril"), (c, "chloe"), (c, "camille")):
        _follow_group(side, member, a)
    strict.follow(f"@loyers@{a.domain}")
    eventually(
        lambda: strict.user_id in a.cli("follows", "list", "--pending", "--json").stdout, what="the strict follow"
    )
    a.cli("follows", "approve", "--all")
    eventually(lambda: strict.following() == {f"{a.base}/actors/loyers": "accepted"}, what="the strict approval")
    a.cli("trust", "set", b.domain, "0.8")
    a.cli("trust", "set", c.domain, "0.8")
    b.cli("trust", "set", c.domain, "0")

    join(a, "ana", "loyers")
    figure = publish_figure(a, "ana", "loyers")
    for side, member in ((b, "bea"), (c, "cyril")):
        eventually(partial(_knows, side, figure), what="the figure reaching B and C")
        side.cli("like", "--as", member, figure)
    for member in ("chloe", "camille"):
        c.cli(
            "reply",
            "--as",
            member,
            figure,
            "Le nouvel observatoire donne 905 €",
            "--value",
            "905",
            "--source",
            "https://observatoire.example/2026",
        )
    b.cli("reply", "--as", "bruno", figure, "plutôt 905 €/mois, d'après mes relevés")

    eventually(lambda: _consensus(a, figure)[:1] == ["corrected"], timeout=60, what="A's consensus corrected")
    status = _consensus(a, figure)
    assert 880 <= float(status[1]) <= 930
    assert "domains=3" in status

    updates = eventually(lambda: _updates_with_consensus(b, "bea", figure), what="the consensus Update on B")
    corrected = [update for update in updates if update["status"] == "corrected"]
    assert len(corrected) == 1, updates
    assert str(corrected[0]["value"]).startswith("9")

    eventually(lambda: "domains=2" in _consensus(b, figure), what="B's own consensus, weighing without C")
    assert _consensus(a, figure) != _consensus(b, figure)

    eventually(lambda: "⚠ corrigé" in strict.timeline()[figure].text, what="the correction on a Mastodon timeline")
    assert strict.refusals() == []
