from __future__ import annotations

from decimal import Decimal

from figures.claims import PLAUSIBLE_RATIO, correction, endorsement, plausible, publication, reply
from figures.figure import build_figure

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


def test_publication_claims_the_published_value() -> None:
    claimed = publication(FIGURE)
    assert (claimed.kind, claimed.value, claimed.version) == ("publish", Decimal("812"), 1)


def test_endorsement_of_a_named_or_current_version() -> None:
    versions = {1: Decimal("812"), 2: Decimal("845")}
    current = endorsement(versions, 2)
    assert current is not None
    assert (current.kind, current.value, current.version) == ("endorse", Decimal("845"), 2)
    named = endorsement(versions, 2, 1)
    assert named is not None
    assert named.value == Decimal("812")
    unknown = endorsement(versions, 2, 7)
    assert unknown is not None
    assert unknown.version == 2, "an unknown version falls back to the current one"
    boost = endorsement(versions, 2, boost=True)
    assert boost is not None
    assert boost.kind == "boost"
    assert endorsement({}, 1) is None


def test_correction_object_is_converted_to_the_figures_unit() -> None:
    claimed = correction(
        {
            "value": "10200",
            "unit": {"code": "EUR/year"},
            "source": {"url": "https://x.example"},
            "reason": "nouvel observatoire",
        },
        FIGURE,
    )
    assert claimed is not None
    assert claimed.value == Decimal("850")
    assert (claimed.kind, claimed.parsed, claimed.source_url) == ("correct", False, "https://x.example")
    assert correction({"value": "10", "unit": {"code": "percent"}}, FIGURE) is None
    assert correction({"value": "1e3", "unit": {"code": "EUR/month"}}, FIGURE) is None
    assert correction({"unit": {"code": "EUR/month"}}, FIGURE) is None


def test_plain_reply_is_a_parsed_correction_or_nothing() -> None:
    claimed = reply("<p>@loyers plutôt 845 €/mois</p>", FIGURE)
    assert claimed is not None
    assert (claimed.value, claimed.parsed) == (Decimal("845"), True)
    assert reply("<p>merci pour ce chiffre !</p>", FIGURE) is None


def test_plausible_is_within_a_ratio_of_three_with_the_same_sign() -> None:
    assert plausible(Decimal("845"), Decimal("812"))
    assert plausible(Decimal("2436"), Decimal("812"))
    assert plausible(Decimal("271"), Decimal("812"))
    assert not plausible(Decimal("2437"), Decimal("812"))
    assert not plausible(Decimal("5"), Decimal("845")), "a member's slip"
    assert not plausible(Decimal("3"), Decimal("1000")), "a count"
    assert not plausible(Decimal("-2"), Decimal("3"))
    assert not plausible(Decimal("0"), Decimal("3"))
    assert plausible(Decimal("-2.5"), Decimal("-3"))
    assert plausible(Decimal("4"), Decimal("0")), "a figure of zero gives no scale"
    assert PLAUSIBLE_RATIO == 3


def test_an_implausible_correction_object_is_kept_but_flagged() -> None:
    slip = correction({"value": "5", "unit": {"code": "EUR/month"}}, FIGURE)
    assert slip is not None
    assert (slip.value, slip.implausible) == (Decimal("5"), True)
    fair = correction({"value": "845", "unit": {"code": "EUR/month"}}, FIGURE)
    assert fair is not None
    assert not fair.implausible
    moved = correction({"value": "2500", "unit": {"code": "EUR/month"}}, FIGURE, Decimal("2400"))
    assert moved is not None
    assert not moved.implausible, "plausible against the current consensus"


def test_a_written_value_far_from_the_figure_is_read_but_flagged() -> None:
    claimed = reply("<p>plutôt 5 €/mois</p>", FIGURE)
    assert claimed is not None
    assert (claimed.value, claimed.implausible) == (Decimal("5"), True)
    converted = reply("<p>10 800 €/an</p>", FIGURE)
    assert converted is not None
    assert (converted.value, converted.implausible) == (Decimal("900"), False)


def test_a_bare_number_is_judged_against_the_consensus_too() -> None:
    assert reply("<p>plutôt 2 500</p>", FIGURE) is None
    claimed = reply("<p>plutôt 2 500</p>", FIGURE, consensus=Decimal("2400"))
    assert claimed is not None
    assert (claimed.value, claimed.implausible) == (Decimal("2500"), False)
