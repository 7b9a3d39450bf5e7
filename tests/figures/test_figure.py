import json
from decimal import Decimal
from typing import Any

import pytest

from figures.figure import (
    Figure,
    FigureValidationError,
    FigureVersion,
    Place,
    Source,
    build_figure,
    figure_from_wire,
    figure_to_wire,
    format_value,
    revise,
    wire_contributor,
)
from figures.numbers import FiguresError
from figures.period import parse_period
from figures.units import unit_from_code

RENT: dict[str, object] = {
    "value": "845,50",
    "unit": "€/mois",
    "measures": "  Loyer médian,\n T2 ",
    "place": {"name": "Paris", "code": "75056"},
    "period": "2026-Q2",
    "source": {"url": "https://example.org/loyers", "title": "Observatoire des loyers"},
    "tags": "#Loyers, Paris #loyers #Île_de_France",
}


def rent(**changes: object) -> Figure:
    return build_figure({**RENT, **changes}, "fr")


def errors_of(fields: dict[str, object], lang: Any = "fr") -> dict[str, str]:
    with pytest.raises(FigureValidationError) as caught:
        build_figure(fields, lang)
    return dict(caught.value.errors)


def test_build_figure_reads_and_normalises_every_field() -> None:
    figure = rent()
    assert figure.value == Decimal("845.50")
    assert str(figure.value) == "845.50"
    assert figure.unit == unit_from_code("EUR/month")
    assert figure.measures == "Loyer médian, T2"
    assert figure.place == Place("Paris", "75056")
    assert figure.period == parse_period("2026-04/2026-06")
    assert figure.source == Source("https://example.org/loyers", "Observatoire des loyers")
    assert figure.method is None
    assert figure.tags == ("loyers", "paris", "île_de_france")
    assert figure.language == "fr"
    assert figure.version == 1
    assert figure.current_version == FigureVersion(1, Decimal("845.50"), unit_from_code("EUR/month"))


def test_short_forms_and_english_input() -> None:
    figure = build_figure(
        {
            "value": "1,050",
            "unit": "EUR/month",
            "measures": "Median rent",
            "place": "Lyon",
            "period": "2026-05",
            "source": "http://example.org/r",
            "tags": ["Rent", "rent", "#housing"],
            "method": " Median of 1,204 listings ",
        },
        "en",
    )
    assert figure.value == Decimal(1050)
    assert figure.place == Place("Lyon")
    assert figure.source == Source("http://example.org/r")
    assert figure.tags == ("rent", "housing")
    assert figure.method == "Median of 1,204 listings"
    assert figure.language == "en"


def test_a_scaled_currency_is_folded_into_the_value() -> None:
    figure = rent(value="12", unit="k€/an")
    assert figure.value == Decimal(12000)
    assert figure.unit.code == "EUR/year"
    assert str(rent(value="1,5", unit="k€/an").value) == "1500"


def test_language_field_overrides_the_input_language() -> None:
    figure = build_figure({**RENT, "value": "1,000", "language": "en-GB"}, "fr")
    assert figure.language == "en"
    assert figure.value == Decimal(1)  # the value was typed in the French form


def test_unit_may_be_given_as_its_wire_code() -> None:
    assert rent(unit={"code": "EUR/month"}).unit.code == "EUR/month"
    assert "unit.code" in errors_of({**RENT, "unit": {"code": "kEUR"}})


def test_numeric_values_from_json() -> None:
    assert rent(value=845.5).value == Decimal("845.5")
    assert rent(value=845).value == Decimal(845)
    assert rent(value=Decimal("845.50")).value == Decimal("845.50")


