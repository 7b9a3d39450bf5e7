"""Group commands: how a group is joined (its policy), who answers its follow requests (its moderators), and
which requests wait.

Moderators answer with ``chiffres follows approve|reject ID --as GROUP``, the admin's own commands: the direct
message each of them receives names the request's id for that.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from actors import membership, store
from chiffres.app import Federation
from chiffres.cli.common import with_federation


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("group", help="how groups are joined and who moderates them").add_subparsers(
        dest="group", required=True
    )
    policy = group.add_parser("policy", help="show or set how a follow of the group is answered")
    policy.add_argument("name", metavar="GROUP")
    policy.add_argument(
        "policy",
        nargs="?",
        choices=(*membership.POLICIES, "default"),
        help="open: accept at once; charter: on the acceptance phrase; admin: by a moderator;"
        " default: open for public groups, charter for members-only ones",
    )
    policy.set_defaults(run=with_federation(policy_command))
    moderator = group.add_parser("moderator", help="members who answer the group's follow requests").add_subparsers(
        dest="moderator", required=True
    )
    for action, text in (("add", "make a member a moderator"), ("remove", "no longer a moderator")):
        sub = moderator.add_parser(action, help=text)
        sub.add_argument("name", metavar="GROUP")
        sub.add_argument("member", metavar="MEMBER")
        sub.set_defaults(run=with_federation(moderator_command))
    listed = moderator.add_parser("list", help="one line per moderator: name, added")
    listed.add_argument("name", metavar="GROUP")
    listed.set_defaults(run=with_federation(moderator_list))
    pending = group.add_parser("pending", help="one line per waiting request: id, follower, requested")
    pending.add_argument("name", metavar="GROUP")
    pending.set_defaults(run=with_federation(pending_list))


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


async def policy_command(args: argparse.Namespace, fed: Federation) -> None:
    pool = fed.instance.pool
    group = await store.get(pool, args.name)
    if args.policy is None:
        current = await membership.policy(pool, group)
    else:
        chosen = None if args.policy == "default" else membership.check_policy(args.policy)
        current = await membership.set_policy(pool, group, chosen)
    chosen_here = await membership.chosen_policy(pool, group)
    print(f"{group.name}\t{current}" + ("" if chosen_here else "\t(default)"))


async def moderator_command(args: argparse.Namespace, fed: Federation) -> None:
    pool = fed.instance.pool
    group, member = await store.get(pool, args.name), await store.get(pool, args.member)
    if args.moderator == "add":
        changed = await membership.add_moderator(pool, group, member)
        print(f"{group.name}\t{member.name}\t{'added' if changed else 'already a moderator'}")
    else:
        changed = await membership.remove_moderator(pool, group, member)
        print(f"{group.name}\t{member.name}\t{'removed' if changed else 'was not a moderator'}")


async def moderator_list(args: argparse.Namespace, fed: Federation) -> None:
    pool = fed.instance.pool
    for moderator in await membership.moderators(pool, await store.get(pool, args.name)):
        print(f"{moderator.name}\t{_when(moderator.added_at)}")


async def pending_list(args: argparse.Namespace, fed: Federation) -> None:
    instance = fed.instance
    group = await store.get(instance.pool, args.name)
    for waiting in await membership.pending_for(instance.pool, instance.urls, group):
        print(f"{waiting.id}\t{waiting.follower}\t{_when(waiting.created_at)}")
