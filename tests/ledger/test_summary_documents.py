"""A consensus summary on the wire: our vocabulary with our context, and no id that would not resolve.

Summaries used to carry ids under ``/actor/summaries/…`` that no route served. A summary is one origin's current
word on a figure, replaced by the next, so it now has no id of its own; the Update carrying it has one, served to
the peers it names and to no one else.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import schemas
from actors import store
from chiffres.app import Federation
from consensus.vocabulary import Summary
from fedi.instance import Instance
from inbox.remote import RemoteActor
from ledger.peers import Sharing, summary_from
from tests.web.test_api import signed_get

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
AP = {"Accept": "application/activity+json"}


async def _reader(fed: Federation, uri: str) -> rsa.RSAPrivateKey:
    """A remote actor whose key our cache already holds, so that its signature verifies offline."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    document = {
        "id": uri,
        "type": "Application",
        "inbox": f"{uri}/inbox",
        "preferredUsername": "actor",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public.decode()},
    }
    await fed.remote.remember(RemoteActor(uri, f"{uri}/inbox", None, None, "actor", document))
    return key


async def _shared(instance: Instance, peer: str, version: int | None) -> dict[str, object]:
    """What Sharing sends ``peer`` for a summary of a public figure of ours."""
    await store.instance_actor(instance.pool)
    figure = instance.urls.object("f")
    await instance.pool.execute(
        "INSERT INTO figures (uri, origin, author, audience, version, wire, note, value, unit_code, measures, language,"
        " published) VALUES ($1, $2, $3, 'public', 1, '{}', '{}', 812, 'EUR/month', 'loyer', 'fr', $4)",
        figure,
        instance.urls.domain,
        instance.urls.actor("marie"),
        T0,
    )
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
        " VALUES ($1, $2, $3, 'accepted', $4)",
        f"{peer}/follows/1",
        peer,
        instance.urls.instance_actor(),
        f"{peer}/inbox",
    )
    await instance.pool.execute(  # and ours follows theirs: a peer both ways, as `chiffres peer add` leaves it
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{instance.urls.instance_actor()}/follows/peer",
        instance.urls.instance_actor(),
        peer,
    )
    summary = Summary(figure, instance.urls.domain, 812.0, 800.0, 820.0, 2.0, 2, version, T0)
    await Sharing(instance.pool, instance.urls, instance.clock)(summary)
    document = await instance.pool.fetchval("SELECT document FROM outbox")
    assert isinstance(document, dict)
    return document


async def test_a_summary_has_our_context_and_no_id_of_its_own(instance: Instance) -> None:
    update = await _shared(instance, "https://peer.example/actor", 3)
    summary = update["object"]
    assert isinstance(summary, dict)
    assert "id" not in summary
    assert schemas.chiffres_context() in summary["@context"]
    assert summary_from(summary, instance.urls.domain, T0) is not None


async def test_a_summary_without_version_says_nothing_of_it(instance: Instance) -> None:
    update = await _shared(instance, "https://peer.example/actor", None)
    summary = update["object"]
    assert isinstance(summary, dict)
    assert "version" not in summary
    read = summary_from(summary, instance.urls.domain, T0)
    assert read is not None
    assert read.version is None


async def test_the_update_carrying_it_resolves_for_the_peer_it_names_only(
    fed: Federation, client: httpx.AsyncClient, instance: Instance
) -> None:
    peer, stranger = "https://peer.example/actor", "https://stranger.example/actor"
    peer_key, stranger_key = await _reader(fed, peer), await _reader(fed, stranger)
    update = await _shared(instance, peer, 3)
    path = str(update["id"]).removeprefix(instance.urls.base)

    shown = await client.get(path, headers={**AP, **signed_get(path, f"{peer}#main-key", peer_key)})
    assert shown.status_code == 200, shown.text
    assert shown.json()["object"]["type"] == "ConsensusSummary"
    for headers in (AP, {**AP, **signed_get(path, f"{stranger}#main-key", stranger_key)}):
        assert (await client.get(path, headers=headers)).status_code == 404
