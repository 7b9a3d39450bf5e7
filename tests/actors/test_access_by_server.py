"""Followers-only objects are for the servers that follow them: Takahē, and Mastodon with authorized fetch, fetch as
their instance actor, not as the follower. Any actor of a domain with an approved follower of the owner reads the
object; a domain whose follower is pending or refused, an unsigned reader, and anyone a direct object does not
name get 404 — and every such answer is private to its reader."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors import follows, notes, store
from chiffres.app import Federation
from fedi.instance import Instance
from inbox.remote import RemoteActor
from tests.actors.test_access import AP, follow, is_private_to_its_reader
from tests.web.test_api import signed_get


async def reader(fed: Federation, uri: str, kind: str = "Application") -> rsa.RSAPrivateKey:
    """An actor at ``uri`` whose key our cache already holds, so that its signature verifies offline."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    name = uri.rsplit("/", 1)[-1]
    document = {
        "id": uri,
        "type": kind,
        "inbox": f"{uri}/inbox",
        "preferredUsername": name,
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public.decode()},
    }
    await fed.remote.remember(RemoteActor(uri, f"{uri}/inbox", None, None, name, document))
    return key


async def fetch(client: httpx.AsyncClient, instance: Instance, uri: str, signer: str | None, key: object) -> int:
    path = uri.removeprefix(instance.urls.base)
    headers = dict(AP)
    if signer is not None:
        assert isinstance(key, rsa.RSAPrivateKey)
        headers |= signed_get(path, f"{signer}#main-key", key)
    response = await client.get(path, headers=headers)
    assert is_private_to_its_reader(response), response.headers
    return response.status_code


async def test_any_actor_of_a_server_with_an_approved_follower_reads_followers_only_objects(
    fed: Federation, client: httpx.AsyncClient, instance: Instance
) -> None:
    group = await store.create(instance.pool, "entraide", "group", visibility="members")
    group_id = instance.urls.actor("entraide")
    await follow(instance.pool, "https://follows.example/users/alice", group_id)
    await follow(instance.pool, "https://pending.example/users/bob", group_id, "pending")
    await follow(instance.pool, "https://refused.example/users/carol", group_id, "rejected")
    readers = {
        domain: (f"https://{domain}/actor", await reader(fed, f"https://{domain}/actor"))
        for domain in ("follows.example", "pending.example", "refused.example")
    }
    note = await notes.post(instance.pool, instance.urls, group, "Loyer médian : 812 €", "followers", instance.clock)
    create = await instance.pool.fetchval(
        "SELECT activity_id FROM outbox WHERE document->'object'->>'id' = $1", note["id"]
    )
    for uri in (note["id"], create):
        assert await fetch(client, instance, uri, *readers["follows.example"]) == 200
        assert await fetch(client, instance, uri, *readers["pending.example"]) == 404
        assert await fetch(client, instance, uri, *readers["refused.example"]) == 404
        assert await fetch(client, instance, uri, None, None) == 404


async def test_a_direct_activity_stays_with_those_it_names(
    fed: Federation, client: httpx.AsyncClient, instance: Instance
) -> None:
    """Approving dana sends her an Accept addressed to her alone: her server's instance actor may not read it."""
    group = await store.create(instance.pool, "entraide", "group", visibility="members")
    dana = "https://follows.example/users/dana"
    dana_key = await reader(fed, dana, "Person")
    server = "https://follows.example/actor"
    server_key = await reader(fed, server)
    request = {"id": f"{dana}/follows/1", "type": "Follow", "actor": dana, "object": instance.urls.actor("entraide")}
    follow_id = await instance.pool.fetchval(
        "INSERT INTO follows (activity_id, follower, followee, state, document) VALUES ($1, $2, $3, 'pending', $4)"
        " RETURNING id",
        request["id"],
        dana,
        instance.urls.actor("entraide"),
        request,
    )
    await follows.approve(instance.pool, instance.urls, [follow_id], instance.clock, group)
    accept = await instance.pool.fetchval("SELECT activity_id FROM outbox WHERE document->>'type' = 'Accept'")
    assert await fetch(client, instance, accept, dana, dana_key) == 200
    assert await fetch(client, instance, accept, server, server_key) == 404
