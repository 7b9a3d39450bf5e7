"""Figure commands: publish, update, delete and show figures; API tokens for members, listed, revoked, expiring.

Publishing needs the member's follow of the group to be approved; a refusal says which two commands make them a
member, since on the command line the admin usually plays both parts."""

from __future__ import annotations

import argparse
import json

from actors import store, tokens
from actors.actor import Actor
from chiffres.app import Federation
from chiffres.cli.common import with_federation
from figures.figure import FigureValidationError, format_value
from figures.numbers import Lang
from ledger.publication import NotAMember, PublicationError, Publisher


def _figure_fields(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--value", required=required)
    parser.add_argument("--unit", required=required)
    parser.add_argument("--measures", required=required, help="what is measured")
    parser.add_argument("--source", required=required, help="URL of the source")
    parser.add_argument("--source-title")
    parser.add_argument("--place")
    parser.add_argument("--period", help="2026, 2026-05, 2026-Q2, 2026-05-14 or an interval a/b")
    parser.add_argument("--method")
    parser.add_argument("--tag", action="append", dest="tags", metavar="TAG")
    parser.add_argument("--lang", choices=("fr", "en"))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    figure = commands.add_parser("figure", help="publish and manage figures").add_subparsers(
        dest="figure", required=True
    )
    publish = figure.add_parser("publish", help="publish a figure into a group; prints its id")
    publish.add_argument("--as", dest="as_name", required=True)
    publish.add_argument("--group", required=True)
    _figure_fields(publish, required=True)
    publish.set_defaults(run=with_federation(figure_publish))
    update = figure.add_parser("update", help="publish a new version of a figure")
    update.add_argument("id", metavar="ID")
    update.add_argument("--as", dest="as_name")
    _figure_fields(update, required=False)
    update.set_defaults(run=with_federation(figure_update))
    delete = figure.add_parser("delete", help="delete a figure (leaves a tombstone)")
    delete.add_argument("id", metavar="ID")
    delete.add_argument("--as", dest="as_name")
    delete.set_defaults(run=with_federation(figure_delete))
    show = figure.add_parser("show", help="show a figure")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=with_federation(figure_show))
    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="token", required=True)
    create = token.add_parser("create", help="create an API token for a member; prints it once")
    create.add_argument("--as", dest="as_name", required=True)
    create.add_argument("--label", default="")
    create.add_argument("--expires", help="a span (12h, 30d, 2w) or an ISO date or date-time (UTC); default never")
    create.set_defaults(run=with_federation(token_create))
    listed = token.add_parser("list", help="a member's tokens: id, state, created, last used, expires, label")
    listed.add_argument("--as", dest="as_name", required=True)
    listed.set_defaults(run=with_federation(token_list))
    revoke = token.add_parser("revoke", help="revoke a token by the id its listing shows")
    revoke.add_argument("id", type=int, metavar="ID")
    revoke.set_defaults(run=with_federation(token_revoke))


def _fields(args: argparse.Namespace) -> dict[str, object]:
    """Command-line options as figure input fields; options not given are not changes."""
    fields: dict[str, object] = {}
    for name in ("value", "unit", "measures", "place", "period", "method"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.source is not None:
        fields["source"] = {"url": args.source, "title": args.source_title} if args.source_title else args.source
    if args.tags:
        fields["tags"] = args.tags
    return fields


def _lang(args: argparse.Namespace, fed: Federation) -> Lang:
    chosen = args.lang or fed.instance.settings.language
    return "en" if chosen == "en" else "fr"


def _publisher(fed: Federation) -> Publisher:
    instance = fed.instance
    return Publisher(instance.pool, instance.urls, instance.clock, _lang_of(instance.settings.language))


def _lang_of(value: str) -> Lang:
    return "en" if value == "en" else "fr"


async def _figure_uri(fed: Federation, ident: str) -> str:
    if ident.isdigit():
        uri = await fed.instance.pool.fetchval("SELECT uri FROM figures WHERE id = $1", int(ident))
        if uri is None:
            raise PublicationError(f"no figure {ident}")
        return str(uri)
    return ident


async def _acting(fed: Federation, name: str | None, uri: str) -> Actor:
    """The actor named, or else the figure's author (an admin acts on the author's behalf)."""
    if name:
        return await store.get(fed.instance.pool, name)
    author = await fed.instance.pool.fetchval("SELECT author FROM figures WHERE uri = $1", uri)
    local = fed.instance.urls.local_name(str(author)) if author else None
    if local is None:
        raise PublicationError(f"figure {uri} has no local author; name one with --as")
    return await store.get(fed.instance.pool, local)


async def figure_publish(args: argparse.Namespace, fed: Federation) -> None:
    pool = fed.instance.pool
    author, group = await store.get(pool, args.as_name), await store.get(pool, args.group)
    try:
        made = await _publisher(fed).publish(author, group, _fields(args), _lang(args, fed))
    except FigureValidationError as error:
        raise PublicationError(_reasons(error)) from None
    except NotAMember as error:
        join = f"chiffres follow --as {author.name} {group.name}"
        raise NotAMember(f"{error} ({join}, then chiffres follows approve FOLLOW_ID --as {group.name})") from None
    print(made.uri)


async def figure_update(args: argparse.Namespace, fed: Federation) -> None:
    uri = await _figure_uri(fed, args.id)
    actor = await _acting(fed, args.as_name, uri)
    try:
        made = await _publisher(fed).update(uri, _fields(args), actor, args.lang)
    except FigureValidationError as error:
        raise PublicationError(_reasons(error)) from None
    print(f"{made.uri}\tversion {made.version}")


async def figure_delete(args: argparse.Namespace, fed: Federation) -> None:
    uri = await _figure_uri(fed, args.id)
    await _publisher(fed).delete(uri, await _acting(fed, args.as_name, uri))
    print(f"{uri}\tdeleted")


async def figure_show(args: argparse.Namespace, fed: Federation) -> None:
    uri = await _figure_uri(fed, args.id)
    shown = await _publisher(fed).get(uri)
    if args.json:
        print(json.dumps(shown.note, ensure_ascii=False, indent=2))
        return
    figure = shown.figure
    lang = _lang_of(fed.instance.settings.language)
    state = "deleted" if shown.deleted else f"version {shown.version}"
    print(f"{shown.uri}\t{state}\n{format_value(figure.value, figure.unit, lang)}\t{figure.measures}")
    print(f"{figure.place.name or ''}\t{figure.period or ''}\t{figure.source.url}")


async def token_create(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor = await store.get(instance.pool, args.as_name)
    expires = tokens.expiry(args.expires, instance.clock()) if args.expires is not None else None
    print(await tokens.create_token(instance.pool, actor.id, args.label, expires))


async def token_list(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    actor, now = await store.get(instance.pool, args.as_name), instance.clock()
    for found in await tokens.listing(instance.pool, actor.id):
        moments = (found.created_at, found.last_used_at, found.expires_at)
        shown = "\t".join(tokens.iso(moment) if moment else "-" for moment in moments)
        print(f"{found.id}\t{found.state(now)}\t{shown}\t{found.label}")


async def token_revoke(args: argparse.Namespace, fed: Federation) -> None:
    if not await tokens.revoke_id(fed.instance.pool, args.id):
        raise tokens.TokenError(f"no live token {args.id}")
    print(f"{args.id}\trevoked")


def _reasons(error: FigureValidationError) -> str:
    return "invalid figure: " + "; ".join(f"{field}: {reason}" for field, reason in error.errors)
