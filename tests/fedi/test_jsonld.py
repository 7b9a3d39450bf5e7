"""Offline JSON-LD: vendored contexts only, and no socket ever opened."""

from __future__ import annotations

import contextlib
import json
import random
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld as pyld_jsonld

import schemas
from fedi import jsonld

FIXTURES = Path(__file__).parent.parent / "fixtures" / "fediverse"
AS = "https://www.w3.org/ns/activitystreams#"
CHIFFRES = schemas.CHIFFRES_NAMESPACE


class NetworkUsed(Exception):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve a name or open a connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed(f"network used: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def fixture(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return document


def figure_note(context: object) -> dict[str, Any]:
    return {
        "@context": context,
        "id": "https://loyers.example/figures/1",
        "type": "Note",
        "content": "<p>Loyer médian T2, Lyon 3e : 845,50 €/mois</p>",
        "source": {"content": "Loyer médian…", "mediaType": "text/markdown"},
        "figure": {
            "type": "Figure",
            "value": "845.50",
            "unit": {"code": "EUR/month", "display": "€/mois"},
            "measures": "loyer médian d'un T2",
            "place": {"name": "Lyon 3e", "code": "69383"},
            "period": "2025-06",
            "source": {"url": "https://data.example/loyers", "title": "Observatoire"},
            "version": 2,
            "tags": ["loyer"],
        },
    }


def test_the_guard_blocks_the_network() -> None:
    with pytest.raises(NetworkUsed):
        socket.create_connection(("127.0.0.1", 9))


def test_compacts_a_mastodon_activity_offline() -> None:
    activity = fixture("mastodon_flow_1_create_note.json")
    compacted = jsonld.compact(activity, jsonld.ACTIVITYSTREAMS)
    assert compacted["@context"] == jsonld.ACTIVITYSTREAMS
    assert compacted["actor"] == "https://mastodon/users/john"
    assert compacted["object"]["type"] == "Note"
    assert compacted["object"]["content"] == "<p>Creating Test Data!!! :)</p>"
    assert compacted["object"]["http://ostatus.org#atomUri"] == "https://mastodon/users/john/statuses/9876"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_expands_every_captured_payload_offline(name: str) -> None:
    expanded = jsonld.expand(fixture(name))
    assert len(expanded) == 1
    assert expanded[0]["@id"].startswith("https://")
    assert all(kind.startswith(AS) for kind in expanded[0]["@type"])


def test_an_unknown_remote_context_raises_a_clear_error() -> None:
    document = {"@context": [jsonld.ACTIVITYSTREAMS, "https://evil.example/context.jsonld"], "type": "Note"}
    with pytest.raises(jsonld.ContextNotAvailable) as caught:
        jsonld.expand(document)
    assert caught.value.url == "https://evil.example/context.jsonld"
    assert "https://evil.example/context.jsonld" in str(caught.value)
    assert isinstance(caught.value, pyld_jsonld.JsonLdError)


def test_an_unknown_context_to_compact_against_raises_the_same_error() -> None:
    with pytest.raises(jsonld.ContextNotAvailable):
        jsonld.compact(fixture("mastodon_like_1.json"), "https://unknown.example/ns")


def test_an_unknown_context_nested_in_a_context_object_is_refused() -> None:
    document = {"@context": {"@import": "https://evil.example/ctx"}, "type": "Note"}
    with pytest.raises(jsonld.LinkedDataError):
        jsonld.expand(document)


def test_invalid_json_ld_raises_invalid_linked_data() -> None:
    with pytest.raises(jsonld.InvalidLinkedData, match="invalid JSON-LD"):
        jsonld.expand({"@context": 5, "type": "Note"})


def test_a_document_without_context_is_read_as_activitystreams() -> None:
    expanded = jsonld.expand({"id": "https://a.example/1", "type": "Like", "object": "https://b.example/2"})
    assert expanded[0]["@type"] == [AS + "Like"]
    assert expanded[0][AS + "object"] == [{"@id": "https://b.example/2"}]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.w3.org/ns/activitystreams",
        "http://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#",
        "https://www.w3.org/ns/activitystreams.jsonld",
        "https://WWW.W3.ORG/ns/activitystreams/",
    ],
)
def test_loader_accepts_the_spellings_servers_use(url: str) -> None:
    loaded = jsonld.offline_loader(url, {})
    assert loaded["documentUrl"] == url
    assert loaded["document"]["@context"]["as"] == AS


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://w3id.org/security/v1", "security-v1.json"),
        ("http://w3id.org/security/v1", "security-v1.json"),
        ("https://w3id.org/security/v2", "security-v2.json"),
        ("https://w3id.org/security/multikey/v1", "multikey-v1.json"),
        ("https://w3id.org/security/data-integrity/v1", "data-integrity-v1.json"),
        ("https://w3id.org/security/data-integrity/v2", "data-integrity-v2.json"),
        ("https://w3id.org/identity/v1", "identity-v1.json"),
        ("https://purl.archive.org/socialweb/webfinger", "webfinger.json"),
        ("https://pleroma.example/schemas/litepub-0.1.jsonld", "litepub-0.1.json"),
        ("https://chiffres-ensemble.org/ns", "chiffres.json"),
    ],
)
def test_loader_maps_urls_to_files(url: str, name: str) -> None:
    assert jsonld.context_file(url) == name


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams?x=1",
        "https://w3id.org/security/v3",
        "https://pleroma.example/schemas/litepub-0.1.jsonld?v=2",
        "file:///etc/passwd",
        "www.w3.org/ns/activitystreams",
        "",
    ],
)
def test_loader_refuses_anything_else(url: str) -> None:
    assert jsonld.context_file(url) is None
    with pytest.raises(jsonld.ContextNotAvailable):
        jsonld.offline_loader(url, {})


