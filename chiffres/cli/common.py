"""What every command shares: how it gets the instance, and its federation, from the settings, and how it finds
the figure a person names (its URL, its uuid or the number ``figure show`` prints).

Most commands need the instance alone (its database, addresses and clock). Only those that fetch from other
servers, or run the worker's jobs, get its federation as well: its HTTP clients and remote actor cache bring units,
claims and numpy along, a third of a second more at every start (see ``chiffres.cli`` on imports)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fedi.config import Settings

if TYPE_CHECKING:
    from chiffres.federation import Federation
    from fedi.instance import Instance

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def with_instance(action: Callable[[argparse.Namespace, Instance], Awaitable[None]]) -> Command:
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        from chiffres import server

        prepared = await server.prepare(settings, serving=False)
        try:
            await action(args, prepared.instance)
        finally:
            await prepared.database.close()
        return 0

    return run


def with_federation(action: Callable[[argparse.Namespace, Federation], Awaitable[None]]) -> Command:
    async def federated(args: argparse.Namespace, instance: Instance) -> None:
        from chiffres.federation import federation

        fed = federation(instance)
        try:
            await action(args, fed)
        finally:
            await fed.close()

    return with_instance(federated)


#: The help of every argument that names a figure.
FIGURE_HELP = "the figure: its URL, its uuid or its number (as figure show and request list print them)"


async def figure_uri(instance: Instance, ident: str) -> str:
    """A figure of this instance named by its URL, its uuid or its number; refused in one line when unknown."""
    from ledger.publication import PublicationError

    pool = instance.pool
    text = ident.strip()
    if text.isdigit():
        found = await pool.fetchval("SELECT uri FROM figures WHERE id = $1", int(text)) if len(text) < 19 else None
    else:
        try:
            uuid.UUID(text)
        except ValueError:
            found = await pool.fetchval("SELECT uri FROM figures WHERE uri = $1", text)
        else:
            found = await pool.fetchval(
                "SELECT uri FROM figures WHERE uri = $1 OR uri LIKE $2 ORDER BY uri = $1 DESC, id LIMIT 1",
                instance.urls.object(text.lower()),
                f"%/{text.lower()}",
            )
    if found is None:
        raise PublicationError(f"no figure {ident} known here")
    return str(found)
