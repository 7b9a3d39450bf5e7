"""``chiffres reciprocity check``: who reads a group without contributing, and what enforcement does about it.

The command runs the same tick as the worker's hourly loop, so what it prints is what the worker would do; with
``--dry-run`` it only prints. It reads the policy file itself and refuses a wrong one in one line, where the worker
logs it and keeps the last good one: an admin at the terminal wants to be told, a worker must keep running.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chiffres.cli import table
from chiffres.cli.common import with_instance

if TYPE_CHECKING:
    from fedi.instance import Instance

COLUMNS = ("group", "follow", "follower", "who", "consultations", "contributions", "action")
HEADER = "\t".join(COLUMNS)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reciprocity = commands.add_parser("reciprocity", help="enforce the reciprocity charter").add_subparsers(
        dest="reciprocity", required=True, metavar="ACTION"
    )
    check = reciprocity.add_parser(
        "check", help="remind, revoke or restore followers per the policy (reciprocity.toml), one line each"
    )
    check.add_argument("group", metavar="GROUP", nargs="?", help="one group (default: every group)")
    check.add_argument("--dry-run", action="store_true", help="print what would be done and do nothing")
    table.add_json(check)
    check.set_defaults(run=with_instance(check_command))


async def check_command(args: argparse.Namespace, instance: Instance) -> None:
    from actors import store
    from ledger import reciprocity_policy
    from ledger.enforcement import Enforcement
    from ledger.reciprocity import ReciprocityError

    name = args.group.lstrip("@") if args.group else None
    if name is not None and (await store.get(instance.pool, name)).kind != "group":
        raise ReciprocityError(f"{name} is not a group")
    policies = reciprocity_policy.load(instance.settings.data_dir)
    decisions = await Enforcement(instance).tick(group=name, dry_run=args.dry_run, policies=policies)
    rows = [
        {
            "group": decision.group,
            "follow": decision.follow_id,
            "follower": decision.follower,
            "who": decision.who,
            "consultations": decision.consultations,
            "contributions": decision.contributions,
            "action": decision.action,
        }
        for decision in decisions
    ]
    table.emit(COLUMNS, rows, as_json=args.json)
