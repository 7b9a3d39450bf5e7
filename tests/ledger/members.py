"""A group of this instance and members whose follows it approved: the parties most ledger tests start from."""

from __future__ import annotations

from actors import follows, store
from actors.actor import Actor, Visibility
from fedi import keys
from fedi.instance import Instance
from fedi.types import Clock


async def group_with_members(
    instance: Instance,
    key_pair: keys.KeyPair,
    clock: Clock,
    names: tuple[str, ...],
    *,
    visibility: Visibility = "members",
) -> tuple[Actor, list[Actor]]:
    """The group ``loyers`` and the named persons, each an approved member of it."""
    pool, urls = instance.pool, instance.urls
    group = await store.create(pool, "loyers", "group", visibility=visibility, key_factory=lambda: key_pair)
    members = []
    for name in names:
        member = await store.create(pool, name, "person", key_factory=lambda: key_pair)
        asked = await follows.follow(pool, urls, member, urls.actor("loyers"), urls.inbox("loyers"), clock)
        await follows.approve(pool, urls, [asked.id], clock, group)
        members.append(member)
    return group, members
