"""``chiffres import``: an export (:mod:`chiffres.backup`) loaded into an empty database, all or nothing.

Only into an empty database: merging two instances' rows would mix two sets of ids and keys, and there is no
right answer to which wins. The file is checked line by line while it is loaded, in one transaction: a bad line
stops the import with its number and nothing is written. Rows go in by COPY in batches; sequences then start
after the highest id restored, so that new rows never take an id peers already know.

An export from an older schema is accepted as long as its fields still map onto columns of ours (a column added
since takes its default; a column that is now generated is computed again); one from a newer schema is refused,
since its rows may mean what this version cannot know. Numbers inside documents keep their exact text. What was
published but not yet sent to followers when the export was made is queued to be sent again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import asyncpg

from actors.outbox import FANOUT
from chiffres.backup import (
    DATA_FILES,
    EXPORTED,
    FORMAT,
    VERSION,
    BackupError,
    Column,
    Table,
    Tally,
    describe,
    recorded_domain,
)
from fedi import queue
from fedi.database import Connection

BATCH = 1000  # rows per COPY
MAX_LINE = 64 * 1024 * 1024  # one row of ours is at most a few documents; a longer line is not an export of ours
Decoder = Callable[[Any], Any]
_JSON = json.JSONDecoder(parse_float=Decimal)  # numbers keep their exact text


@dataclass(frozen=True)
class Restored:
    domain: str
    schema: int
    rows: int
    files: tuple[str, ...]
    resent: int  # activities published before the export and not yet sent to followers: queued again


@dataclass(frozen=True)
class _Plan:
    columns: tuple[Column, ...]
    names: tuple[str, ...]


@dataclass
class _Batch:
    table: Table
    columns: tuple[str, ...]
    first_line: int
    rows: list[tuple[Any, ...]] = field(default_factory=list)


async def check_empty(connection: Connection, domain: str) -> None:
    """Refuse a database that already holds an instance, or rows of one (one line, before anything is written)."""
    actors = int(await connection.fetchval("SELECT count(*) FROM actors"))
    if actors:
        raise BackupError(
            f"this database already holds an instance ({actors} local actors); import only into an empty database"
        )
    recorded = await recorded_domain(connection)
    if recorded is not None and recorded != domain:
        raise BackupError(f"this database was created for {recorded!r}; the export is of {domain!r}")
    for name in EXPORTED:
        if name != "instance_settings" and await connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{name}")'):
            raise BackupError(f"this database is not empty (table {name} has rows); import only into an empty one")


async def restore(
    connection: Connection,
    lines: Iterable[bytes],
    *,
    schema: int,
    domain: str | None,
    data_dir: Path,
    tally: Tally | None = None,
) -> Restored:
    """Load ``lines`` (an export, read as it comes) into the empty database ``connection`` is open on.

    ``schema`` is the newest migration this version knows; ``domain``, when set, is the one the settings name,
    which the export must be of. The admin's files (charter, policy) are written to ``data_dir`` once the rows are
    committed.
    """
    numbered = enumerate(lines, start=1)
    header = _header(next(numbered, (1, b""))[1], schema)
    if domain is not None and domain != header.domain:
        raise BackupError(f"the export is of {header.domain!r}, the settings name {domain!r} (CHIFFRES_DOMAIN)")
    await check_empty(connection, header.domain)
    files: dict[str, str] = {}
    async with connection.transaction():
        await connection.execute("DELETE FROM instance_settings")
        loader = _Loader(connection, tally)
        for number, raw in numbered:
            document = _parse(number, raw)
            kind = document.get("kind")
            if kind == "end":
                await loader.flush()
                if document.get("records") != loader.rows:
                    raise BackupError(
                        f"line {number}: the export says {document.get('records')!r} rows, read {loader.rows}"
                    )
                await _reset_sequences(connection, loader.tables.values())
                resent = await _fan_out_again(connection)
                break
            if kind == "file":
                name, text = _file(number, document, data_dir)
                files[name] = text
                continue
            await loader.add(number, document)
        else:
            raise BackupError("the file ends without its closing line: a truncated export (nothing was imported)")
    for name, text in files.items():
        (data_dir / name).write_text(text, encoding="utf-8")
    return Restored(header.domain, header.schema, loader.rows, tuple(files), resent)


@dataclass(frozen=True)
class _Header:
    domain: str
    schema: int


def _header(raw: bytes, schema: int) -> _Header:
    document = _parse(1, raw)
    if document.get("format") != FORMAT:
        raise BackupError(f"line 1: not a {FORMAT} file (no header)")
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise BackupError(f"line 1: format version {version!r} is newer than this version reads ({VERSION})")
    theirs, domain = document.get("schema"), document.get("domain")
    if not isinstance(theirs, int) or not isinstance(domain, str) or not domain:
        raise BackupError("line 1: the header has no schema version or domain")
    if theirs > schema:
        raise BackupError(
            f"the export comes from schema {theirs:04d}, newer than this version's {schema:04d}: upgrade chiffres first"
        )
    return _Header(domain, theirs)


def _parse(number: int, raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_LINE:
        raise BackupError(f"line {number}: longer than {MAX_LINE // (1024 * 1024)} MB")
    try:
        document = _JSON.decode(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"line {number}: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise BackupError(f"line {number}: not a JSON object")
    return document


def _file(number: int, document: dict[str, Any], data_dir: Path) -> tuple[str, str]:
    """An admin's file: written only where none is, or the same one is, so that no admin's text is overwritten."""
    name, text = document.get("name"), document.get("text")
    if not isinstance(name, str) or name not in DATA_FILES or not isinstance(text, str):
        raise BackupError(f"line {number}: a file record names none of {', '.join(DATA_FILES)}")
    path = data_dir / name
    if path.exists() and path.read_text(encoding="utf-8") != text:
        raise BackupError(f"line {number}: {path} exists and differs from the exported one; move it away first")
    return name, text


class _Loader:
    """Rows of consecutive lines of one table, decoded and sent by COPY in batches."""

    def __init__(self, connection: Connection, tally: Tally | None) -> None:
        self._connection = connection
        self._tally = tally
        self._batch: _Batch | None = None
        self.tables: dict[str, Table] = {}
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self.rows = 0

    async def add(self, number: int, document: dict[str, Any]) -> None:
        kind, row = document.get("kind"), document.get("row")
        if kind not in EXPORTED or not isinstance(row, dict):
            raise BackupError(f"line {number}: unknown record {str(kind)[:40]!r}")
        table = await self._table(kind)
        fields = tuple(row)
        plan = self._plans.get((kind, fields)) or self._plan(number, table, fields)
        values = tuple(_decode(number, kind, column, row[column.name]) for column in plan.columns)
        batch = self._batch
        if batch is None or batch.table.name != kind or batch.columns != plan.names or len(batch.rows) >= BATCH:
            await self.flush()
            batch = self._batch = _Batch(table, plan.names, number)
        batch.rows.append(values)
        self.rows += 1

    def _plan(self, number: int, table: Table, fields: tuple[str, ...]) -> _Plan:
        """The columns rows with these fields fill: a field now generated is dropped, an unknown one refused."""
        columns = []
        for name in fields:
            column = table.column(name)
            if column is not None:
                columns.append(column)
            elif name not in table.generated:
                raise BackupError(f"line {number}: {table.name} has no column {name[:40]!r} in this version")
        plan = self._plans[(table.name, fields)] = _Plan(tuple(columns), tuple(column.name for column in columns))
        return plan

    async def flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None or not batch.rows:
            return
        last = batch.first_line + len(batch.rows) - 1
        try:
            await self._connection.copy_records_to_table(
                batch.table.name, records=batch.rows, columns=list(batch.columns)
            )
        except (asyncpg.PostgresError, asyncpg.DataError) as error:
            where = f"line {batch.first_line}" if last == batch.first_line else f"lines {batch.first_line}-{last}"
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise BackupError(f"{where} ({batch.table.name}): {message}") from None
        if self._tally is not None:
            self._tally.advance(len(batch.rows))

    async def _table(self, name: str) -> Table:
        if name not in self.tables:
            self.tables[name] = await describe(self._connection, name)
        return self.tables[name]


def _decode(number: int, table: str, column: Column, value: Any) -> Any:
    if value is None:
        return None
    try:
        return _DECODERS[column.type](value)
    except (ValueError, TypeError, InvalidOperation, KeyError):
        shown = json.dumps(value, default=str)[:60]
        raise BackupError(f"line {number}: {table}.{column.name}: {shown} is not a {column.type} value") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(value)
    return Decimal(value)


def _float(value: Any) -> float:
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    return float(_number(value))


def _timestamp(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


def _texts(value: Any) -> list[str | None]:
    if not isinstance(value, list):
        raise TypeError(value)
    return [None if item is None else _text(item) for item in value]


def _document(value: Any) -> str:
    """A document as JSON text again; numbers parsed as decimals are written back as they were read."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except TypeError:
        return _dump(value)


