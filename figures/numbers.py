"""Decimal numbers as people write them in French and English, and as we write them on the wire.

Figures are money, rents and rates: a binary float would turn "845.50" into 845.4999…, so every
number here is a `Decimal`, parsed from text and never from a float.

Reading rules (`parse_decimal`):

* Thousands may be grouped with a space (U+0020), a no-break space (U+00A0), a narrow no-break
  space (U+202F), a thin space (U+2009), a figure space (U+2007) or an apostrophe (Swiss "1'234.50").
  Groups after the first hold exactly three digits; all group separators of a number are the same.
* When both "," and "." appear, the last one is the decimal mark ("1,234.5", "1.234,5").
* When one of them appears several times, it groups thousands ("1,234,567", "1.234.567").
* When one of them appears once, the language decides. The language's own decimal mark ("," in
  French, "." in English) is always a decimal mark: "1,000" is 1 in French. The other mark is a
  thousands separator only when exactly three digits follow it and the digits before it are a valid
  leading group other than "0": "1,000" is 1000 in English and "1.200" is 1200 in French, while
  "12,5" and "0.125" stay decimals in both languages.
* A leading "-", "+" or U+2212 minus sign is accepted.
* Exponents ("1e3"), fractions, words, "NaN" and "Infinity" are refused: people do not type them
  in figures, and accepting "1e3" would make a typo ("1e3" for "1,3") silently worth a thousand.

Bounds (`bounded`): a number is written with at most 15 digits before the decimal mark and 15 after
it (`MAX_INTEGER_DIGITS`, `MAX_PLACES`), so |x| < 10^15 and at most 30 digits in all; a text longer
than `MAX_LENGTH` characters is refused before it is read. Every reader here applies them, typed or
wire, whatever the type handed in: a claim of 400 digits once became infinity as a float and stopped
every consensus. No figure of rents, wages, prices or volumes comes near: a state budget in euros
has 12 digits, a price per kWh 5 decimals. A value we compute from a bounded one (a conversion, a
scale folded in) keeps its own digits and is held to the magnitude alone (`in_range`).

The wire form (`wire_decimal`, `parse_wire_decimal`) is plain: optional "-", digits, optional "."
and digits; never an exponent, never a group separator.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Final, Literal

from babel import numbers as babel_numbers

Lang = Literal["fr", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = ("fr", "en")


class FiguresError(ValueError):
    """Root of the figure domain's errors: bad input data, whatever the field.

    The tree: FiguresError ← NumberError ← NumberOutOfBounds (here), UnitError (figures.units), PeriodError
    (figures.period), FigureValidationError (figures.figure), so that a caller turning input
    errors into a 4xx answer can catch one class.
    """


class NumberError(FiguresError):
    """A text that is not a number we can read without guessing."""


class NumberOutOfBounds(NumberError):
    """A number read without doubt, but larger or more precise than a figure may hold (see `bounded`).

    Kept apart from a malformed number: a peer that does not speak our wire form is ignored, while a value
    beyond the bounds is refused with this reason."""


MAX_INTEGER_DIGITS: Final = 15
MAX_PLACES: Final = 15
MAX_MAGNITUDE: Final = Decimal(10) ** MAX_INTEGER_DIGITS
MAX_LENGTH: Final = 64

_SIGNS: Final = {"-": "-", "\u2212": "-", "+": ""}
_SPACES: Final = frozenset(" \u00a0\u202f\u2009\u2007'\u2019")
_MARKS: Final = frozenset(".,")
# ASCII digits only: Decimal would read "١٢", but no one types a figure's digits that way here.
_SHAPE: Final = re.compile(r"[0-9]+(?:[ \u00a0\u202f\u2009\u2007'\u2019.,][0-9]+)*")
_WIRE: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DECIMAL_MARK: Final[dict[Lang, str]] = {"fr": ",", "en": "."}


def parse_decimal(text: str, lang: Lang = "fr") -> Decimal:
    """Read a number typed by a person; `lang` settles "1,000" and "1.200" (see the module doc)."""
    _short(text)
    body = text.strip()
    sign = ""
    if body[:1] in _SIGNS:
        sign, body = _SIGNS[body[0]], body[1:]
    if not _SHAPE.fullmatch(body):
        raise NumberError(f"not a number: {text!r}")
    runs = re.split(r"[^0-9]", body)
    seps = re.findall(r"[^0-9]", body)
    decimal_at = _decimal_position(seps, runs, lang)
    if decimal_at is None:
        decimal_at = len(seps)
    if not _valid_groups(seps[:decimal_at], runs[: decimal_at + 1]):
        raise NumberError(f"not a number: {text!r} (badly grouped digits)")
    integer = "".join(runs[: decimal_at + 1])
    fraction = runs[decimal_at + 1] if decimal_at < len(seps) else ""
    return bounded(Decimal(f"{sign}{integer}.{fraction}" if fraction else f"{sign}{integer}"))


def _decimal_position(seps: list[str], runs: list[str], lang: Lang) -> int | None:
    """Index of the separator acting as decimal mark, or None when every separator groups."""
    marks = [sep for sep in seps if sep in _MARKS]
    if not marks:
        return None
    last = marks[-1]
    if marks.count(last) > 1:
        return None
    position = len(seps) - 1 - seps[::-1].index(last)
    if len(set(marks)) == 2 or last == _DECIMAL_MARK[lang]:
        return position
    groups_thousands = position == len(seps) - 1 and len(runs[-1]) == 3 and runs[position] != "0" and len(runs[0]) <= 3
    return None if groups_thousands else position


def _valid_groups(seps: list[str], runs: list[str]) -> bool:
    """Grouped digits must read as thousands: same separator, first group 1-3 digits, then 3s."""
    if not seps:
        return True
    if len(set(seps)) != 1:
        return False
    return 1 <= len(runs[0]) <= 3 and all(len(run) == 3 for run in runs[1:])


def parse_wire_decimal(text: str) -> Decimal:
    """Read our wire form strictly: a peer that sends "1e3" or "1,5" is not speaking it."""
    _short(text)
    if not _WIRE.fullmatch(text):
        raise NumberError(f"not a decimal string: {text!r}")
    return bounded(Decimal(text))


def bounded(value: Decimal) -> Decimal:
    """`value` when a figure may hold it as written: finite, |value| < 10^15, at most 15 decimal places."""
    in_range(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise NumberOutOfBounds(f"more than {MAX_PLACES} digits after the decimal mark")
    return value


def in_range(value: Decimal) -> Decimal:
    """`value` when its magnitude fits a figure: for values we computed, whose digits are ours (a conversion
    keeps 28 significant digits), while `bounded` holds what people and peers write to the digit."""
    if not value.is_finite():
        raise NumberError(f"not a finite number: {value!r}")
    if value.copy_abs() >= MAX_MAGNITUDE:  # abs() would round to the context's 28 digits
        raise NumberOutOfBounds(f"more than {MAX_INTEGER_DIGITS} digits before the decimal mark")
    return value


def _short(text: str) -> None:
    """Refuse a giant text before any work on it: even a linear read of a megabyte of digits is wasted."""
    if len(text) > MAX_LENGTH:
        raise NumberOutOfBounds(f"too long for a number ({len(text)} characters, at most {MAX_LENGTH})")


def wire_decimal(value: Decimal) -> str:
    """Write a value with its digits as given ("845.50" stays "845.50") and never an exponent."""
    if not value.is_finite():
        raise NumberError(f"not a finite number: {value!r}")
    text = format(value, "f")
    return text[1:] if value.is_zero() and text.startswith("-") else text


def format_decimal(value: Decimal, lang: Lang) -> str:
    """Write a value for reading in the language's locale format (Babel's CLDR data): "1 234,50" in French
    (narrow no-break spaces), "1,234.50" in English. The one formatter of pages, notes and CSV exports.

    Every digit the figure was given is kept — "845.50" stays "845,50", never "845,5" — which Babel's default
    pattern would not do: the pattern is built from the number's own places, and the arithmetic runs with room for
    the 30 digits a figure may hold."""
    places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
    pattern = "#,##0" + ("." + "0" * places if places else "")
    with localcontext() as context:
        context.prec = MAX_INTEGER_DIGITS + MAX_PLACES + 10
        return babel_numbers.format_decimal(value, format=pattern, locale=lang)


def as_decimal(value: object, lang: Lang = "fr") -> Decimal:
    """Accept what a JSON API or a form hands us: text, int, Decimal, or a float from a JSON number.

    A float is taken through its shortest repr ("845.5"), which is what the JSON text said;
    booleans are refused even though Python counts them as ints. Every type is held to `bounded`.
    """
    if isinstance(value, bool):
        raise NumberError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return bounded(value)
    if isinstance(value, int):
        if abs(value) >= MAX_MAGNITUDE:
            raise NumberOutOfBounds(f"more than {MAX_INTEGER_DIGITS} digits before the decimal mark")
        return Decimal(value)
    if isinstance(value, float):
        try:
            result = Decimal(repr(value))
        except InvalidOperation as error:
            raise NumberError(f"not a number: {value!r}") from error
        return bounded(result)
    if isinstance(value, str):
        return parse_decimal(value, lang)
    raise NumberError(f"not a number: {value!r}")
