"""Claim commands: endorse or correct a figure as a member, set this instance's trust, read a consensus."""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from actors.actor import Actor, ActorError
from chiffres.cli import table
from chiffres.cli.common import FIGURE_HELP, figure_uri, with_federation, with_instance
from chiffres.cli.handles import handles
from chiffres.cli.handles import shown as shown_as
from fedi.types import JSON

if TYPE_CHECKING:
    from chiffres.federation import Federation
    from fedi.instance import Instance
    from ledger.consensus import ConsensusJob
    from ledger.member_claims import MemberClaims


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    like = commands.add_parser("like", help="endorse a figure (a Like of its current version)")
    like.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the member who endorses it")
    like.add_argument("figure", metavar="FIGURE", help=FIGURE_HELP)
    like.set_defaults(run=with_instance(like_figure))
    reply = commands.add_parser(
        "reply", help="reply to a figure (with --value, a correction), or to a post received here, such as a request"
    )
    reply.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the member who replies")
    reply.add_argument(
        "figure", metavar="FIGURE_OR_URL", help="a figure (URL, uuid or number) or the URL of a post received here"
    )
    reply.add_argument("text", metavar="TEXT", help="what the reply says")
    reply.add_argument("--value", metavar="V", help="the value you propose (makes the reply a correction)")
    reply.add_argument("--unit", metavar="U", help="its unit (default: the figure's)")
    reply.add_argument("--source", metavar="URL", help="URL backing the correction")
    reply.add_argument("--reason", metavar="TEXT", help="why the figure is wrong, in a few words")
    reply.set_defaults(run=with_instance(reply_figure))
    trust = commands.add_parser("trust", help="this instance's trust in other domains").add_subparsers(
        dest="trust", required=True, metavar="ACTION"
    )
    setting = trust.add_parser("set", help="trust a domain: 0 blocks it, 1 counts it as our own")
    setting.add_argument("domain", metavar="HOST", help="a host name, as in actor ids (a port only in development)")
    setting.add_argument("value", type=float, metavar="VALUE", help="from 0 (blocked) to 1 (as our own)")
    setting.set_defaults(run=with_instance(trust_set))
    listing = trust.add_parser("list", help="domains with a trust set here, under a header: domain, trust, note")
    table.add_json(listing)
    listing.set_defaults(run=with_instance(trust_list))
    peer = commands.add_parser("peer", help="peer instances (consensus summaries)").add_subparsers(
        dest="peer", required=True, metavar="ACTION"
    )
    adding = peer.add_parser("add", help="exchange consensus summaries with another instance of ours")
    adding.add_argument("domain", metavar="DOMAIN", help="the other instance's host (with its port in development)")
    adding.set_defaults(run=with_federation(peer_add))
    peers = peer.add_parser("list", help="peers under a header: actor, direction, state")
    table.add_json(peers)
    peers.set_defaults(run=with_instance(peer_list))


def _claims(instance: Instance) -> MemberClaims:
    from ledger.member_claims import MemberClaims

    return MemberClaims(instance.pool, instance.urls, instance.clock)


