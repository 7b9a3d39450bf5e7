"""Per-host health: a circuit breaker for hosts failing now, and a record of hosts gone for days.

After ``TRIP_AFTER`` consecutive failures a host's circuit opens for a cool-down that doubles with each further
failure (capped at an hour): deliveries to it wait instead of hammering a dead server, and do not count as
attempts. A host that has failed without a single success for ``UNREACHABLE_AFTER`` is recorded as unreachable:
deliveries to it are skipped until one succeeds (a follow, a fetch, an incoming delivery can reset it).
:class:`Hosts` keeps that record in the ``hosts`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fedi.batch import Batch
from fedi.database import Connection, Pool
from fedi.types import Clock

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


def healthy(health: HostHealth) -> bool:
    """Nothing to record: no failure since the last success, no open circuit."""
    return health.consecutive_failures == 0 and health.first_failure_at is None and health.open_until is None


class Hosts:
    """Host health as deliveries see it: read through a short in-process cache, written only when it changes.

    Every delivery asks for its host's health and reports its outcome. Writing the host's row on each success made
    concurrent deliveries to one host queue behind each other's row lock; a success now writes only when it ends a
    run of failures (recovery), and a failure writes its count, each in a short transaction of its own, never in
    the delivery's. ``last_success_at`` is therefore the time of the last recovery. Another worker's writes are
    seen within ``fresh``.
    """

    def __init__(self, pool: Pool, clock: Clock, *, fresh: timedelta = timedelta(seconds=30)) -> None:
        self._pool = pool
        self._clock = clock
        self._fresh = fresh
        self._known: dict[str, tuple[HostHealth, datetime]] = {}
        self._reads: Batch[str, HostHealth] = Batch(self._read)

    async def health(self, domain: str) -> HostHealth:
        now = self._clock()
        known = self._known.get(domain)
        if known is not None and now - known[1] < self._fresh:
            return known[0]
        health = await self._reads(domain)
        self._keep(health, now)
        return health

    async def _read(self, domains: list[str]) -> list[HostHealth]:
        rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM hosts WHERE domain = ANY($1::text[])", domains)
        found = {row["domain"]: HostHealth(**dict(row)) for row in rows}
        return [found.get(domain) or HostHealth(domain) for domain in domains]

    async def succeeded(self, domain: str, now: datetime) -> None:
        if healthy(await self.health(domain)):
            return
        async with self._pool.acquire() as connection:
            await _save(connection, success(HostHealth(domain), now))
        self._keep(success(HostHealth(domain), now), self._clock())

    async def failed(self, domain: str, now: datetime) -> HostHealth:
        """Count one more failure, from the row as it is now (other workers count too)."""
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM hosts WHERE domain = $1 FOR UPDATE", domain)
            health = failure(HostHealth(**dict(row)) if row else HostHealth(domain), now)
            await _save(connection, health)
        self._keep(health, self._clock())
        return health

    def _keep(self, health: HostHealth, now: datetime) -> None:
        if len(self._known) >= _KEPT and health.domain not in self._known:
            self._known = {domain: kept for domain, kept in self._known.items() if now - kept[1] < self._fresh}
        self._known[health.domain] = (health, now)


_KEPT = 10_000  # hosts remembered before the stale ones are dropped
_COLUMNS = "domain, consecutive_failures, first_failure_at, last_failure_at, last_success_at, open_until"


async def _save(connection: Connection, health: HostHealth) -> None:
    await connection.execute(
        "INSERT INTO hosts (domain, consecutive_failures, first_failure_at, last_failure_at, last_success_at,"
        " open_until) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (domain) DO UPDATE SET"
        " consecutive_failures = excluded.consecutive_failures, first_failure_at = excluded.first_failure_at,"
        " last_failure_at = excluded.last_failure_at,"
        " last_success_at = coalesce(excluded.last_success_at, hosts.last_success_at),"
        " open_until = excluded.open_until",
        health.domain,
        health.consecutive_failures,
        health.first_failure_at,
        health.last_failure_at,
        health.last_success_at,
        health.open_until,
    )
