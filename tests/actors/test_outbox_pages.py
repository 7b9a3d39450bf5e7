"""An outbox is walked by id, newest first, as Mastodon's: ``first`` → ``next`` … reaches every public activity
once, ``prev`` walks back, ``last`` holds the oldest; its ``totalItems``, like a followers collection's, follows
inserts, deletions and changes of state. Numbered pages of old links still answer."""

from __future__ import annotations

import httpx

from actors import store
from actors.actor import Actor
from actors.collection import NUMBERED_PAGES, PAGE_SIZE
from actors.outbox import activity, publish
from fedi.instance import Instance

AP = {"Accept": "application/activity+json"}
PEER = "https://peer.example/actor"


async def _published(instance: Instance, actor: Actor, count: int, audience: str = "public") -> list[str]:
    ids = []
    async with instance.pool.acquire() as connection:
        for _ in range(count):
            document = activity(instance.urls, instance.urls.actor(actor.name), "Announce", PEER, to=[PEER])
            await publish(connection, actor, document, audience)
            ids.append(str(document["id"]))
    return ids


async def _get(client: httpx.AsyncClient, instance: Instance, url: str) -> dict[str, object]:
    response = await client.get(url.removeprefix(instance.urls.base), headers=AP)
    assert response.status_code == 200, response.text
    document: dict[str, object] = response.json()
    return document


async def test_next_links_walk_every_public_activity_once_newest_first(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    group = await store.create(instance.pool, "loyers", "group", visibility="public")
    public = await _published(instance, group, 2 * PAGE_SIZE + 3)
    await _published(instance, group, 4, "followers")

    outbox = await _get(client, instance, instance.urls.outbox("loyers"))
    assert outbox["totalItems"] == len(public)
    seen: list[str] = []
    pages = []
    url: object = outbox["first"]
    while isinstance(url, str):
        page = await _get(client, instance, url)
        assert page["id"] == url
        assert page["partOf"] == outbox["id"]
        assert page["totalItems"] == len(public)
        seen += [item["id"] for item in page["orderedItems"]]  # type: ignore[attr-defined]
        pages.append(page)
        url = page.get("next")
    assert seen == public[::-1]
    assert [len(page["orderedItems"]) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 3]  # type: ignore[arg-type]
    assert "prev" not in pages[0]

    back = await _get(client, instance, str(pages[2]["prev"]))
    assert back["orderedItems"] == pages[1]["orderedItems"]
    last = await _get(client, instance, str(outbox["last"]))
    assert [item["id"] for item in last["orderedItems"]] == public[PAGE_SIZE - 1 :: -1]  # type: ignore[attr-defined]
    assert "next" not in last

    numbered = await _get(client, instance, instance.urls.outbox("loyers") + "?page=2")
    assert numbered["orderedItems"] == pages[1]["orderedItems"]


async def test_the_count_follows_deletions_and_other_outboxes_do_not_touch_it(
    client: httpx.AsyncClient, instance: Instance
) -> None:
    group = await store.create(instance.pool, "loyers", "group", visibility="public")
    other = await store.create(instance.pool, "ana", "person")
    ids = await _published(instance, group, 5)
    await _published(instance, other, 2)
    await instance.pool.execute("DELETE FROM outbox WHERE activity_id = ANY($1)", ids[:2])
    await instance.pool.execute("UPDATE outbox SET audience = 'followers' WHERE activity_id = $1", ids[2])
    outbox = await _get(client, instance, instance.urls.outbox("loyers"))
    assert outbox["totalItems"] == 2
    page = await _get(client, instance, str(outbox["first"]))
    assert [item["id"] for item in page["orderedItems"]] == ids[:2:-1]  # type: ignore[attr-defined]
    assert (await _get(client, instance, instance.urls.outbox("ana")))["totalItems"] == 2


async def test_the_followers_count_follows_accepts_and_unfollows(client: httpx.AsyncClient, instance: Instance) -> None:
    await store.create(instance.pool, "loyers", "group", visibility="public")
    followee = instance.urls.actor("loyers")
    for number in range(3):
        await instance.pool.execute(
            "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'pending')",
            f"https://peer.example/follows/{number}",
            f"https://peer.example/users/u{number}",
            followee,
        )
    followers = instance.urls.followers("loyers")
    assert (await _get(client, instance, followers))["totalItems"] == 0
    await instance.pool.execute("UPDATE follows SET state = 'accepted'")
    assert (await _get(client, instance, followers))["totalItems"] == 3
    await instance.pool.execute("UPDATE follows SET reminded_at = now()")
    await instance.pool.execute("DELETE FROM follows WHERE activity_id = 'https://peer.example/follows/0'")
    document = await _get(client, instance, followers)
    assert document["totalItems"] == 2
    page = await _get(client, instance, str(document["first"]))
    items = page["orderedItems"]
    assert isinstance(items, list)
    assert sorted(items) == [f"https://peer.example/users/u{n}" for n in (1, 2)]


async def test_bad_cursors_are_400_and_numbered_pages_stop(client: httpx.AsyncClient, instance: Instance) -> None:
    await store.create(instance.pool, "loyers", "group", visibility="public")
    path = instance.urls.outbox("loyers").removeprefix(instance.urls.base)
    for query in ("page=true&max_id=-1", "max_id=abc", "page=true&min_id=99999999999999999999", "page=0"):
        response = await client.get(f"{path}?{query}", headers=AP)
        assert response.status_code == 400, query
        assert response.json()["error"]
    far = await client.get(f"{path}?page={NUMBERED_PAGES + 1}", headers=AP)
    assert far.status_code == 404
    assert "next" in far.json()["error"]
