from decimal import Decimal

import pytest

from figures.numbers import (
    FiguresError,
    Lang,
    NumberError,
    as_decimal,
    format_decimal,
    parse_decimal,
    parse_wire_decimal,
    wire_decimal,
)

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (f"1{NNBSP}234,5", "fr", "1234.5"),
        ("1\u00a0234,5", "fr", "1234.5"),
        ("1\u2009234,5", "fr", "1234.5"),
        ("1 234,5", "fr", "1234.5"),
        ("1,234.5", "en", "1234.5"),
        ("1,234.5", "fr", "1234.5"),
        ("1.234,5", "fr", "1234.5"),
        ("1.234,5", "en", "1234.5"),
        ("845,50", "fr", "845.50"),
        ("12,5", "fr", "12.5"),
        ("12,5", "en", "12.5"),
        ("1 200", "fr", "1200"),
        ("\u22123,2", "fr", "-3.2"),
        ("-3.2", "en", "-3.2"),
        ("+7", "en", "7"),
        ("1,000", "fr", "1.000"),
        ("1,000", "en", "1000"),
        ("1.200", "fr", "1200"),
        ("1.200", "en", "1.200"),
        ("0.125", "fr", "0.125"),
        ("0,125", "en", "0.125"),
        ("12345,678", "en", "12345.678"),
        ("1,234,567", "fr", "1234567"),
        ("1.234.567", "en", "1234567"),
        ("1'234.50", "fr", "1234.50"),
        ("  42  ", "fr", "42"),
    ],
)
def test_parse_decimal_reads_what_people_write(text: str, lang: Lang, expected: str) -> None:
    value = parse_decimal(text, lang)
    assert value == Decimal(expected)
    assert str(value) == expected  # digits as written: "845,50" keeps its trailing zero


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "",
        "abc",
        "12,,5",
        "1 23",
        "12.",
        ".5",
        "NaN",
        "Infinity",
        "1 234.567,8",
        "- 3",
        "1,2.3,4",
        "½",
        "١٢",
    ],
)
def test_parse_decimal_refuses_what_it_would_have_to_guess(text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_decimal(text, "fr")
    assert repr(text) in str(caught.value)


def test_number_error_is_a_value_error_of_the_figure_family() -> None:
    assert issubclass(NumberError, FiguresError)
    assert issubclass(NumberError, ValueError)


def test_wire_decimal_never_writes_an_exponent() -> None:
    assert wire_decimal(Decimal("845.50")) == "845.50"
    assert wire_decimal(Decimal("1E+3")) == "1000"
    assert wire_decimal(Decimal("1.5E-7")) == "0.00000015"
    assert wire_decimal(Decimal("-0")) == "0"
    with pytest.raises(NumberError):
        wire_decimal(Decimal("NaN"))


@pytest.mark.parametrize("text", ["1e3", "1,5", " 1", "+1", "", "1.", "١٢"])
def test_parse_wire_decimal_is_strict(text: str) -> None:
    with pytest.raises(NumberError):
        parse_wire_decimal(text)


def test_parse_wire_decimal_keeps_digits() -> None:
    assert str(parse_wire_decimal("845.50")) == "845.50"
    assert parse_wire_decimal("-3") == Decimal(-3)


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("1234567.5", "fr", f"1{NNBSP}234{NNBSP}567,5"),
        ("1234567.5", "en", "1,234,567.5"),
        ("845.50", "fr", "845,50"),
        ("845.50", "en", "845.50"),
        ("-1200", "fr", f"-1{NNBSP}200"),
        ("999", "en", "999"),
        ("0.05", "fr", "0,05"),
    ],
)
def test_format_decimal(value: str, lang: Lang, expected: str) -> None:
    assert format_decimal(Decimal(value), lang) == expected


@pytest.mark.parametrize("value", ["0", "1", "1000", "845.50", "-1234567.891", "0.001", "1000000"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_format_then_parse_gives_the_value_back(value: str, lang: Lang) -> None:
    assert parse_decimal(format_decimal(Decimal(value), lang), lang) == Decimal(value)


def test_as_decimal_takes_api_values_without_float_noise() -> None:
    assert str(as_decimal(845.5)) == "845.5"
    assert str(as_decimal(0.1)) == "0.1"
    assert as_decimal(12) == Decimal(12)
    assert as_decimal("1 200,5", "fr") == Decimal("1200.5")
    assert as_decimal(Decimal("3.10")) == Decimal("3.10")


@pytest.mark.parametrize("value", [True, None, float("nan"), float("inf"), Decimal("NaN"), [1]])
def test_as_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(NumberError):
        as_decimal(value)
