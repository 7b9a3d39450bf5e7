"""A peer's giant number is refused where it comes in, with its reason kept as the activity's outcome.

The red-team's claim of 400 digits was stored, became infinity once read as a float, and froze the consensus of
its figure. A correction object beyond the bounds is rejected, a figure beyond them ignored, and a reply whose
text holds one claims nothing; none of them reaches the claims or the figures.
"""

from __future__ import annotations

from typing import Any

import pytest

import figures.correction_text as correction_text
from fedi.normalise import PUBLIC
from figures.units import UnitReading, read_unit_prefix
from tests.inbox.conftest import JSON, World
from tests.inbox.test_claim_ids import our_figure
from tests.inbox.test_received_figures import _figure_note
from tests.support.remote_server import AS2, RemoteServer

GIANT = "1" + "0" * 400


async def _our_figure(world: World) -> str:
    """A figure that marie, an approved member of the group, published into it."""
    return (await our_figure(world))[1]


def _reply(remote: RemoteServer, actor: str, figure: str, number: int, **extra: Any) -> JSON:
    note = {
        "id": f"{remote.base}/notes/{number}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": figure,
        "content": "<p>plutôt ceci</p>",
        "to": [PUBLIC],
        **extra,
    }
    return {
        "@context": AS2,
        "id": f"{remote.base}/activities/{number}",
        "type": "Create",
        "actor": actor,
        "object": note,
        "to": [PUBLIC],
    }


async def _corrections(world: World) -> int:
    return int(await world.pool.fetchval("SELECT count(*) FROM claims WHERE kind = 'correct'"))


async def test_a_correction_of_400_digits_is_rejected_with_its_reason(world: World, remote: RemoteServer) -> None:
    figure = await _our_figure(world)
    alice = remote.actor("alice")
    correction = {"type": "Correction", "value": GIANT, "unit": {"code": "EUR/month"}}

    answer = await world.deliver(alice, _reply(remote, alice.id, figure, 1, correction=correction))

    assert answer.status_code == 202, answer.text
    [outcome] = await world.process()
    assert outcome.startswith("rejected: correction value: too long for a number"), outcome
    assert await _corrections(world) == 0


async def test_a_correction_beyond_the_bounds_once_converted_is_rejected(world: World, remote: RemoteServer) -> None:
    figure = await _our_figure(world)
    alice = remote.actor("alice")
    correction = {"type": "Correction", "value": "999999999999999", "unit": {"code": "EUR/day"}}

    await world.deliver(alice, _reply(remote, alice.id, figure, 4, correction=correction))

    [outcome] = await world.process()
    assert outcome == "rejected: correction value: more than 15 digits before the decimal mark", outcome
    assert await _corrections(world) == 0


async def test_a_correction_within_the_bounds_still_counts(world: World, remote: RemoteServer) -> None:
    figure = await _our_figure(world)
    alice = remote.actor("alice")
    correction = {"type": "Correction", "value": "905", "unit": {"code": "EUR/month"}}

    await world.deliver(alice, _reply(remote, alice.id, figure, 2, correction=correction))

    [outcome] = await world.process()
    assert "claim correct 905" in outcome, outcome
    assert await _corrections(world) == 1


async def test_a_reply_whose_text_holds_400_digits_claims_nothing(world: World, remote: RemoteServer) -> None:
    figure = await _our_figure(world)
    alice = remote.actor("alice")

    await world.deliver(alice, _reply(remote, alice.id, figure, 3, content=f"<p>plutôt {GIANT} €</p>"))

    [outcome] = await world.process()
    assert "no claim" in outcome, outcome
    assert await _corrections(world) == 0


async def test_a_200_kb_reply_of_ones_is_read_in_bounded_work(
    world: World, remote: RemoteServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It took hours, in the event loop: every number handed the rest of the text to the unit reader. The spy
    stops a reading that hands it more than the 2 000 characters read, so that the old reading fails here at once."""
    figure = await _our_figure(world)
    alice = remote.actor("alice")
    handed: list[int] = []

    def spied(text: str) -> tuple[UnitReading, int] | None:
        assert len(text) <= 2000, f"the unit reader was handed {len(text)} characters"
        handed.append(len(text))
        return read_unit_prefix(text)

    monkeypatch.setattr(correction_text, "read_unit_prefix", spied)
    reply = _reply(remote, alice.id, figure, 5, content="<p>" + "1 " * 100_000 + "</p>")

    assert (await world.deliver(alice, reply)).status_code == 202
    [outcome] = await world.process()
    assert "no claim" in outcome, outcome
    assert 0 < len(handed) <= 1000


async def test_a_figure_of_400_digits_from_a_peer_is_not_stored(world: World, remote: RemoteServer) -> None:
    peer = remote.actor("peer")
    note = _figure_note(remote, peer.id, "812")
    note["figure"]["value"] = GIANT
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.base}/activities/giant",
        "type": "Create",
        "actor": peer.id,
        "object": note,
        "to": [PUBLIC, world.urls.actor("marie")],
    }

    assert (await world.deliver(peer, create)).status_code == 202
    [outcome] = await world.process()
    assert outcome.startswith("stored; figure ignored: figure: value: too long for a number"), outcome
    assert await world.pool.fetchval("SELECT count(*) FROM figures") == 0
    assert await world.pool.fetchval("SELECT count(*) FROM claims") == 0
