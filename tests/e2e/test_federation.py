"""Three instances as separate ``chiffres serve`` processes, talking over real HTTP with real signatures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.fleet import fleet
from tests.support.process import InstanceProcess
from tests.support.strict_receiver import StrictReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
AP = {"Accept": "application/activity+json"}


@pytest.fixture(scope="module")
def trio(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, InstanceProcess]]:
    with fleet(cluster, tmp_path_factory, "abc") as instances:
        instances["a"].cli("actor", "create", "alice")
        instances["b"].cli("actor", "create", "loyers", "--group", "--display-name", "Loyers")
        instances["c"].cli("actor", "create", "carol")
        yield instances


async def _deliveries_of(instance: InstanceProcess, note_id: str) -> tuple[str, int] | None:
    """("done", number of deliveries) once the note's Create was fanned out on ``instance``, else None."""
    connection = await connect(instance.env["CHIFFRES_DATABASE_URL"])
    try:
        row = await connection.fetchrow(
            "SELECT o.activity_id, o.fanned_out_at FROM outbox o WHERE o.document->'object'->>'id' = $1", note_id
        )
        if row is None or row["fanned_out_at"] is None:
            return None
        count = await connection.fetchval("SELECT count(*) FROM deliveries WHERE activity_id = $1", row["activity_id"])
        return "done", int(count)
    finally:
        await connection.close()


def follows(instance: InstanceProcess, *args: str) -> list[list[str]]:
    """id, follower, state, followee: the actors by their URL."""
    rows = json.loads(instance.cli("follows", "list", *args, "--json").stdout)
    return [[str(row["id"]), row["follower_url"], row["state"], row["followee_url"]] for row in rows]


def received(instance: InstanceProcess, name: str) -> list[dict[str, object]]:
    output = instance.cli("inbox", "--as", name, "--json", "--limit", "100").stdout
    return [row["activity"] for row in json.loads(output)]


def received_object_ids(instance: InstanceProcess, name: str) -> set[str]:
    ids = set()
    for activity in received(instance, name):
        obj = activity.get("object")
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            ids.add(obj["id"])
    return ids


def followers_total(instance: InstanceProcess, name: str) -> int:
    return int(httpx.get(f"{instance.base}/actors/{name}/followers", headers=AP).json()["totalItems"])


def test_follow_approve_post_undo_and_revoke(trio: dict[str, InstanceProcess]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    group_handle = f"loyers@{b.domain}"
    alice = f"{a.base}/actors/alice"
    carol = f"{c.base}/actors/carol"

    a.cli("follow", "--as", "alice", group_handle)
    pending = eventually(lambda: [f for f in follows(b, "--pending") if f[1] == alice], what="pending follow on B")
    assert pending[0][2] == "pending"
    assert [f[2] for f in follows(a, "--as", "alice")] == ["pending"]
    assert followers_total(b, "loyers") == 0

    b.cli("follows", "approve", pending[0][0], "--as", "loyers")
    eventually(lambda: [f for f in follows(a, "--as", "alice") if f[2] == "accepted"], what="alice's follow accepted")
    assert followers_total(b, "loyers") == 1

    note_id = b.cli("note", "--as", "loyers", "Loyer médian T2 : 812 €/mois").stdout.strip()
    eventually(lambda: note_id in received_object_ids(a, "alice"), what="the note reaching alice")

    unsigned = httpx.get(note_id, headers=AP)
    assert unsigned.status_code == 404, "a followers-only note must not be served unsigned"

    c.cli("follow", "--as", "carol", group_handle)
    carol_follow = eventually(lambda: [f for f in follows(b, "--pending") if f[1] == carol], what="carol pending")
    b.cli("follows", "approve", carol_follow[0][0])
    eventually(lambda: [f for f in follows(c, "--as", "carol") if f[2] == "accepted"], what="carol accepted")
    b.cli("follows", "reject", carol_follow[0][0])
    eventually(lambda: [f for f in follows(c, "--as", "carol") if f[2] == "rejected"], what="carol revoked")
    assert followers_total(b, "loyers") == 1

    second = b.cli("note", "--as", "loyers", "Loyer médian T3 : 1 030 €/mois").stdout.strip()
    eventually(lambda: second in received_object_ids(a, "alice"), what="the second note reaching alice")
    assert second not in received_object_ids(c, "carol")
    assert note_id not in received_object_ids(c, "carol")

    a.cli("unfollow", "--as", "alice", group_handle)
    eventually(lambda: followers_total(b, "loyers") == 0, what="alice's Undo reaching B")
    third = b.cli("note", "--as", "loyers", "Loyer médian T4").stdout.strip()
    public = b.cli("note", "--as", "loyers", "--visibility", "public", "Note publique").stdout.strip()
    assert httpx.get(public, headers=AP).status_code == 200
    fanned = eventually(lambda: asyncio.run(_deliveries_of(b, third)), what="the fan-out of the third note")
    assert fanned == ("done", 0), "after the Undo, B schedules no delivery of a followers-only note"
    assert third not in received_object_ids(a, "alice")


def test_a_strict_mastodon_family_server_shows_the_groups_notes(trio: dict[str, InstanceProcess]) -> None:
    """The same delivery path, read by a server that refuses what Takahē refuses: every note shows, none refused."""
    b = trio["b"]
    strict = StrictReceiver().start()
    try:
        strict.follow(f"@loyers@{b.domain}")
        pending = eventually(
            lambda: [f for f in follows(b, "--pending") if f[1] == strict.user_id], what="the strict follow on B"
        )
        b.cli("follows", "approve", pending[0][0], "--as", "loyers")
        eventually(lambda: set(strict.following().values()) == {"accepted"}, what="the group's Accept")
        note_id = b.cli("note", "--as", "loyers", "Loyer médian T1 : 790 €/mois").stdout.strip()
        shown = eventually(lambda: strict.timeline().get(note_id), what="the note on the strict server's timeline")
        assert shown is not None
        assert "790" in shown.text
        assert strict.refusals() == []
        assert strict.software().get(b.domain) == "chiffres-ensemble"
    finally:
        strict.stop()
