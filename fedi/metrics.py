"""Prometheus metrics at ``/metrics``, for whoever holds the token.

What is about work shared by every process (deliveries, the job queue, parked inbox rows, consensus updates) is
read from the database at scrape time, so that any web process answers for all of them and a worker needs no port:
counting in each process would give as many partial answers as there are processes. Those queries are bounded —
an index, a primary key's maximum, or PostgreSQL's own estimate once a table is large — and run under a statement
timeout, so a scrape never weighs on the database. What only a process knows (its requests, its caches) is counted
in memory; those series are per process, and Prometheus sums them over its targets.

Without ``CHIFFRES_METRICS_TOKEN`` there is no ``/metrics`` (404): counts of traffic and queues are nobody else's
business. With it, the scraper sends ``Authorization: Bearer <token>``, compared in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from fedi.database import SUSPECT, UNAVAILABLE, Connection, Pool
from fedi.queue import queries_on

logger = logging.getLogger(__name__)

PATH = "/metrics"
SCRAPE_TIMEOUT = 5.0  # seconds for all the database's answers; past it the scrape says the database is down
STATEMENT_TIMEOUT = "2s"
#: Up to this many rows (PostgreSQL's estimate) a table is counted exactly; past it, the planner's estimate is used.
EXACT_ROWS = 200_000
DELIVERY_STATES = ("pending", "delivered", "failed", "skipped")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Called at each scrape: what a process counted, by label value.
Counts = Callable[[], Mapping[str, int]]
_AWAY: tuple[type[Exception], ...] = (TimeoutError, *UNAVAILABLE, *SUSPECT)


@dataclass(frozen=True)
class Sources:
    """In-process counts a scrape reports: parsed-key cache results and where verification keys came from."""

    key_cache: Counts = dict
    key_lookups: Counts = dict


@dataclass
class Traffic:
    """Counters of this process's requests; filled by :meth:`answered`."""

    inboxes: frozenset[str]
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        self.requests = Counter(
            "chiffres_http_requests",
            "HTTP requests answered by this process, by method, route template and status class.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.inbox = Counter(
            "chiffres_inbox_requests",
            "POSTs to an inbox answered by this process, by status (202 accepted, 401 unverified, ...).",
            ["status"],
            registry=self.registry,
        )
        self._counters: dict[tuple[str, str | None, int], tuple[Counter, ...]] = {}

    def answered(self, scope: Scope, status: int) -> None:
        """Count an answered request (``fedi.logs.AccessLog`` calls this) under the route that served it, never
        the raw path: a path per figure or per stranger's probe would make a series each, without bound."""
        route = scope.get("route")  # set by Starlette's router (or the inbox door) on the scope we share with it
        self.record(scope["method"], getattr(route, "path", None), status)

    def record(self, method: str, route: str | None, status: int) -> None:
        """Count one answer. The labelled series are looked up once and kept: ``labels()`` costs more than the
        increment, and there are few series (methods × route templates × status classes)."""
        slot = (method if method in _METHODS else "OTHER", route, status)  # a stranger's method is not a key
        counters = self._counters.get(slot)
        if counters is None:
            counters = self._counters[slot] = self._series(*slot)
        for counter in counters:
            counter.inc()

    def _series(self, method: str, route: str | None, status: int) -> tuple[Counter, ...]:
        found = [self.requests.labels(method, route or "unmatched", f"{status // 100}xx")]
        if method == "POST" and route in self.inboxes:
            found.append(self.inbox.labels(str(status)))
        return tuple(found)


