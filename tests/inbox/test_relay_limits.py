"""A group relays an actor's claims at a bounded rate, and the latest one always in the end.

The red-team's flood: 335 likes from one actor made the group send 335 Announces to every follower inbox. Now a
group relays one claim per actor and figure per window; what arrives inside the window waits for one deferred job,
which relays the actor's latest claim. Claims count here at once either way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox.relay import RELAY, Relayer, RelayPolicy, wait
from tests.inbox.conftest import World
from tests.inbox.test_claim_ids import like, our_figure
from tests.support.remote_server import RemoteServer

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
POLICY = RelayPolicy(window=timedelta(minutes=5), per_hour=3)


def test_the_first_claim_goes_at_once_and_the_next_waits_for_the_window() -> None:
    assert wait(None, [], NOW, POLICY) == timedelta(0)
    assert wait(NOW - timedelta(minutes=2), [], NOW, POLICY) == timedelta(minutes=3)
    assert wait(NOW - timedelta(minutes=6), [], NOW, POLICY) == timedelta(0)


def test_an_actor_relayed_on_many_figures_waits_for_the_hour() -> None:
    hour = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=30), NOW - timedelta(minutes=10)]
    assert wait(None, hour, NOW, POLICY) == timedelta(minutes=10)
    assert wait(None, hour[1:], NOW, POLICY) == timedelta(0)
    assert wait(None, [NOW - timedelta(minutes=70), *hour[1:]], NOW, POLICY) == timedelta(0)


async def _announces(world: World) -> list[str]:
    rows = await world.pool.fetch(
        "SELECT document->'object'->>'id' AS inner FROM outbox WHERE document->>'type' = 'Announce' ORDER BY id"
    )
    return [row["inner"] for row in rows]


async def test_a_flood_of_likes_from_one_actor_is_relayed_once_then_its_latest(
    world: World, remote: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    alice = remote.actor("alice")
    likes = [f"{alice.id}/likes/{number}" for number in range(40)]
    for like_id in likes:
        assert (await world.deliver(alice, like(alice.id, figure, like_id))).status_code == 202
    outcomes = await world.process()
    assert len(outcomes) == 40
    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE actor = $1", alice.id) == 40
    assert await _announces(world) == [likes[0]]
    jobs = await world.pool.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = $1", RELAY)
    assert len(jobs) == 1, "one deferred relay, however many claims wait"

    # The window ends: the deferred job relays alice's latest claim, once.
    later = datetime.now(UTC) + timedelta(minutes=6)
    handler = Relayer(world.pool, world.urls, lambda: later)
    payload = {"group": "loyers", "figure": figure, "actor": alice.id, "public": False}
    await handler(payload)
    await handler(payload)
    assert await _announces(world) == [likes[0], likes[-1]]
