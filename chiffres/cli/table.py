"""How list commands print: a header line, then one tab-separated line per row; with ``--json``, a JSON list of
objects keyed by the same column names.

A person reads the aligned columns; a script reads ``--json`` and never has to know the columns' order. A row may
carry more than its printed columns (an actor's URL beside the handle shown): ``--json`` keeps them all."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

Row = Mapping[str, object]

#: The ``--json`` option's help, the same for every list command.
JSON_HELP = "print a JSON list of objects, one per line of the table, keyed by its column names"


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def when(moment: datetime | None) -> str | None:
    """A moment as a person reads it in a table (UTC, to the minute)."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment is not None else None


def emit(columns: Sequence[str], rows: Iterable[Row], *, as_json: bool) -> None:
    """The table under its header, or the rows as JSON; a missing value reads ``-`` and is ``null`` in JSON."""
    listed = list(rows)
    if as_json:
        print(json.dumps([dict(row) for row in listed], ensure_ascii=False, indent=2, default=_plain))
        return
    print("\t".join(columns))
    for row in listed:
        print("\t".join(_cell(row.get(column)) for column in columns))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\t", " ").replace("\n", " ")


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
