"""Replies as people write them under a figure, with the claim each one makes, or none.

A rent of 1 000 €/mois (and its English twin), an unemployment rate of 7,4 % and a working week of 35 h: half
the replies below carry a correction, half carry numbers that are not one (thanks with counts, dates, times,
changes in percent, ordinals, links, mentions, hashtags, denied values). No reply without a correction may
produce a claim: a stray "3" once moved a rent's consensus to 54.77 €/mois.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from figures.claims import reply
from figures.figure import Figure, build_figure
from figures.numbers import Lang


def figure(value: str, unit: str, measures: str, language: Lang = "fr") -> Figure:
    return build_figure(
        {
            "value": value,
            "unit": unit,
            "measures": measures,
            "place": "Lyon",
            "period": "2026-Q2",
            "source": "https://example.org/observatoire",
            "language": language,
        },
        language,
    )


RENT = figure("1000", "€/mois", "Loyer médian T2")
RENT_EN = figure("1000", "EUR/month", "Median rent, one bedroom", "en")
JOBLESS = figure("7.4", "%", "Taux de chômage")
JOBLESS_EN = figure("7.4", "%", "Unemployment rate", "en")
WEEK = figure("35", "h/semaine", "Durée du travail")

MENTION = (
    '<span class="h-card"><a href="https://chiffres.example/@loyers" class="u-url mention">'
    "@<span>loyers</span></a></span>"
)

CORRECTIONS: list[tuple[str, Figure, str]] = [
    # French
    ("plutôt 950 € d'après mon agence", RENT, "950"),
    (f"<p>{MENTION} c&#39;est pas 1000, c&#39;est 990</p>", RENT, "990"),
    ("Non, 1 100 € charges comprises", RENT, "1100"),
    ("Je paie 1 150 €/mois pour un T2 à la Guillotière", RENT, "1150"),
    ("10 800 €/an, donc 900 par mois", RENT, "900"),
    ("environ 1 050 d’après l’observatoire", RENT, "1050"),
    ("c'est plutôt 1200 maintenant", RENT, "1200"),
    ("Le vrai chiffre est 870, voir https://www.insee.fr/fr/statistiques/2025", RENT, "870"),
    ("ce n'est pas 1000 mais 930", RENT, "930"),
    ("Faux : 880 € selon la CAF", RENT, "880"),
    ("1,2 k€ chez nous, minimum", RENT, "1200"),
    ("on est plus à 1 080 depuis janvier", RENT, "1080"),
    ("Bof, je dirais 940", RENT, "940"),
    ("plutôt 8,1 % au dernier trimestre", JOBLESS, "8.1"),
    ("Non, 6,9", JOBLESS, "6.9"),
    ("c'est 37 h par semaine dans la plupart des boîtes", WEEK, "37"),
    ("plutôt 39 heures", WEEK, "39"),
    ("pas 35 mais 38,5", WEEK, "38.5"),
    # English
    ("more like 850 tbh", RENT_EN, "850"),
    ("Should be 1,150 according to the city's report", RENT_EN, "1150"),
    ("Actually it's €1,080/month now", RENT_EN, "1080"),
    ("not 1000 but 980", RENT_EN, "980"),
    ("I pay $1,200... no wait, €1,100 a month", RENT_EN, "1100"),
    ("closer to 900", RENT_EN, "900"),
    ("12,600 EUR a year, so about 1,050 a month", RENT_EN, "1050"),
    ("Nope, 950 EUR.", RENT_EN, "950"),
    ("it's 8.2% now, see https://stats.example/2026/q2", JOBLESS_EN, "8.2"),
    ("I'd say around 7", JOBLESS_EN, "7"),
    ("roughly 1.1k€", RENT_EN, "1100"),
    ("Wrong: 890 per month in 2026", RENT_EN, "890"),
    ("It was 1,020 in my last lease", RENT_EN, "1020"),
    ("between 950 and 1,050", RENT_EN, "950"),
]

NOT_CORRECTIONS: list[tuple[str, Figure]] = [
    # French
    ("Merci ! Il y a 3 quartiers sans données.", RENT),
    (f"<p>{MENTION} super, merci pour le partage</p>", RENT),
    ("Mis à jour le 12/05 ?", RENT),
    ("On en parle à la réunion de 14h30", RENT),
    ("+5 % en un an, c'est énorme", RENT),
    ("Le 7e arrondissement est bien plus cher", RENT),
    ("C'est le 3e trimestre de hausse", RENT),
    ("Source : https://example.org/rapports/2025/1000-logements", RENT),
    ("#loyers2026 #T2 @ana@lyon.example", RENT),
    ("J'ai visité 12 appartements ce mois-ci", RENT),
    ("c'est 2 fois plus qu'à Saint-Étienne", RENT),
    ("Chiffres de 2025 ou de 2026 ?", RENT),
    ("Il manque 40 communes de la métropole", RENT),
    ("Ça fait 10 ans que ça monte", RENT),
    ("pas 1000, non", RENT),
    ("Hausse de 2,5 points en un an", JOBLESS),
    ("Le 1er janvier 2026, ça changera", JOBLESS),
    ("Rendez-vous le 12 mai à 18h", WEEK),
    # English
    ("Thanks! 3 districts have no data though.", RENT_EN),
    ("Great thread 👍", RENT_EN),
    ("Is this from May 12?", RENT_EN),
    ("Posted at 2pm, updated 3 times since", RENT_EN),
    ("Up +5% year on year, wow", RENT_EN),
    ("My flat is on the 3rd floor", RENT_EN),
    ("See https://example.org/2026/rents/1000 for the method", RENT_EN),
    ("cc @bob@rents.example #rent2026", RENT_EN),
    ("We surveyed 400 households", RENT_EN),
    ("That's 2x what I paid in 2019", RENT_EN),
    ("Only 5 people answered the survey", RENT_EN),
    ("the 2025 figure was better", RENT_EN),
    ("it's not 1000, obviously", RENT_EN),
    ("12 comments and nobody read the method", JOBLESS_EN),
]


@pytest.mark.parametrize(("content", "target", "value"), CORRECTIONS)
def test_a_reply_with_a_correction_claims_its_value(content: str, target: Figure, value: str) -> None:
    claimed = reply(content, target)
    assert claimed is not None, content
    assert (claimed.kind, claimed.value, claimed.parsed) == ("correct", Decimal(value), True)
    assert not claimed.implausible


@pytest.mark.parametrize(("content", "target"), NOT_CORRECTIONS)
def test_a_reply_without_a_correction_claims_nothing(content: str, target: Figure) -> None:
    assert reply(content, target) is None


def test_the_corpus_is_large_and_balanced() -> None:
    assert len(CORRECTIONS) + len(NOT_CORRECTIONS) >= 60
    assert len(NOT_CORRECTIONS) >= len(CORRECTIONS) // 2
    languages = {target.language for _, target, _ in CORRECTIONS} | {target.language for _, target in NOT_CORRECTIONS}
    assert languages == {"fr", "en"}


def test_an_hour_of_the_day_is_not_a_duration() -> None:
    assert reply("Rendez-vous le 12 mai à 18h", WEEK) is None
    claimed = reply("plutôt 38h par semaine", WEEK)
    assert claimed is not None
    assert claimed.value == Decimal(38)
