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
