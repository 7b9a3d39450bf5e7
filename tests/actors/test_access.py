"""What the ActivityPub routes tell about members-only groups: their followers-only objects and activities are
private to the reader who signed for them, and their followers collection says how many, never who."""

from __future__ import annotations

import httpx
import pytest

from actors import notes, store
from actors.actor import Actor
from chiffres.app import Federation
from fedi.database import Pool
from fedi.instance import Instance
from tests.web.test_api import remote_reader, signed_get

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def entraide(pool: Pool) -> Actor:
    return await store.create(pool, "entraide", "group", visibility="members")


async def follow(pool: Pool, follower: str, followee: str, state: str = "accepted") -> None:
    await pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, $4)",
        f"{follower}/follows/{followee.rsplit('/', 1)[-1]}",
        follower,
        followee,
        state,
    )


def is_private_to_its_reader(response: httpx.Response) -> bool:
    cache = {part.strip() for part in response.headers.get("cache-control", "").split(",")}
    varies = {part.strip().lower() for part in response.headers.get("vary", "").split(",")}
    return "private" in cache and "public" not in cache and {"accept", "signature"} <= varies


async def test_followers_only_objects_and_activities_are_private_to_their_reader(
    fed: Federation, client: httpx.AsyncClient, instance: Instance, entraide: Actor
) -> None:
    follower, key = await remote_reader(fed, "alice")
    await follow(instance.pool, follower, instance.urls.actor("entraide"))
    note = await notes.post(instance.pool, instance.urls, entraide, "Loyer médian : 812 €", "followers", instance.clock)
    create = await instance.pool.fetchval(
        "SELECT activity_id FROM outbox WHERE document->'object'->>'id' = $1", note["id"]
    )
    for uri in (note["id"], create):
        path = uri.removeprefix(instance.urls.base)
        shown = await client.get(path, headers={**AP, **signed_get(path, f"{follower}#main-key", key)})
        assert shown.status_code == 200, shown.text
        assert is_private_to_its_reader(shown), shown.headers
        hidden = await client.get(path, headers=AP)
        assert hidden.status_code == 404
        assert is_private_to_its_reader(hidden), "a shared cache must not give the follower the stranger's 404"


async def test_public_objects_stay_cacheable(client: httpx.AsyncClient, instance: Instance, entraide: Actor) -> None:
    note = await notes.post(instance.pool, instance.urls, entraide, "Bienvenue", "public", instance.clock)
    shown = await client.get(note["id"].removeprefix(instance.urls.base), headers=AP)
    assert shown.status_code == 200
    assert "public" in shown.headers["cache-control"]


async def test_the_followers_synchronization_list_is_private_to_its_reader(
    fed: Federation, client: httpx.AsyncClient, instance: Instance, entraide: Actor
) -> None:
    follower, key = await remote_reader(fed, "alice")
    await follow(instance.pool, follower, instance.urls.actor("entraide"))
    path = "/actors/entraide/followers_synchronization"
    listed = await client.get(path, headers={**AP, **signed_get(path, f"{follower}#main-key", key)})
    assert listed.status_code == 200
    assert listed.json()["orderedItems"] == [follower]
    assert is_private_to_its_reader(listed)


async def test_a_members_only_group_shows_how_many_followers_it_has_never_who(
    fed: Federation, client: httpx.AsyncClient, instance: Instance, entraide: Actor
) -> None:
    members = [f"https://peer.example/users/u{index}" for index in range(3)]
    for member in members:
        await follow(instance.pool, member, instance.urls.actor("entraide"))
    await follow(instance.pool, "https://peer.example/users/pending", instance.urls.actor("entraide"), "pending")
    follower, key = await remote_reader(fed, "alice")
    await follow(instance.pool, follower, instance.urls.actor("entraide"))
    path = "/actors/entraide/followers"
    for headers in (AP, {**AP, **signed_get(path, f"{follower}#main-key", key)}):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200
        document = response.json()
        assert document["totalItems"] == 4
        assert not {"first", "last", "orderedItems", "items"} & document.keys()
        assert "peer.example/users" not in response.text
    for page in ("1", "2"):
        refused = await client.get(f"{path}?page={page}", headers=AP)
        assert refused.status_code == 403
        assert "peer.example/users" not in refused.text
        assert refused.json()["error"]


async def test_a_public_groups_followers_are_listed(client: httpx.AsyncClient, pool: Pool, instance: Instance) -> None:
    await store.create(pool, "prix", "group", visibility="public")
    await follow(pool, "https://peer.example/users/u1", instance.urls.actor("prix"))
    document = (await client.get("/actors/prix/followers", headers=AP)).json()
    assert document["totalItems"] == 1
    page = (await client.get(document["first"].removeprefix(instance.urls.base), headers=AP)).json()
    assert page["orderedItems"] == ["https://peer.example/users/u1"]


async def test_a_persons_following_does_not_tell_their_members_only_groups(
    client: httpx.AsyncClient, pool: Pool, instance: Instance, entraide: Actor
) -> None:
    await store.create(pool, "alice", "person")
    await store.create(pool, "prix", "group", visibility="public")
    for group in ("entraide", "prix"):
        await follow(pool, instance.urls.actor("alice"), instance.urls.actor(group))
    await follow(pool, instance.urls.actor("alice"), "https://peer.example/users/bob")
    document = (await client.get("/actors/alice/following", headers=AP)).json()
    assert document["totalItems"] == 2
    page = (await client.get(document["first"].removeprefix(instance.urls.base), headers=AP)).json()
    assert page["orderedItems"] == ["https://peer.example/users/bob", instance.urls.actor("prix")]