def _dump(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + _dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


_DECODERS: dict[str, Decoder] = {
    "int2": _integer,
    "int4": _integer,
    "int8": _integer,
    "text": _text,
    "varchar": _text,
    "bool": _boolean,
    "jsonb": _document,
    "json": _document,
    "timestamptz": _timestamp,
    "date": lambda value: date.fromisoformat(_text(value)),
    "numeric": _number,
    "float8": _float,
    "float4": _float,
    "_text": _texts,
}


async def _reset_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """Every serial column's sequence continues after the highest id restored."""
    for table in tables:
        for column in table.columns:
            sequence = await connection.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", f'"{table.name}"', column.name
            )
            if sequence is not None:
                await connection.execute(
                    f'SELECT setval($1, coalesce((SELECT max("{column.name}") FROM "{table.name}"), 1),'
                    f' (SELECT max("{column.name}") FROM "{table.name}") IS NOT NULL)',
                    sequence,
                )


async def _fan_out_again(connection: Connection) -> int:
    """Queue the fan-out of what was published but not yet sent when the export was made: its job stayed behind
    with the old queue. Receivers drop an activity id they already have, should some of it have gone out."""
    pending = await connection.fetch("SELECT activity_id FROM outbox WHERE fanned_out_at IS NULL ORDER BY id")
    await queue.enqueue_many(connection, FANOUT, [{"activity": str(row["activity_id"])} for row in pending])
    return len(pending)
