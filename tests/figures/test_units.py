import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from figures.numbers import FiguresError, Lang
from figures.units import (
    Amount,
    Unit,
    UnitError,
    compatible,
    convert,
    dimension,
    format_value,
    multiply,
    numerator,
    parse_amount,
    parse_unit,
    read_unit_prefix,
    scaled,
    unit_from_code,
    unit_registry,
    without_period,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def unit(text: str) -> Unit:
    return parse_unit(text).unit


@pytest.mark.parametrize(
    ("text", "code", "scale"),
    [
        ("EUR/mois", "EUR/month", "1"),
        ("€/month", "EUR/month", "1"),
        ("k€/an", "EUR/year", "1000"),
        ("kEUR/year", "EUR/year", "1000"),
        ("M€", "EUR", "1000000"),
        ("Md€/an", "EUR/year", "1000000000"),
        ("%", "percent", "1"),
        ("pour cent", "percent", "1"),
        ("h/semaine", "hour/week", "1"),
        ("heures/semaine", "hour/week", "1"),
        ("hours per week", "hour/week", "1"),
        ("€/m²", "EUR/meter^2", "1"),
        ("€/m2", "EUR/meter^2", "1"),
        ("euros par mètre carré", "EUR/meter^2", "1"),
        ("euros par mois", "EUR/month", "1"),
        ("Euros Par Mois", "EUR/month", "1"),
        ("€ mensuels", "EUR/month", "1"),
        ("dollars a month", "USD/month", "1"),
        ("$ an hour", "USD/hour", "1"),
        ("£/week", "GBP/week", "1"),
        ("CHF/an", "CHF/year", "1"),
        ("per day", "1/day", "1"),
        ("/jour", "1/day", "1"),
        ("par jour", "1/day", "1"),
        ("personnes", "person", "1"),
        ("persons", "person", "1"),
        ("habitants", "person", "1"),
        ("€ par habitant", "EUR/person", "1"),
        ("€/pers.", "EUR/person", "1"),
        ("km", "kilometer", "1"),
        ("kg", "kilogram", "1"),
        ("t", "metric_ton", "1"),
        ("tonnes/an", "metric_ton/year", "1"),
        ("L", "liter", "1"),
        ("min", "minute", "1"),
        ("jours", "day", "1"),
        ("€/trimestre", "EUR/quarter_year", "1"),
        ("kWh", "kilowatt_hour", "1"),
        ("€/kWh", "EUR/kilowatt_hour", "1"),
        ("mile/hour", "mile/hour", "1"),
        ("EUR/meter^2/month", "EUR/meter^2/month", "1"),
    ],
)
def test_parse_unit_gives_one_code_per_unit(text: str, code: str, scale: str) -> None:
    reading = parse_unit(text)
    assert reading.unit.code == code
    assert reading.scale == Decimal(scale)
    assert reading.qualifiers == ()


@pytest.mark.parametrize(
    ("text", "code", "qualifiers"),
    [
        ("€ HT", "EUR", ("HT",)),
        ("€ TTC/mois", "EUR/month", ("TTC",)),
        ("€ hors taxes", "EUR", ("HT",)),
        ("€ H.T. par mois", "EUR/month", ("HT",)),
        ("€ CC", "EUR", ("CC",)),
        ("€ brut/mois", "EUR/month", ("gross",)),
        ("EUR excl. VAT", "EUR", ("HT",)),
    ],
)
def test_price_bases_are_set_aside_not_read_as_units(text: str, code: str, qualifiers: tuple[str, ...]) -> None:
    reading = parse_unit(text)
    assert reading.unit.code == code
    assert reading.qualifiers == qualifiers


def test_unknown_unit_error_names_the_text() -> None:
    with pytest.raises(UnitError) as caught:
        parse_unit("foo/bar")
    assert str(caught.value) == "unknown unit: 'foo/bar'"
    assert isinstance(caught.value, FiguresError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", ["", "/", "€//mois", "EUR/", "HT", "* €", "€ + mois", "m^x"])
def test_malformed_units_are_refused(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


@pytest.mark.parametrize(
    "text", ["€/mois", "k€/an", "%", "h/semaine", "€/m²", "per day", "€ par habitant", "kWh", "t/an", "1"]
)
def test_codes_read_back_as_the_same_unit(text: str) -> None:
    first = unit(text)
    again = unit_from_code(first.code)
    assert again == first
    assert again.code == first.code
    assert first.code.isascii()


@pytest.mark.parametrize("code", ["kEUR", "k€", "EUR HT", "foo"])
def test_unit_from_code_refuses_what_is_not_a_code(code: str) -> None:
    with pytest.raises(UnitError):
        unit_from_code(code)


@pytest.mark.parametrize(
    ("code", "french", "english"),
    [
        ("EUR/month", "€/mois", "€/month"),
        ("EUR/year", "€/an", "€/year"),
        ("percent", "%", "%"),
        ("hour/week", "h/semaine", "h/week"),
        ("EUR/meter^2", "€/m²", "€/m²"),
        ("1/day", "par jour", "per day"),
        ("person", "personnes", "people"),
        ("EUR/person", "€/personne", "€/person"),
        ("USD/hour", "$/h", "$/h"),
        ("kilowatt_hour", "kWh", "kWh"),
        ("metric_ton/year", "t/an", "t/year"),
    ],
)
def test_display_per_language(code: str, french: str, english: str) -> None:
    assert unit_from_code(code).display("fr") == french
    assert unit_from_code(code).display("en") == english


def test_display_agrees_with_the_count() -> None:
    persons = unit("personnes")
    assert persons.display("fr", Decimal(1)) == "personne"
    assert persons.display("fr", Decimal("1.5")) == "personne"
    assert persons.display("fr", Decimal(2)) == "personnes"
    assert persons.display("en", Decimal("1.5")) == "people"
    assert persons.display("en", Decimal(1)) == "person"


def test_twelve_k_euros_a_year_equals_a_thousand_euros_a_month() -> None:
    yearly = parse_amount("12 k€/an")
    monthly = parse_amount("1,000 EUR/month", "en")
    assert yearly.value == Decimal(12000)
    assert yearly.unit.code == "EUR/year"
    assert yearly == monthly
    assert hash(yearly) == hash(monthly)
    assert yearly != parse_amount("1 001 €/mois")
    assert yearly < parse_amount("1 001 €/mois")
    assert parse_amount("€845.50/month", "en") == Amount(Decimal("845.5"), unit("EUR/month"))


def test_amounts_in_other_currencies_are_never_equal_nor_ordered() -> None:
    euros, dollars = parse_amount("100 €"), parse_amount("100 $")
    assert euros != dollars
    with pytest.raises(UnitError):
        _ = euros < dollars


def test_conversions_are_exact_when_the_decimal_is_finite() -> None:
    assert convert(Decimal(14400), unit("EUR/year"), unit("EUR/month")) == Decimal(1200)
    assert convert(Decimal(1), unit("an"), unit("jours")) == Decimal("365.25")
    assert convert(Decimal(1), unit("an"), unit("mois")) == Decimal(12)
    assert convert(Decimal(3), unit("mois"), unit("trimestre")) == Decimal(1)
    assert convert(Decimal("12.5"), unit("%"), unit("1")) == Decimal("0.125")
    assert convert(Decimal(1), unit("h/semaine"), unit("min/jour")) == Decimal("8.571428571428571428571428571")
    same = Decimal("845.50")
    assert convert(same, unit("€/mois"), unit("EUR/month")) is same


def test_offset_units_convert_as_temperatures() -> None:
    assert convert(Decimal(20), unit("°C"), unit("°F")) == Decimal(68)
    assert convert(Decimal(-40), unit("°F"), unit("°C")) == Decimal(-40)
    assert parse_amount("0 °C") == parse_amount("32 °F")


def test_no_conversion_across_dimensions_or_currencies() -> None:
    with pytest.raises(UnitError):
        convert(Decimal(1), unit("€"), unit("$"))
    with pytest.raises(UnitError):
        convert(Decimal(1), unit("€/mois"), unit("€"))


def test_compatibility_and_unit_algebra() -> None:
    assert compatible(unit("€/mois"), unit("k€/an"))
    assert not compatible(unit("€/mois"), unit("$/mois"))
    assert not compatible(unit("€/mois"), unit("€"))
    assert dimension(unit("€/mois")) == dimension(unit("EUR/year"))
    assert without_period(unit("€/mois")) == unit("€")
    assert without_period(unit("€/m²")) is None
    assert numerator(unit("€/mois")) == unit("EUR")
    assert numerator(unit("per day")).code == "1"
    assert multiply(unit("€"), unit("per month")) == unit("€/mois")


@pytest.mark.parametrize(
    ("text", "code", "length"),
    [
        ("€ par mois, source : …", "EUR/month", 10),
        ("euros par mois pour un T2", "EUR/month", 14),
        ("% de hausse", "percent", 1),
        ("k€/an environ", "EUR/year", 5),
        ("a month, I think", "1/month", 7),
    ],
)
def test_read_unit_prefix_takes_the_longest_unit(text: str, code: str, length: int) -> None:
    found = read_unit_prefix(text)
    assert found is not None
    reading, covered = found
    assert reading.unit.code == code
    assert covered == length


@pytest.mark.parametrize("text", ["s'il te plaît", "in total", "at most", "T2", "merci", "", "bar"])
def test_read_unit_prefix_uses_our_words_only(text: str) -> None:
    assert read_unit_prefix(text) is None


@pytest.mark.parametrize(
    ("value", "text", "lang", "expected"),
    [
        ("845.50", "€/mois", "fr", f"845,50{NBSP}€/mois"),
        ("845.50", "€/mois", "en", "€845.50/month"),
        ("1234567.5", "CHF/an", "en", "CHF 1,234,567.5/year"),
        ("1234567.5", "CHF/an", "fr", f"1{NNBSP}234{NNBSP}567,5{NBSP}CHF/an"),
        ("12.5", "%", "fr", f"12,5{NNBSP}%"),
        ("12.5", "%", "en", "12.5%"),
        ("3200", "personnes", "fr", f"3{NNBSP}200{NBSP}personnes"),
        ("1", "personnes", "fr", f"1{NBSP}personne"),
        ("35", "h/semaine", "en", f"35{NBSP}h/week"),
        ("3", "per day", "fr", f"3{NBSP}par jour"),
        ("-3.20", "€", "en", "-€3.20"),
        ("-3.20", "€", "fr", f"-3,20{NBSP}€"),
        ("42", "1", "fr", "42"),
    ],
)
def test_format_value(value: str, text: str, lang: Lang, expected: str) -> None:
    assert format_value(Decimal(value), unit(text), lang) == expected


def test_scaled_values_carry_no_spurious_zeros() -> None:
    assert str(scaled(Decimal("1.5"), Decimal(1000))) == "1500"
    assert str(scaled(Decimal("1.2345"), Decimal(1000))) == "1234.5"
    assert str(scaled(Decimal("845.50"), Decimal(1))) == "845.50"


def test_registry_is_built_once_and_not_at_import() -> None:
    assert unit_registry() is unit_registry()
    probe = "import figures.units as u; print(u.unit_registry.cache_info().currsize)"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "0"
