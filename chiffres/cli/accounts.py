"""Account commands: list web accounts, approve or disable one, and print one-time links (an invitation, a
password reset) for the admin to pass on, since the instance sends no mail."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chiffres.cli import table
from chiffres.cli.common import with_instance

if TYPE_CHECKING:
    from fedi.instance import Instance


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    account = commands.add_parser("account", help="web accounts of members").add_subparsers(
        dest="account", required=True, metavar="ACTION"
    )
    listed = account.add_parser("list", help="a header, then one line per account: name, state, created")
    table.add_json(listed)
    listed.set_defaults(run=with_instance(list_command))
    for action, text in (
        ("approve", "open a pending (or disabled) account"),
        ("disable", "close an account and end its sessions"),
    ):
        sub = account.add_parser(action, help=text)
        sub.add_argument("name", metavar="NAME", help="the account's name")
        sub.set_defaults(run=with_instance(state_command))
    account.add_parser("invite", help="print a one-time sign-up link, valid 24 hours").set_defaults(
        run=with_instance(invite_command)
    )
    admin = account.add_parser(
        "admin",
        help="make an account an instance admin (every group's moderation pages, trust in other domains);"
        " no account is one until this command says so, not even the first one created",
    )
    admin.add_argument("name", metavar="NAME", help="the account's name")
    admin.add_argument("--revoke", action="store_true", help="take the admin role back")
    admin.set_defaults(run=with_instance(admin_command))
    reset = account.add_parser("reset", help="print a one-time link to choose a new password, valid 24 hours")
    reset.add_argument("name", metavar="NAME", help="the account's name")
    reset.set_defaults(run=with_instance(reset_command))


async def list_command(args: argparse.Namespace, instance: Instance) -> None:
    from web import accounts

    rows = [
        {"name": found.name, "state": found.state, "created": table.when(found.created_at)}
        for found in await accounts.listing(instance.pool)
    ]
    table.emit(("name", "state", "created"), rows, as_json=args.json)


async def state_command(args: argparse.Namespace, instance: Instance) -> None:
    from web import accounts

    state: accounts.State = "active" if args.account == "approve" else "disabled"
    changed = await accounts.set_state(instance.pool, args.name, state)
    print(f"{changed.name}\t{changed.state}")


async def admin_command(args: argparse.Namespace, instance: Instance) -> None:
    from web import accounts

    changed = await accounts.set_admin(instance.pool, args.name, not args.revoke)
    print(f"{changed.name}\t{'admin' if changed.admin else 'not admin'}")


async def invite_command(args: argparse.Namespace, instance: Instance) -> None:
    from web import onetime

    token = await onetime.issue(instance.pool, "invitation", instance.clock())
    print(f"{instance.urls.base}/signup?invitation={token}")


async def reset_command(args: argparse.Namespace, instance: Instance) -> None:
    from web import accounts, onetime

    found = await accounts.get(instance.pool, args.name)
    token = await onetime.issue(instance.pool, "reset", instance.clock(), found.id)
    print(f"{instance.urls.base}/reset/{token}")
