"""A reply arriving in the inbox is read against the figure's value and its current consensus: a bare number far
from both is no correction, one near the consensus is, and a written value far from both is kept, flagged."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.inbox.conftest import JSON, World
from tests.inbox.test_claim_ids import our_figure
from tests.support.remote_server import AS2, RemoteServer


def reply(actor: str, figure: str, number: int, group: str, content: str) -> JSON:
    note = {
        "id": f"{actor}/notes/{number}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": figure,
        "content": f"<p>{content}</p>",
        "to": [group],
    }
    return {"@context": AS2, "id": f"{note['id']}/activity", "type": "Create", "actor": actor, "object": note}


async def test_a_bare_number_is_judged_against_the_consensus(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)  # 812 €/mois
    alice = remote.actor("alice")
    assert (await world.deliver(alice, reply(alice.id, figure, 1, world.group, "plutôt 2 600"))).status_code == 202
    [outcome] = await world.process()
    assert "no claim" in outcome, outcome
    await world.pool.execute(
        "INSERT INTO consensus (figure_uri, value, low, high, status, agreement, n_eff, contributors, domains,"
        " computed_at) VALUES ($1, 2500, 2400, 2600, 'corrected', 1, 3, 3, 2, $2)",
        figure,
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    assert (await world.deliver(alice, reply(alice.id, figure, 2, world.group, "plutôt 2 600"))).status_code == 202
    [outcome] = await world.process()
    assert "claim correct 2600 (parsed)" in outcome, outcome
    assert "implausible" not in outcome


async def test_a_written_value_far_from_the_figure_is_flagged(world: World, remote: RemoteServer) -> None:
    _, figure = await our_figure(world)
    alice = remote.actor("alice")
    assert (await world.deliver(alice, reply(alice.id, figure, 3, world.group, "plutôt 5 €/mois"))).status_code == 202
    [outcome] = await world.process()
    assert "(implausible)" in outcome, outcome
    assert await world.pool.fetchval("SELECT implausible FROM claims WHERE actor = $1", alice.id) is True
