"""Relay commands: subscribe the instance to relays, list them, leave them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from actors.actor import ActorError
from chiffres.cli import table
from chiffres.cli.common import with_federation, with_instance

if TYPE_CHECKING:
    from chiffres.federation import Federation
    from fedi.instance import Instance


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    relay = commands.add_parser("relay", help="relays that rebroadcast public figures").add_subparsers(
        dest="relay", required=True, metavar="ACTION"
    )
    add = relay.add_parser("add", help="subscribe the instance actor to a relay (its inbox URL or its actor URL)")
    add.add_argument("url", metavar="URL", help="the relay's inbox URL (Mastodon style) or actor URL (LitePub)")
    add.set_defaults(run=with_federation(relay_add))
    listed = relay.add_parser("list", help="relays under a header: inbox, state, actor")
    table.add_json(listed)
    listed.set_defaults(run=with_instance(relay_list))
    remove = relay.add_parser("remove", help="leave a relay (sends Undo of our Follow)")
    remove.add_argument("url", metavar="URL", help="the relay's inbox URL, as relay list shows it")
    remove.set_defaults(run=with_instance(relay_remove))


async def relay_add(args: argparse.Namespace, fed: Federation) -> None:
    """An inbox URL is followed as Mastodon does (Public, POSTed there); an actor URL as LitePub does."""
    from actors import relays
    from inbox.remote import ActorUnavailable

    instance = fed.instance
    url = relays.check_url(args.url, instance.urls)
    inbox, actor = url, None
    if not relays.is_inbox_url(url):
        try:
            remote = await fed.remote.actor(url, refresh=True)
        except ActorUnavailable as error:
            raise ActorError(f"cannot reach the relay actor {url}: {error}") from None
        inbox, actor = remote.shared_inbox or remote.inbox, remote.uri
    made = await relays.subscribe(instance.pool, instance.urls, instance.clock, inbox, actor)
    print(f"{made.inbox}\t{made.state}")


async def relay_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import relays

    rows = [
        {"inbox": subscription.inbox, "state": subscription.state, "actor": subscription.actor}
        for subscription in await relays.listing(instance.pool)
    ]
    table.emit(("inbox", "state", "actor"), rows, as_json=args.json)


async def relay_remove(args: argparse.Namespace, instance: Instance) -> None:
    from actors import relays

    gone = await relays.unsubscribe(instance.pool, instance.urls, instance.clock, args.url.strip())
    print(f"{gone.inbox}\tremoved")