def test_every_problem_is_reported_with_its_field() -> None:
    problems = errors_of(
        {
            "value": "12,,5",
            "unit": "foo/bar",
            "measures": "   ",
            "place": {"code": "xx-12345"},
            "period": "2026-13",
            "source": "ftp://example.org/x",
            "tags": ["loyer moyen"],
            "colour": "blue",
            "version": 3,
        }
    )
    assert problems == {
        "value": "not a number: '12,,5'",
        "unit": "unknown unit: 'foo/bar'",
        "measures": "required",
        "place.name": "required",
        "place.code": "not an INSEE, ISO 3166 or NUTS code: 'xx-12345'",
        "period": "not a period: '2026-13' (month must be in 1..12)",
        "source": "must be an http or https URL",
        "tags": "not a hashtag: 'loyer moyen'",
        "colour": "unknown field",
        "version": "set by revisions, not by input",
    }


def test_missing_fields_are_required() -> None:
    assert errors_of({}) == {
        "value": "required",
        "unit": "required",
        "measures": "required",
        "place": "required",
        "period": "required",
        "source": "required",
    }


def test_validation_error_belongs_to_the_figure_family() -> None:
    with pytest.raises(FiguresError) as caught:
        rent(value="abc")
    assert isinstance(caught.value, FigureValidationError)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "value: not a number: 'abc'"


def test_a_price_basis_is_not_a_unit() -> None:
    assert errors_of({**RENT, "unit": "€ HT/mois"}) == {
        "unit": "HT is not part of a unit: say it in what the figure measures"
    }


@pytest.mark.parametrize("code", ["75056", "2A004", "75", "2B", "971", "FR", "FR-IDF", "fr-idf", "FR101"])
def test_place_codes_accepted(code: str) -> None:
    assert rent(place={"name": "Somewhere", "code": code}).place.code == code.upper()


@pytest.mark.parametrize("code", ["7505", "750566", "France", "FR-", "F", "12-34", 75056])
def test_place_codes_refused(code: object) -> None:
    assert "place.code" in errors_of({**RENT, "place": {"name": "Somewhere", "code": code}})


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://",
        "https://user:pw@example.org/",
        "https://exa mple.org/",
        "https://example.org:99999/",
        "mailto:a@example.org",
        "/relative/path",
    ],
)
def test_source_urls_refused(url: str) -> None:
    assert "source" in errors_of({**RENT, "source": url})


def test_source_title_problems_are_nested() -> None:
    assert errors_of({**RENT, "source": {"title": "x" * 301}}) == {
        "source.url": "required",
        "source.title": "longer than 300 characters",
    }


@pytest.mark.parametrize("tags", [["1234"], ["a-b"], "#loyer!", ["x" * 101], [f"t{i}" for i in range(21)], 7])
def test_bad_tags_refused(tags: object) -> None:
    assert "tags" in errors_of({**RENT, "tags": tags})


def test_language_must_be_french_or_english() -> None:
    assert errors_of({**RENT, "language": "de"}) == {"language": "not a supported language: 'de' (fr or en)"}


def test_revise_makes_the_next_version_and_leaves_the_first_intact() -> None:
    first = rent()
    second = revise(first, {"value": "860"})
    third = revise(second, {"method": "Relevé de 120 annonces", "tags": []})
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert first.value == Decimal("845.50")
    assert second.value == Decimal(860)
    assert second.measures == first.measures
    assert third.method == "Relevé de 120 annonces"
    assert third.tags == ()
    assert revise(third, {"method": None}).method is None
    assert second.current_version == FigureVersion(2, Decimal(860), first.unit)


def test_revise_reads_in_the_figures_language_unless_told() -> None:
    french = rent()
    assert revise(french, {"value": "1,000"}).value == Decimal(1)
    assert revise(french, {"value": "1,000"}, "en").value == Decimal(1000)


def test_revise_refuses_no_change_unknown_fields_and_versions() -> None:
    figure = rent()
    with pytest.raises(FigureValidationError) as caught:
        revise(figure, {"value": "845,5"})
    assert caught.value.errors == (("changes", "nothing changed"),)
    with pytest.raises(FigureValidationError) as caught:
        revise(figure, {"colour": "red", "version": 7, "value": "x"})
    assert dict(caught.value.errors) == {
        "colour": "unknown field",
        "version": "set by revisions, not by input",
        "value": "not a number: 'x'",
    }


