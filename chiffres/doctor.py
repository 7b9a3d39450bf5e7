"""``chiffres doctor``: what an admin checks before opening an instance, and when something seems wrong.

Each check says ok, warn or fail in one line; any fail makes the command exit non-zero, so that a deployment
script can stop on it. Checks that need the database are left out when it cannot be reached: the database line
already says why. Everything that may wait on the network (the database, DNS) has a deadline, and the blocking
resolver runs in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import shutil
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import psutil

from fedi.config import Settings
from fedi.database import Connection, Database, DatabaseUnavailable, borrow
from fedi.migrator import applied, available

Level = Literal["ok", "warn", "fail"]
Opener = Callable[[], Awaitable[Database]]
Resolver = Callable[[str], Awaitable[set[str]]]

DATABASE_TIMEOUT = 15.0
DNS_TIMEOUT = 3.0
SKEW_WARN = 5.0  # seconds between our clock and the database's: signatures are refused past a few minutes
SKEW_FAIL = 120.0
QUEUE_AGE_WARN = 300.0  # seconds a job has been due without a worker taking it
DISK_FAIL = 200 * 1024 * 1024
DISK_WARN = 2 * 1024 * 1024 * 1024
OLDEST_POSTGRESQL = 140000  # what the instance is tested on
# Names that cannot be anybody's public domain (RFC 2606, RFC 6761, mDNS).
_PRIVATE_SUFFIXES = (".localhost", ".local", ".test", ".example", ".invalid", ".internal", ".lan")


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, level: Level, detail: str) -> None:
        self.checks.append(Check(name, level, detail))

    @property
    def failed(self) -> bool:
        return any(check.level == "fail" for check in self.checks)


async def examine(
    settings: Settings,
    open_database: Opener,
    *,
    resolve: Resolver | None = None,
    local_addresses: Callable[[], set[str]] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Report:
    report = Report()
    domain = settings.domain
    database = await _open(report, open_database)
    if database is not None:
        try:
            async with borrow(database.pool) as connection:
                domain = domain or await _recorded(connection)
                await _database(report, connection)
                await _migrations(report, connection)
                await _queue(report, connection)
                await _clock(report, connection, clock)
        finally:
            await database.close()
    _configuration(report, settings, domain)
    if domain is not None:
        await _dns(report, domain, resolve or resolve_host, local_addresses or machine_addresses)
    _disk(report, settings.data_dir)
    order = ("configuration", "database", "migrations", "queue", "clock", "dns", "disk")
    report.checks.sort(key=lambda check: order.index(check.name))
    return report


def _configuration(report: Report, settings: Settings, domain: str | None) -> None:
    if domain is None:
        report.add("configuration", "fail", "no domain: set CHIFFRES_DOMAIN (no instance is recorded yet)")
    elif settings.dev:
        report.add("configuration", "warn", f"development mode (CHIFFRES_DEV=1): http://{domain}, not for peers")
    elif is_private_name(domain):
        report.add("configuration", "fail", f"{domain} is not a public domain; peers cannot reach it")
    else:
        report.add("configuration", "ok", f"production, https://{domain}")


def is_private_name(domain: str) -> bool:
    host = domain.rpartition(":")[0] if domain.count(":") == 1 else domain
    if host == "localhost" or host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


async def _open(report: Report, open_database: Opener) -> Database | None:
    try:
        return await asyncio.wait_for(open_database(), DATABASE_TIMEOUT)
    except DatabaseUnavailable as error:
        report.add("database", "fail", str(error))
    except TimeoutError:
        report.add("database", "fail", f"no answer within {DATABASE_TIMEOUT:g} s")
    return None


async def _recorded(connection: Connection) -> str | None:
    if await connection.fetchval("SELECT to_regclass('instance_settings')") is None:
        return None
    value = await connection.fetchval("SELECT value FROM instance_settings WHERE key = 'domain'")
    return None if value is None else str(value)


async def _database(report: Report, connection: Connection) -> None:
    number = int(await connection.fetchval("SHOW server_version_num"))
    text = str(await connection.fetchval("SHOW server_version")).split()[0]
    if number < OLDEST_POSTGRESQL:
        report.add("database", "warn", f"PostgreSQL {text}: older than the 14 the instance is tested on")
    else:
        report.add("database", "ok", f"PostgreSQL {text}")


async def _migrations(report: Report, connection: Connection) -> None:
    done = await applied(connection)
    ours = {migration.version for migration in available()}
    missing, unknown = sorted(ours - done), sorted(done - ours)
    if unknown:
        report.add(
            "migrations",
            "fail",
            f"the database has migrations this version lacks ({unknown[-1]:04d}): a newer chiffres ran on it",
        )
    elif missing:
        report.add("migrations", "fail", f"{len(missing)} pending (from {missing[0]:04d}): run chiffres db migrate")
    else:
        report.add("migrations", "ok", f"all {len(ours)} applied (last {max(ours):04d})")


async def _queue(report: Report, connection: Connection) -> None:
    if await connection.fetchval("SELECT to_regclass('pgqueuer')") is None:
        report.add("queue", "fail", "the job queue is not installed: run chiffres db migrate")
        return
    row = await connection.fetchrow(
        "SELECT count(*) AS depth, extract(epoch FROM now() - min(execute_after)) AS age FROM pgqueuer"
        " WHERE status = 'queued' AND execute_after <= now()"
    )
    assert row is not None
    depth, age = int(row["depth"]), float(row["age"] or 0)
    detail = f"{depth} jobs due" + (f", the oldest for {age:.0f} s" if depth else "")
    if age > QUEUE_AGE_WARN:
        report.add("queue", "warn", detail + ": is a worker running? (chiffres worker, or serve without --no-worker)")
    else:
        report.add("queue", "ok", detail)


async def _clock(report: Report, connection: Connection, clock: Callable[[], datetime]) -> None:
    before = clock()
    theirs: datetime = await connection.fetchval("SELECT now()")
    after = clock()
    skew = abs((theirs - (before + (after - before) / 2)).total_seconds())
    detail = f"{skew:.1f} s from the database's clock"
    if skew > SKEW_FAIL:
        report.add("clock", "fail", detail + ": peers refuse signatures dated that far off; sync with NTP")
    elif skew > SKEW_WARN:
        report.add("clock", "warn", detail + ": sync this machine with NTP")
    else:
        report.add("clock", "ok", detail)


async def resolve_host(host: str) -> set[str]:
    """The addresses ``host`` resolves to, by the system resolver, in a daemon thread: it blocks, and a resolver that
    hangs must hold neither the event loop nor, once the check has given up on it, the command's exit."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[set[str]] = loop.create_future()

    def settle(result: set[str] | OSError) -> None:
        if answer.done():
            return
        if isinstance(result, OSError):
            answer.set_exception(result)
        else:
            answer.set_result(result)

    def work() -> None:
        result: set[str] | OSError
        try:
            result = {str(entry[4][0]) for entry in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except OSError as error:
            result = error
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result)

    threading.Thread(target=work, name="doctor-dns", daemon=True).start()
    return await answer


