"""``chiffres export``, ``chiffres import`` and ``chiffres doctor``: move an instance, and check one.

Export and import work on a database of their own, without the rest of the instance: the export only reads (it
migrates nothing, so it also serves an instance about to be upgraded), and the import must meet an empty
database, which it migrates first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from chiffres.cli import progress
from fedi.config import Settings

if TYPE_CHECKING:
    from chiffres import doctor
    from fedi.database import Database

SECRETS = "holds the instance's private keys: keep it as secret as the database, and delete it once restored"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="write the whole instance (actors, keys, follows, figures, claims…) as NDJSON, to move it"
    )
    export.add_argument("file", metavar="FILE", nargs="?", default="-", help="where to write it (default -: stdout)")
    export.set_defaults(run=export_command)
    load = commands.add_parser("import", help="load an export into an empty database (all or nothing)")
    load.add_argument("file", metavar="FILE", help="the export to read (-: stdin)")
    load.set_defaults(run=import_command)
    check = commands.add_parser(
        "doctor", help="check configuration, database, migrations, queue, clock, DNS and disk; ok, warn or fail"
    )
    check.add_argument("--json", action="store_true", help="one JSON object: every check with its level and text")
    check.set_defaults(run=doctor_command)


def _failed(error: Exception) -> int:
    print(f"chiffres: {error}", file=sys.stderr)
    return 1


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    from chiffres import backup
    from fedi.database import connect, open_database, release

    database = await open_database(settings, min_size=1, max_size=1)
    try:
        connection = await connect(database.url)
        try:
            with _target(args.file) as out, progress.bar("export") as drawn:
                count = await backup.export(
                    connection, out, data_dir=settings.data_dir, now=datetime.now(UTC), tally=drawn
                )
        except (backup.BackupError, OSError) as error:
            return _failed(error)
        finally:
            await release(connection)
    finally:
        await database.close()
    where = "stdout" if args.file == "-" else args.file
    print(f"chiffres: {count} rows exported to {where}; the file {SECRETS}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _target(name: str) -> Iterator[TextIO]:
    """stdout, or a file only its owner can read, written beside its place and moved there once complete."""
    from chiffres import backup

    if name == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(name)
    partial = path.with_name(path.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
    except OSError as error:
        raise backup.BackupError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            yield out
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


async def import_command(args: argparse.Namespace, settings: Settings) -> int:
    from chiffres import backup, restore
    from fedi.database import connect, open_database, release
    from fedi.migrator import available, migrate

    try:
        source, size = _source(args.file)
    except backup.BackupError as error:
        return _failed(error)
    database = await open_database(settings, min_size=1, max_size=1)
    try:
        connection = await connect(database.url)
        try:
            await migrate(connection)
            # Documents go in as the JSON text read from the file, not through the pool's codecs.
            for kind in ("json", "jsonb"):
                await connection.reset_type_codec(kind, schema="pg_catalog")
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            with source, progress.bar("import") as drawn:
                restored = await restore.restore(
                    connection,
                    _counted(source, drawn, size),
                    schema=max(migration.version for migration in available()),
                    domain=settings.domain,
                    data_dir=settings.data_dir,
                )
        except (backup.BackupError, OSError) as error:
            return _failed(error)
        finally:
            await release(connection)
    finally:
        await database.close()
    files = f" and {', '.join(restored.files)}" if restored.files else ""
    print(f"imported {restored.rows} rows of {restored.domain} (schema {restored.schema:04d}){files}")
    if restored.resent:
        print(f"{restored.resent} activities not yet sent to followers at export time are queued to be sent")
    return 0


def _source(name: str) -> tuple[BinaryIO, int]:
    from chiffres import backup

    if name == "-":
        return sys.stdin.buffer, 0
    path = Path(name)
    try:
        return path.open("rb"), path.stat().st_size
    except OSError as error:
        raise backup.BackupError(f"cannot read {path}: {error.strerror}") from None


def _counted(source: BinaryIO, drawn: progress.Bar | None, size: int) -> Iterator[bytes]:
    if drawn is None:
        yield from source
        return
    drawn.total(size)
    for line in source:
        drawn.advance(len(line))
        yield line


async def doctor_command(args: argparse.Namespace, settings: Settings) -> int:
    from chiffres import doctor

    report = await doctor.examine(settings, _database_opener(settings))
    print(doctor.as_json(report) if args.json else doctor.as_text(report), end="")
    return 1 if report.failed else 0


def _database_opener(settings: Settings) -> doctor.Opener:
    from fedi.database import open_database

    async def opener() -> Database:
        return await open_database(settings, min_size=1, max_size=2)

    return opener
