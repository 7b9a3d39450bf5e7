"""The data files of ``schemas``: vendored copies unaltered, our schemas strict where they must be.

Past 400 lines because each of our schemas (figure, correction, consensus, request) brings its table of documents
it must accept and refuse; the cases read best side by side with the schema they pin down."""

from __future__ import annotations

import copy
import hashlib
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

import schemas

CONTEXTS_README = "contexts/README.md"
OUR_SCHEMAS = ("figure.schema.json", "correction.schema.json", "consensus.schema.json", "request.schema.json")


def git_blob_id(data: bytes) -> str:
    """The id Git gives a file's content, so copies can be compared with the upstream blob."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def readme_blobs() -> dict[str, str]:
    text = schemas.load_bytes(CONTEXTS_README).decode()
    rows = re.findall(r"^\| `([\w.-]+\.json)` \|.*?\| `([0-9a-f]{40})` \|", text, flags=re.MULTILINE)
    return dict(rows)


def validator(name: str) -> jsonschema.protocols.Validator:
    schema = schemas.load_json(name)
    return jsonschema.validators.validator_for(schema)(schema)


def errors(name: str, document: dict[str, Any]) -> list[str]:
    return [error.message for error in validator(name).iter_errors(document)]


def vendored_context_names() -> list[str]:
    folder = resources.files("schemas").joinpath("contexts")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))


def test_every_context_file_is_a_context_document() -> None:
    names = vendored_context_names()
    assert "activitystreams.json" in names
    for name in names:
        assert "@context" in schemas.load_json(f"contexts/{name}"), name


def test_every_context_file_is_described_in_the_readme() -> None:
    text = schemas.load_bytes(CONTEXTS_README).decode()
    for name in vendored_context_names():
        assert f"| `{name}` |" in text, name


@pytest.mark.parametrize(
    "name",
    [
        "activitystreams.json",
        "security-v1.json",
        "security-v2.json",
        "data-integrity-v1.json",
        "data-integrity-v2.json",
        "multikey-v1.json",
        "identity-v1.json",
        "litepub-0.1.json",
        "webfinger.json",
    ],
)
def test_vendored_context_is_byte_identical_to_the_recorded_blob(name: str) -> None:
    recorded = readme_blobs()[name]
    assert git_blob_id(schemas.load_bytes(f"contexts/{name}")) == recorded


def test_nodeinfo_schema_is_byte_identical_to_the_upstream_blob() -> None:
    data = schemas.load_bytes("nodeinfo-2.1.schema.json")
    assert git_blob_id(data) == "561e64479729974d6ac78c17b58f5b0e47511211"


def test_load_json_returns_independent_copies() -> None:
    first = schemas.load_json("figure.schema.json")
    first["required"].clear()
    assert "value" in schemas.load_json("figure.schema.json")["required"]


def test_chiffres_context_is_the_inner_object_and_a_fresh_copy() -> None:
    context = schemas.chiffres_context()
    assert context["chiffres"] == schemas.CHIFFRES_NAMESPACE
    context["figure"] = "tampered"
    assert schemas.chiffres_context()["figure"]["@id"] == "chiffres:figure"


def test_chiffres_context_namespaces_every_term_and_type() -> None:
    for term, definition in schemas.chiffres_context().items():
        iri = definition if isinstance(definition, str) else definition["@id"]
        if term in ("chiffres", "xsd"):
            continue
        assert iri == f"chiffres:{term}", term
        if isinstance(definition, dict):
            for scoped, scoped_definition in definition.get("@context", {}).items():
                scoped_iri = scoped_definition if isinstance(scoped_definition, str) else scoped_definition["@id"]
                assert scoped_iri == f"chiffres:{scoped}", (term, scoped)


@pytest.mark.parametrize("name", ["../pyproject.toml", "/etc/passwd", "", "contexts/../__init__.py"])
def test_data_file_refuses_paths_outside_the_package(name: str) -> None:
    with pytest.raises(ValueError):
        schemas.data_file(name)


def test_data_file_reports_a_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        schemas.load_json("contexts/nothing-here.json")


@pytest.mark.parametrize("name", [*OUR_SCHEMAS, "nodeinfo-2.1.schema.json"])
def test_schema_is_valid_for_its_draft(name: str) -> None:
    schema = schemas.load_json(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)


@pytest.mark.parametrize("name", OUR_SCHEMAS)
def test_our_schemas_use_draft_2020_12(name: str) -> None:
    assert schemas.load_json(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shared_definitions_do_not_drift_between_schemas() -> None:
    figure_defs = schemas.load_json("figure.schema.json")["$defs"]
    for name in OUR_SCHEMAS[1:]:
        for key, definition in schemas.load_json(name)["$defs"].items():
            assert definition == figure_defs[key], (name, key)


def test_every_schema_property_is_a_term_of_our_context() -> None:
    context = schemas.chiffres_context()
    terms = set(context)
    for definition in context.values():
        if isinstance(definition, dict):
            terms.update(definition.get("@context", {}))  # property-scoped terms
    as2_terms = {"type", "name", "url"}  # read with the ActivityStreams context
    found: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            found.update(node.get("properties", {}))
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    for name in OUR_SCHEMAS:
        collect(schemas.load_json(name))
    assert found - as2_terms <= terms
    assert found - as2_terms


FIGURE: dict[str, Any] = {
    "type": "Figure",
    "value": "845.50",
    "unit": {"code": "EUR/month", "display": "€/mois"},
    "measures": "loyer médian d'un T2",
    "place": {"name": "Lyon 3e", "code": "69383"},
    "period": "2025-06",
    "source": {"url": "https://data.example/loyers", "title": "Observatoire des loyers"},
    "method": "médiane des annonces",
    "version": 1,
    "tags": ["loyer", "lyon"],
}


def with_change(document: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of ``document`` with ``path`` (dot-separated) set, or removed when value is ...."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return changed


def test_a_complete_figure_is_valid() -> None:
    assert errors("figure.schema.json", FIGURE) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("method", ...),
        ("place", ...),
        ("period", ...),
        ("tags", ...),
        ("unit.display", ...),
        ("source.title", ...),
        ("place.code", ...),
        ("value", "-12"),
        ("value", "0.000001"),
        ("period", "2025"),
        ("period", "2025-01-15"),
        ("period", "2025-01/2025-06"),
        ("period", "2025-W20"),
        ("source.url", "http://insee.fr/x?y=1#z"),
        ("future", {"added": "by a newer peer"}),
        ("answers", "https://chiffres.example/objects/4f2a"),
    ],
)
def test_figure_accepts(path: str, value: object) -> None:
    assert errors("figure.schema.json", with_change(FIGURE, path, value)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("type", ...),
        ("value", ...),
        ("unit", ...),
        ("measures", ...),
        ("source", ...),
        ("version", ...),
        ("type", "Note"),
        ("value", "8,5"),
        ("value", "1e3"),
        ("value", ".5"),
        ("value", "5."),
        ("value", 845.5),
        ("value", " 845"),
        ("unit.code", ...),
        ("unit.code", ""),
        ("measures", ""),
        ("measures", "   "),
        ("place.name", ...),
        ("period", "juin 2025"),
        ("period", "2025-6"),
        ("period", "2025-Q2"),
        ("period", "P6M"),
        ("source.url", ...),
        ("source.url", "ftp://data.example/loyers"),
        ("source.url", "javascript:alert(1)"),
        ("source.url", "https://"),
        ("version", 0),
        ("version", 1.5),
        ("version", "1"),
        ("tags", ["loyer", 3]),
        ("tags", ["loyer", "loyer"]),
        ("tags", "loyer"),
        ("answers", "loyers.example"),
    ],
)
def test_figure_rejects(path: str, value: object) -> None:
    assert errors("figure.schema.json", with_change(FIGURE, path, value)) != []


CORRECTION: dict[str, Any] = {
    "type": "Correction",
    "value": "845",
    "unit": {"code": "EUR/month", "display": "€/mois"},
    "source": {"url": "https://data.example/annonce/42"},
    "reason": "plutôt 845 €/mois selon l'annonce",
    "parsed": True,
}


@pytest.mark.parametrize(("path", "value"), [("source", ...), ("reason", ...), ("parsed", False)])
def test_correction_accepts(path: str, value: object) -> None:
    assert errors("correction.schema.json", CORRECTION) == []
    assert errors("correction.schema.json", with_change(CORRECTION, path, value)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("value", ...),
        ("unit", ...),
        ("parsed", ...),
        ("parsed", "yes"),
        ("value", "12,5"),
        ("type", "Figure"),
        ("source.url", "mailto:x@example.org"),
    ],
)
def test_correction_rejects(path: str, value: object) -> None:
    assert errors("correction.schema.json", with_change(CORRECTION, path, value)) != []


REQUEST: dict[str, Any] = {
    "type": "Request",
    "measures": "loyer médian d'un T2",
    "place": {"name": "Lyon 3e"},
    "period": "2026-04/2026-06",
    "unit": {"code": "EUR/month", "display": "€/mois"},
    "status": "open",
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("place", ...),
        ("period", ...),
        ("unit", ...),
        ("unit.display", ...),
        ("period", "2026"),
        ("status", "closed"),
        ("status", "answered"),
        ("future", {"added": "by a newer peer"}),
    ],
)
def test_request_accepts(path: str, value: object) -> None:
    request = with_change(REQUEST, "answeredBy", "https://chiffres.example/objects/8c1d")
    assert errors("request.schema.json", REQUEST) == []
    assert errors("request.schema.json", with_change(request, path, value)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("type", ...),
        ("type", "Figure"),
        ("measures", ...),
        ("measures", " "),
        ("status", ...),
        ("status", "stale"),
        ("status", "answered"),
        ("period", "2026-Q2"),
        ("place.name", ...),
        ("unit.code", ...),
        ("answeredBy", "figure 12"),
    ],
)
def test_request_rejects(path: str, value: object) -> None:
    assert errors("request.schema.json", with_change(REQUEST, path, value)) != []


CONSENSUS: dict[str, Any] = {
    "type": "Consensus",
    "value": "842.3",
    "unit": {"code": "EUR/month"},
    "low": "820",
    "high": "866.1",
    "status": "confirmed",
    "agreement": 0.82,
    "effectiveContributors": 4.6,
    "domains": 3,
    "computedAt": "2025-07-01T10:00:00Z",
    "computedBy": "https://loyers.example/actor",
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("status", "corrected"),
        ("status", "contested"),
        ("agreement", 0),
        ("agreement", 1),
        ("computedAt", "2025-07-01T10:00:00.123+02:00"),
    ],
)
def test_consensus_accepts(path: str, value: object) -> None:
    assert errors("consensus.schema.json", CONSENSUS) == []
    assert errors("consensus.schema.json", with_change(CONSENSUS, path, value)) == []


def test_an_insufficient_consensus_needs_no_estimate() -> None:
    insufficient = {
        "type": "Consensus",
        "status": "insufficient",
        "effectiveContributors": 1,
        "domains": 1,
        "computedAt": "2025-07-01T10:00:00Z",
        "computedBy": "https://loyers.example/actor",
    }
    assert errors("consensus.schema.json", insufficient) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("value", ...),
        ("low", ...),
        ("high", ...),
        ("agreement", ...),
        ("unit", ...),
        ("status", ...),
        ("status", "unknown"),
        ("agreement", 1.5),
        ("agreement", -0.1),
        ("effectiveContributors", -1),
        ("domains", 2.5),
        ("computedAt", "2025-07-01"),
        ("computedAt", "hier"),
        ("computedBy", "loyers.example"),
        ("low", 820),
    ],
)
def test_consensus_rejects(path: str, value: object) -> None:
    assert errors("consensus.schema.json", with_change(CONSENSUS, path, value)) != []


NODEINFO: dict[str, Any] = {
    "version": "2.1",
    "software": {
        "name": "chiffres-ensemble",
        "version": "0.1.0",
        "repository": "https://chiffres-ensemble.org/source",
    },
    "protocols": ["activitypub"],
    "services": {"inbound": [], "outbound": []},
    "openRegistrations": False,
    "usage": {"users": {"total": 12, "activeMonth": 7, "activeHalfyear": 10}, "localPosts": 340},
    "metadata": {"figures": 340, "claims": 1200},
}


def test_nodeinfo_schema_accepts_our_document() -> None:
    assert errors("nodeinfo-2.1.schema.json", NODEINFO) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [("usage", ...), ("software.name", "Chiffres Ensemble"), ("protocols", ["carrier-pigeon"])],
)
def test_nodeinfo_schema_rejects(path: str, value: object) -> None:
    assert errors("nodeinfo-2.1.schema.json", with_change(NODEINFO, path, value)) != []
