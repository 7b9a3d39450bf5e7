"""What every command shares: how it gets the instance, and its federation, from the settings, and how it finds
the figure a person names (its URL, its uuid or the number ``figure show`` prints)."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Awaitable, Callable

from chiffres import server
from chiffres.app import Federation, federation
from fedi.config import Settings
from ledger.publication import PublicationError

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def with_federation(action: Callable[[argparse.Namespace, Federation], Awaitable[None]]) -> Command:
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


#: The help of every argument that names a figure.
FIGURE_HELP = "the figure: its URL, its uuid or its number (as figure show and request list print them)"


async def figure_uri(fed: Federation, ident: str) -> str:
    """A figure of this instance named by its URL, its uuid or its number; refused in one line when unknown."""
    pool = fed.instance.pool
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
                fed.instance.urls.object(text.lower()),
                f"%/{text.lower()}",
            )
    if found is None:
        raise PublicationError(f"no figure {ident} known here")
    return str(found)
