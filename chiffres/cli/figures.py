"""Figure commands: publish, update, delete and show figures; API tokens for members, listed, revoked, expiring.

Publishing needs the member's follow of the group to be approved; a refusal says which two commands make them a
member, since on the command line the admin usually plays both parts."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import TYPE_CHECKING, Final

from actors.actor import Actor
from chiffres.cli import table
from chiffres.cli.common import FIGURE_HELP, figure_uri, with_instance

if TYPE_CHECKING:
    from fedi.instance import Instance
    from figures.figure import FigureValidationError
    from figures.numbers import Lang
    from ledger.publication import Publisher

_PERIODS: Final = "2026, 2026-05, 2026-Q2, 2026-05-14 or an interval a/b"
_ACTING: Final = "the local actor acting (default: the figure's author)"


def _figure_fields(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """The figure's fields: all but the optional ones required to publish; any of them changes it on update."""
    kept = "" if required else " (unchanged if not given)"
    parser.add_argument("--value", required=required, metavar="V", help="the value, e.g. 812 or 12,5" + kept)
    parser.add_argument("--unit", required=required, metavar="U", help="its unit, e.g. €/mois, %%, kg" + kept)
    parser.add_argument("--measures", required=required, metavar="TEXT", help="what is measured" + kept)
    parser.add_argument("--source", required=required, metavar="URL", help="URL of the source" + kept)
    parser.add_argument("--source-title", metavar="TEXT", help="the source's title, shown as its link")
    parser.add_argument("--place", required=required, metavar="PLACE", help="where: a place name" + kept)
    parser.add_argument("--period", required=required, metavar="PERIOD", help=f"when: {_PERIODS}{kept}")
    parser.add_argument("--method", metavar="TEXT", help="how the figure was obtained")
    parser.add_argument(
        "--tag", action="append", dest="tags", metavar="TAG", help="a hashtag, without #; repeat for several"
    )
    parser.add_argument("--lang", choices=("fr", "en"), help="the language of its text (default: the instance's)")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    figure = commands.add_parser("figure", help="publish and manage figures").add_subparsers(
        dest="figure", required=True, metavar="ACTION"
    )
    publish = figure.add_parser("publish", help="publish a figure into a group; prints its id")
    publish.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the member who publishes it")
    publish.add_argument("--group", required=True, metavar="GROUP", help="the group it goes to (NAME a member of it)")
    _figure_fields(publish, required=True)
    publish.set_defaults(run=with_instance(figure_publish))
    update = figure.add_parser("update", help="publish a new version of a figure")
    update.add_argument("id", metavar="FIGURE", help=FIGURE_HELP)
    update.add_argument("--as", dest="as_name", metavar="NAME", help=_ACTING)
    _figure_fields(update, required=False)
    update.set_defaults(run=with_instance(figure_update))
    delete = figure.add_parser("delete", help="delete a figure (leaves a tombstone)")
    delete.add_argument("id", metavar="FIGURE", help=FIGURE_HELP)
    delete.add_argument("--as", dest="as_name", metavar="NAME", help=_ACTING)
    delete.set_defaults(run=with_instance(figure_delete))
    show = figure.add_parser("show", help="show a figure")
    show.add_argument("id", metavar="FIGURE", help=FIGURE_HELP)
    show.add_argument("--json", action="store_true", help="the figure's Note, as followers receive it")
    show.set_defaults(run=with_instance(figure_show))
    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="token", required=True, metavar="ACTION"
    )
    create = token.add_parser("create", help="create an API token for a member; prints it once")
    create.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the member the token acts as")
    create.add_argument("--label", default="", metavar="TEXT", help="what the token is for, shown in its listing")
    create.add_argument(
        "--expires",
        metavar="WHEN",
        help="a span (12h, 30d, 2w) or an ISO date or date-time (UTC); default never",
    )
    create.set_defaults(run=with_instance(token_create))
    listed = token.add_parser(
        "list", help="a member's tokens under a header: id, state, created, last used, expires, label"
    )
    listed.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the member whose tokens")
    table.add_json(listed)
    listed.set_defaults(run=with_instance(token_list))
    revoke = token.add_parser("revoke", help="revoke a token by the id its listing shows")
    revoke.add_argument("id", type=int, metavar="ID", help="the token's id, as token list shows it")
    revoke.set_defaults(run=with_instance(token_revoke))


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


