"""Moderation and admin commands: domain blocks, local actors' standing, removal of remote things, reports and the
queue of work that did not go through."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

from actors.actor import ActorError
from chiffres.cli.choices import SEVERITIES
from chiffres.cli.common import with_federation, with_instance
from chiffres.cli.table import add_json, emit, when

if TYPE_CHECKING:
    from chiffres.federation import Federation
    from fedi.instance import Instance

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Subparsers, actor: Subparsers) -> None:
    _domains(commands)
    _actors(actor)
    remote = commands.add_parser("remote", help="what other servers sent us").add_subparsers(
        dest="remote", required=True
    )
    removing = remote.add_parser("delete", help="remove a remote post, figure or claim, or an actor and all of theirs")
    removing.add_argument("url", metavar="URL", help="the id of the post, figure, claim or actor")
    removing.set_defaults(run=with_federation(remote_delete))
    _reports(commands)
    _queue(commands)


def _domains(commands: Subparsers) -> None:
    domain = commands.add_parser("domain", help="block other domains").add_subparsers(dest="domain", required=True)
    blocking = domain.add_parser("block", help="silence a domain (its claims weigh nothing) or suspend it")
    blocking.add_argument(
        "domain",
        metavar="DOMAIN",
        help="a host name, as in actor ids (a port only in development); the domains under it are blocked too",
    )
    blocking.add_argument(
        "--severity",
        choices=SEVERITIES,
        required=True,
        help="silence: its claims weigh nothing, none relayed; suspend: also inbox refused, no delivery, no follows",
    )
    blocking.add_argument("--reason", default="", metavar="TEXT", help="why, for the record (shown by domain list)")
    blocking.set_defaults(run=with_instance(domain_block))
    lifting = domain.add_parser("unblock", help="lift a block (what a suspension removed stays removed)")
    lifting.add_argument("domain", metavar="DOMAIN", help="the blocked host name")
    lifting.set_defaults(run=with_instance(domain_unblock))
    listed = domain.add_parser("list", help="blocked domains under a header: domain, severity, since, reason")
    add_json(listed)
    listed.set_defaults(run=with_instance(domain_list))


def _actors(actor: Subparsers) -> None:
    suspending = actor.add_parser("suspend", help="suspend a local actor: its inbox refuses and it cannot publish")
    suspending.add_argument("name", metavar="NAME", help="the actor's name, as in @NAME@domain")
    suspending.add_argument("--undo", action="store_true", help="lift the suspension")
    suspending.set_defaults(run=with_instance(actor_suspend))
    deleting = actor.add_parser("delete", help="delete a local actor for good; its followers receive a Delete")
    deleting.add_argument("name", metavar="NAME", help="the actor's name, as in @NAME@domain")
    deleting.set_defaults(run=with_instance(actor_delete))
    editing = actor.add_parser("edit", help="change a local actor's profile; its followers receive an Update")
    editing.add_argument("name", metavar="NAME", help="the actor's name, as in @NAME@domain")
    editing.add_argument("--display-name", metavar="TEXT", help="the name shown to people")
    editing.add_argument("--summary", metavar="TEXT", help="a line or two on the profile")
    editing.set_defaults(run=with_instance(actor_edit))


def _reports(commands: Subparsers) -> None:
    report = commands.add_parser("reports", help="reports (Flag) other servers sent, open ones first")
    add_json(report)
    report.add_argument("--all", action="store_true", help="include resolved reports")
    report.set_defaults(run=with_instance(reports_list))
    actions = report.add_subparsers(dest="reports", metavar="ACTION")
    resolving = actions.add_parser("resolve", help="mark a report resolved")
    resolving.add_argument("id", type=int, metavar="ID", help="the report's id, as listed")
    resolving.set_defaults(run=with_instance(report_resolve))


def _queue(commands: Subparsers) -> None:
    queue = commands.add_parser("queue", help="deliveries not delivered (d…) and parked inbox rows (i…)")
    add_json(queue)
    queue.set_defaults(run=with_instance(queue_list))
    actions = queue.add_subparsers(dest="queue", metavar="ACTION")
    retrying = actions.add_parser("retry", help="send deliveries again, unpark inbox rows")
    retrying.add_argument("ids", nargs="*", metavar="ID", help="d12 for a delivery, i7 for an inbox row")
    retrying.add_argument("--all-failed", action="store_true", help="every failed delivery and every parked inbox row")
    retrying.set_defaults(run=with_instance(queue_retry))
    dropping = actions.add_parser("drop", help="end deliveries, delete parked inbox rows")
    dropping.add_argument("ids", nargs="+", metavar="ID", help="d12 for a delivery, i7 for an inbox row")
    dropping.set_defaults(run=with_instance(queue_drop))


def _host(instance: Instance, text: str) -> str:
    from ledger import claims

    try:
        return claims.host_name(text, dev=instance.settings.dev)
    except claims.TrustError as error:
        raise ActorError(f"domain {text}: {error}") from None


async def domain_block(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import blocks

    domain = _host(instance, args.domain)
    if domain == instance.urls.domain.lower():
        raise ActorError(f"domain {domain}: this is our own domain")
    applied = await blocks.block(instance.pool, domain, args.severity, args.reason)
    print(
        f"{domain}\t{args.severity}\tfollows removed: {applied.follows_removed}"
        f"\tdeliveries stopped: {applied.deliveries_stopped}\tfigures recomputed: {applied.figures_recomputed}"
    )


async def domain_unblock(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import blocks

    domain = _host(instance, args.domain)
    if not await blocks.unblock(instance.pool, domain):
        raise ActorError(f"domain {domain} is not blocked")
    print(f"{domain}\tunblocked")


async def domain_list(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import blocks

    rows = [
        {"domain": b.domain, "severity": b.severity, "since": when(b.created_at), "reason": b.reason or None}
        for b in await blocks.listing(instance.pool)
    ]
    emit(("domain", "severity", "since", "reason"), rows, as_json=args.json)


async def actor_suspend(args: argparse.Namespace, instance: Instance) -> None:
    from actors import lifecycle, standing, store

    actor = await store.get(instance.pool, args.name)
    update = await lifecycle.suspend(instance.pool, instance.urls, instance.clock, actor, undo=args.undo)
    state = await standing.of(instance.pool, actor.id)
    if update is None:
        raise ActorError(
            f"@{actor.name} is {state} already" if state != "active" else f"@{actor.name} is not suspended"
        )
    print(f"@{actor.name}\t{state}\t{update['id']}")


async def actor_delete(args: argparse.Namespace, instance: Instance) -> None:
    from actors import lifecycle, store

    actor = await store.get(instance.pool, args.name)
    sent = await lifecycle.delete(instance.pool, instance.urls, instance.clock, actor)
    print(f"@{actor.name}\tdeleted\t{sent['id']}")


async def actor_edit(args: argparse.Namespace, instance: Instance) -> None:
    from actors import lifecycle, store

    actor = await store.get(instance.pool, args.name)
    sent = await lifecycle.edit(
        instance.pool, instance.urls, instance.clock, actor, display_name=args.display_name, summary=args.summary
    )
    print(f"@{actor.name}\tupdated\t{sent['id']}")


async def remote_delete(args: argparse.Namespace, fed: Federation) -> None:
    from inbox import removal

    try:
        removed = await removal.remove(fed.instance, fed.remote, args.url.strip())
    except removal.RemovalError as error:
        raise ActorError(str(error)) from None
    print(f"{args.url.strip()}\t{removed.what} removed\tposts: {removed.objects}\tclaims withdrawn: {removed.claims}")


async def reports_list(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import reports

    rows = [
        {
            "id": report.id,
            "received": when(report.received_at),
            "domain": report.domain,
            "objects": " ".join(report.objects) if not args.json else report.objects,
            "comment": report.content or None,
            "resolved": when(report.resolved_at),
            "reporter": report.reporter,
        }
        for report in await reports.listing(instance.pool, include_resolved=args.all)
    ]
    emit(("id", "received", "domain", "objects", "comment", "resolved"), rows, as_json=args.json)


async def report_resolve(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import reports

    if not await reports.resolve(instance.pool, args.id, instance.clock()):
        raise ActorError(f"no open report {args.id}")
    print(f"{args.id}\tresolved")


async def queue_list(args: argparse.Namespace, instance: Instance) -> None:
    from inbox import backlog

    rows = [
        {
            "id": item.id,
            "kind": item.kind,
            "state": item.state,
            "what": item.what,
            "attempts": item.attempts,
            "next_try": when(item.next_try),
            "reason": item.reason,
            "since": when(item.since),
        }
        for item in await backlog.listing(instance.pool)
    ]
    emit(("id", "kind", "state", "what", "attempts", "next_try", "reason"), rows, as_json=args.json)


def _ids(texts: list[str]) -> tuple[list[int], list[int]]:
    from inbox import backlog

    try:
        return backlog.parse_ids(texts)
    except backlog.BacklogError as error:
        raise ActorError(str(error)) from None


async def queue_retry(args: argparse.Namespace, instance: Instance) -> None:
    from inbox import backlog

    if args.all_failed == bool(args.ids):
        raise ActorError("give queue ids (d12, i7) or --all-failed, not both")
    if args.all_failed:
        count = await backlog.retry_all_failed(instance.pool)
    else:
        count = await backlog.retry(instance.pool, *_ids(args.ids))
    print(f"{count} sent round again")


async def queue_drop(args: argparse.Namespace, instance: Instance) -> None:
    from inbox import backlog

    print(f"{await backlog.drop(instance.pool, *_ids(args.ids))} dropped")
