"""Group commands: how a group is joined (its policy), who answers its follow requests (its moderators), and
which requests wait.

Moderators answer with ``chiffres follows approve|reject ID --as GROUP``, the admin's own commands: the direct
message each of them receives names the request's id for that.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from chiffres.cli import table
from chiffres.cli.choices import POLICIES
from chiffres.cli.common import with_instance
from chiffres.cli.handles import handles, shown

if TYPE_CHECKING:
    from fedi.instance import Instance


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("group", help="how groups are joined and who moderates them").add_subparsers(
        dest="group", required=True, metavar="ACTION"
    )
    policy = group.add_parser("policy", help="show or set how a follow of the group is answered")
    policy.add_argument("name", metavar="GROUP", help="the group's name")
    policy.add_argument(
        "policy",
        nargs="?",
        choices=(*POLICIES, "default"),
        help="open: accept at once; charter: on the acceptance phrase; admin: by a moderator;"
        " default: open for public groups, charter for members-only ones",
    )
    policy.set_defaults(run=with_instance(policy_command))
    moderator = group.add_parser("moderator", help="members who answer the group's follow requests").add_subparsers(
        dest="moderator", required=True, metavar="ACTION"
    )
    for action, text in (("add", "make a member a moderator"), ("remove", "no longer a moderator")):
        sub = moderator.add_parser(action, help=text)
        sub.add_argument("name", metavar="GROUP", help="the group's name")
        sub.add_argument("member", metavar="MEMBER", help="a local member of the group, by name")
        sub.set_defaults(run=with_instance(moderator_command))
    listed = moderator.add_parser("list", help="the moderators under a header: name, added")
    listed.add_argument("name", metavar="GROUP", help="the group's name")
    table.add_json(listed)
    listed.set_defaults(run=with_instance(moderator_list))
    pending = group.add_parser("pending", help="the waiting requests under a header: id, follower, requested")
    pending.add_argument("name", metavar="GROUP", help="the group's name")
    table.add_json(pending)
    pending.set_defaults(run=with_instance(pending_list))


async def policy_command(args: argparse.Namespace, instance: Instance) -> None:
    from actors import membership, store

    pool = instance.pool
    group = await store.get(pool, args.name)
    if args.policy is None:
        current = await membership.policy(pool, group)
    else:
        chosen = None if args.policy == "default" else membership.check_policy(args.policy)
        current = await membership.set_policy(pool, group, chosen)
    chosen_here = await membership.chosen_policy(pool, group)
    print(f"{group.name}\t{current}" + ("" if chosen_here else "\t(default)"))


async def moderator_command(args: argparse.Namespace, instance: Instance) -> None:
    from actors import membership, store

    pool = instance.pool
    group, member = await store.get(pool, args.name), await store.get(pool, args.member)
    if args.moderator == "add":
        changed = await membership.add_moderator(pool, group, member)
        print(f"{group.name}\t{member.name}\t{'added' if changed else 'already a moderator'}")
    else:
        changed = await membership.remove_moderator(pool, group, member)
        print(f"{group.name}\t{member.name}\t{'removed' if changed else 'was not a moderator'}")


async def moderator_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import membership, store

    pool = instance.pool
    rows = [
        {"name": moderator.name, "added": table.when(moderator.added_at)}
        for moderator in await membership.moderators(pool, await store.get(pool, args.name))
    ]
    table.emit(("name", "added"), rows, as_json=args.json)


async def pending_list(args: argparse.Namespace, instance: Instance) -> None:
    from actors import membership, store

    group = await store.get(instance.pool, args.name)
    waiting = await membership.pending_for(instance.pool, instance.urls, group)
    known = await handles(instance.pool, instance.urls, [request.follower for request in waiting])
    rows = [
        {
            "id": request.id,
            "follower": shown(known, request.follower),
            "requested": table.when(request.created_at),
            "follower_url": request.follower,
        }
        for request in waiting
    ]
    table.emit(("id", "follower", "requested"), rows, as_json=args.json)
