from __future__ import annotations

import asyncio

import pytest

from actors import store
from actors.actor import InvalidName, NameTaken, UnknownActor
from fedi.database import Pool


async def test_create_and_find_a_group(pool: Pool) -> None:
    created = await store.create(pool, "Loyers", "group", display_name="Loyers", visibility="members")
    assert created.name == "loyers"
    assert created.manually_approves
    assert created.visibility == "members"
    assert created.rsa_public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert created.ed25519_public_multibase.startswith("z6Mk")
    assert await store.get(pool, "LOYERS") == created


async def test_members_do_not_require_approval(pool: Pool) -> None:
    member = await store.create(pool, "alice", "person")
    assert not member.manually_approves
    assert member.as2_type == "Person"


async def test_name_taken_and_invalid(pool: Pool) -> None:
    await store.create(pool, "alice", "person")
    with pytest.raises(NameTaken, match="'alice' is already taken"):
        await store.create(pool, "Alice", "group")
    for bad in ("", "a b", "émile", "x" * 31, "a/b"):
        with pytest.raises(InvalidName):
            await store.create(pool, bad, "person")


async def test_unknown_actor(pool: Pool) -> None:
    with pytest.raises(UnknownActor, match="nobody"):
        await store.get(pool, "nobody")


async def test_signing_keys_are_separate_from_the_actor(pool: Pool) -> None:
    member = await store.create(pool, "alice", "person")
    signing = await store.signing_keys(pool, member.id)
    assert "PRIVATE KEY" in signing.rsa_private_pem
    assert "PRIVATE" not in repr(member)


async def test_instance_actor_is_created_once_even_when_raced(pool: Pool) -> None:
    actors = await asyncio.gather(*(store.instance_actor(pool) for _ in range(4)))
    assert len({actor.id for actor in actors}) == 1
    assert actors[0].kind == "application"
    assert await store.listing(pool) == []