def machine_addresses() -> set[str]:
    return {
        address.address.split("%")[0]
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family in (socket.AF_INET, socket.AF_INET6)
    }


async def _dns(report: Report, domain: str, resolve: Resolver, local: Callable[[], set[str]]) -> None:
    host = domain.rpartition(":")[0] if domain.count(":") == 1 else domain
    reason = "no address"
    try:
        found = await asyncio.wait_for(resolve(host), DNS_TIMEOUT)
    except TimeoutError:
        found, reason = set(), f"no answer within {DNS_TIMEOUT:g} s"
    except OSError as error:
        found, reason = set(), str(error.strerror or error)
    if not found:
        report.add("dns", "fail", f"{host} does not resolve: {reason}")
        return
    shown = ", ".join(sorted(found))
    if found & local():
        report.add("dns", "ok", f"{host} → {shown}, this machine")
    else:
        report.add("dns", "warn", f"{host} → {shown}, not this machine (right only behind a proxy or balancer)")


def _disk(report: Report, data_dir: Path) -> None:
    place = data_dir.resolve()
    while not place.exists() and place != place.parent:
        place = place.parent
    usage = shutil.disk_usage(place)
    detail = f"{_size(usage.free)} free of {_size(usage.total)} at {place}"
    if usage.free < DISK_FAIL:
        report.add("disk", "fail", detail)
    elif usage.free < DISK_WARN or usage.free < usage.total * 0.05:
        report.add("disk", "warn", detail)
    else:
        report.add("disk", "ok", detail)


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1024:
            return f"{count:.0f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"


def as_text(report: Report) -> str:
    """A header, then one tab-separated line per check."""
    return "level\tcheck\tdetail\n" + "".join(f"{c.level}\t{c.name}\t{c.detail}\n" for c in report.checks)


def as_json(report: Report) -> str:
    checks: Iterable[Check] = report.checks
    return (
        json.dumps({"ok": not report.failed, "checks": [asdict(check) for check in checks]}, ensure_ascii=False) + "\n"
    )
