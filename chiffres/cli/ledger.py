"""Ledger commands: what an actor or a server gave to our groups and took from them, and a group's top list.

``show`` takes whatever an admin has at hand — a handle (``@ana``, ``@ana@mastodon.example``), an actor URL or a
bare domain — and refuses, in one line, anything that names no actor or server the instance knows, so that a typo
does not read as "contributed nothing"."""

from __future__ import annotations

import argparse
from datetime import datetime

from actors import store
from chiffres.app import Federation
from chiffres.cli.common import with_federation
from fedi.database import Pool
from fedi.urls import Urls
from ledger import reciprocity
from ledger.claims import TrustError, host_name
from ledger.reciprocity import CONSULTATIONS, CONTRIBUTIONS, DEFAULT_DAYS, ReciprocityError, Tally

#: A correction's ``moved`` follows ``corrected``, which it is a part of.
COLUMNS = ("group", "who", *CONTRIBUTIONS[:4], "moved", "source", *CONSULTATIONS)
HEADER = "\t".join((*COLUMNS, "last contribution", "last consultation"))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = commands.add_parser("ledger", help="the reciprocity ledger: contributions and consultations")
    actions = ledger.add_subparsers(dest="ledger", required=True)
    show = actions.add_parser("show", help="what an actor or a server did, per group, under a header line")
    show.add_argument("who", metavar="ACTOR_OR_DOMAIN", help="@name, @name@domain, an actor URL or a domain")
    show.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"the window (default {DEFAULT_DAYS})")
    show.set_defaults(run=with_federation(ledger_show))
    top = actions.add_parser("top", help="a group's contributors and readers, most contributions first")
    top.add_argument("group")
    top.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"the window (default {DEFAULT_DAYS})")
    top.add_argument("--limit", type=int, default=20)
    top.set_defaults(run=with_federation(ledger_top))


async def ledger_show(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    who = await resolve(instance.pool, instance.urls, args.who, dev=instance.settings.dev)
    _print(await reciprocity.show(instance.pool, who, instance.clock(), args.days))


async def ledger_top(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    group = await store.get(instance.pool, args.group.lstrip("@"))
    if group.kind != "group":
        raise ReciprocityError(f"{group.name} is not a group")
    group_uri = instance.urls.actor(group.name)
    _print(await reciprocity.top(instance.pool, group_uri, instance.clock(), args.days, args.limit))


async def resolve(pool: Pool, urls: Urls, raw: str, *, dev: bool) -> str:
    """The actor id or the domain the ledger files ``raw`` under."""
    text = raw.strip()
    if text.startswith("@"):
        name, _, host = text[1:].partition("@")
        if host.lower() in ("", urls.domain):
            return urls.actor((await store.get(pool, name)).name)
        found: str | None = await pool.fetchval(
            "SELECT uri FROM remote_actors WHERE lower(preferred_username) = lower($1) AND domain = lower($2)"
            " ORDER BY fetched_at DESC LIMIT 1",
            name,
            host,
        )
        if found is None:
            raise ReciprocityError(f"no known actor {text}")
        return found
    if "://" in text:
        local = urls.local_name(text)
        if local is not None:
            return urls.actor((await store.get(pool, local)).name)
        remote = await pool.fetchval("SELECT 1 FROM remote_actors WHERE uri = $1", text)
        if remote is None and not await reciprocity.known(pool, text):
            raise ReciprocityError(f"no known actor {text}")
        return text
    try:
        domain = host_name(text, dev=dev)
    except TrustError as error:
        raise ReciprocityError(f"not a handle, an actor URL or a domain: {error}") from None
    seen = await pool.fetchval("SELECT 1 FROM domains WHERE domain = $1", domain)
    if domain != urls.domain and seen is None and not await reciprocity.known(pool, domain):
        raise ReciprocityError(f"no known server {domain}")
    return domain


def _print(tallies: list[Tally]) -> None:
    print(HEADER)
    for tally in tallies:
        print(_row(tally))


def _row(tally: Tally) -> str:
    counts = [str(tally.counts[kind]) for kind in CONTRIBUTIONS[:4]]
    counts += [str(tally.moved), str(tally.counts["source"])]
    counts += [str(tally.counts[kind]) for kind in CONSULTATIONS]
    last = (_when(tally.last_contribution), _when(tally.last_consultation))
    return "\t".join((tally.group_uri, tally.who, *counts, *last))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"
