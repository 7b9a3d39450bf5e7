"""A peer cannot put a figure into one of our groups, nor take over another actor's figure on its own host.

Only our own publication puts a figure in a local group: a remote Note whose ``audience`` names our group is
stored, if at all, as a remote figure of no local group, and never relayed by our group. An Update or a Delete
of a figure counts only from its ``attributedTo`` or from the group that sent its Create: another account on the
same host proves nothing by being there.
"""

from __future__ import annotations

from typing import Any

from fedi.normalise import PUBLIC
from tests.inbox.conftest import World
from tests.inbox.test_received_figures import _figure_note
from tests.support.remote_server import RemoteActor, RemoteServer

AS2 = "https://www.w3.org/ns/activitystreams"
JSON = dict[str, Any]


def _activity(kind: str, actor: RemoteActor, obj: object, world: World, number: int) -> JSON:
    return {
        "@context": AS2,
        "id": f"{actor.id}/activities/{kind.lower()}-{number}",
        "type": kind,
        "actor": actor.id,
        "object": obj,
        "to": [PUBLIC, world.urls.actor("marie")],
    }


async def test_a_remote_figure_naming_our_group_as_audience_stays_outside_it(
    world: World, remote: RemoteServer
) -> None:
    peer = remote.actor("peer")
    note = _figure_note(remote, peer.id, "812")
    note["audience"] = world.group
    assert (await world.deliver(peer, _activity("Create", peer, note, world, 1))).status_code == 202
    await world.process()
    row = await world.pool.fetchrow("SELECT group_uri, group_id FROM figures WHERE uri = $1", note["id"])
    assert row is not None
    assert row["group_uri"] is None
    assert row["group_id"] is None
    await world.flush()
    relayed = await world.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE actor_id = (SELECT id FROM actors WHERE name = 'loyers')"
        " AND document->>'type' <> 'Create'"
    )
    assert relayed == 0


async def _stored_figure(world: World, remote: RemoteServer) -> tuple[RemoteActor, JSON]:
    author = remote.actor("author")
    note = _figure_note(remote, author.id, "812")
    assert (await world.deliver(author, _activity("Create", author, note, world, 1))).status_code == 202
    assert await world.process() == ["stored; figure version 1"]
    return author, note


async def test_another_account_of_the_same_host_cannot_update_a_figure(world: World, remote: RemoteServer) -> None:
    _, note = await _stored_figure(world, remote)
    intruder = remote.actor("intruder")
    forged = _figure_note(remote, note["attributedTo"], "1")
    forged["figure"]["version"] = 2
    forged["updated"] = "2026-05-03T09:30:00Z"
    assert (await world.deliver(intruder, _activity("Update", intruder, forged, world, 2))).status_code == 202
    await world.process()
    row = await world.pool.fetchrow("SELECT version, value FROM figures WHERE uri = $1", note["id"])
    assert row is not None
    assert (row["version"], str(row["value"])) == (1, "812")


async def test_another_account_of_the_same_host_cannot_delete_a_figure(world: World, remote: RemoteServer) -> None:
    _, note = await _stored_figure(world, remote)
    intruder = remote.actor("intruder")
    assert (await world.deliver(intruder, _activity("Delete", intruder, note["id"], world, 3))).status_code == 202
    await world.process()
    assert await world.pool.fetchval("SELECT deleted_at IS NULL FROM figures WHERE uri = $1", note["id"])


async def test_the_author_still_updates_and_deletes_its_figure(world: World, remote: RemoteServer) -> None:
    author, note = await _stored_figure(world, remote)
    newer = _figure_note(remote, author.id, "845")
    newer["figure"]["version"] = 2
    newer["updated"] = "2026-05-03T09:30:00Z"
    assert (await world.deliver(author, _activity("Update", author, newer, world, 2))).status_code == 202
    await world.process()
    assert await world.pool.fetchval("SELECT version FROM figures WHERE uri = $1", note["id"]) == 2
    assert (await world.deliver(author, _activity("Delete", author, note["id"], world, 3))).status_code == 202
    await world.process()
    assert await world.pool.fetchval("SELECT deleted_at IS NOT NULL FROM figures WHERE uri = $1", note["id"])
