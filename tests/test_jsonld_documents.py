"""Every document type we send, as a JSON-LD reader sees it: nothing dropped, no blank-node or relative IRI.

Strict receivers (Fedify, pyld-based relays, FediTest) expand what they receive; a term no context defines falls to
ActivityStreams' ``@vocab`` ``_:`` and becomes a blank-node property, and an IRI-typed value that is not absolute is
resolved against a base the reader made up. Each document below is built by the code that sends it — the actor
routes, the publisher, the command line, the consensus sharing, a group relaying claims received in its inbox — and
expanded with pyld through our offline loader. The documents checked are the keys of :data:`DOCUMENTS`.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from pyld import jsonld as pyld

from actors import store
from chiffres.cli.claims import reply_figure
from consensus.vocabulary import Consensus, Status, Summary
from fedi import jsonld
from ledger.peers import Sharing
from tests.inbox.conftest import (  # noqa: F401  (fixtures this module uses)
    JSON,
    World,
    local_key_pairs,
    remote_servers,
    shared_world,
)
from tests.inbox.test_claim_ids import like, our_figure
from tests.support.remote_server import AS2

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: The documents checked, by what they are; the fixture ``sent`` builds each through the code that sends it.
DOCUMENTS = (
    "person actor",
    "group actor",
    "instance actor",
    "figure Create",
    "figure Update",
    "reply with correction",
    "consensus Update",
    "ConsensusSummary Update",
    "Announce of a like",
    "Announce of a peer's reply with correction",
)
AP = {"Accept": "application/activity+json"}
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


# --- The check ----------------------------------------------------------------------------------------------------


def faults(document: JSON) -> list[str]:
    """Why a JSON-LD reader would not see ``document`` as we wrote it; empty when it does."""
    expanded = jsonld.expand(document)
    found = list(_bad_iris(expanded, "$"))
    if len(expanded) != 1:
        return [*found, f"expands to {len(expanded)} top-level nodes"]
    # Compaction with every context the document uses gives back each term that expansion kept, and only those.
    kept = jsonld.compact(expanded[0], _contexts(document, []))
    return found + list(_dropped(document, kept, "$"))


def _bad_iris(node: object, path: str) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _bad_iris(item, path)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if not key.startswith("@") and not _absolute(key):
            yield f"{path}: property {key}"
        if key == "@type":  # a node's types (a list), or a value's datatype
            kinds = value if isinstance(value, list) else [value]
            yield from (f"{path}: type {kind}" for kind in kinds if not _absolute(kind))
        if key == "@id" and not _absolute(value):
            yield f"{path}: id {value}"
        yield from _bad_iris(value, f"{path}.{key.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}")


def _absolute(iri: str) -> bool:
    """Neither a blank node nor an IRI that pyld resolved against its stand-in base (it was relative)."""
    parts = urlsplit(iri)
    return bool(parts.scheme) and parts.scheme != "_" and not iri.startswith(pyld.DEFAULT_BASE_IRI)


def _contexts(node: object, found: list[Any]) -> list[Any]:
    """Every ``@context`` entry in ``node`` and in what it embeds, each once, in document order."""
    if isinstance(node, dict):
        entries = node.get("@context")
        for entry in entries if isinstance(entries, list) else [entries] if entries is not None else []:
            if entry not in found:
                found.append(entry)
        for key, value in node.items():
            if key != "@context":
                _contexts(value, found)
    elif isinstance(node, list):
        for item in node:
            _contexts(item, found)
    return found


def _dropped(sent: object, kept: object, path: str) -> Iterator[str]:
    """Keys of ``sent`` with a value (JSON-LD reads null and [] as no value) that ``kept`` lacks, recursively."""
    if isinstance(sent, dict):
        if not isinstance(kept, dict):
            yield f"{path}: the object became {kept!r:.80}"
            return
        for key, value in sent.items():
            if key == "@context" or value is None or value == []:
                continue
            if key not in kept:
                yield f"{path}.{key} dropped"
            else:
                yield from _dropped(value, kept[key], f"{path}.{key}")
    elif isinstance(sent, list):
        kept_items = kept if isinstance(kept, list) else [kept]
        if len(kept_items) != len(sent):
            yield f"{path}: {len(sent)} values sent, {len(kept_items)} kept"
            return
        for index, (item, kept_item) in enumerate(zip(sent, kept_items, strict=True)):
            yield from _dropped(item, kept_item, f"{path}[{index}]")


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        ({"@context": AS2, "type": "Note", "figure": {"value": "1"}}, "$: property _:figure"),
        ({"@context": AS2, "type": "ConsensusSummary"}, "$: type _:ConsensusSummary"),
        ({"@context": AS2, "type": "Note", "origin": "peer.example"}, "id http://example.org/base/peer.example"),
        ({"@context": [AS2, {"figure": None}], "type": "Note", "figure": {"value": "1"}}, "$.figure dropped"),
    ],
)
async def test_the_check_reports_what_a_reader_would_lose(document: JSON, fault: str) -> None:
    assert any(fault in found for found in faults(document)), faults(document)


# --- The documents, as sent ---------------------------------------------------------------------------------------


async def _sent(world: World, sql: str, *args: object) -> JSON:
    """The latest outbox document matching ``sql`` (a condition on ``document``)."""
    document = await world.pool.fetchval(f"SELECT document FROM outbox WHERE {sql} ORDER BY id DESC LIMIT 1", *args)
    assert isinstance(document, dict), sql
    return document


async def _fetched(world: World, path: str) -> JSON:
    response = await world.client.get(path, headers=AP)
    assert response.status_code == 200, response.text
    document: JSON = response.json()
    return document


async def _relayed(world: World, activity: JSON) -> JSON:
    """The group's Announce of a claim that ``activity``'s actor sent to our inbox."""
    sender = world.remote.actor(urlsplit(activity["actor"]).path.rsplit("/", 1)[-1])
    assert (await world.deliver(sender, activity)).status_code == 202
    [outcome] = await world.process()
    assert "claim" in outcome, outcome
    return await _sent(world, "document->>'type' = 'Announce' AND document->'object'->>'id' = $1", activity["id"])


def _peer_reply(world: World, figure: str) -> JSON:
    """A peer's reply carrying a correction as our command line wrote it before it inlined our context."""
    actor = world.remote.actor("bruno").id
    note = {
        "id": f"{actor}/notes/1",
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": figure,
        "content": "<p>plutôt 830 €/mois</p>",
        "to": [world.group],
        "correction": {"type": "Correction", "value": "830", "unit": {"code": "EUR/month"}, "parsed": False},
    }
    return {"@context": AS2, "id": f"{actor}/notes/1/activity", "type": "Create", "actor": actor, "object": note}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sent(shared_world: World) -> AsyncIterator[dict[str, JSON]]:  # noqa: F811
    world = shared_world
    publisher, figure = await our_figure(world)
    marie = await store.get(world.pool, "marie")
    documents = {
        "person actor": await _fetched(world, "/actors/marie"),
        "group actor": await _fetched(world, "/actors/loyers"),
        "instance actor": await _fetched(world, "/actor"),
        "figure Create": await _sent(world, "document->>'type' = 'Create' AND document->'object'->>'id' = $1", figure),
    }
    await publisher.update(figure, {"value": "845"}, marie)
    documents["figure Update"] = await _sent(world, "document->>'type' = 'Update'")

    correction = argparse.Namespace(
        as_name="marie",
        figure=figure,
        text="Plutôt 830 €/mois d'après le relevé de juin",
        value="830",
        unit=None,
        source="https://observatoire.example/loyers/2026-06",
        reason="relevé de juin",
    )
    await reply_figure(correction, world.fed.instance)
    documents["reply with correction"] = await _sent(world, "document->'object' ? 'correction'")

    consensus = Consensus(figure, 830.0, 815.0, 845.0, Status.CORRECTED, 0.8, 3.2, 4, 2, NOW)
    await publisher.publish_consensus(figure, consensus)
    documents["consensus Update"] = await _sent(world, "document->'object' ? 'consensus'")

    peer = f"{world.remote.base}/actor"
    await world.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
        " VALUES ($1, $2, $3, 'accepted', $4)",
        f"{peer}/follows/1",
        peer,
        world.urls.instance_actor(),
        f"{world.remote.base}/inbox",
    )
    await world.pool.execute(  # and ours follows theirs: a peer both ways, as `chiffres peer add` leaves it
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{world.urls.instance_actor()}/follows/peer",
        world.urls.instance_actor(),
        peer,
    )
    summary = Summary(figure, world.urls.domain, 830.0, 815.0, 845.0, 2.5, 3, 2, NOW)
    await Sharing(world.pool, world.urls, world.fed.instance.clock)(summary)
    documents["ConsensusSummary Update"] = await _sent(world, "document->'object'->>'type' = 'ConsensusSummary'")

    alice = world.remote.actor("alice").id
    documents["Announce of a like"] = await _relayed(world, like(alice, figure, f"{alice}/likes/1"))
    documents["Announce of a peer's reply with correction"] = await _relayed(world, _peer_reply(world, figure))
    yield documents