def test_wire_form_has_exactly_our_keys() -> None:
    wire = figure_to_wire(rent(method="Médiane"))
    assert wire == {
        "type": "Figure",
        "value": "845.50",
        "unit": {"code": "EUR/month", "display": "€/mois"},
        "measures": "Loyer médian, T2",
        "place": {"name": "Paris", "code": "75056"},
        "period": "2026-04/2026-06",
        "source": {"url": "https://example.org/loyers", "title": "Observatoire des loyers"},
        "method": "Médiane",
        "version": 1,
        "tags": ["loyers", "paris", "île_de_france"],
    }
    assert list(wire) == ["type", "value", "unit", "measures", "place", "period", "source", "method", "version", "tags"]


def test_wire_form_omits_what_is_absent_and_never_writes_exponents() -> None:
    figure = build_figure(
        {**RENT, "value": Decimal("1E+3"), "place": "Lyon", "source": "https://example.org", "tags": []}
    )
    wire = figure_to_wire(figure)
    assert wire["value"] == "1000"
    assert wire["place"] == {"name": "Lyon"}
    assert wire["source"] == {"url": "https://example.org"}
    assert "method" not in wire
    assert wire["tags"] == []


def test_english_figure_displays_its_unit_in_english() -> None:
    wire = figure_to_wire(rent(language="en"))
    assert wire["unit"] == {"code": "EUR/month", "display": "€/month"}


def test_wire_round_trip_through_json() -> None:
    figure = revise(rent(method="Médiane"), {"value": "860"})
    received = json.loads(json.dumps(figure_to_wire(figure)))
    assert figure_from_wire(received, "fr") == figure


def test_the_contributor_travels_beside_the_figure() -> None:
    wire = figure_to_wire(rent(), contributor="https://chiffres.example/actors/ana")
    assert list(wire)[-1] == "contributor"
    assert wire_contributor(wire) == "https://chiffres.example/actors/ana"
    assert figure_from_wire(wire) == rent()
    assert wire_contributor(figure_to_wire(rent())) is None
    assert wire_contributor({**wire, "contributor": ["https://a.example/u"]}) is None
    assert wire_contributor("not an object") is None


def test_from_wire_ignores_unknown_keys_and_accepts_type_arrays() -> None:
    wire = figure_to_wire(rent())
    extended = {**wire, "type": ["Figure", "Thing"], "confidence": 0.9}
    assert figure_from_wire(extended) == rent()


def test_from_wire_is_strict_about_our_own_formats() -> None:
    wire = figure_to_wire(rent())
    bad = {**wire, "type": "Note", "value": "1,5", "unit": {"code": "kEUR"}, "version": True}
    with pytest.raises(FigureValidationError) as caught:
        figure_from_wire(bad)
    assert dict(caught.value.errors) == {
        "type": 'must be "Figure"',
        "value": "not a decimal string: '1,5'",
        "unit.code": "not a unit code: 'kEUR'",
        "version": "must be a positive integer",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 845.5}, "value"),
        ({"value": "1e3"}, "value"),
        ({"unit": "EUR/month"}, "unit.code"),
        ({"unit": {"display": "€"}}, "unit.code"),
        ({"version": 0}, "version"),
        ({"period": "2026-Q9"}, "period"),
        ({"place": {"name": ""}}, "place.name"),
    ],
)
def test_from_wire_refuses_each_bad_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(FigureValidationError) as caught:
        figure_from_wire({**figure_to_wire(rent()), **changes})
    assert field in dict(caught.value.errors)


def test_from_wire_refuses_a_non_object() -> None:
    with pytest.raises(FigureValidationError) as caught:
        figure_from_wire(["Figure"])
    assert caught.value.errors == (("figure", "must be an object"),)


def test_format_value_is_available_with_the_figure() -> None:
    figure = rent()
    assert format_value(figure.value, figure.unit, "fr") == "845,50\u00a0€/mois"
    assert format_value(figure.value, figure.unit, "en") == "€845.50/month"