def _lang(args: argparse.Namespace, instance: Instance) -> Lang:
    chosen = args.lang or instance.settings.language
    return "en" if chosen == "en" else "fr"


def _publisher(instance: Instance) -> Publisher:
    from ledger.publication import Publisher

    return Publisher(instance.pool, instance.urls, instance.clock, _lang_of(instance.settings.language))


def _lang_of(value: str) -> Lang:
    return "en" if value == "en" else "fr"


async def _acting(instance: Instance, name: str | None, uri: str) -> Actor:
    """The actor named, or else the figure's author (an admin acts on the author's behalf)."""
    from actors import store
    from ledger.publication import PublicationError

    if name:
        return await store.get(instance.pool, name)
    author = await instance.pool.fetchval("SELECT author FROM figures WHERE uri = $1", uri)
    local = instance.urls.local_name(str(author)) if author else None
    if local is None:
        raise PublicationError(f"figure {uri} has no local author; name one with --as")
    return await store.get(instance.pool, local)


async def figure_publish(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from figures.figure import FigureValidationError
    from ledger.publication import NotAMember, PublicationError

    pool = instance.pool
    author, group = await store.get(pool, args.as_name), await store.get(pool, args.group)
    try:
        made = await _publisher(instance).publish(author, group, _fields(args), _lang(args, instance))
    except FigureValidationError as error:
        raise PublicationError(_reasons(error)) from None
    except NotAMember as error:
        join = f"chiffres follow --as {author.name} {group.name}"
        raise NotAMember(f"{error} ({join}, then chiffres follows approve FOLLOW_ID --as {group.name})") from None
    print(made.uri)


async def figure_update(args: argparse.Namespace, instance: Instance) -> None:
    from figures.figure import FigureValidationError
    from ledger.publication import PublicationError

    uri = await figure_uri(instance, args.id)
    actor = await _acting(instance, args.as_name, uri)
    try:
        made = await _publisher(instance).update(uri, _fields(args), actor, args.lang)
    except FigureValidationError as error:
        raise PublicationError(_reasons(error)) from None
    print(f"{made.uri}\tversion {made.version}")


async def figure_delete(args: argparse.Namespace, instance: Instance) -> None:
    uri = await figure_uri(instance, args.id)
    await _publisher(instance).delete(uri, await _acting(instance, args.as_name, uri))
    print(f"{uri}\tdeleted")


async def figure_show(args: argparse.Namespace, instance: Instance) -> None:
    from figures.figure import format_value

    uri = await figure_uri(instance, args.id)
    shown = await _publisher(instance).get(uri)
    if args.json:
        print(json.dumps(shown.note, ensure_ascii=False, indent=2))
        return
    figure = shown.figure
    lang = _lang_of(instance.settings.language)
    state = "deleted" if shown.deleted else f"version {shown.version}"
    print(f"{shown.uri}\t{state}\n{format_value(figure.value, figure.unit, lang)}\t{figure.measures}")
    print(f"{figure.place.name or ''}\t{figure.period or ''}\t{figure.source.url}")


async def token_create(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store, tokens

    actor = await store.get(instance.pool, args.as_name)
    expires = tokens.expiry(args.expires, instance.clock()) if args.expires is not None else None
    print(await tokens.create_token(instance.pool, actor.id, args.label, expires))


async def token_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store, tokens

    actor, now = await store.get(instance.pool, args.as_name), instance.clock()
    rows = [
        {
            "id": found.id,
            "state": found.state(now),
            "created": _iso(found.created_at),
            "last_used": _iso(found.last_used_at),
            "expires": _iso(found.expires_at),
            "label": found.label,
        }
        for found in await tokens.listing(instance.pool, actor.id)
    ]
    table.emit(("id", "state", "created", "last_used", "expires", "label"), rows, as_json=args.json)


def _iso(moment: datetime | None) -> str | None:
    from actors import tokens

    return tokens.iso(moment) if moment else None


async def token_revoke(args: argparse.Namespace, instance: Instance) -> None:
    from actors import tokens

    if not await tokens.revoke_id(instance.pool, args.id):
        raise tokens.TokenError(f"no live token {args.id}")
    print(f"{args.id}\trevoked")


def _reasons(error: FigureValidationError) -> str:
    return "invalid figure: " + "; ".join(f"{field}: {reason}" for field, reason in error.errors)
