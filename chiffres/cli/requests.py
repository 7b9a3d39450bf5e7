"""Request commands: ask a group for a figure, answer a request, close it, list a group's requests.

A request answered at once by a figure the instance already holds prints that figure; otherwise its id and URI,
which ``answer`` and ``close`` take, as the listing shows them."""

from __future__ import annotations

import argparse
from datetime import datetime

from actors import store
from actors.actor import ActorError
from chiffres.app import Federation
from chiffres.cli.common import with_federation
from figures.figure import FigureValidationError
from figures.note import Contributor
from figures.numbers import Lang
from ledger import pinned
from ledger.publication import NotAMember, PublicationError, Publisher
from ledger.requests import LISTINGS, Request, Requests, wanted

_HEADER = "id\tstatus\tcreated\tmeasures\tplace\tperiod\tunit\tasker\tanswer"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    request = commands.add_parser("request", help="ask for figures and answer requests").add_subparsers(
        dest="request", required=True
    )
    ask = request.add_parser("ask", help="ask a group for a figure; prints the request, or the figure held")
    ask.add_argument("--as", dest="as_name", required=True, metavar="MEMBER")
    ask.add_argument("--group", required=True)
    ask.add_argument("--measures", required=True, help="what the figure measures")
    ask.add_argument("--place", required=True)
    ask.add_argument("--period", required=True, help="2026, 2026-05, 2026-Q2, 2026-05-14 or an interval a/b")
    ask.add_argument("--unit", help="the unit expected")
    ask.set_defaults(run=with_federation(request_ask))
    answer = request.add_parser("answer", help="answer a request with a figure; prints the figure")
    answer.add_argument("id", metavar="REQUEST", help="its id (as listed) or URI")
    answer.add_argument("--as", dest="as_name", required=True, metavar="MEMBER")
    answer.add_argument("--value", required=True)
    answer.add_argument("--unit", required=True)
    answer.add_argument("--source", required=True, help="URL of the source")
    answer.set_defaults(run=with_federation(request_answer))
    close = request.add_parser("close", help="close a request nobody will answer")
    close.add_argument("id", metavar="REQUEST")
    close.set_defaults(run=with_federation(request_close))
    listed = request.add_parser("list", help="a group's requests, newest first, under a header line")
    listed.add_argument("group")
    listed.add_argument("--status", choices=LISTINGS, help="stale: open for more than 30 days")
    listed.set_defaults(run=with_federation(request_list))
    pin = request.add_parser(
        "pin", help='pin the group\'s "ask here" post, whose replies ask for figures (made with the group)'
    )
    pin.add_argument("group")
    pin.set_defaults(run=with_federation(request_pin))


def _lang(fed: Federation) -> Lang:
    return "en" if fed.instance.settings.language == "en" else "fr"


def _requests(fed: Federation) -> Requests:
    instance, lang = fed.instance, _lang(fed)
    publisher = Publisher(instance.pool, instance.urls, instance.clock, lang)
    return Requests(instance.pool, instance.urls, instance.clock, lang, publisher)


async def request_ask(args: argparse.Namespace, fed: Federation) -> None:
    pool, urls = fed.instance.pool, fed.instance.urls
    member, group = await store.get(pool, args.as_name), await store.get(pool, args.group)
    what = wanted(args.measures, args.place, args.period, args.unit)
    asker = Contributor(urls.actor(member.name), member.name, urls.domain)
    request, held = await _requests(fed).ask(asker, group, what)
    if held is not None:
        print(f"{request.id}\tanswered\t{held.uri}")
    else:
        print(f"{request.id}\topen\t{request.uri}")


async def request_answer(args: argparse.Namespace, fed: Federation) -> None:
    member = await store.get(fed.instance.pool, args.as_name)
    fields = {"value": args.value, "unit": args.unit, "source": args.source}
    try:
        request, figure = await _requests(fed).answer(args.id, member, fields, _lang(fed))
    except FigureValidationError as error:
        reasons = "; ".join(f"{field}: {reason}" for field, reason in error.errors)
        raise PublicationError(f"invalid answer: {reasons}") from None
    except NotAMember as error:
        raise NotAMember(f"{error}: only members answer") from None
    print(f"{request.id}\tanswered\t{figure.uri}")


async def request_pin(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    group = await store.get(instance.pool, args.group)
    if group.kind != "group":
        raise ActorError(f"{args.group} is a person: only a group asks for figures")
    uri, made = await pinned.pin_ask_here(instance.pool, instance.urls, instance.clock, group, _lang(fed))
    print(f"{uri}\t{'pinned' if made else 'already pinned'}")


async def request_close(args: argparse.Namespace, fed: Federation) -> None:
    request = await _requests(fed).close(args.id)
    print(f"{request.id}\tclosed")


async def request_list(args: argparse.Namespace, fed: Federation) -> None:
    group = await store.get(fed.instance.pool, args.group)
    now = fed.instance.clock()
    print(_HEADER)
    for request in await _requests(fed).listing(fed.instance.urls.actor(group.name), args.status):
        print(_row(request, now))


def _row(request: Request, now: datetime) -> str:
    cells = (
        str(request.id),
        request.state(now),
        request.created_at.strftime("%Y-%m-%d"),
        request.measures,
        request.place or "-",
        request.period or "-",
        request.unit or "-",
        request.asker,
        request.answer_uri or "-",
    )
    return "\t".join(cells)
