"""FEP-4ccd ``pendingFollowers``: a group's waiting follow requests, listed to the group and its moderators only,
counted for everyone else, in answers no shared cache may keep for another reader."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors import membership, store
from actors.actor import Actor
from chiffres.app import Federation
from fedi.instance import Instance
from tests.actors.test_access import AP, follow, is_private_to_its_reader
from tests.web.test_api import remote_reader, signed_get

PATH = "/actors/entraide/pending_followers"


@pytest.fixture
async def entraide(instance: Instance) -> Actor:
    group = await store.create(instance.pool, "entraide", "group", visibility="members")
    await follow(instance.pool, "https://peer.example/users/bob", instance.urls.actor("entraide"), "pending")
    await follow(instance.pool, "https://peer.example/users/ann", instance.urls.actor("entraide"), "accepted")
    return group


async def _local_key(instance: Instance, actor: Actor) -> rsa.RSAPrivateKey:
    pem = (await store.signing_keys(instance.pool, actor.id)).rsa_private_pem
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


async def test_the_group_document_names_its_pending_followers(client: httpx.AsyncClient, entraide: Actor) -> None:
    actor = (await client.get("/actors/entraide", headers=AP)).json()
    assert actor["pendingFollowers"] == f"https://chiffres.test{PATH}"


async def test_strangers_see_how_many_wait_never_who(
    fed: Federation, client: httpx.AsyncClient, entraide: Actor
) -> None:
    stranger, key = await remote_reader(fed, "alice")
    for headers in (AP, {**AP, **signed_get(PATH, f"{stranger}#main-key", key)}):
        counted = await client.get(PATH, headers=headers)
        assert counted.status_code == 200
        assert counted.json()["totalItems"] == 1
        assert "first" not in counted.json()
        assert is_private_to_its_reader(counted)
    page = f"{PATH}?page=1"
    refused = await client.get(page, headers={**AP, **signed_get(page, f"{stranger}#main-key", key)})
    assert refused.status_code == 403
    assert (await client.get("/actors/nobody/pending_followers", headers=AP)).status_code == 404


async def test_moderators_see_who_waits(client: httpx.AsyncClient, instance: Instance, entraide: Actor) -> None:
    marie = await store.create(instance.pool, "marie", "person")
    await membership.add_moderator(instance.pool, entraide, marie)
    key = await _local_key(instance, marie)
    page = f"{PATH}?page=1"
    listed = await client.get(page, headers={**AP, **signed_get(page, f"{instance.urls.actor('marie')}#main-key", key)})
    assert listed.status_code == 200, listed.text
    assert listed.json()["orderedItems"] == ["https://peer.example/users/bob"]
    assert is_private_to_its_reader(listed)
    await membership.remove_moderator(instance.pool, entraide, marie)
    refused = await client.get(
        page, headers={**AP, **signed_get(page, f"{instance.urls.actor('marie')}#main-key", key)}
    )
    assert refused.status_code == 403
