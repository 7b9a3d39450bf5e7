from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import jsonschema

from consensus.verdict import line, wire
from consensus.vocabulary import Consensus, Status
from figures.figure import build_figure
from schemas import load_json

FIGURE = build_figure(
    {
        "value": "812",
        "unit": "€/mois",
        "measures": "loyer médian T2",
        "place": "Lyon",
        "period": "2026-Q2",
        "source": "https://observatoire.example/loyers",
    }
)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _consensus(status: Status, value: float = 845.0) -> Consensus:
    return Consensus("f", value, value - 20, value + 20, status, 0.8, 5.2, 7, 3, NOW)


def test_lines_in_french_and_english() -> None:
    assert line(_consensus(Status.CONFIRMED, 812.0), FIGURE, "fr") == "✔ confirmé par les contributeurs"
    assert line(_consensus(Status.CONFIRMED, 812.0), FIGURE, "en") == "✔ confirmed by contributors"
    assert line(_consensus(Status.CONTESTED), FIGURE, "fr") == "⚖ contesté : les contributeurs ne s'accordent pas"
    corrected = line(_consensus(Status.CORRECTED), FIGURE, "fr")
    assert corrected.startswith("⚠ corrigé : 845")
    assert "(812" in corrected
    assert line(_consensus(Status.INSUFFICIENT), FIGURE, "en").startswith("…")


def test_wire_object_validates_and_rounds_to_the_figures_precision() -> None:
    document = wire(_consensus(Status.CORRECTED, 845.2345678), FIGURE, "https://chiffres.test/actor")
    assert document["value"] == "845"
    assert document["status"] == "corrected"
    assert document["computedAt"] == "2026-06-01T12:00:00Z"
    assert document["unit"]["code"] == FIGURE.unit.code
    schema = load_json("consensus.schema.json")
    jsonschema.validate(document, schema)
    insufficient = wire(_consensus(Status.INSUFFICIENT), FIGURE, "https://chiffres.test/actor")
    assert "value" not in insufficient
    jsonschema.validate(insufficient, schema)


def test_no_line_carries_a_count_that_would_go_stale() -> None:
    """The Note is updated only when the status or the value moves: a count in it would lie soon after."""
    for status in Status:
        for lang in ("fr", "en"):
            for count in (_consensus(status), replace(_consensus(status), contributors=123, domains=67)):
                text = line(count, FIGURE, lang)
                for number in ("123", "67", " 7 ", " 3 "):
                    assert number not in text
