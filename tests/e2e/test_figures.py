"""Figures across three instances: published into a group, received by its approved followers only, versioned
and deleted everywhere; a public group's figures are public. A strict Mastodon-family server follows both groups
and must show every figure, edit and deletion, refusing none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fedi.normalise import PUBLIC
from figures.html import violations
from figures.note import validate_wire
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.strict_receiver import StrictReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
AP = {"Accept": "application/activity+json"}


@pytest.fixture(scope="module")
def strict() -> Iterator[StrictReceiver]:
    started = StrictReceiver().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def trio(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, strict: StrictReceiver
) -> Iterator[dict[str, InstanceProcess]]:
    with fleet(cluster, tmp_path_factory, ["figa", "figb", "figc"]) as running:
        a, b, c = running["figa"], running["figb"], running["figc"]
        a.cli("actor", "create", "alice")
        b.cli("actor", "create", "loyers", "--group", "--visibility", "members")
        b.cli("actor", "create", "prix", "--group", "--visibility", "public")
        b.cli("actor", "create", "bob")
        join(b, "bob", "loyers")
        join(b, "bob", "prix")
        c.cli("actor", "create", "carol")
        a.cli("follow", "--as", "alice", f"loyers@{b.domain}")
        strict.follow(f"@loyers@{b.domain}")
        strict.follow(f"@prix@{b.domain}")
        eventually(lambda: _follows_recorded(b, f"{a.base}/actors/alice", strict.user_id), what="the follows on B")
        b.cli("follows", "approve", "--all")
        eventually(lambda: "accepted" in a.cli("follows", "list", "--as", "alice").stdout, what="approval on A")
        eventually(lambda: set(strict.following().values()) == {"accepted"}, what="the groups' Accepts")
        yield {"a": a, "b": b, "c": c}


def _follows_recorded(instance: InstanceProcess, alice: str, strict: str) -> bool:
    rows = json.loads(instance.cli("follows", "list", "--json").stdout)
    listed = "\n".join(f"{row['follower_url']}\t{row['state']}\t{row['followee_url']}" for row in rows)
    return alice in listed and listed.count(strict) == 2


def _received_notes(instance: InstanceProcess, name: str) -> dict[str, dict[str, object]]:
    notes = {}
    for row in json.loads(instance.cli("inbox", "--as", name, "--json", "--limit", "100").stdout):
        activity = row["activity"]
        obj = activity.get("object")
        kinds = obj.get("type") if isinstance(obj, dict) else None
        if isinstance(obj, dict) and (kinds == "Note" or (isinstance(kinds, list) and "Note" in kinds)):
            notes[str(obj["id"])] = obj
    return notes


def _shown(instance: InstanceProcess, figure_id: str) -> str:
    result = instance.cli("figure", "show", figure_id, check=False)
    return result.stdout if result.returncode == 0 else ""


def test_members_figure_reaches_followers_only_and_follows_its_versions(
    trio: dict[str, InstanceProcess], strict: StrictReceiver
) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    figure_id = publish_figure(b, "bob", "loyers", source_title="Observatoire des loyers", tag="loyers")

    found = eventually(lambda: _received_notes(a, "alice").get(figure_id), what="the figure reaching alice")
    notes: dict[str, Any] = dict(found or {})
    assert validate_wire(notes["figure"]) == []
    assert violations(str(notes["content"])) == []
    assert "812" in str(notes["content"])
    assert f"{b.base}/actors/loyers/followers" in notes["to"]
    assert PUBLIC not in notes["to"]
    assert "version 1" in eventually(lambda: _shown(a, figure_id), what="A storing the figure")
    shown = eventually(lambda: strict.timeline().get(figure_id), what="the strict receiver showing the figure")
    assert shown is not None
    assert (shown.visibility, shown.author) == ("followers", f"{b.base}/actors/loyers")
    assert "Publié par @bob" in shown.text

    assert _received_notes(c, "carol") == {}
    assert httpx.get(figure_id, headers=AP).status_code == 404

    b.cli("figure", "update", figure_id, "--value", "845")
    eventually(lambda: "version 2" in _shown(a, figure_id), what="the Update reaching A")
    assert "845" in _shown(a, figure_id)
    eventually(lambda: "845" in strict.timeline()[figure_id].text, what="the strict receiver showing the edit")

    b.cli("figure", "delete", figure_id)
    eventually(lambda: "deleted" in _shown(a, figure_id), what="the Delete reaching A")
    tombstone = httpx.get(figure_id, headers=AP)
    assert tombstone.status_code == 410
    assert tombstone.json()["type"] == "Tombstone"
    eventually(lambda: strict.timeline()[figure_id].deleted, what="the strict receiver taking the figure down")
    assert strict.refusals() == []


def test_public_group_figure_is_public(trio: dict[str, InstanceProcess], strict: StrictReceiver) -> None:
    b = trio["b"]
    figure_id = publish_figure(
        b,
        "bob",
        "prix",
        value="1,85",
        unit="EUR",
        measures="prix du gazole",
        source="https://prix.example/carburants",
        lang="fr",
        period="2026-05",
        place="Rennes",
    )
    response = httpx.get(figure_id, headers=AP)
    assert response.status_code == 200
    note = response.json()
    assert PUBLIC in note["to"]
    assert note["figure"]["value"] == "1.85"
    assert validate_wire(note["figure"]) == []
    shown = eventually(lambda: strict.timeline().get(figure_id), what="the strict receiver showing the figure")
    assert shown is not None
    assert shown.visibility == "public"
    assert strict.refusals() == []


def test_a_browser_gets_the_figure_page(trio: dict[str, InstanceProcess]) -> None:
    b = trio["b"]
    figure_id = publish_figure(
        b,
        "bob",
        "prix",
        value="2,05",
        unit="EUR",
        measures="prix du sans-plomb <b>95</b>",
        source="https://prix.example/carburants",
        period="2026-05",
        place="Rennes",
    )
    page = httpx.get(figure_id, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "2,05" in page.text
    assert "<b>95</b>" not in page.text