def test_every_mapped_file_loads() -> None:
    for url, name in {**jsonld.CONTEXT_FILES, **jsonld.CONTEXT_PATHS}.items():
        assert "@context" in schemas.load_json(f"contexts/{name}"), url


def test_loader_returns_copies_that_callers_may_mutate() -> None:
    first = jsonld.offline_loader(jsonld.ACTIVITYSTREAMS)
    first["document"]["@context"]["Note"] = "tampered"
    assert jsonld.offline_loader(jsonld.ACTIVITYSTREAMS)["document"]["@context"]["Note"] == "as:Note"


def test_the_loader_is_not_installed_globally() -> None:
    jsonld.expand(fixture("mastodon_like_1.json"))
    assert pyld_jsonld.get_document_loader() is not jsonld.offline_loader


def test_mastodon_signature_options_canonicalize_with_identity_v1() -> None:
    # Mastodon's RsaSignature2017 hashes its options under the identity/v1 context.
    options = {
        "@context": "https://w3id.org/identity/v1",
        "creator": "https://mastodon/users/john#main-key",
        "created": "2023-02-04T08:52:55Z",
    }
    nquads = jsonld.canonicalize(options)
    assert "<http://purl.org/dc/terms/creator> <https://mastodon/users/john#main-key>" in nquads
    assert '"2023-02-04T08:52:55Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>' in nquads


def test_canonicalization_is_stable_across_key_order() -> None:
    activity = fixture("mastodon_flow_2_create_note.json")
    reordered = dict(reversed(list(activity.items())))
    assert jsonld.canonicalize(activity) == jsonld.canonicalize(reordered)


def test_outgoing_context_inlines_ours_after_activitystreams() -> None:
    context = jsonld.outgoing_context("https://w3id.org/security/v1")
    assert context[:2] == [jsonld.ACTIVITYSTREAMS, "https://w3id.org/security/v1"]
    assert context[2] == schemas.chiffres_context()


def test_outgoing_context_refuses_a_context_we_could_not_read() -> None:
    with pytest.raises(jsonld.ContextNotAvailable):
        jsonld.outgoing_context("https://example.org/unvendored")


def test_our_figure_round_trips_through_expansion_and_compaction() -> None:
    note = figure_note(jsonld.outgoing_context())
    assert jsonld.compact(note, jsonld.outgoing_context()) == note


def test_figure_terms_expand_in_our_namespace() -> None:
    expanded = jsonld.expand(figure_note(jsonld.outgoing_context()))[0]
    figure = expanded[CHIFFRES + "figure"][0]
    assert figure["@type"] == [CHIFFRES + "Figure"]
    assert figure[CHIFFRES + "value"] == [{"@value": "845.50", "@type": "http://www.w3.org/2001/XMLSchema#decimal"}]
    # Inside a figure, `source` is its provenance; on the Note it stays ActivityStreams' own.
    assert figure[CHIFFRES + "source"][0][AS + "url"] == [{"@id": "https://data.example/loyers"}]
    assert AS + "source" not in figure
    assert AS + "source" in expanded
    assert CHIFFRES + "source" not in expanded


def test_the_order_of_contexts_does_not_change_the_meaning() -> None:
    first = jsonld.expand(figure_note([jsonld.ACTIVITYSTREAMS, schemas.chiffres_context()]))
    last = jsonld.expand(figure_note([schemas.chiffres_context(), jsonld.ACTIVITYSTREAMS]))
    assert first == last


@pytest.mark.parametrize(
    "document",
    [
        {"@context": "@id", "type": "Note"},  # pyld raises a bare ValueError for this one
        {"@context": {"to": {"@context": {"@nest": "as:Note"}}}, "@nest": [{"@protected": []}]},
        {"@context": {"@foo": "x"}, "@id": "https://a.example/1"},  # pyld warns, JSON-LD ignores
    ],
)
def test_hostile_documents_raise_only_our_errors(document: dict[str, Any]) -> None:
    with contextlib.suppress(jsonld.LinkedDataError):
        jsonld.expand(document)


def test_deep_nesting_is_invalid_linked_data() -> None:
    document: dict[str, Any] = {"type": "Note"}
    for _ in range(5000):
        document = {"type": "Note", "object": document}
    with pytest.raises(jsonld.InvalidLinkedData):
        jsonld.expand(document)


def random_json_ld(rng: random.Random, depth: int = 0) -> Any:
    keys = ["id", "type", "object", "@context", "@id", "@type", "@value", "@language", "@list",
            "@graph", "@reverse", "@nest", "@vocab", "@base", "@import", "@protected", "@container"]  # fmt: skip
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        return rng.choice([None, 0, 1.5, True, "", "https://a.example/x", jsonld.ACTIVITYSTREAMS,
                           "@id", "@list", "@json", "_:b", "as:Note", "x", "@reserved"])  # fmt: skip
    if roll < 0.6:
        return [random_json_ld(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(keys): random_json_ld(rng, depth + 1) for _ in range(rng.randint(1, 4))}


def test_random_documents_raise_only_our_errors() -> None:
    rng = random.Random(20250701)
    for _ in range(400):
        document = random_json_ld(rng)
        if not isinstance(document, dict):
            continue
        for operation in (jsonld.expand, jsonld.canonicalize):
            with contextlib.suppress(jsonld.LinkedDataError):
                operation(document)
