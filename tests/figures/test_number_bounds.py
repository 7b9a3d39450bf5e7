"""Numbers are bounded where they come in: at most 15 digits before the decimal mark and 15 after it.

A claim of 400 digits once became infinity as a float and froze the consensus of every figure; these bounds are
checked by every reader of a number, typed or on the wire, so no such value can be stored again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from figures.claims import correction
from figures.figure import FigureValidationError, build_figure, figure_from_wire, figure_to_wire
from figures.numbers import NumberError, NumberOutOfBounds, as_decimal, parse_decimal, parse_wire_decimal

GIANT = "1" + "0" * 400
FIELDS = {
    "value": "845",
    "unit": "€/mois",
    "measures": "Loyer médian T2",
    "place": "Paris",
    "period": "2026-Q2",
    "source": "https://example.org/loyers",
}
RENT = build_figure(FIELDS)


@pytest.mark.parametrize(
    "text",
    [
        GIANT,
        "-" + GIANT,
        "1 000 000 000 000 000",  # 10^18
        "1000000000000000",  # 10^15: one digit too many before the mark
        "0,0000000000000001",  # 16 digits after the mark
        "1" * 400 + ",5",
        "1 " * 10_000,
    ],
)
def test_parse_decimal_refuses_numbers_beyond_the_bounds(text: str) -> None:
    with pytest.raises(NumberOutOfBounds):
        parse_decimal(text, "fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("999 999 999 999 999,999999999999999", "999999999999999.999999999999999"),
        ("-999999999999999", "-999999999999999"),
        ("0,000000000000001", "0.000000000000001"),
        ("0000845", "845"),
    ],
)
def test_parse_decimal_accepts_numbers_at_the_bounds(text: str, expected: str) -> None:
    assert parse_decimal(text, "fr") == Decimal(expected)


@pytest.mark.parametrize("text", [GIANT, "1000000000000000", "0.0000000000000001", "9" * 64 + ".5"])
def test_the_wire_form_is_bounded_too(text: str) -> None:
    with pytest.raises(NumberOutOfBounds):
        parse_wire_decimal(text)
    assert parse_wire_decimal("999999999999999.999999999999999") == Decimal("999999999999999.999999999999999")


def test_a_malformed_number_is_not_an_out_of_bounds_one() -> None:
    with pytest.raises(NumberError) as raised:
        parse_wire_decimal("1e3")
    assert not isinstance(raised.value, NumberOutOfBounds)


@pytest.mark.parametrize(
    "value",
    [10**400, Decimal("1E+400"), Decimal("-1E+15"), 1e300, Decimal("1E-400"), Decimal("0E-400"), GIANT],
)
def test_api_values_are_bounded_whatever_their_type(value: object) -> None:
    with pytest.raises(NumberOutOfBounds):
        as_decimal(value)


def test_out_of_bounds_is_a_number_error_with_a_reason_naming_the_bound() -> None:
    with pytest.raises(NumberError, match="15 digits before the decimal mark"):
        parse_decimal("1 000 000 000 000 000")
    with pytest.raises(NumberError, match="15 digits after the decimal mark"):
        parse_decimal("0,0000000000000001")


@pytest.mark.parametrize(
    "changes",
    [
        {"value": Decimal("1E+400")},  # a JSON number, read with parse_float=Decimal
        {"value": GIANT},
        {"value": "9999999999999", "unit": "k€/an"},  # 10^16 once the scale is folded in
    ],
)
def test_a_figure_names_the_value_field_when_it_is_out_of_bounds(changes: dict[str, object]) -> None:
    with pytest.raises(FigureValidationError) as raised:
        build_figure({**FIELDS, **changes})
    assert [name for name, _ in raised.value.errors] == ["value"]


def test_a_figure_from_a_peer_with_a_giant_value_is_refused_on_its_value() -> None:
    wire = {**figure_to_wire(RENT), "value": GIANT}
    with pytest.raises(FigureValidationError) as raised:
        figure_from_wire(wire)
    assert [name for name, _ in raised.value.errors] == ["value"]


def test_a_correction_object_beyond_the_bounds_is_refused_with_its_reason() -> None:
    with pytest.raises(NumberOutOfBounds):
        correction({"value": GIANT, "unit": {"code": "EUR/month"}}, RENT)
    # Within the bounds as written, beyond them once converted to the figure's unit (× 30.4375).
    with pytest.raises(NumberOutOfBounds):
        correction({"value": "999999999999999", "unit": {"code": "EUR/day"}}, RENT)
    converted = correction({"value": "1000", "unit": {"code": "EUR/year"}}, RENT)
    assert converted is not None
    assert abs(converted.value - Decimal("83.33")) < 1, "a conversion's own digits are not refused"
