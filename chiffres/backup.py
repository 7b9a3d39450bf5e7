"""Moving an instance to another machine or version: every row that makes it the same instance to its peers, as
NDJSON (``chiffres export``), and back into an empty database (``chiffres import``, in :mod:`chiffres.restore`).

pg_dump is the routine backup; this format exists for a move across PostgreSQL versions, machines or releases,
where a dump of one version's tables may not load into another's. It is one JSON document a line: a header
(format, version, domain, schema — the last migration applied — and when), the admin's files of the data
directory (the charter, the reciprocity policy), one ``{"kind": TABLE, "row": {...}}`` line per row, and a closing
line with the count, so that a truncated file is refused rather than half restored.

What is exported: the tables in :data:`EXPORTED`, in an order that satisfies their foreign keys — the identity
(``instance_settings``), local actors and their keys (private keys included: without them the domain can never
federate again, since peers cache public keys by id), accounts, tokens (hashes only), moderators, follows, relay
subscriptions, the outbox and local objects (ids and collections stay what peers have seen), what was received
(inbox activities and items, remote objects, reactions), figures and their versions, claims, trust, known domains,
domain blocks and reports, consensus and its history, peers' summaries and the last ones sent to them, relay
bookkeeping, requests and the reciprocity ledger.

What is not (:data:`DERIVED`): caches fetched again on demand (``remote_actors``, ``remote_keys``), in-flight work
and its bookkeeping, which belongs to the queue that is not moved (``deliveries``, ``hosts``, ``consensus_pending``,
pgqueuer's tables), what each process writes when it starts (``charter_current``), short windows
(``signin_failures``, ``periodic_leases``), counters that triggers keep (``collection_counts``) and the migrations'
own record. Generated columns are computed again on import. A table that is in neither list stops the export with
one line: a backup that silently leaves a table out is not one.

The export reads in one REPEATABLE READ, read-only transaction, so that it is one consistent moment even while the
instance runs, and streams each table through a server-side cursor, so that memory stays bounded whatever its
size; PostgreSQL writes each row's JSON (``row_to_json``), which keeps numbers and documents exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from fedi.database import Connection
from ledger import reciprocity_policy
from ledger.charter import FILES as CHARTER_FILES

FORMAT = "chiffres-export"
VERSION = 1
BATCH = 2000  # rows a cursor fetches at a time
DATA_FILES: tuple[str, ...] = (*CHARTER_FILES.values(), reciprocity_policy.FILE)

EXPORTED: tuple[str, ...] = (
    "instance_settings",
    "actors",
    "actor_keys",
    "accounts",
    "one_time_tokens",
    "api_tokens",
    "group_moderators",
    "featured",
    "follows",
    "relay_subscriptions",
    "outbox",
    "local_objects",
    "inbox_activities",
    "inbox_items",
    "remote_objects",
    "reactions",
    "figures",
    "figure_versions",
    "claims",
    "trust",
    "domains",
    "domain_blocks",
    "reports",
    "consensus",
    "consensus_history",
    "summaries",
    "shared_summaries",
    "relays",
    "requests",
    "reciprocity_events",
)
DERIVED: Mapping[str, str] = {
    "schema_migrations": "the target database records its own migrations",
    "remote_actors": "a cache of remote actor documents, fetched again on demand",
    "remote_keys": "a cache of remote public keys, fetched again on demand",
    "deliveries": "the bookkeeping of queued deliveries, whose jobs are not moved",
    "hosts": "per-host delivery health, learnt again from the next deliveries",
    "consensus_pending": "computations waiting in the queue, which is not moved",
    "charter_current": "written by every process at start from the charter files",
    "signin_failures": "a window of failed sign-ins, minutes long",
    "periodic_leases": "which worker runs a periodic pass now, minutes long",
    "collection_counts": "totals kept by triggers on outbox and follows, counted again as their rows go in",
}
QUEUE_PREFIX = "pgqueuer"  # the job queue's own tables: in-flight work is not moved
# Column types the format carries, by PostgreSQL type name; anything else is refused when exporting.
TYPES = frozenset(
    {"int2", "int4", "int8", "text", "varchar", "bool", "jsonb", "json", "timestamptz", "date", "numeric", "float8"}
    | {"float4", "_text"}
)


class BackupError(Exception):
    """The export or import cannot go on; the message is one line for the admin."""


class Tally(Protocol):
    """Where an export or import reports how far it is (a progress bar, or nothing)."""

    def total(self, count: int) -> None: ...

    def advance(self, count: int) -> None: ...


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    generated: frozenset[str] = frozenset()

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


@dataclass(frozen=True)
class Header:
    domain: str
    schema: int
    exported_at: datetime
    version: int = VERSION

    def line(self) -> str:
        return _line(
            {
                "format": FORMAT,
                "version": self.version,
                "domain": self.domain,
                "schema": self.schema,
                "exported_at": self.exported_at.isoformat(),
            }
        )


def _line(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def table_names(connection: Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [str(row["relname"]) for row in rows]


def unclassified(names: list[str]) -> list[str]:
    """Tables this version neither exports nor knows to be derived."""
    known = set(EXPORTED) | set(DERIVED)
    return [name for name in names if name not in known and not name.startswith(QUEUE_PREFIX)]


async def describe(connection: Connection, name: str) -> Table:
    """A table's stored columns, the ones it computes (generated: never exported, computed again), its primary key."""
    rows = await connection.fetch(
        "SELECT a.attname, t.typname, a.attgenerated <> '' AS generated FROM pg_attribute a"
        " JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        _quoted(name),
    )
    key = await connection.fetch(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)",
        _quoted(name),
    )
    columns = tuple(Column(str(row["attname"]), str(row["typname"])) for row in rows if not row["generated"])
    generated = frozenset(str(row["attname"]) for row in rows if row["generated"])
    return Table(name, columns, tuple(str(row["attname"]) for row in key), generated)


