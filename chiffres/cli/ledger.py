"""Ledger commands: what an actor or a server gave to our groups and took from them, and a group's top list.

``show`` takes whatever an admin has at hand — a handle (``@ana``, ``@ana@mastodon.example``), an actor URL or a
bare domain — and refuses, in one line, anything that names no actor or server the instance knows, so that a typo
does not read as "contributed nothing"."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chiffres.cli import table
from chiffres.cli.choices import DEFAULT_DAYS
from chiffres.cli.common import with_instance
from chiffres.cli.handles import handles, shown

if TYPE_CHECKING:
    from fedi.database import Pool
    from fedi.instance import Instance
    from fedi.urls import Urls
    from ledger.reciprocity import Tally


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = commands.add_parser("ledger", help="the reciprocity ledger: contributions and consultations")
    actions = ledger.add_subparsers(dest="ledger", required=True)
    show = actions.add_parser("show", help="what an actor or a server did, per group, under a header line")
    show.add_argument("who", metavar="ACTOR_OR_DOMAIN", help="@name, @name@domain, an actor URL or a domain")
    show.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, metavar="N", help=f"the window in days (default {DEFAULT_DAYS})"
    )
    table.add_json(show)
    show.set_defaults(run=with_instance(ledger_show))
    top = actions.add_parser("top", help="a group's contributors and readers, most contributions first")
    top.add_argument("group", metavar="GROUP", help="the group's name")
    top.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, metavar="N", help=f"the window in days (default {DEFAULT_DAYS})"
    )
    top.add_argument("--limit", type=int, default=20, metavar="N", help="at most N lines (default 20)")
    table.add_json(top)
    top.set_defaults(run=with_instance(ledger_top))


def _header() -> list[str]:
    """The columns: a correction's ``moved`` follows ``corrected``, which it is a part of."""
    from ledger.reciprocity import CONSULTATIONS, CONTRIBUTIONS

    counted = ("group", "who", *CONTRIBUTIONS[:4], "moved", "source", *CONSULTATIONS)
    return [*counted, "last contribution", "last consultation"]


async def ledger_show(args: argparse.Namespace, instance: Instance) -> None:
    from ledger import reciprocity

    who = await resolve(instance.pool, instance.urls, args.who, dev=instance.settings.dev)
    await _print(instance, await reciprocity.show(instance.pool, who, instance.clock(), args.days), as_json=args.json)


async def ledger_top(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from ledger import reciprocity
    from ledger.reciprocity import ReciprocityError

    group = await store.get(instance.pool, args.group.lstrip("@"))
    if group.kind != "group":
        raise ReciprocityError(f"{group.name} is not a group")
    group_uri = instance.urls.actor(group.name)
    tallies = await reciprocity.top(instance.pool, group_uri, instance.clock(), args.days, args.limit)
    await _print(instance, tallies, as_json=args.json)


async def resolve(pool: Pool, urls: Urls, raw: str, *, dev: bool) -> str:
    """The actor id or the domain the ledger files ``raw`` under."""
    from actors import store
    from ledger import reciprocity
    from ledger.claims import TrustError, host_name
    from ledger.reciprocity import ReciprocityError

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


async def _print(instance: Instance, tallies: list[Tally], *, as_json: bool) -> None:
    """Groups and actors by their handle (a server by its domain); ``--json`` keeps their URLs too."""
    uris = [uri for tally in tallies for uri in (tally.group_uri, tally.who)]
    known = await handles(instance.pool, instance.urls, uris)
    header = _header()
    table.emit(header, [_row(tally, known, header) for tally in tallies], as_json=as_json)


def _row(tally: Tally, known: dict[str, str], header: list[str]) -> dict[str, object]:
    from ledger.reciprocity import CONSULTATIONS, CONTRIBUTIONS

    counts: list[int] = [tally.counts[kind] for kind in CONTRIBUTIONS[:4]]
    counts += [tally.moved, tally.counts["source"]]
    counts += [tally.counts[kind] for kind in CONSULTATIONS]
    last = (table.when(tally.last_contribution), table.when(tally.last_consultation))
    names = (shown(known, tally.group_uri), shown(known, tally.who))
    row: dict[str, object] = dict(zip(header, (*names, *counts, *last), strict=True))
    return {**row, "group_url": tally.group_uri, "who_url": tally.who}
