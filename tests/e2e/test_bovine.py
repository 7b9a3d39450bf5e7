"""Interoperability with a real third-party server: bovine-herd on loopback, over plain http.

A bovine user follows our group, waits for approval, is approved by the CLI and receives the group's note;
our member follows the bovine user, is accepted by bovine, and receives the bovine user's post. The test
skips only when bovine-herd cannot be installed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bovine import BovineServer, serving
from tests.support.cluster import Cluster
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ours(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstanceProcess]:
    name = asyncio.run(cluster.create_database())
    running = InstanceProcess(tmp_path_factory.mktemp("ours"), database_url=cluster.url(name)).start()
    try:
        running.wait_ready()
        running.cli("actor", "create", "loyers", "--group")
        running.cli("actor", "create", "alice")
        yield running
    finally:
        running.stop()
        asyncio.run(cluster.drop_database(name))


@pytest.fixture(scope="module")
def bovine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovineServer]:
    yield from serving(tmp_path_factory)


def _follows(instance: InstanceProcess, *args: str) -> list[list[str]]:
    """id, follower, state, followee: the actors by their URL."""
    rows = json.loads(instance.cli("follows", "list", *args, "--json").stdout)
    return [[str(row["id"]), row["follower_url"], row["state"], row["followee_url"]] for row in rows]


def _received_text(instance: InstanceProcess, name: str) -> str:
    return "\n".join(
        json.dumps(row["activity"]) for row in json.loads(instance.cli("inbox", "--as", name, "--json").stdout)
    )


async def test_bovine_user_follows_our_group_and_receives_its_note(
    ours: InstanceProcess, bovine: BovineServer, tmp_path: Path
) -> None:
    user = await bovine.create_user("milou")
    group = f"{ours.base}/actors/loyers"
    await bovine.follow(user, group)
    pending = await asyncio.to_thread(
        eventually, lambda: [f for f in _follows(ours, "--pending") if f[1] == user.actor_id], what="bovine follow"
    )
    assert await bovine.following(user) == []
    ours.cli("follows", "approve", pending[0][0])
    await bovine.wait_for_ids(lambda: bovine.following(user), group)

    note_id = ours.cli("note", "--as", "loyers", "Loyer médian : 812 €/mois").stdout.strip()

    def carries_note(item: dict[str, object]) -> bool:
        obj = item.get("object")
        return (isinstance(obj, dict) and obj.get("id") == note_id) or obj == note_id

    received = await bovine.wait_for_inbox(user, carries_note)
    actor = received["actor"]
    assert (actor.get("id") if isinstance(actor, dict) else actor) == group


async def test_our_member_follows_a_bovine_user_and_receives_its_post(
    ours: InstanceProcess, bovine: BovineServer
) -> None:
    user = await bovine.create_user("tintin")
    ours.cli("follow", "--as", "alice", user.actor_id)
    await bovine.wait_for_inbox(user, lambda item: item.get("type") == "Follow")
    assert await bovine.accept_follows(user) == [f"{ours.base}/actors/alice"]
    await asyncio.to_thread(
        eventually, lambda: [f for f in _follows(ours, "--as", "alice") if f[2] == "accepted"], what="accepted"
    )
    created = await bovine.post_note(user, "Bonjour de bovine")
    await asyncio.to_thread(
        eventually, lambda: "Bonjour de bovine" in _received_text(ours, "alice"), what="bovine post reaching alice"
    )
    assert created
