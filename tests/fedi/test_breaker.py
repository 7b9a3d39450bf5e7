from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fedi.breaker import TRIP_AFTER, UNREACHABLE_AFTER, HostHealth, failure, success

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_circuit_opens_after_consecutive_failures_and_backs_off() -> None:
    health = HostHealth("down.example")
    for index in range(TRIP_AFTER - 1):
        health = failure(health, NOW + timedelta(seconds=index))
        assert not health.is_open(NOW + timedelta(seconds=index))
    health = failure(health, NOW)
    assert health.is_open(NOW + timedelta(seconds=30))
    assert not health.is_open(NOW + timedelta(seconds=61))
    first_open = health.open_until
    health = failure(health, NOW)
    assert health.open_until is not None
    assert first_open is not None
    assert health.open_until - NOW > first_open - NOW


def test_unreachable_after_days_of_failure_and_reset_on_success() -> None:
    health = failure(HostHealth("gone.example"), NOW)
    assert not health.unreachable(NOW + timedelta(days=1))
    later = NOW + UNREACHABLE_AFTER
    health = failure(health, later)
    assert health.unreachable(later)
    health = success(health, later)
    assert not health.unreachable(later + timedelta(days=10))
    assert health.consecutive_failures == 0
    assert not health.is_open(later)
