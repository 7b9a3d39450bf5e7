"""Claims relayed by a group count only when their author is established, never for our own members, at our time.

A group on ``remote`` published a figure; it relays claims on it (FEP-1b12 ``Announce`` of the activity). Their
authors live on ``elsewhere`` (honest, with an Ed25519 Multikey for some) or nowhere at all (closed ports: the
"invented domains" of a malicious relayer). Each test checks the claim row, the outcome kept for the admin, and
what the consensus computed from the claims counts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from chiffres.app import job_handlers
from fedi import keys, proofs
from fedi.normalise import PUBLIC
from figures.figure import build_figure
from figures.note import note_object
from ledger.claims import CONSENSUS
from tests.inbox.conftest import JSON, World
from tests.support.remote_server import AS2, RemoteActor, RemoteServer, closed_port

INTEGRITY = "https://w3id.org/security/data-integrity/v2"
FAR_FUTURE = "2099-01-01T00:00:00Z"


def now() -> datetime:
    return datetime.now(UTC)


async def remote_figure(
    world: World, remote: RemoteServer, published: datetime | None = None
) -> tuple[RemoteActor, str]:
    """A figure published into the group ``cercle`` of ``remote`` (which relays the claims on it)."""
    group = remote.actor("cercle")
    figure = build_figure(
        {
            "value": "812",
            "unit": "€/mois",
            "measures": "loyer médian T2",
            "place": "Lyon",
            "period": "2026-Q2",
            "source": "https://observatoire.example/loyers",
        }
    )
    note_id = f"{remote.base}/objects/{uuid.uuid4()}"
    note = note_object(
        figure,
        note_id=note_id,
        author=group.id,
        url=note_id,
        to=[PUBLIC],
        cc=[],
        published=published or now() - timedelta(days=30),
        updated=None,
        default_language="fr",
        status_line=None,
        tag_url=lambda tag: f"{remote.base}/tags/{tag}",
        attributed_group=group.id,
    )
    create = {
        "@context": AS2,
        "id": f"{remote.base}/activities/{uuid.uuid4()}",
        "type": "Create",
        "actor": group.id,
        "object": note,
        "to": [PUBLIC, world.member],
    }
    assert (await world.deliver(group, create)).status_code == 202
    assert (await world.process())[0].startswith("stored; figure version 1")
    return group, note_id


def like(actor: str, figure: str, host: str, **fields: Any) -> JSON:
    return {
        "@context": [AS2, INTEGRITY],
        "id": f"{host}/likes/{uuid.uuid4()}",
        "type": "Like",
        "actor": actor,
        "object": figure,
        **fields,
    }


def reply(actor: str, figure: str, host: str, text: str, **fields: Any) -> JSON:
    note = {
        "id": f"{host}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": figure,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
    }
    return {
        "@context": AS2,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": actor,
        "object": note,
        "to": [PUBLIC],
        **fields,
    }


async def relay(world: World, group: RemoteActor, inner: JSON) -> str:
    announce = {
        "@context": AS2,
        "id": f"{group.id}/announces/{uuid.uuid4()}",
        "type": "Announce",
        "actor": group.id,
        "object": inner,
        "to": [PUBLIC],
    }
    assert (await world.deliver(group, announce)).status_code == 202
    [outcome] = await world.process()
    return outcome


def multikey_actor(server: RemoteServer, name: str, key: ed25519.Ed25519PrivateKey) -> str:
    """An actor of ``server`` listing an Ed25519 Multikey (FEP-521a) as its ``assertionMethod``."""
    actor = server.actor(name)
    document = actor.document() | {
        "assertionMethod": [
            {
                "id": f"{actor.id}#ed25519-key",
                "type": "Multikey",
                "controller": actor.id,
                "publicKeyMultibase": keys.ed25519_multibase(key.public_key()),
            }
        ]
    }
    server.publish(f"/users/{name}", document)
    return actor.id


async def claim_of(world: World, actor: str) -> dict[str, Any]:
    row = await world.pool.fetchrow("SELECT * FROM claims WHERE actor = $1", actor)
    assert row is not None, f"no claim of {actor}"
    return dict(row)


async def contributors(world: World, figure: str) -> int:
    """Who the consensus computed now counts, after the job the claims queued."""
    await job_handlers(world.fed)[CONSENSUS]({"figure": figure})
    count = await world.pool.fetchval("SELECT contributors FROM consensus WHERE figure_uri = $1", figure)
    return int(count)


async def test_a_relayed_claim_with_a_valid_proof_counts(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    key = ed25519.Ed25519PrivateKey.generate()
    ines = multikey_actor(elsewhere, "ines", key)
    signed = proofs.sign(like(ines, figure, elsewhere.base), key, f"{ines}#ed25519-key", now())

    outcome = await relay(world, group, signed)

    assert "author established (proof" in outcome, outcome
    claim = await claim_of(world, ines)
    assert (claim["kind"], claim["authenticity"], claim["relayed_by"]) == ("endorse", "proof", group.id)
    assert await contributors(world, figure) == 2


async def test_a_relayed_claim_with_a_bad_proof_is_unverified_and_weighs_nothing(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    key = ed25519.Ed25519PrivateKey.generate()
    ines = multikey_actor(elsewhere, "ines", key)
    forged = proofs.sign(
        like(ines, figure, elsewhere.base), ed25519.Ed25519PrivateKey.generate(), f"{ines}#ed25519-key", now()
    )
    tampered = proofs.sign(like(ines, figure, elsewhere.base), key, f"{ines}#ed25519-key", now())
    tampered["version"] = 1  # a genuine proof, over another document than the one relayed

    outcomes = [await relay(world, group, inner) for inner in (forged, tampered)]

    for outcome in outcomes:
        assert "unverified and weighing nothing: proof refused: the proof does not verify" in outcome, outcome
        assert "cannot be read from its host" in outcome, outcome
    rows = await world.pool.fetch("SELECT authenticity FROM claims WHERE actor = $1", ines)
    assert [row["authenticity"] for row in rows] == ["unverified", "unverified"]
    assert await contributors(world, figure) == 1


async def test_a_proof_by_a_key_of_another_actor_does_not_vouch(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    key = ed25519.Ed25519PrivateKey.generate()
    multikey_actor(elsewhere, "ines", key)
    victim = elsewhere.actor("victim").id
    signed = proofs.sign(like(victim, figure, elsewhere.base), key, f"{elsewhere.base}/users/ines#ed25519-key", now())

    outcome = await relay(world, group, signed)

    assert f"proof refused: its key {elsewhere.base}/users/ines#ed25519-key is" in outcome, outcome
    assert f"not {victim}'s" in outcome, outcome
    assert "unverified" in outcome, outcome
    assert await contributors(world, figure) == 1


async def test_without_proof_a_claim_read_back_from_its_host_counts(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    paul = elsewhere.actor("paul").id
    liked = like(paul, figure, elsewhere.base)
    elsewhere.publish(liked["id"].removeprefix(elsewhere.base), liked)

    outcome = await relay(world, group, liked)

    assert "author established (fetched" in outcome, outcome
    assert (await claim_of(world, paul))["authenticity"] == "fetched"
    assert await contributors(world, figure) == 2


async def test_a_read_back_reply_is_read_as_its_host_serves_it(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    paul = elsewhere.actor("paul").id
    relayed = reply(paul, figure, elsewhere.base, "plutôt 905 €/mois")
    served = relayed["object"] | {"content": "<p>plutôt 812 €/mois</p>"}
    elsewhere.publish(served["id"].removeprefix(elsewhere.base), served)

    outcome = await relay(world, group, relayed)

    assert "fetched" in outcome, outcome
    claim = await claim_of(world, paul)
    assert (claim["authenticity"], str(claim["value"])) == ("fetched", "812"), "the relayer cannot change a value"


async def test_a_claim_its_host_does_not_serve_or_serves_otherwise_is_unverified(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    absent = like(elsewhere.actor("paul").id, figure, elsewhere.base)
    other = like(elsewhere.actor("zoe").id, figure, elsewhere.base)
    elsewhere.publish(other["id"].removeprefix(elsewhere.base), other | {"object": f"{remote.base}/objects/other"})
    fragment = like(elsewhere.actor("yann").id, figure, elsewhere.base) | {"id": f"{elsewhere.base}/users/yann#likes/1"}
    reattributed = reply(elsewhere.actor("xavier").id, figure, elsewhere.base, "plutôt 905 €/mois")
    served = reattributed["object"] | {"attributedTo": elsewhere.actor("paul").id}
    elsewhere.publish(served["id"].removeprefix(elsewhere.base), served)

    outcomes = [await relay(world, group, inner) for inner in (absent, other, fragment, reattributed)]

    assert "HTTP 404" in outcomes[0], outcomes
    assert "is not the relayed Like" in outcomes[1], outcomes
    assert "is not a document its host serves" in outcomes[2], outcomes
    assert "is not the relayed object" in outcomes[3], outcomes
    assert all("unverified and weighing nothing" in outcome for outcome in outcomes), outcomes
    authenticity = await world.pool.fetch("SELECT DISTINCT authenticity FROM claims WHERE relayed_by IS NOT NULL")
    assert [row["authenticity"] for row in authenticity] == ["unverified"]
    assert await contributors(world, figure) == 1


async def test_a_claim_relayed_from_its_authors_own_host_counts(world: World, remote: RemoteServer) -> None:
    # That host holds its actors' keys: it could sign the claim as its author, so relaying it proves as much.
    group, figure = await remote_figure(world, remote)
    local_to_group = remote.actor("rita").id

    outcome = await relay(world, group, like(local_to_group, figure, remote.base))

    assert "author established (host" in outcome, outcome
    assert await contributors(world, figure) == 2


async def test_a_relayed_claim_in_the_name_of_our_member_is_refused(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    key = ed25519.Ed25519PrivateKey.generate()
    ours = like(world.member, figure, world.urls.base) | {"id": f"{world.member}/likes/1"}

    outcome = await relay(world, group, proofs.sign(ours, key, f"{world.member}#ed25519-key", now()))

    assert outcome.startswith("rejected: a relayed claim in the name of"), outcome
    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE actor = $1", world.member) == 0


async def test_a_relayed_activity_whose_id_is_not_on_its_actors_host_is_refused(
    world: World, remote: RemoteServer, elsewhere: RemoteServer
) -> None:
    group, figure = await remote_figure(world, remote)
    squatted = like(elsewhere.actor("paul").id, figure, elsewhere.base) | {"id": f"{figure}#v1"}

    outcome = await relay(world, group, squatted)

    assert outcome.startswith("rejected: the relayed activity's id"), outcome
    assert await world.pool.fetchval("SELECT count(*) FROM claims WHERE relayed_by IS NOT NULL") == 0


async def test_invented_domains_and_our_member_cannot_flip_a_figure(world: World, remote: RemoteServer) -> None:
    # The red-team's attack: corrections from eight domains that do not exist, one in the name of our member,
    # dated 2099, all relayed by the figure's group.
    group, figure = await remote_figure(world, remote)
    invented = [f"http://127.0.0.1:{closed_port()}/users/u{number}" for number in range(8)]
    outcomes = []
    for actor in invented:
        base = actor.rsplit("/users/", 1)[0]
        outcomes.append(
            await relay(world, group, reply(actor, figure, base, "plutôt 905 €/mois", published=FAR_FUTURE))
        )
    ours = reply(world.member, figure, world.urls.base, "plutôt 905 €/mois", published=FAR_FUTURE)
    outcomes.append(await relay(world, group, ours))

    assert await contributors(world, figure) == 1
    status = await world.pool.fetchval("SELECT status FROM consensus WHERE figure_uri = $1", figure)
    assert status != "corrected"
    assert all("unverified and weighing nothing" in outcome for outcome in outcomes[:8]), outcomes
    assert outcomes[8].startswith("rejected"), outcomes
    latest = await world.pool.fetchval("SELECT max(made_at) FROM claims")
    assert latest <= now()


async def test_claim_times_are_ours_moved_back_never_forward(world: World, remote: RemoteServer) -> None:
    group, figure = await remote_figure(world, remote)
    future, past = remote.actor("futur").id, remote.actor("passe").id
    an_hour_ago = (now() - timedelta(hours=1)).replace(microsecond=0)

    before = now()
    await relay(world, group, like(future, figure, remote.base, published=FAR_FUTURE))
    await relay(world, group, like(past, figure, remote.base, published=an_hour_ago.isoformat()))
    after = now()

    assert before <= (await claim_of(world, future))["made_at"] <= after
    assert (await claim_of(world, past))["made_at"] == an_hour_ago


async def test_a_peers_figure_dated_in_the_future_is_claimed_at_our_time(world: World, remote: RemoteServer) -> None:
    before = now()
    group, _ = await remote_figure(world, remote, published=datetime(2099, 1, 1, tzinfo=UTC))

    assert before <= (await claim_of(world, group.id))["made_at"] <= now()