async def test_every_document_type_we_send_is_checked(sent: dict[str, JSON]) -> None:
    assert tuple(sent) == DOCUMENTS


@pytest.mark.parametrize("name", DOCUMENTS)
async def test_expansion_keeps_every_property_with_absolute_iris(sent: dict[str, JSON], name: str) -> None:
    found = faults(sent[name])
    assert not found, "\n".join([f"{name}: what a JSON-LD reader would not see as we wrote it", *found])


async def test_our_terms_expand_in_our_namespace_where_we_use_them(sent: dict[str, JSON]) -> None:
    """The terms that expanded to ``_:`` before: a summary's, a correction's (ours and a peer's, once relayed)."""
    chiffres = "https://chiffres-ensemble.org/ns#"
    summary = jsonld.expand(sent["ConsensusSummary Update"])[0][f"{AS2}#object"][0]
    assert summary["@type"] == [f"{chiffres}ConsensusSummary"]
    assert summary[f"{chiffres}origin"] == [{"@value": "chiffres.test"}]
    for name in ("reply with correction", "Announce of a peer's reply with correction"):
        expanded = jsonld.expand(sent[name])[0]
        if name.startswith("Announce"):
            expanded = expanded[f"{AS2}#object"][0]
        correction = expanded[f"{AS2}#object"][0][f"{chiffres}correction"][0]
        assert correction["@type"] == [f"{chiffres}Correction"], name
        assert f"{chiffres}value" in correction, name
