"""Joining and reciprocity across three servers (issue 12, acceptance 2).

A bovine user follows a public group on A and is accepted at once; follows the members-only group ``loyers``, gets
the charter as a direct message, replies with the phrase and is accepted; receives a figure; falls below the policy's
threshold, is reminded, then rejected, and stops receiving figures while marc, a member of B following the group,
still does; one Like of a figure restores access, and the next figure reaches the bovine user again. bovine-herd
0.5.19 ignores an incoming Reject (it keeps the group in its following), so the revocation is read on A and in what
A sends; bovine never sends an Undo, so restoration accepts the stored Follow again. The test skips only when
bovine-herd cannot be installed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_bovine import _follows, _received_text
from tests.support.bovine import BovineServer, BovineUser, serving
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.ledger_tally import agree, figure_activities, received
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

#: One delivered figure without a contribution is enough to fall behind, and the reminder's delay is over at once.
POLICY = "[default]\ngrace_days = 0\nconsultations_per_contribution = 1\nreminder_days = 0\n"


@pytest.fixture(scope="module")
def pair(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InstanceProcess, ...]]:
    with fleet(cluster, tmp_path_factory, ["charter", "reader"]) as running:
        yield running["charter"], running["reader"]


@pytest.fixture(scope="module")
def bovine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovineServer]:
    yield from serving(tmp_path_factory)


def _carries(uri: str) -> Callable[[dict[str, Any]], bool]:
    def carries(item: dict[str, Any]) -> bool:
        obj = item.get("object")
        return (isinstance(obj, dict) and obj.get("id") == uri) or obj == uri

    return carries


def _actor(item: dict[str, Any]) -> Any:
    actor = item.get("actor")
    return actor.get("id") if isinstance(actor, dict) else actor


def _answer(kind: str, group: str, known: Collection[str] = ()) -> Callable[[dict[str, Any]], bool]:
    """An Accept or Reject from the group, other than those ``known``."""
    return lambda item: item.get("type") == kind and _actor(item) == group and item.get("id") not in known


def _enforce(instance: InstanceProcess) -> None:
    data = Path(instance.env["CHIFFRES_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "reciprocity.toml").write_text(POLICY, encoding="utf-8")


def _ledger(instance: InstanceProcess, who: str) -> dict[str, str]:
    """``who``'s line of the ledger for the group ``loyers``, by column name (empty before any event)."""
    rows = json.loads(instance.cli("ledger", "show", who, "--json").stdout)
    found: dict[str, Any] = next((row for row in rows if row["group_url"].endswith("/actors/loyers")), {})
    return {key: str(value) for key, value in found.items()}


def _check(instance: InstanceProcess) -> dict[str, str]:
    """``chiffres reciprocity check loyers``: the action taken about each follower it judged."""
    lines = instance.cli("reciprocity", "check", "loyers").stdout.splitlines()[1:]
    return {line.split("\t")[2]: line.split("\t")[-1] for line in lines if line}


async def _join_by_charter(bovine: BovineServer, user: BovineUser, a: InstanceProcess, group: str) -> None:
    await bovine.follow(user, group)
    pending = await asyncio.to_thread(
        eventually,
        lambda: [f for f in _follows(a, "--as", "loyers") if f[1] == user.actor_id],
        what="the follow on A",
    )
    assert pending[0][2] == "pending"

    def is_invitation(item: dict[str, Any]) -> bool:
        obj = item.get("object")
        return isinstance(obj, dict) and f"{a.base}/charter" in str(obj.get("content", ""))

    invitation = (await bovine.wait_for_inbox(user, is_invitation))["object"]
    assert invitation["to"] in ([user.actor_id], user.actor_id)
    assert not invitation.get("cc"), "the charter goes to the follower alone"
    assert group not in await bovine.following(user)
    note = {
        "type": "Note",
        "attributedTo": user.actor_id,
        "content": "J’accepte la charte",
        "inReplyTo": invitation["id"],
        "to": [group],
    }
    await bovine.send(user, {"type": "Create", "actor": user.actor_id, "object": note, "to": [group]})
    await bovine.wait_for_ids(lambda: bovine.following(user), group)
    [joined] = [f for f in _follows(a, "--as", "loyers") if f[1] == user.actor_id]
    assert joined[2] == "accepted"


