"""Per-host health: a circuit breaker for hosts failing now, and a record of hosts gone for days.

After ``TRIP_AFTER`` consecutive failures a host's circuit opens for a cool-down that doubles with each further
failure (capped at an hour): deliveries to it wait instead of hammering a dead server, and do not count as
attempts. A host that has failed without a single success for ``UNREACHABLE_AFTER`` is recorded as unreachable:
deliveries to it are skipped until one succeeds (a follow, a fetch, an incoming delivery can reset it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

TRIP_AFTER = 5
COOL_DOWN = timedelta(seconds=60)
MAX_COOL_DOWN = timedelta(hours=1)
UNREACHABLE_AFTER = timedelta(days=3)


@dataclass(frozen=True)
class HostHealth:
    domain: str
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_success_at: datetime | None = None
    open_until: datetime | None = None

    def unreachable(self, now: datetime) -> bool:
        if self.first_failure_at is None:
            return False
        return now - self.first_failure_at >= UNREACHABLE_AFTER

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until


def success(health: HostHealth, now: datetime) -> HostHealth:
    return HostHealth(health.domain, last_success_at=now)


def failure(health: HostHealth, now: datetime) -> HostHealth:
    failures = health.consecutive_failures + 1
    open_until = health.open_until
    if failures >= TRIP_AFTER:
        cool_down = min(COOL_DOWN * (2 ** (failures - TRIP_AFTER)), MAX_COOL_DOWN)
        open_until = now + cool_down
    return replace(
        health,
        consecutive_failures=failures,
        first_failure_at=health.first_failure_at or now,
        last_failure_at=now,
        open_until=open_until,
    )
