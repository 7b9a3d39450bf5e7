"""Who reads and who writes through the API: members-only figures only for approved followers of their group
(here or on another instance), publishing only for approved members, and answers no shared cache may keep."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from actors import follows, store, tokens
from actors.actor import Actor
from chiffres.app import Federation
from fedi import keys
from ledger.publication import NotAMember
from tests.web.test_api import API, PEER, World, bearer, error_of, join, listed, make_world, remote_figure, rent

PRIX = f"{PEER}/actors/prix"


@pytest.fixture
async def world(fed: Federation, key_pair: keys.KeyPair) -> World:
    return await make_world(fed.instance.pool, fed.instance.urls, key_pair)


@pytest.fixture
async def zoe(pool: Any, key_pair: keys.KeyPair, world: World) -> Actor:
    """A local person who follows no group."""
    return await store.create(pool, "zoe", "person", key_factory=lambda: key_pair)


async def everywhere(client: httpx.AsyncClient, headers: dict[str, str], figure: int, words: str) -> dict[str, bool]:
    """Whether a figure shows, read every way the API offers: listing, search, by id, versions, CSV, JSONL."""
    by_id = await client.get(f"{API}/{figure}", headers=headers)
    versions = await client.get(f"{API}/{figure}/versions", headers=headers)
    csv = await client.get(f"{API}.csv", headers=headers)
    jsonl = await client.get(f"{API}.jsonl", headers=headers)
    assert {by_id.status_code, versions.status_code} <= {200, 404}
    return {
        "list": figure in {item["id"] for item in await listed(client, headers)},
        "search": figure in {item["id"] for item in await listed(client, headers, q=words)},
        "id": by_id.status_code == 200,
        "versions": versions.status_code == 200,
        "csv": any(line.startswith(f"{figure},") for line in csv.text.splitlines()),
        "jsonl": any(line.startswith(f'{{"id":{figure},') for line in jsonl.text.splitlines()),
    }


NOWHERE = dict.fromkeys(("list", "search", "id", "versions", "csv", "jsonl"), False)
EVERYWHERE = dict.fromkeys(NOWHERE, True)


async def test_another_instances_members_only_figure_is_for_approved_followers_of_its_group(
    client: httpx.AsyncClient, world: World, pool: Any, zoe: Actor
) -> None:
    hidden = await remote_figure(world, pool, 5, audience="followers", measures="loyer d'un entrepôt")
    token = bearer(await tokens.create_token(pool, zoe.id))
    assert await everywhere(client, token, hidden, "entrepôt") == NOWHERE
    asked = await follows.follow(pool, world.urls, zoe, PRIX, f"{PRIX}/inbox", world.clock)
    assert await everywhere(client, token, hidden, "entrepôt") == NOWHERE, "a pending follow opens nothing"
    async with pool.acquire() as connection:
        assert await follows.on_answer(connection, asked.activity_id, PRIX, accepted=True)
    assert await everywhere(client, token, hidden, "entrepôt") == EVERYWHERE
    for member in (world.marie_token, world.paul_token):
        assert await everywhere(client, bearer(member), hidden, "entrepôt") == NOWHERE, "members here, not there"


async def test_a_local_members_only_group_is_read_by_its_members_only(
    client: httpx.AsyncClient, world: World, pool: Any, zoe: Actor
) -> None:
    private = await world.publish(group=world.entraide, measures="loyer d'une chambre de bonne")
    stranger = bearer(await tokens.create_token(pool, zoe.id))
    assert await everywhere(client, stranger, private.id, "chambre") == NOWHERE
    assert await everywhere(client, bearer(world.paul_token), private.id, "chambre") == EVERYWHERE
    pauls = [f for f in await follows.listing(pool, world.urls, actor=world.entraide) if f.follower.endswith("/paul")]
    await follows.reject(pool, world.urls, [pauls[0].id], world.clock, world.entraide)
    assert await everywhere(client, bearer(world.paul_token), private.id, "chambre") == NOWHERE, "revoked"


async def test_publishing_needs_an_approved_membership_of_the_group(
    client: httpx.AsyncClient, world: World, pool: Any, zoe: Actor
) -> None:
    token = bearer(await tokens.create_token(pool, zoe.id))
    for group in ("entraide", "loyers"):
        response = await client.post(API, json={**rent(), "group": group}, headers=token)
        assert response.status_code == 403, response.text
        assert f"zoe is not an approved member of {group}" in error_of(response)
    await follows.follow(pool, world.urls, zoe, world.urls.actor("entraide"), world.urls.inbox("entraide"), world.clock)
    refused = await client.post(API, json={**rent(), "group": "entraide"}, headers=token)
    assert refused.status_code == 403, "a pending follow is not a membership"
    assert await listed(client, bearer(world.marie_token)) == []
    with pytest.raises(NotAMember):
        await world.publisher.publish(zoe, world.entraide, rent(), "fr")
    await follows.approve(pool, world.urls, await follows.pending_ids(pool, world.urls, world.entraide), world.clock)
    created = await client.post(API, json={**rent(), "group": "entraide"}, headers=token)
    assert created.status_code == 201, created.text
    assert created.json()["author"] == world.urls.actor("zoe")


async def test_a_revoked_member_cannot_change_a_figure_but_may_withdraw_it(
    client: httpx.AsyncClient, world: World, pool: Any, zoe: Actor
) -> None:
    await join(pool, world.urls, zoe, world.entraide, world.clock)
    published = await world.publish(group=world.entraide, author=zoe)
    token = bearer(await tokens.create_token(pool, zoe.id))
    zoes = [f for f in await follows.listing(pool, world.urls, actor=zoe) if f.followee == world.urls.actor("entraide")]
    await follows.reject(pool, world.urls, [zoes[0].id], world.clock, world.entraide)
    changed = await client.patch(f"{API}/{published.id}", json={"value": "900"}, headers=token)
    assert changed.status_code == 403, changed.text
    assert "not an approved member of entraide" in error_of(changed)
    assert (await client.delete(f"{API}/{published.id}", headers=token)).status_code == 204


async def test_members_only_answers_are_private_to_their_reader(
    client: httpx.AsyncClient, world: World, pool: Any, zoe: Actor
) -> None:
    private = await world.publish(group=world.entraide)
    member, stranger = bearer(world.marie_token), bearer(await tokens.create_token(pool, zoe.id))
    answers = [
        await client.get(f"{API}/{private.id}", headers=member),
        await client.get(f"{API}/{private.id}", headers=stranger),
        await client.get(f"{API}/{private.id}"),
        await client.get(API, headers=member),
        await client.get(f"{API}.csv", headers=member),
        await client.get(f"{API}/{private.id}", headers=bearer("wrong")),
    ]
    assert [answer.status_code for answer in answers] == [200, 404, 404, 200, 200, 401]
    for answer in answers:
        assert "private" in answer.headers["cache-control"], answer.request.url
        assert "public" not in answer.headers["cache-control"]
        varies = {name.strip().lower() for name in answer.headers["vary"].split(",")}
        assert {"accept", "authorization", "signature"} <= varies, answer.request.url
