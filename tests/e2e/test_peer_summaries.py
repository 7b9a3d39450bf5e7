"""Two peer instances exchange their consensus summaries once per change, not back and forth for ever.

A summary received from a peer runs the receiver's consensus, and the receiver's own summary was sent after every
run: between any two peers the same summary went back and forth without end (about 16 Updates a second each way,
measured, for as long as both ran). Here A's members-only group has ana and B's bea, A and B are peers, ana
publishes and bea endorses; once both are at rest, no summary moves any more.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.cluster import Cluster
from tests.support.fleet import endorsed_between_peers, fleet
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

_SENT = "SELECT count(*) FROM outbox WHERE document->'object'->>'type' = 'ConsensusSummary'"
_PENDING = (
    "SELECT (SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL)"
    " + (SELECT count(*) FROM deliveries WHERE state = 'pending')"
    " + (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL)"
)


@pytest.fixture(scope="module")
def peers(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InstanceProcess, ...]]:
    with fleet(cluster, tmp_path_factory, ["peera", "peerb"]) as running:
        yield running["peera"], running["peerb"]


def _sent(instance: InstanceProcess) -> int:
    [(count,)] = instance.rows(_SENT)
    assert isinstance(count, int)
    return count


def _at_rest(instance: InstanceProcess) -> bool:
    [(pending,)] = instance.rows(_PENDING)
    return pending == 0


def test_peers_send_a_summary_once_per_change(peers: tuple[InstanceProcess, ...]) -> None:
    a, b = peers
    endorsed_between_peers(a, b)
    eventually(lambda: _sent(b) >= 1, what="B's summary of bea's endorsement")
    eventually(lambda: _at_rest(a) and _at_rest(b), what="A and B at rest")

    sent = _sent(a), _sent(b)
    time.sleep(3)  # a loop sends dozens in this time; at rest, nothing is due

    assert (_sent(a), _sent(b)) == sent
    assert sent[0] <= 3
    assert sent[1] <= 3
    a.cli("consensus", "recompute")  # a run with nothing new sends nothing either
    time.sleep(1)
    assert (_sent(a), _sent(b)) == sent
