"""How a consensus is told: the ``consensus`` object of a figure's Note and its one human line, fr and en.

Values are rounded to the figure's own precision plus two digits: the engine works in floating point, the wire
speaks decimals, and a consensus of 845.0000001 €/mois would read as noise.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from consensus.vocabulary import Consensus, Status
from figures.figure import Figure, format_value
from figures.numbers import Lang, wire_decimal


def _decimal(value: float, figure: Figure) -> Decimal:
    exponent = figure.value.as_tuple().exponent
    places = max(0, -exponent if isinstance(exponent, int) else 0)
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places))


def wire(consensus: Consensus, figure: Figure, computed_by: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": "Consensus",
        "status": str(consensus.status),
        "effectiveContributors": round(consensus.n_eff, 3),
        "domains": consensus.domains,
        "computedAt": _iso(consensus.computed_at),
        "computedBy": computed_by,
    }
    if consensus.status is not Status.INSUFFICIENT:
        document |= {
            "value": wire_decimal(_decimal(consensus.value, figure)),
            "unit": {"code": figure.unit.code, "display": figure.unit.display(figure.language)},
            "low": wire_decimal(_decimal(consensus.low, figure)),
            "high": wire_decimal(_decimal(consensus.high, figure)),
            "agreement": round(min(1.0, max(0.0, consensus.agreement)), 3),
        }
    return document


def line(consensus: Consensus, figure: Figure, lang: Lang) -> str:
    """The status line shown in the figure's content.

    It carries no count: a Note is only updated when the status or the value moves, and "confirmed by
    4 contributors" would stay on display long after a fifth had joined. The counts are in the
    ``consensus`` object, with the time they were computed."""
    if consensus.status is Status.CONFIRMED:
        return "✔ confirmé par les contributeurs" if lang == "fr" else "✔ confirmed by contributors"
    if consensus.status is Status.CORRECTED:
        value = format_value(_decimal(consensus.value, figure), figure.unit, lang)
        published = format_value(figure.value, figure.unit, lang)
        if lang == "fr":
            return f"⚠ corrigé : {value} ({published} publié)"
        return f"⚠ corrected: {value} ({published} published)"
    if consensus.status is Status.CONTESTED:
        if lang == "fr":
            return "⚖ contesté : les contributeurs ne s'accordent pas"
        return "⚖ contested: contributors disagree"
    return "… en attente de confirmations" if lang == "fr" else "… awaiting confirmations"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