class Metrics:
    """The ``/metrics`` route of one application: its request counters, its in-process sources, its database."""

    def __init__(
        self,
        pool: Pool,
        token: str | None,
        *,
        inboxes: Iterable[str],
        sources: Sources | None = None,
        exact_rows: int = EXACT_ROWS,
    ) -> None:
        self._pool = pool
        self._token = token
        self.traffic = Traffic(frozenset(inboxes))
        self._sources = sources or Sources()
        self._exact_rows = exact_rows

    def routes(self) -> list[Route]:
        return [Route(PATH, self.endpoint)] if self._token else []

    async def endpoint(self, request: Request) -> Response:
        if not self._authorised(request.headers.get("authorization", "")):
            return PlainTextResponse("a bearer token is required", 401, headers={"WWW-Authenticate": "Bearer"})
        families = [*_in_process(self._sources), *await self.database_families()]
        body = generate_latest(_Scrape(self.traffic.registry, families))
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    def _authorised(self, header: str) -> bool:
        scheme, _, credentials = header.partition(" ")
        if not self._token or scheme.lower() != "bearer":  # the scheme is no secret
            return False
        # Digests of equal length, compared in constant time: neither the first wrong byte nor the length shows.
        offered, expected = (hashlib.sha256(text.encode()).digest() for text in (credentials, self._token))
        return hmac.compare_digest(offered, expected)

    async def database_families(self) -> list[Metric]:
        up = GaugeMetricFamily("chiffres_metrics_database_up", "1 when the database answered this scrape's queries.")
        started = time.monotonic()
        try:
            families = await asyncio.wait_for(self._read(), SCRAPE_TIMEOUT)
        except _AWAY as error:
            # A slow database is news; one that is away is already in the log, once, from the supervisor.
            level = logging.WARNING if isinstance(error, TimeoutError) else logging.DEBUG
            logger.log(level, "metrics: the database did not answer: %s", error or type(error).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        took = GaugeMetricFamily("chiffres_metrics_database_seconds", "Time this scrape's database queries took.")
        took.add_metric([], time.monotonic() - started)
        return [up, took, *families]

    async def _read(self) -> list[Metric]:
        async with self._pool.acquire() as connection, connection.transaction(readonly=True):
            await connection.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
            return [
                *await _queue(connection),
                await _deliveries(connection, self._exact_rows),
                *await _inbox(connection, self._exact_rows),
                *await _consensus(connection),
            ]


class _Scrape(Collector):
    """The process's registry and what was read for this scrape, as one collector for the text format."""

    def __init__(self, registry: CollectorRegistry, families: Iterable[Metric]) -> None:
        self._registry = registry
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
        yield from self._families


def _in_process(sources: Sources) -> list[Metric]:
    cache = CounterMetricFamily(
        "chiffres_signature_key_cache",
        "Public keys looked up in this process's cache of parsed keys, by result (hit or miss).",
        labels=["result"],
    )
    for result, count in sorted(sources.key_cache().items()):
        cache.add_metric([result], count)
    lookups = CounterMetricFamily(
        "chiffres_signature_keys",
        "Keys fetched to verify a signature in this process, by where they were found (memory, database, network).",
        labels=["source"],
    )
    for source, count in sorted(sources.key_lookups().items()):
        lookups.add_metric([source], count)
    return [cache, lookups]


async def _queue(connection: Connection) -> list[Metric]:
    """Jobs by kind and status, and how long the oldest job that is due has waited. pgqueuer deletes jobs once
    done, so the table holds only live (and held failed) jobs: a full count is bounded by the backlog itself."""
    table = queries_on(connection).qbe.qualified.queue_table
    rows = await connection.fetch(
        f"SELECT entrypoint, status::text AS status, count(*) AS jobs, extract(epoch FROM now() - min(execute_after)"
        f" FILTER (WHERE status = 'queued' AND execute_after <= now())) AS waited FROM {table}"
        " GROUP BY entrypoint, status"
    )
    jobs = GaugeMetricFamily("chiffres_queue_jobs", "Jobs in the queue, by kind and status.", labels=["kind", "status"])
    age = GaugeMetricFamily(
        "chiffres_queue_oldest_job_age_seconds",
        "How long the oldest queued job that is due has been waiting, by kind (absent: none waiting).",
        labels=["kind"],
    )
    waited: dict[str, float] = {}
    for row in rows:
        jobs.add_metric([row["entrypoint"], row["status"]], row["jobs"])
        if row["waited"] is not None:
            waited[row["entrypoint"]] = max(waited.get(row["entrypoint"], 0.0), float(row["waited"]))
    for kind, seconds in sorted(waited.items()):
        age.add_metric([kind], max(seconds, 0.0))
    return [jobs, age]


async def _deliveries(connection: Connection, exact_rows: int) -> Metric:
    family = GaugeMetricFamily(
        "chiffres_deliveries",
        "Delivery rows (one per activity and inbox) by state; estimated once the table is large.",
        labels=["state"],
    )
    large = await _large(connection, "deliveries", exact_rows)
    for state in DELIVERY_STATES:
        # Pending ones have a partial index, so they are always counted exactly.
        exact = state == "pending" or not large
        family.add_metric([state], await _count(connection, "deliveries", f"state = '{state}'", exact=exact))
    return family


async def _inbox(connection: Connection, exact_rows: int) -> list[Metric]:
    rows = GaugeMetricFamily(
        "chiffres_inbox_activities",
        "Received activities waiting to be processed, and parked ones (failed every attempt; see the log).",
        labels=["state"],
    )
    waiting = "processed_at IS NULL AND parked_at IS NULL"  # the drain's own partial index
    rows.add_metric(["waiting"], await _count(connection, "inbox_activities", waiting, exact=True))
    parked = "processed_at IS NULL AND parked_at IS NOT NULL"
    large = await _large(connection, "inbox_activities", exact_rows)
    rows.add_metric(["parked"], await _count(connection, "inbox_activities", parked, exact=not large))
    received = CounterMetricFamily("chiffres_inbox_received", "Activities accepted and stored by an inbox.")
    received.add_metric([], await _issued(connection, "inbox_activities"))
    return [rows, received]


async def _consensus(connection: Connection) -> list[Metric]:
    updates = CounterMetricFamily("chiffres_consensus_updates", "Consensus changes this instance published.")
    updates.add_metric([], await _issued(connection, "consensus_history"))
    last = await connection.fetchval("SELECT extract(epoch FROM at) FROM consensus_history ORDER BY id DESC LIMIT 1")
    latest = GaugeMetricFamily(
        "chiffres_consensus_last_update_timestamp_seconds", "When the latest consensus change was published."
    )
    if last is not None:
        latest.add_metric([], float(last))
    return [updates, latest]


async def _issued(connection: Connection, table: str) -> float:
    """Rows ever inserted, read from the primary key's maximum (one index probe): a counter that a deletion does
    not lower. Ids of rolled-back inserts are skipped, so it may run a little ahead."""
    found = await connection.fetchval(f"SELECT max(id) FROM {table}")
    return float(found or 0)


async def _large(connection: Connection, table: str, exact_rows: int) -> bool:
    """Whether PostgreSQL's own estimate of the table's rows (-1 before its first ANALYZE) is past the limit."""
    estimate = await connection.fetchval("SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)", table)
    return estimate is not None and float(estimate) > exact_rows


async def _count(connection: Connection, table: str, condition: str, *, exact: bool) -> float:
    """``count(*)`` of the rows matching ``condition`` (a constant of ours), or the planner's estimate of it."""
    if exact:
        return float(await connection.fetchval(f"SELECT count(*) FROM {table} WHERE {condition}"))
    plan = await connection.fetchval(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE {condition}")
    return float(_plan_rows(plan))


def _plan_rows(plan: object) -> float:
    if isinstance(plan, str):
        plan = json.loads(plan)
    if isinstance(plan, list) and plan and isinstance(plan[0], dict):
        rows = plan[0].get("Plan", {}).get("Plan Rows", 0)
        return float(rows) if isinstance(rows, int | float) else 0.0
    return 0.0
