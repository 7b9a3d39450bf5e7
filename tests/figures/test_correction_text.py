from decimal import Decimal

import pytest

from figures.correction_text import ParsedCorrection, parse_correction, reply_text
from figures.figure import Figure, build_figure
from figures.numbers import Lang

# What Mastodon puts at the start of a reply to @loyers@chiffres.example.
MENTION = (
    '<span class="h-card" translate="no"><a href="https://chiffres.example/@loyers" '
    'class="u-url mention">@<span>loyers</span></a></span>'
)


def link(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return (
        f'<a href="{url}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
        f'<span class="invisible">{scheme}://</span><span class="">{rest}</span>'
        '<span class="invisible"></span></a>'
    )


def hashtag(name: str) -> str:
    return f'<a href="https://mastodon.example/tags/{name}" class="mention hashtag" rel="tag">#<span>{name}</span></a>'


def figure(value: str, unit: str, language: Lang = "fr") -> Figure:
    return build_figure(
        {
            "value": value,
            "unit": unit,
            "measures": "Loyer médian T2",
            "place": "Paris",
            "period": "2026-Q2",
            "source": "https://example.org/loyers",
            "language": language,
        },
        language,
    )


RENT = figure("820", "€/mois")
RENT_EN = figure("1000", "EUR/month", "en")
RATE = figure("11", "%")
RATE_EN = figure("11", "%", "en")
HOURS = figure("35", "h/semaine")
AGE = figure("12", "ans")


@pytest.mark.parametrize(
    ("content", "target", "value", "quote"),
    [
        # French
        (f"<p>{MENTION} plutôt 845 €/mois</p>", RENT, "845", "845 €/mois"),
        ("<p>845,50 EUR</p>", RENT, "845.50", "845,50 EUR"),
        ("<p>12,5 %</p>", RATE, "12.5", "12,5 %"),
        ("<p>≈ 1 200 €</p>", RENT, "1200", "1 200 €"),
        ("<p>≈ 1\u202f200 €</p>", RENT, "1200", "1\u202f200 €"),
        ("<p>c&#39;est 900 euros par mois</p>", RENT, "900", "900 euros par mois"),
        ("<p>14 400 €/an, pas 820</p>", RENT, "1200", "14 400 €/an"),
        ("<p>12 k€/an</p>", RENT, "1000", "12 k€/an"),
        ("<p>1,2 k€</p>", RENT, "1200", "1,2 k€"),
        ("<p>le 12/05 c&#39;était 845 €</p>", RENT, "845", "845 €"),
        ("<p>en 2025 : 845 € HT par mois</p>", RENT, "845", "845 € HT par mois"),
        ("<p>Non, 30 m² pour 845</p>", RENT, "845", "845"),
        ("<p>plutôt 37 heures par semaine</p>", HOURS, "37", "37 heures par semaine"),
        ("<p>plutôt 2 220 min/semaine</p>", HOURS, "37", "2 220 min/semaine"),
        ("<p>Il a 2025 jours</p>", AGE, "5.544147843942505133470225873", "2025 jours"),
        ("<p>1.234,5 €</p>", RENT, "1234.5", "1.234,5 €"),
        ("<p>−3,2 %</p>", RATE, "-3.2", "−3,2 %"),
        ("<p>entre 800 et 900</p>", RENT, "800", "800"),
        # English
        (f"<p>{MENTION} more like 850</p>", RENT_EN, "850", "850"),
        ("<p>I&#39;d say 1,050</p>", RENT_EN, "1050", "1,050"),
        ("<p>~ 12.5%</p>", RATE_EN, "12.5", "12.5%"),
        ("<p>€845.50/month</p>", RENT_EN, "845.50", "€845.50/month"),
        ("<p>850 a month at most</p>", RENT_EN, "850", "850 a month"),
        ("<p>about 1,234.50 EUR per month</p>", RENT_EN, "1234.50", "1,234.50 EUR per month"),
        ("<p>On May 12 it was 900 euros</p>", RENT_EN, "900", "900 euros"),
        ("<p>12,000 EUR a year</p>", RENT_EN, "1000", "12,000 EUR a year"),
    ],
)
def test_replies_with_a_value(content: str, target: Figure, value: str, quote: str) -> None:
    parsed = parse_correction(content, target)
    assert parsed is not None
    assert parsed.value == Decimal(value)
    assert parsed.unit == target.unit
    assert parsed.quote == quote


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("<p>merci !</p>", RENT),
        ("<p>super chiffre</p>", RENT),
        ("<p>voir 2025</p>", RENT),
        ("<p>le 12 mai</p>", RENT),
        ("<p>mis à jour le 12 mai 2026</p>", RENT),
        ("<p>12/05/2026</p>", RENT),
        ("<p>rendez-vous à 14h30</p>", RENT),
        ("<p>le 1er trimestre</p>", RENT),
        ("<p>COVID-19</p>", RENT),
        ("<p>12k</p>", RENT),
        ("<p>pour un T2</p>", RENT),
        (f"<p>{MENTION} {hashtag('loyers2026')} {hashtag('T3')}</p>", RENT),
        (f"<p>{MENTION} voir {link('https://example.org/2025/rapport-42')}</p>", RENT),
        ("<p>@loyers@chiffres.example #loyers2026 https://x.example/845</p>", RENT),
        ("<p>845 $</p>", RENT),
        ("<p>30 m²</p>", RENT),
        ("<p>12,5 %</p>", RENT),
        ("<p>thanks!</p>", RENT_EN),
        ("<p>see 2024-2025</p>", RENT_EN),
        ("<p>on May 12, 2026</p>", RENT_EN),
        ("<p>at 2pm</p>", RENT_EN),
        ("<p>the 3rd one</p>", RENT_EN),
        ("<p>850 people</p>", RENT_EN),
        ("", RENT),
    ],
)
def test_replies_without_a_usable_value(content: str, target: Figure) -> None:
    assert parse_correction(content, target) is None


