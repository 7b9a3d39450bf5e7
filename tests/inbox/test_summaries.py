"""A peer's summary is dated by us: one dated 2099 cannot stand forever against the peer's later summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.inbox.conftest import JSON, World
from tests.inbox.test_claim_ids import our_figure
from tests.support.remote_server import AS2, RemoteActor, RemoteServer


def _summary(peer: RemoteActor, remote: RemoteServer, figure: str, count: int, published: str, number: int) -> JSON:
    return {
        "@context": AS2,
        "id": f"{peer.id}/summaries/{number}",
        "type": "Update",
        "actor": peer.id,
        "published": published,
        "to": [f"{peer.id}/followers"],
        "object": {
            "id": f"{peer.id}/summaries/s",
            "type": "ConsensusSummary",
            "figure": figure,
            "origin": remote.host,
            "value": 812.0,
            "low": 800.0,
            "high": 820.0,
            "weight": 1.0,
            "count": count,
            "made": published,
        },
    }


async def test_a_summary_dated_in_the_future_is_dated_at_its_receipt(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)
    peer = remote.actor("instance")
    await world.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{world.urls.instance_actor()}/follows/peer",
        world.urls.instance_actor(),
        peer.id,
    )
    assert (await world.deliver(peer, _summary(peer, remote, figure, 1, "2099-01-01T00:00:00Z", 1))).status_code == 202
    assert await world.process() == ["summary replaced"]
    made = await world.pool.fetchval("SELECT made_at FROM summaries WHERE figure_uri = $1", figure)
    assert made <= datetime.now(UTC)

    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert (await world.deliver(peer, _summary(peer, remote, figure, 2, later, 2))).status_code == 202
    assert await world.process() == ["summary replaced"]
    assert await world.pool.fetchval("SELECT count FROM summaries WHERE figure_uri = $1", figure) == 2