async def schema_version(connection: Connection) -> int:
    """The last migration applied: what the rows' shape is."""
    if await connection.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    return int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def recorded_domain(connection: Connection) -> str | None:
    if await connection.fetchval("SELECT to_regclass('instance_settings')") is None:
        return None
    value = await connection.fetchval("SELECT value FROM instance_settings WHERE key = 'domain'")
    return None if value is None else str(value)


def data_files(data_dir: Path) -> Iterator[tuple[str, str]]:
    """What the admin wrote in the data directory, if anything: the charter, whose version is what members
    accepted, and the reciprocity policy that decides who keeps access."""
    for name in DATA_FILES:
        path = data_dir / name
        if path.is_file():
            yield name, path.read_text(encoding="utf-8")


async def export(
    connection: Connection, out: TextIO, *, data_dir: Path, now: datetime, tally: Tally | None = None
) -> int:
    """Write the whole instance to ``out``; returns how many rows were written.

    ``connection`` must be a plain connection of its own: the export holds one transaction open throughout.
    """
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        await connection.execute("SET LOCAL TimeZone = 'UTC'")
        names = await table_names(connection)
        unknown = unclassified(names)
        if unknown:
            raise BackupError(f"this version does not know how to export table(s) {', '.join(unknown)}")
        domain = await recorded_domain(connection)
        if domain is None:
            raise BackupError("this database holds no instance yet (no domain recorded): nothing to export")
        tables = [await describe(connection, name) for name in EXPORTED if name in names]
        for table in tables:
            odd = [f"{column.name} ({column.type})" for column in table.columns if column.type not in TYPES]
            if odd:
                raise BackupError(f"table {table.name}: column type not supported by the export: {', '.join(odd)}")
        if tally is not None:
            counts = [int(await connection.fetchval(f"SELECT count(*) FROM {_quoted(t.name)}")) for t in tables]
            tally.total(sum(counts))
        out.write(Header(domain, await schema_version(connection), now.astimezone(UTC)).line())
        for name, text in data_files(data_dir):
            out.write(_line({"kind": "file", "name": name, "text": text}))
        written = 0
        for table in tables:
            written += await _rows(connection, table, out, tally)
        out.write(_line({"kind": "end", "records": written}))
    return written


async def _rows(connection: Connection, table: Table, out: TextIO, tally: Tally | None) -> int:
    columns = ", ".join(_quoted(column.name) for column in table.columns)
    order = f" ORDER BY {', '.join(_quoted(name) for name in table.key)}" if table.key else ""
    query = f"SELECT row_to_json(r)::text AS line FROM (SELECT {columns} FROM {_quoted(table.name)}{order}) AS r"
    prefix = '{"kind":' + json.dumps(table.name) + ',"row":'
    written = 0
    async for record in connection.cursor(query, prefetch=BATCH):
        out.write(prefix + record["line"] + "}\n")
        written += 1
        if tally is not None and written % 500 == 0:
            tally.advance(500)
    if tally is not None:
        tally.advance(written % 500)
    return written
