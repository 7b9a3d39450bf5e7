"""What `consensus show` prints: the engine's floating point, said without its noise."""

from __future__ import annotations

from ledger.explanation import significant


def test_a_consensus_is_shown_without_floating_point_noise() -> None:
    assert significant(845.0000000000001) == 845.0
    assert significant(0.1 + 0.2) == 0.3
    assert significant(1234.56789) == 1234.56789
    assert significant(None) is None
