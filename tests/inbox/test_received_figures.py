"""Figures from peers are stored with their origin and versions; invalid ones are ignored with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fedi.normalise import PUBLIC
from figures.figure import build_figure
from figures.note import note_object
from tests.inbox.conftest import World
from tests.support.remote_server import RemoteServer

PUBLISHED = datetime(2026, 5, 2, 9, 30, tzinfo=UTC)


def _figure_note(remote: RemoteServer, actor_id: str, value: str, *, version_of: Any = None) -> dict[str, Any]:
    figure = build_figure(
        {
            "value": value,
            "unit": "€/mois",
            "measures": "loyer médian T2",
            "place": "Lyon",
            "period": "2026-Q2",
            "source": "https://observatoire.example/loyers",
        }
    )
    return note_object(
        figure,
        note_id=f"{remote.base}/objects/f1",
        author=actor_id,
        url=f"{remote.base}/objects/f1",
        to=[PUBLIC],
        cc=[],
        published=PUBLISHED,
        updated=None,
        default_language="fr",
        status_line=None,
        tag_url=lambda tag: f"{remote.base}/tags/{tag}",
    )


async def test_a_figure_note_is_stored_as_a_figure(world: World, remote: RemoteServer) -> None:
    peer = remote.actor("peer")
    note = _figure_note(remote, peer.id, "812")
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.base}/activities/c1",
        "type": "Create",
        "actor": peer.id,
        "object": note,
        "to": [PUBLIC, world.urls.actor("marie")],
    }
    assert (await world.deliver(peer, create)).status_code == 202
    outcomes = await world.process()
    assert outcomes == ["stored; figure version 1"], outcomes
    row = await world.pool.fetchrow("SELECT origin, author, version, value, audience FROM figures")
    assert row is not None
    assert row["origin"] == remote.base.split("://")[1]
    assert row["version"] == 1
    assert str(row["value"]) == "812"
    assert row["audience"] == "public"


async def test_an_invalid_figure_is_ignored_with_its_reason(world: World, remote: RemoteServer) -> None:
    peer = remote.actor("peer")
    note = _figure_note(remote, peer.id, "812")
    note["figure"]["value"] = "1e3"
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.base}/activities/c2",
        "type": "Create",
        "actor": peer.id,
        "object": note,
        "to": [PUBLIC, world.urls.actor("marie")],
    }
    assert (await world.deliver(peer, create)).status_code == 202
    [outcome] = await world.process()
    assert outcome.startswith("stored; figure ignored: figure.value")
    assert await world.pool.fetchval("SELECT count(*) FROM figures") == 0


def _group_figure(remote: RemoteServer, group: str, contributor: str | None, value: str = "812") -> dict[str, Any]:
    """A figure as a peer's group now sends it: attributed to the group, crediting the member who contributed it."""
    note = _figure_note(remote, group, value)
    note["audience"] = group
    if contributor is not None:
        note["figure"]["contributor"] = contributor
    return note


def _sent(kind: str, actor: str, note: dict[str, Any], world: World, number: int) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{kind.lower()}-{number}",
        "type": kind,
        "actor": actor,
        "object": note,
        "to": [PUBLIC, world.urls.actor("marie")],
    }


async def _author_and_claimants(world: World, uri: str) -> tuple[tuple[str, str | None], list[str]]:
    row = await world.pool.fetchrow("SELECT author, group_uri FROM figures WHERE uri = $1", uri)
    assert row is not None
    claimants = await world.pool.fetch("SELECT actor FROM claims WHERE figure_uri = $1 AND kind = 'publish'", uri)
    return (row["author"], row["group_uri"]), [claim["actor"] for claim in claimants]


async def test_a_peer_groups_figure_is_its_contributors(world: World, remote: RemoteServer) -> None:
    group, member = remote.actor("cercle"), remote.actor("ana")
    note = _group_figure(remote, group.id, member.id)
    assert (await world.deliver(group, _sent("Create", group.id, note, world, 1))).status_code == 202
    assert await world.process() == ["stored; figure version 1"]
    assert await _author_and_claimants(world, note["id"]) == ((member.id, group.id), [member.id])


async def test_a_contributor_on_another_host_is_not_believed(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, stranger = remote.actor("cercle"), elsewhere.actor("someone")
    note = _group_figure(remote, group.id, stranger.id)
    assert (await world.deliver(group, _sent("Create", group.id, note, world, 1))).status_code == 202
    assert await world.process() == ["stored; figure version 1"]
    assert await _author_and_claimants(world, note["id"]) == ((group.id, group.id), [group.id])


async def test_only_the_group_attributed_the_figure_may_name_its_contributor(
    world: World, remote: RemoteServer
) -> None:
    group, member, other = remote.actor("cercle"), remote.actor("ana"), remote.actor("other")
    note = _figure_note(remote, member.id, "812")  # the older form: attributed to the member, sent by the group
    note["audience"] = group.id
    note["figure"]["contributor"] = other.id
    assert (await world.deliver(group, _sent("Create", group.id, note, world, 1))).status_code == 202
    assert await world.process() == ["stored; figure version 1"]
    assert await _author_and_claimants(world, note["id"]) == ((member.id, group.id), [member.id])


async def test_a_figure_first_attributed_to_its_member_takes_the_groups_updates(
    world: World, remote: RemoteServer
) -> None:
    group, member = remote.actor("cercle"), remote.actor("ana")
    older = _figure_note(remote, member.id, "812")
    older["audience"] = group.id
    assert (await world.deliver(group, _sent("Create", group.id, older, world, 1))).status_code == 202
    assert await world.process() == ["stored; figure version 1"]
    newer = _group_figure(remote, group.id, member.id, "845")
    newer["figure"]["version"] = 2
    newer["updated"] = "2026-05-03T09:30:00Z"
    assert (await world.deliver(group, _sent("Update", group.id, newer, world, 2))).status_code == 202
    assert await world.process() == ["updated; figure version 2"]
    assert await _author_and_claimants(world, older["id"]) == ((member.id, group.id), [member.id, member.id])
