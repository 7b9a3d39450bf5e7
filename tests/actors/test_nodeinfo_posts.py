"""NodeInfo's ``localPosts``: every local actor's public activities, as crawlers read it, from the kept counts."""

from __future__ import annotations

import json

import httpx

from actors import store
from fedi.database import Pool
from tests.conftest import TEST_DOMAIN

BASE = f"https://{TEST_DOMAIN}"


async def _post(pool: Pool, actor_id: int, number: int, audience: str) -> None:
    await pool.execute(
        "INSERT INTO outbox (actor_id, activity_id, audience, document) VALUES ($1, $2, $3, $4::jsonb)",
        actor_id,
        f"{BASE}/activities/{number}",
        audience,
        json.dumps({"id": f"{BASE}/activities/{number}", "type": "Create"}),
    )


async def _local_posts(client: httpx.AsyncClient) -> int:
    response = await client.get("/nodeinfo/2.1")
    assert response.status_code == 200
    return int(response.json()["usage"]["localPosts"])


async def test_local_posts_count_every_actors_public_activities(client: httpx.AsyncClient, pool: Pool) -> None:
    assert await _local_posts(client) == 0
    group = await store.create(pool, "loyers", "group", visibility="public")
    member = await store.create(pool, "ana", "person")
    for number in range(3):
        await _post(pool, group.id, number, "public")
    await _post(pool, member.id, 3, "public")
    await _post(pool, member.id, 4, "followers")
    await _post(pool, member.id, 5, "direct")
    assert await _local_posts(client) == 4
    await pool.execute("DELETE FROM outbox WHERE activity_id = $1", f"{BASE}/activities/0")
    assert await _local_posts(client) == 3
