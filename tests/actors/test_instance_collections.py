"""The instance actor's collections resolve and page like any actor's: Fedify walks ``first`` → ``next`` and threw
when ``/actor/outbox?page=1`` answered the collection again; its ``followers`` named nothing that resolved."""

from __future__ import annotations

import httpx
import pytest

from actors import store
from actors.outbox import activity, publish
from fedi.instance import Instance

AP = {"Accept": "application/activity+json"}
PEER = "https://peer.example/actor"


async def _followed_by(instance: Instance, follower: str, state: str) -> None:
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, $4)",
        f"{follower}/follows/1",
        follower,
        instance.urls.instance_actor(),
        state,
    )


async def test_the_outbox_serves_pages_of_public_activities(client: httpx.AsyncClient, instance: Instance) -> None:
    actor = await store.instance_actor(instance.pool)
    announce = activity(instance.urls, instance.urls.instance_actor(), "Announce", PEER, to=[PEER])
    async with instance.pool.acquire() as connection:
        await publish(connection, actor, announce, "public")

    outbox = (await client.get("/actor/outbox", headers=AP)).json()
    assert (outbox["type"], outbox["totalItems"]) == ("OrderedCollection", 1)
    first = await client.get(outbox["first"].removeprefix(instance.urls.base), headers=AP)

    assert first.status_code == 200
    page = first.json()
    assert page["type"] == "OrderedCollectionPage"
    assert page["id"] == outbox["first"] == str(first.url)
    assert page["partOf"] == outbox["id"] == instance.urls.instance_outbox()
    assert [item["id"] for item in page["orderedItems"]] == [announce["id"]]
    assert "next" not in page


@pytest.mark.parametrize("page", ["0", "-1", "deux"])
async def test_a_page_that_is_no_positive_number_is_400(client: httpx.AsyncClient, page: str) -> None:
    response = await client.get(f"/actor/outbox?page={page}", headers=AP)
    assert response.status_code == 400
    assert "page" in response.json()["error"]


async def test_the_followers_named_in_its_document_resolve_to_its_accepted_followers(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    await _followed_by(instance, PEER, "accepted")
    await _followed_by(instance, "https://stranger.example/actor", "pending")
    document = (await client.get("/actor", headers=AP)).json()
    assert document["followers"] == instance.urls.instance_followers()

    response = await client.get(document["followers"].removeprefix(instance.urls.base), headers=AP)
    assert response.status_code == 200
    followers = response.json()
    assert (followers["id"], followers["type"], followers["totalItems"]) == (
        document["followers"],
        "OrderedCollection",
        1,
    )
    page = (await client.get(followers["first"].removeprefix(instance.urls.base), headers=AP)).json()
    assert page["orderedItems"] == [PEER]
