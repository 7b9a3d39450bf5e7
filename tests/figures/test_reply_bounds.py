"""Reading a reply is bounded: a hostile reply costs no more than an ordinary long one.

A 200 kB reply of "1 1 1 …" once froze an instance for hours: every number handed the whole rest of the text to
the unit reader. Only the first 2 000 characters of a reply's text are read (and a bounded prefix of its HTML),
the unit after a number is looked for in a short window, and only the first numbers are considered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

import figures.correction_text as correction_text
from figures.correction_text import parse_correction, reply_text
from figures.figure import build_figure
from figures.numbers import Lang, parse_decimal
from figures.units import read_unit_prefix

RENT = build_figure(
    {
        "value": "820",
        "unit": "€/mois",
        "measures": "Loyer médian T2",
        "place": "Paris",
        "period": "2026-Q2",
        "source": "https://example.org/loyers",
    }
)
TEXT_READ = 2000


@dataclass
class Spy:
    """Counts what the reply reader hands to the number and unit readers; stops a run that reads too much at once,
    so that the old, quadratic reading fails here quickly instead of running for hours."""

    limit: int
    calls: int = 0
    characters: int = 0
    seen: list[str] = field(default_factory=list)

    def wrap(self, inner: Callable[..., Any]) -> Callable[..., Any]:
        def spied(text: str, *args: Any) -> Any:
            assert len(text) <= self.limit, f"handed {len(text)} characters at once"
            self.calls += 1
            self.characters += len(text)
            return inner(text, *args)

        return spied


def _spied_parse(monkeypatch: pytest.MonkeyPatch, content: str) -> tuple[Spy, Spy]:
    units, numbers = Spy(TEXT_READ), Spy(TEXT_READ)
    with monkeypatch.context() as patch:
        patch.setattr(correction_text, "read_unit_prefix", units.wrap(read_unit_prefix))
        patch.setattr(correction_text, "parse_decimal", numbers.wrap(parse_decimal))
        assert parse_correction(content, RENT) is None
    return units, numbers


def test_a_200_kb_reply_of_ones_costs_what_a_4_kb_one_does(monkeypatch: pytest.MonkeyPatch) -> None:
    huge_units, huge_numbers = _spied_parse(monkeypatch, "<p>" + "1 " * 100_000 + "</p>")
    small_units, small_numbers = _spied_parse(monkeypatch, "<p>" + "1 " * 2_000 + "</p>")
    assert (huge_units.calls, huge_units.characters) == (small_units.calls, small_units.characters)
    assert (huge_numbers.calls, huge_numbers.characters) == (small_numbers.calls, small_numbers.characters)
    assert huge_numbers.calls <= TEXT_READ // 2, "numbers are read from the first 2 000 characters only"
    assert huge_units.characters <= 100 * huge_units.calls, "the unit is looked for just after its number"


def test_only_the_first_2000_characters_of_the_text_are_read() -> None:
    near = "bla " * 497  # 1 988 characters, then the value
    far = "bla " * 500  # 2 000 characters, then the value
    parsed = parse_correction(f"<p>{near}845 €</p>", RENT)
    assert parsed is not None
    assert parsed.value == Decimal(845)
    assert parse_correction(f"<p>{far}845 €</p>", RENT) is None
    assert TEXT_READ - 4 <= len(reply_text("<p>" + "bla " * 100_000 + "</p>").text) <= TEXT_READ


def test_a_number_cut_by_the_limit_is_not_read_from_half_its_digits() -> None:
    parsed = parse_correction(f"<p>{'bla ' * 499}x 8451 €</p>", RENT)  # "8451" spans characters 1998-2001
    assert parsed is None, "not 84"


def test_markup_counts_towards_what_is_read_but_mentions_do_not_crowd_out_the_text() -> None:
    mention = '<span class="h-card"><a href="https://chiffres.example/@loyers" class="u-url mention">@loyers</a></span>'
    parsed = parse_correction(f"<p>{mention * 20} plutôt 845 €</p>", RENT)
    assert parsed is not None, "twenty mentions (2 kB of markup) still leave the text readable"
    assert parsed.value == Decimal(845)
    assert parse_correction("<p>" + "<span></span>" * 10_000 + "845 €</p>", RENT) is None


def test_only_the_first_numbers_are_considered() -> None:
    some = "1 m², " * 40
    many = "1 m², " * 60
    parsed = parse_correction(f"<p>{some}845 €</p>", RENT)
    assert parsed is not None
    assert parsed.value == Decimal(845)
    assert parse_correction(f"<p>{many}845 €</p>", RENT) is None


@pytest.mark.parametrize(
    "content",
    [
        "plutôt 1" + "0" * 400 + " €",
        "plutôt 1 000 000 000 000 000 €",
        "plutôt 0,0000000000000001 €",
        "plutôt 999 999 999 999 999 €/jour",  # within the bounds as written, 3·10^16 once per month
    ],
)
def test_a_number_beyond_the_bounds_is_not_a_value(content: str) -> None:
    assert parse_correction(content, RENT) is None


def _best_time(function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("piece", ["<a\t", "<a b='", '<a b="', "<!--", "</", "<![CDATA[", "<?", "<!", "&#", "<a "])
def test_stripping_markup_grows_linearly_with_hostile_markup(piece: str) -> None:
    """Python's own HTML parser takes quadratic time on unterminated tags ("<a\\t" × 5 000 takes 0.3 s): ten
    times the markup must cost about ten times as much, not a hundred (a generous 40 is allowed for noise)."""
    small = piece * (2_000 // len(piece))
    large = piece * (20_000 // len(piece))
    ratio = _best_time(lambda: reply_text(large)) / max(_best_time(lambda: reply_text(small)), 1e-6)
    assert ratio < 40, f"{ratio:.0f}× the time for 10× the markup"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_bounds_change_nothing_for_ordinary_replies(lang: Lang) -> None:
    parsed = parse_correction("<p>pas 800 mais 845 €/mois</p>", RENT, lang)
    assert parsed is not None
    assert parsed.value == Decimal(845)
    assert parsed.quote == "845 €/mois"
