"""Request commands: ask a group for a figure, answer a request, close it, list a group's requests.

A request answered at once by a figure the instance already holds prints that figure; otherwise its id and URI,
which ``answer`` and ``close`` take, as the listing shows them."""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING

from actors.actor import ActorError
from chiffres.cli import table
from chiffres.cli.choices import LISTINGS
from chiffres.cli.common import with_instance
from chiffres.cli.handles import handles, shown

if TYPE_CHECKING:
    from fedi.instance import Instance
    from figures.numbers import Lang
    from ledger.requests import Requests

COLUMNS = ("id", "status", "created", "measures", "place", "period", "unit", "asker", "answer")
_REQUEST_HELP = "the request: its id (as request list shows it), its URI or its uuid"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    request = commands.add_parser("request", help="ask for figures and answer requests").add_subparsers(
        dest="request", required=True, metavar="ACTION"
    )
    ask = request.add_parser("ask", help="ask a group for a figure; prints the request, or the figure held")
    ask.add_argument("--as", dest="as_name", required=True, metavar="MEMBER", help="the member who asks")
    ask.add_argument("--group", required=True, metavar="GROUP", help="the group asked")
    ask.add_argument("--measures", required=True, metavar="TEXT", help="what the figure measures")
    ask.add_argument("--place", required=True, metavar="PLACE", help="where: a place name")
    ask.add_argument(
        "--period", required=True, metavar="PERIOD", help="when: 2026, 2026-05, 2026-Q2, 2026-05-14 or an interval a/b"
    )
    ask.add_argument("--unit", metavar="U", help="the unit expected")
    ask.set_defaults(run=with_instance(request_ask))
    answer = request.add_parser("answer", help="answer a request with a figure; prints the figure")
    answer.add_argument("id", metavar="REQUEST", help=_REQUEST_HELP)
    answer.add_argument("--as", dest="as_name", required=True, metavar="MEMBER", help="the member who answers")
    answer.add_argument("--value", required=True, metavar="V", help="the value found")
    answer.add_argument("--unit", required=True, metavar="U", help="its unit")
    answer.add_argument("--source", required=True, metavar="URL", help="URL of the source")
    answer.set_defaults(run=with_instance(request_answer))
    close = request.add_parser("close", help="close a request nobody will answer")
    close.add_argument("id", metavar="REQUEST", help=_REQUEST_HELP)
    close.set_defaults(run=with_instance(request_close))
    listed = request.add_parser("list", help="a group's requests, newest first, under a header line")
    listed.add_argument("group", metavar="GROUP", help="the group's name")
    listed.add_argument("--status", choices=LISTINGS, help="only these; stale: open for more than 30 days")
    table.add_json(listed)
    listed.set_defaults(run=with_instance(request_list))
    pin = request.add_parser(
        "pin", help='pin the group\'s "ask here" post, whose replies ask for figures (made with the group)'
    )
    pin.add_argument("group", metavar="GROUP", help="the group's name")
    pin.set_defaults(run=with_instance(request_pin))


async def _reference(instance: Instance, ref: str) -> str:
    """A request's number or URI, as ``ledger.requests`` takes it, from its number, URI or uuid."""
    text = ref.strip()
    try:
        uuid.UUID(text)
    except ValueError:
        return text
    found = await instance.pool.fetchval(
        "SELECT uri FROM requests WHERE uri = $1 OR uri LIKE $2 ORDER BY uri = $1 DESC, id LIMIT 1",
        instance.urls.object(text.lower()),
        f"%/{text.lower()}",
    )
    return str(found) if found is not None else text


def _lang(instance: Instance) -> Lang:
    return "en" if instance.settings.language == "en" else "fr"


def _requests(instance: Instance) -> Requests:
    from ledger.publication import Publisher
    from ledger.requests import Requests

    instance, lang = instance, _lang(instance)
    publisher = Publisher(instance.pool, instance.urls, instance.clock, lang)
    return Requests(instance.pool, instance.urls, instance.clock, lang, publisher)


async def request_ask(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from figures.note import Contributor
    from ledger.requests import wanted

    pool, urls = instance.pool, instance.urls
    member, group = await store.get(pool, args.as_name), await store.get(pool, args.group)
    what = wanted(args.measures, args.place, args.period, args.unit)
    asker = Contributor(urls.actor(member.name), member.name, urls.domain)
    request, held = await _requests(instance).ask(asker, group, what)
    if held is not None:
        print(f"{request.id}\tanswered\t{held.uri}")
    else:
        print(f"{request.id}\topen\t{request.uri}")


async def request_answer(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from figures.figure import FigureValidationError
    from ledger.publication import NotAMember, PublicationError

    member = await store.get(instance.pool, args.as_name)
    fields = {"value": args.value, "unit": args.unit, "source": args.source}
    try:
        request, figure = await _requests(instance).answer(
            await _reference(instance, args.id), member, fields, _lang(instance)
        )
    except FigureValidationError as error:
        reasons = "; ".join(f"{field}: {reason}" for field, reason in error.errors)
        raise PublicationError(f"invalid answer: {reasons}") from None
    except NotAMember as error:
        raise NotAMember(f"{error}: only members answer") from None
    print(f"{request.id}\tanswered\t{figure.uri}")


async def request_pin(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from ledger import pinned

    group = await store.get(instance.pool, args.group)
    if group.kind != "group":
        raise ActorError(f"{args.group} is a person: only a group asks for figures")
    uri, made = await pinned.pin_ask_here(instance.pool, instance.urls, instance.clock, group, _lang(instance))
    print(f"{uri}\t{'pinned' if made else 'already pinned'}")


async def request_close(args: argparse.Namespace, instance: Instance) -> None:
    request = await _requests(instance).close(await _reference(instance, args.id))
    print(f"{request.id}\tclosed")


async def request_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store

    group = await store.get(instance.pool, args.group)
    now = instance.clock()
    found = await _requests(instance).listing(instance.urls.actor(group.name), args.status)
    known = await handles(instance.pool, instance.urls, [request.asker for request in found])
    rows = [
        {
            "id": request.id,
            "status": request.state(now),
            "created": request.created_at.strftime("%Y-%m-%d"),
            "measures": request.measures,
            "place": request.place,
            "period": request.period,
            "unit": request.unit,
            "asker": shown(known, request.asker),
            "answer": request.answer_uri,
            "uri": request.uri,
            "asker_url": request.asker,
        }
        for request in found
    ]
    table.emit(COLUMNS, rows, as_json=args.json)
