"""A stored figure's value as its note writes it ("2 150,50 €/mois"), straight from the stored wire form.

Lists (hashtag, home, group and search pages, CSV exports) show hundreds of values: reading each whole figure back
(``figure_from_wire`` validates every field) cost 0.4 ms a line, ten times the writing itself, for two fields. A
value or unit that does not read shows as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import InvalidOperation
from typing import Any

from figures.numbers import FiguresError, Lang, parse_wire_decimal
from figures.units import format_value, unit_from_code


def value(wire: Mapping[str, Any], language: str) -> str:
    unit = wire.get("unit")
    code = unit.get("code") if isinstance(unit, dict) else None
    try:
        number = parse_wire_decimal(str(wire.get("value")))
        if not isinstance(code, str):
            raise FiguresError("no unit")
        lang: Lang = "en" if language == "en" else "fr"
        return format_value(number, unit_from_code(code), lang)
    except (FiguresError, InvalidOperation):
        shown = unit.get("display", "") if isinstance(unit, dict) else ""
        return f"{wire.get('value')} {shown}".strip()


def web_link(address: object) -> str | None:
    """An address a page may link to: http(s) only — never ``javascript:`` from a remote actor's document."""
    if not isinstance(address, str) or len(address) > 2048 or any(c.isspace() for c in address):
        return None
    return address if address.startswith(("https://", "http://")) else None
