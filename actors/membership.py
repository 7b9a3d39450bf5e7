"""Membership of a group: how a follow of it is answered (its join policy), who answers (its moderators), and who
is still waiting (its pending followers).

A policy left unset follows the group's visibility, so that a group created before policies existed behaves as
the charter says: a public group's follows are open, a members-only group's wait for the charter. Moderators are
local persons: they are reached by direct message and act with the admin's commands, so a remote account could
neither receive the notice reliably nor be authenticated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from actors import store
from actors.actor import Actor, ActorError
from fedi.database import Connection, Pool
from fedi.urls import Urls

Policy = Literal["open", "charter", "admin"]
POLICIES: tuple[Policy, ...] = ("open", "charter", "admin")


class MembershipError(ActorError):
    """A policy, moderator or group that does not fit (not a group, not a member, unknown policy)."""


@dataclass(frozen=True)
class Moderator:
    name: str
    added_at: datetime


@dataclass(frozen=True)
class Pending:
    """A follow request waiting for an answer, as a moderator needs to see it."""

    id: int
    activity_id: str
    follower: str
    created_at: datetime


def default_policy(group: Actor) -> Policy:
    return "open" if group.visibility == "public" else "charter"


def check_policy(value: str) -> Policy:
    if value not in POLICIES:
        raise MembershipError(f"unknown join policy {value!r}: use one of {', '.join(POLICIES)}")
    return value


def _check_group(group: Actor) -> None:
    if group.kind != "group":
        raise MembershipError(f"{group.name} is not a group")


async def chosen_policy(db: Pool | Connection, group: Actor) -> Policy | None:
    """The policy an admin set, or None when the default for the group's visibility applies."""
    _check_group(group)
    chosen = await db.fetchval("SELECT join_policy FROM actors WHERE id = $1", group.id)
    return check_policy(chosen) if chosen else None


async def policy(db: Pool | Connection, group: Actor) -> Policy:
    """The policy in force: the one set, or the default for the group's visibility."""
    return await chosen_policy(db, group) or default_policy(group)


async def set_policy(db: Pool | Connection, group: Actor, chosen: Policy | None) -> Policy:
    """Set (or, with None, reset to the default) the policy; returns the policy now in force."""
    _check_group(group)
    await db.execute("UPDATE actors SET join_policy = $2 WHERE id = $1", group.id, chosen)
    return chosen or default_policy(group)


def _check_member(member: Actor) -> None:
    if member.kind != "person":
        raise MembershipError(f"{member.name} is not a member: moderators are local persons")


async def add_moderator(db: Pool | Connection, group: Actor, member: Actor) -> bool:
    """False when the member already moderates the group."""
    _check_group(group)
    _check_member(member)
    result = await db.execute(
        "INSERT INTO group_moderators (group_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        group.id,
        member.id,
    )
    return not result.endswith(" 0")


async def remove_moderator(db: Pool | Connection, group: Actor, member: Actor) -> bool:
    """False when the member did not moderate the group."""
    _check_group(group)
    result = await db.execute(
        "DELETE FROM group_moderators WHERE group_id = $1 AND member_id = $2", group.id, member.id
    )
    return not result.endswith(" 0")


async def moderators(db: Pool | Connection, group: Actor) -> list[Moderator]:
    """The group's moderators, first added first."""
    rows = await db.fetch(
        "SELECT a.name, m.added_at FROM group_moderators m JOIN actors a ON a.id = m.member_id"
        " WHERE m.group_id = $1 ORDER BY m.added_at, a.name",
        group.id,
    )
    return [Moderator(row["name"], row["added_at"]) for row in rows]


async def moderated_by(db: Pool | Connection, urls: Urls, group: Actor, actor_uri: str) -> bool:
    """Whether the actor with that id is the group itself or one of its moderators."""
    if actor_uri == store.uri_of(urls, group):
        return True
    name = urls.local_name(actor_uri)
    if name is None:
        return False
    found = await db.fetchval(
        "SELECT 1 FROM group_moderators m JOIN actors a ON a.id = m.member_id WHERE m.group_id = $1 AND a.name = $2",
        group.id,
        name,
    )
    return bool(found)


async def pending_request(db: Pool | Connection, urls: Urls, group: Actor, follower: str) -> int | None:
    """The id of ``follower``'s waiting request to join the group, if they have one."""
    found: int | None = await db.fetchval(
        "SELECT id FROM follows WHERE follower = $1 AND followee = $2 AND state = 'pending'",
        follower,
        store.uri_of(urls, group),
    )
    return found


async def pending_for(db: Pool | Connection, urls: Urls, group: Actor) -> list[Pending]:
    """Follow requests of the group still waiting, oldest first."""
    rows = await db.fetch(
        "SELECT id, activity_id, follower, created_at FROM follows WHERE followee = $1 AND state = 'pending'"
        " ORDER BY created_at, id",
        store.uri_of(urls, group),
    )
    return [Pending(row["id"], row["activity_id"], row["follower"], row["created_at"]) for row in rows]