def test_a_bare_year_counts_when_the_figure_is_in_years() -> None:
    years = figure("2020", "an")
    parsed = parse_correction("<p>plutôt 2021</p>", years)
    assert parsed is not None
    assert parsed.value == Decimal(2021)
    assert parse_correction("<p>plutôt 1 950</p>", RENT) is not None  # grouped: not a year


def test_source_url_is_picked_up_and_not_read_as_a_number() -> None:
    content = (
        f"<p>{MENTION} c&#39;est 900 euros par mois, source : {link('https://www.insee.fr/fr/statistiques/2025')}</p>"
    )
    parsed = parse_correction(content, RENT)
    assert parsed == ParsedCorrection(
        value=Decimal(900),
        unit=RENT.unit,
        source_url="https://www.insee.fr/fr/statistiques/2025",
        text_span=(6, 24),
        text="c'est 900 euros par mois, source :",
        unit_assumed=False,
    )


def test_plain_text_urls_are_sources_too() -> None:
    parsed = parse_correction("plutôt 845 €/mois, voir https://example.org/loyers-2026.", RENT)
    assert parsed is not None
    assert parsed.source_url == "https://example.org/loyers-2026"


def test_mentions_and_hashtags_are_never_sources() -> None:
    parsed = parse_correction(f"<p>{MENTION} {hashtag('loyers')} 845 €</p>", RENT)
    assert parsed is not None
    assert parsed.source_url is None


def test_a_written_unit_beats_an_earlier_bare_number() -> None:
    parsed = parse_correction("<p>pas 800 mais 845 €/mois</p>", RENT)
    assert parsed is not None
    assert parsed.value == Decimal(845)
    assert parsed.unit_assumed is False
    bare = parse_correction("<p>plutôt 800</p>", RENT)
    assert bare is not None
    assert bare.unit_assumed is True
    assert parse_correction("<p>pas 800</p>", RENT) is None, "a denied number is not a proposed one"


def test_the_reply_language_decides_ambiguous_commas() -> None:
    english = parse_correction("plutôt 1,050", RENT, "en")
    assert english is not None
    assert english.value == Decimal(1050)
    assert parse_correction("more like 1,050", RENT_EN) == parse_correction("more like 1,050", RENT, "en")
    french = parse_correction("1,050 €", RENT)
    assert french is not None
    assert french.value == Decimal("1.050")


def test_reply_text_strips_tags_mentions_hashtags_and_links() -> None:
    reply = reply_text(
        f"<p>{MENTION} plutôt 845&nbsp;€ {hashtag('loyers')}</p><p>source : {link('https://example.org/a')}</p>"
        "<script>var x = 12;</script>"
    )
    assert reply.text == "plutôt 845\u00a0€\nsource :"
    assert reply.links == ("https://example.org/a",)