async def test_a_reader_who_stops_contributing_is_reminded_rejected_and_restored_by_a_contribution(
    pair: tuple[InstanceProcess, ...], bovine: BovineServer
) -> None:
    a, b = pair
    group, public = f"{a.base}/actors/loyers", f"{a.base}/actors/ouvert"
    marc = f"{b.base}/actors/marc"
    a.cli("actor", "create", "loyers", "--group")
    a.cli("actor", "create", "ouvert", "--group", "--visibility", "public")
    a.cli("actor", "create", "ana")
    join(a, "ana", "loyers")
    b.cli("actor", "create", "marc")
    b.cli("follow", "--as", "marc", f"loyers@{a.domain}")
    [asked] = await asyncio.to_thread(
        eventually, lambda: [f for f in _follows(a, "--pending") if f[1] == marc], what="marc's follow on A"
    )
    a.cli("follows", "approve", asked[0])
    user = await bovine.create_user("nestor")

    # A public group accepts at once: nobody approves.
    await bovine.follow(user, public)
    await bovine.wait_for_ids(lambda: bovine.following(user), public)
    assert [f[2] for f in _follows(a, "--as", "ouvert") if f[1] == user.actor_id] == ["accepted"]

    await _join_by_charter(bovine, user, a, group)
    first = publish_figure(a, "ana", "loyers")
    await bovine.wait_for_inbox(user, _carries(first))
    await asyncio.to_thread(eventually, lambda: first in _received_text(b, "marc"), what="the figure on B")
    # marc contributes, so that the policy leaves him alone.
    b.cli("like", "--as", "marc", first)
    await asyncio.to_thread(eventually, lambda: _ledger(a, marc).get("endorsed") == "1", what="marc's Like on A")
    assert _ledger(a, user.actor_id)["delivered"] == "1"

    _enforce(a)
    assert _check(a) == {user.actor_id: "remind"}, "marc contributed, ana publishes"

    def is_reminder(item: dict[str, Any]) -> bool:
        obj = item.get("object")
        return isinstance(obj, dict) and "reciprocity charter" in str(obj.get("content", ""))

    reminder = (await bovine.wait_for_inbox(user, is_reminder))["object"]
    assert reminder["to"] in ([user.actor_id], user.actor_id)
    assert f"{a.base}/charter" in reminder["content"]

    accepts = [item["id"] for item in await bovine.inbox_items(user) if _answer("Accept", group)(item)]
    assert _check(a) == {user.actor_id: "revoke"}
    await bovine.wait_for_inbox(user, _answer("Reject", group))
    # bovine-herd 0.5.19 processes no incoming Reject (bovine_process/incoming has Accept and Undo only): it keeps
    # the group in its following, so what counts is what A sends, and that it sends no more figures.
    assert [f[2] for f in _follows(a, "--as", "loyers") if f[1] == user.actor_id] == ["rejected"]

    second = publish_figure(a, "ana", "loyers", value="815")
    await asyncio.to_thread(eventually, lambda: second in _received_text(b, "marc"), what="the second figure on B")
    # The ledger counts a delivery in the fan-out's own transaction: one more would mean one was scheduled.
    assert _ledger(a, user.actor_id)["delivered"] == "1"
    assert not [item for item in await bovine.inbox_items(user) if _carries(second)(item)]

    await bovine.send(user, {"type": "Like", "actor": user.actor_id, "object": first, "to": [group]})
    await asyncio.to_thread(
        eventually, lambda: _ledger(a, user.actor_id).get("endorsed") == "1", what="the bovine Like on A"
    )
    assert _check(a)[user.actor_id] == "restore"
    await bovine.wait_for_inbox(user, _answer("Accept", group, accepts))
    assert "accepted" in [f[2] for f in _follows(a, "--as", "loyers") if f[1] == user.actor_id]

    third = publish_figure(a, "ana", "loyers", value="818")
    await bovine.wait_for_inbox(user, _carries(third))

    # The ledger against the activities exchanged (acceptance 4): what each one sent, by the test's own account,
    # and what each follower's server received, counted there.
    figures = {first, second, third}

    async def exchanged() -> dict[str, Counter[str]]:
        at_b = await asyncio.to_thread(received, b, "marc")
        return {
            # ana receives her own figures in her inbox on A: no consultation of anyone's work
            f"{a.base}/actors/ana": Counter(published=3, source=1),
            marc: Counter(endorsed=1, delivered=figure_activities(at_b, group, figures)),
            user.actor_id: Counter(
                endorsed=1, delivered=figure_activities(await bovine.inbox_items(user), group, figures)
            ),
        }

    ledger = await agree(a, "loyers", exchanged)
    assert ledger[user.actor_id]["delivered"] == 2, "the first and third figures, not the second"
    assert ledger[marc]["delivered"] == 3
