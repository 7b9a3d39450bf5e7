"""What every command shares: how it gets the instance, and its federation, from the settings."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from chiffres import server
from chiffres.app import Federation, federation
from fedi.config import Settings

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