async def like_figure(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store

    actor = await store.get(instance.pool, args.as_name)
    print(await _claims(instance).endorse(actor, await figure_uri(instance, args.figure)))


def _correction(args: argparse.Namespace, unit_code: str) -> JSON | None:
    if args.value is None:
        return None
    from figures.numbers import FiguresError, parse_decimal, wire_decimal
    from figures.units import parse_unit

    try:
        value = parse_decimal(args.value)
        code = parse_unit(args.unit).unit.code if args.unit else unit_code
    except FiguresError as error:
        raise ActorError(f"invalid correction: {error}") from None
    correction: JSON = {"type": "Correction", "value": wire_decimal(value), "unit": {"code": code}, "parsed": False}
    if args.source:
        correction["source"] = {"url": args.source}
    if args.reason:
        correction["reason"] = args.reason
    return correction


def _checked_source(source: str | None) -> None:
    """A correction's source is a web page people can open: an http(s) URL with a host, nothing else."""
    if source is None:
        return
    try:
        parts = urlsplit(source)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.scheme not in ("http", "https") or any(c.isspace() for c in source):
        raise ActorError(f"invalid source {source!r}: not an http(s) URL")


async def _reply_to_post(args: argparse.Namespace, instance: Instance, actor: Actor) -> None:
    """A reply to a post that is not a figure, sent to its author alone: how a member answers a request another
    instance's group sent (``ledger.requests``) with a value, its unit and a link, which that group reads."""
    from actors.outbox import activity, publish
    from ledger.publication import PublicationError

    if args.value is not None:
        raise ActorError(f"--value corrects a figure, and {args.figure} is no figure known here")
    author = await instance.pool.fetchval(
        "SELECT attributed_to FROM remote_objects WHERE uri = $1 AND deleted_at IS NULL", args.figure
    )
    if author is None:
        raise PublicationError(f"no figure or post {args.figure} known here (follow its group first)")
    urls = instance.urls
    note = _claims(instance).reply_note(actor, args.figure, args.text, [str(author)])
    create = activity(urls, urls.actor(actor.name), "Create", note, to=note["to"], published=instance.clock())
    async with instance.pool.acquire() as connection:
        await publish(connection, actor, create, "direct", obj=note)
    print(note["id"])


async def reply_figure(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from figures.numbers import FiguresError
    from ledger.publication import PublicationError

    _checked_source(args.source)
    with contextlib.suppress(PublicationError):  # not a figure of ours: a post received here, by its URL
        args.figure = await figure_uri(instance, args.figure)
    actor = await store.get(instance.pool, args.as_name)
    unit_code = await instance.pool.fetchval(
        "SELECT unit_code FROM figures WHERE uri = $1 AND deleted_at IS NULL", args.figure
    )
    if unit_code is None:
        await _reply_to_post(args, instance, actor)
        return
    correction = _correction(args, str(unit_code))
    member_claims = _claims(instance)
    try:
        claimed = await member_claims.claimed(args.figure, args.text, correction)
    except FiguresError as error:
        raise ActorError(f"invalid correction: {error}") from None
    print(await member_claims.reply(actor, args.figure, args.text, correction, claimed))


async def trust_set(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import claims

    try:
        domain = claims.host_name(args.domain, dev=instance.settings.dev)
        await claims.set_trust(instance.pool, domain, args.value)
    except claims.TrustError as error:
        raise ActorError(f"trust {args.domain}: {error}") from None
    print(f"{domain}\t{args.value}")


async def trust_list(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import claims

    rows: list[table.Row] = [{"domain": instance.urls.domain, "trust": 1.0, "note": "this instance"}]
    for domain, value in sorted((await claims.trust_levels(instance.pool)).items()):
        rows.append({"domain": domain, "trust": value, "note": None})
    rows.append({"domain": "*", "trust": claims.DEFAULT_NEW_TRUST, "note": "any other domain"})
    table.emit(("domain", "trust", "note"), rows, as_json=args.json)


async def consensus_show(args: argparse.Namespace, fed: Federation) -> None:
    """The consensus line, then every claim behind it with the weight it carried (``ledger.explanation``)."""
    from ledger import explanation
    from ledger.publication import PublicationError

    uri = await figure_uri(fed.instance, args.figure)
    job = _consensus_job(fed)
    shown = await explanation.explain(job, fed.instance.pool, uri, fed.instance.clock())
    if shown is None:  # none computed yet (the worker has not run since it was published): compute it now
        await job.settle(uri)
        shown = await explanation.explain(job, fed.instance.pool, uri, fed.instance.clock())
    if shown is None:
        raise PublicationError(f"no consensus computed here for {uri}")
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    print(
        f"{shown['status']}\t{shown['value']:.6g}\t{shown['low']:.6g}\t{shown['high']:.6g}\t{shown['unit']}"
        f"\tdomains={shown['domains']}\tcontributors={shown['contributors']}\tagreement={shown['agreement']:.3f}"
    )
    current = await fed.instance.pool.fetchval("SELECT version FROM figures WHERE uri = $1", uri)
    known = await handles(fed.instance.pool, fed.instance.urls, [claim["actor"] for claim in shown["claims"]])
    print("weight\tkind\tvalue\tunit\tread\tversion\tdomain\tactor")
    for claim in shown["claims"]:
        version = "" if claim["version"] is None else f"v{claim['version']}"
        if claim["version"] is not None and current is not None and claim["version"] < current:
            version += " (replaced)"
        parsed = "parsed" if claim["parsed"] else "given"
        print(
            f"{claim['weight']:.4f}\t{claim['kind']}\t{claim['value']}\t{claim['unit']}\t{parsed}\t{version}"
            f"\t{claim['domain']}\t{shown_as(known, str(claim['actor']))}"
        )


async def peer_add(args: argparse.Namespace, fed: Federation) -> None:
    """Our instance actor follows theirs; their pending follow of ours, if any, is accepted: peers both ways."""
    from actors import follows, store
    from inbox.remote import ActorUnavailable

    instance = fed.instance
    target = f"{instance.settings.scheme}://{args.domain.strip().lower()}/actor"
    try:
        remote = await fed.remote.actor(target, refresh=True)
    except ActorUnavailable as error:
        raise ActorError(f"cannot reach the instance actor of {args.domain}: {error}") from None
    ours = await store.instance_actor(instance.pool)
    made = await follows.follow(instance.pool, instance.urls, ours, remote.uri, remote.inbox, instance.clock)
    waiting = [
        row["id"]
        for row in await instance.pool.fetch(
            "SELECT id FROM follows WHERE follower = $1 AND followee = $2 AND state = 'pending'",
            remote.uri,
            instance.urls.instance_actor(),
        )
    ]
    if waiting:
        await follows.approve(instance.pool, instance.urls, waiting, instance.clock, ours)
    print(f"{remote.uri}\t{made.state}")


async def peer_list(args: argparse.Namespace, instance: Instance) -> None:
    me = instance.urls.instance_actor()
    rows = await instance.pool.fetch(
        "SELECT follower, followee, state FROM follows WHERE follower = $1 OR followee = $1 ORDER BY id", me
    )
    listed = [
        {
            "actor": row["followee"] if row["follower"] == me else row["follower"],
            "direction": "we follow" if row["follower"] == me else "follows us",
            "state": row["state"],
        }
        for row in rows
    ]
    table.emit(("actor", "direction", "state"), listed, as_json=args.json)


async def consensus_recompute(args: argparse.Namespace, fed: Federation) -> None:
    print(f"{await _consensus_job(fed).recompute_all()} figures recomputed")


def _consensus_job(fed: Federation) -> ConsensusJob:
    """The worker's own consensus job, with the thresholds and publisher the application gives it."""
    from chiffres.app import job_handlers
    from ledger.consensus import CONSENSUS, ConsensusJob

    job = job_handlers(fed)[CONSENSUS]
    if not isinstance(job, ConsensusJob):
        raise ActorError("the consensus job is not available")
    return job
