"""A domain trusted at 0 is blocked: its claims are kept to be seen but never counted, and our group does not relay
them to its followers, as it does other domains' claims."""

from __future__ import annotations

from fedi.domains import host_of
from ledger import claims
from tests.inbox.conftest import World
from tests.inbox.test_claim_ids import like, our_figure
from tests.support.remote_server import RemoteServer


async def _announced(world: World) -> list[str]:
    rows = await world.pool.fetch(
        "SELECT document->'object'->>'id' AS inner FROM outbox WHERE document->>'type' = 'Announce' ORDER BY id"
    )
    return [row["inner"] for row in rows]


async def test_claims_from_a_blocked_domain_are_not_relayed(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    _, figure = await our_figure(world)
    alice, bob = remote.actor("alice"), elsewhere.actor("bob")
    await claims.set_trust(world.pool, host_of(alice.id), 0)
    assert await claims.blocked(world.pool, host_of(alice.id).upper())
    assert not await claims.blocked(world.pool, host_of(bob.id))
    blocked_like, other_like = f"{alice.id}/likes/1", f"{bob.id}/likes/1"
    assert (await world.deliver(alice, like(alice.id, figure, blocked_like))).status_code == 202
    assert (await world.deliver(bob, like(bob.id, figure, other_like))).status_code == 202
    await world.process()
    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE actor = $1", alice.id) == 1
    assert await _announced(world) == [other_like]
