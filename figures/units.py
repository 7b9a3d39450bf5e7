"""Units of figures: reading what people write, a stable code for the wire, exact conversions.

People write "k€/an", "EUR/mois", "euros par mois", "€/m²", "h/semaine", "12,5 %"; peers and the
consensus need one spelling per unit, so every unit gets a canonical ASCII **code** built from pint's
unit names ("EUR/month", "EUR/year", "percent", "hour/week", "EUR/meter^2", "1/day") and a
**display** form per language ("€/mois", "€/month"). Two units are the same unit when their codes are
equal; amounts in different units of one dimension compare by exact conversion.

Conventions:

* Currencies (EUR, USD, GBP, CHF, …) are independent base dimensions: there are no exchange rates,
  so "845 $" never converts to euros.
* Calendar units follow pint: year = 12 months = 365.25 days, month = 30.4375 days, week = 7 days;
  a quarter is 3 months and a half-year 6 months. So 12 000 EUR/year == 1 000 EUR/month exactly.
* A scaled currency ("k€", "M€", "Md€", "kEUR") is not a unit of its own: the scale is returned
  apart and folded into the value, so "12 k€/an" is 12 000 EUR/year. Other prefixes are real units
  ("km" stays "kilometer"), because "12 km" is how a distance is stated.
* "HT", "TTC", "CC", "HC", "brut", "net" (and "hors taxes", "charges comprises", "excl. VAT"…) are
  not units but bases of a price; they are set aside in `UnitReading.qualifiers`. They belong in
  what a figure measures, not in its unit, or an HT and a TTC price would be pooled as one.
* Conversions run on exact fractions; a result with a finite decimal expansion is exact, any other
  is rounded to 28 significant digits.

The word list (`figures.units` lexicon) is used alone when reading free text (`read_unit_prefix`),
because pint knows "in", "at", "are" and "bar" as units; `parse_unit` falls back to pint's own
names and symbols ("kWh", "mile/hour") for a field that can only hold a unit.

This module is longer than our usual 400 lines because the lexicon (about 100 lines of data) lives
next to the reader and the display code that use it; the code itself stays in short functions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any, Final, NamedTuple

import pint

from figures.numbers import FiguresError, Lang, format_decimal, parse_decimal

__all__ = [
    "Amount",
    "Unit",
    "UnitError",
    "UnitReading",
    "compatible",
    "convert",
    "dimension",
    "format_value",
    "multiply",
    "numerator",
    "parse_amount",
    "parse_unit",
    "read_unit_prefix",
    "scaled",
    "unit_from_code",
    "unit_registry",
    "without_period",
]

_PRECISION: Final = Context(prec=28)
_SUPERSCRIPTS: Final = {2: "²", 3: "³"}
_PER: Final[dict[Lang, str]] = {"fr": "par", "en": "per"}
_MAX_PREFIX_TOKENS: Final = 8


class UnitError(FiguresError):
    """A unit we cannot read, or two units that do not convert into each other."""


# --- The lexicon: what people write, mapped to pint expressions. -------------------------------
# It is data, kept here so that reading and writing units stay in one module.

CURRENCY_SYMBOLS: Final[dict[str, str]] = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "CAD": "CAD", "AUD": "AUD",
    "CNY": "CNY", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN", "XOF": "XOF",
    "XAF": "XAF", "XPF": "XPF", "MAD": "MAD", "TND": "TND",
}  # fmt: skip
_SYMBOL_CODES: Final = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_SCALE_PREFIXES: Final = {
    "k": "kilo", "K": "kilo", "M": "mega", "Md": "giga", "Mds": "giga", "Mrd": "giga", "G": "giga",
    "bn": "giga",
}  # fmt: skip
# Case matters for these symbols ("t" is a tonne, "T" is not ours; "L" and "l" are litres).
_SYMBOLS: Final = (
    "m", "km", "cm", "mm", "g", "kg", "mg", "t", "L", "l", "mL", "cL", "hL", "ha",
    "W", "kW", "MW", "GW", "Wh", "kWh", "MWh", "GWh", "TWh",
)  # fmt: skip
_WORDS: Final[dict[str, str]] = {
    "EUR": "eur euro euros", "kiloEUR": "keur", "megaEUR": "meur", "USD": "usd dollar dollars",
    "GBP": "gbp", "CHF": "chf", "second": "sec secs seconde secondes second seconds",
    "minute": "min mn minute minutes", "hour": "h hr hrs heure heures hour hours",
    "day": "j jour jours day days", "week": "sem sem. semaine semaines week weeks wk",
    "month": "mois month months", "year": "an ans année années annee annees year years yr yrs",
    "quarter_year": "trimestre trimestres quarter quarters", "half_year": "semestre semestres",
    "1/month": "mensuel mensuels mensuelle mensuelles monthly",
    "1/year": "annuel annuels annuelle annuelles annual yearly",
    "1/week": "hebdomadaire hebdomadaires hebdo weekly",
    "1/day": "quotidien quotidiens quotidienne quotidiennes journalier journaliers daily",
    "1/hour": "horaire horaires hourly",
    "1/quarter_year": "trimestriel trimestriels trimestrielle trimestrielles quarterly",
    "person": "personne personnes pers pers. person persons people habitant habitants hab hab. "
    "inhabitant inhabitants résident résidents resident residents",
    "percent": "pourcent percent pct", "meter": "mètre mètres metre metres meter meters",
    "kilometer": "kilomètre kilomètres kilometre kilometres kilometer kilometers",
    "kilogram": "kilo kilos kilogramme kilogrammes kilogram kilograms",
    "gram": "gramme grammes gram grams", "metric_ton": "tonne tonnes",
    "liter": "litre litres liter liters", "hectare": "hectare hectares",
}  # fmt: skip
QUALIFIERS: Final[dict[str, str]] = {
    "ht": "HT", "ttc": "TTC", "cc": "CC", "hc": "HC", "brut": "gross", "brute": "gross",
    "bruts": "gross", "brutes": "gross", "gross": "gross", "net": "net", "nette": "net",
    "nets": "net", "nettes": "net",
}  # fmt: skip
# Several-word spellings, tried before single words. Terms are pint expressions.
_PHRASES: Final[tuple[tuple[str, str, str], ...]] = (
    (r"(?i:m[eè]tres?\s+carr[ée]s?|square\s+met(?:er|re)s?)(?!\w)", "term", "meter**2"),
    (r"(?i:kilom[eè]tres?\s+carr[ée]s?|square\s+kilomet(?:er|re)s?)(?!\w)", "term", "kilometer**2"),
    (r"(?i:m[eè]tres?\s+cubes?|cubic\s+met(?:er|re)s?)(?!\w)", "term", "meter**3"),
    (r"(k?m|cm|mm)([23])(?![\w'’])", "term", r"\1**\2"),
    (r"(?i:pour\s?cent|per\s?cent)(?!\w)", "term", "percent"),
    (r"(?i:per\s+annum)(?!\w)", "term", "1/year"),
    (r"(?i:an?\s+(?=(?:hour|day|week|month|year)s?(?!\w)))", "div", ""),
    (r"(?i:hors\s+taxes?|h\.\s?t\.?|excl(?:\.|uding)?\s+vat)(?!\w)", "qual", "HT"),
    (r"(?i:toutes\s+taxes\s+comprises|t\.\s?t\.\s?c\.?|incl(?:\.|uding)?\s+vat)(?!\w)", "qual", "TTC"),
    (r"(?i:charges\s+comprises)(?!\w)", "qual", "CC"),
    (r"(?i:hors\s+charges)(?!\w)", "qual", "HC"),
)
_WORD_DISPLAY: Final[dict[str, dict[Lang, tuple[str, str]]]] = {
    "day": {"fr": ("jour", "jours"), "en": ("day", "days")},
    "week": {"fr": ("semaine", "semaines"), "en": ("week", "weeks")},
    "month": {"fr": ("mois", "mois"), "en": ("month", "months")},
    "year": {"fr": ("an", "ans"), "en": ("year", "years")},
    "quarter_year": {"fr": ("trimestre", "trimestres"), "en": ("quarter", "quarters")},
    "half_year": {"fr": ("semestre", "semestres"), "en": ("half-year", "half-years")},
    "person": {"fr": ("personne", "personnes"), "en": ("person", "people")},
}
_SYMBOL_DISPLAY: Final = {
    "percent": "%", "liter": "L", "milliliter": "mL", "centiliter": "cL", "hectoliter": "hL",
    "degree_Celsius": "°C", "degree_Fahrenheit": "°F", "delta_degree_Celsius": "°C",
    "delta_degree_Fahrenheit": "°F", **CURRENCY_SYMBOLS,
}  # fmt: skip


@functools.cache
def _symbols() -> dict[str, str]:
    """Spellings matched as written ("t" is a tonne, "T" is not): symbol → pint expression."""
    table = {symbol: symbol for symbol in _SYMBOLS}
    table.update({"%": "percent", "°C": "degC", "°F": "degF", "1": "1"})
    for symbol, code in _SYMBOL_CODES.items():
        table[symbol] = code
        table.update({prefix + symbol: name + code for prefix, name in _SCALE_PREFIXES.items()})
    return table


@functools.cache
def _words() -> dict[str, str]:
    """Spellings matched in any case ("Euros", "MOIS"): lower-case word → pint expression."""
    return {word: expression for expression, words in _WORDS.items() for word in words.split()}


def _lookup(word: str) -> str | None:
    return _symbols().get(word) or _words().get(word.lower())


@functools.cache
def _phrase_patterns() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    return tuple((re.compile(pattern), kind, value) for pattern, kind, value in _PHRASES)


@dataclass(frozen=True)
class Unit:
    """A canonical unit; equal codes mean the same unit, whatever was typed."""

    code: str
    terms: tuple[tuple[str, int], ...] = field(compare=False, repr=False)

    def display(self, lang: Lang, count: Decimal | None = None) -> str:
        """Readable form; words agree with `count` ("1 personne", "3 personnes"), plural if None."""
        plural = count is None or (abs(count) >= 2 if lang == "fr" else abs(count) != 1)
        above = [_atom(name, power, lang, plural) for name, power in self.terms if power > 0]
        below = [_atom(name, -power, lang, False) for name, power in self.terms if power < 0]
        if not above:
            return f"{_PER[lang]} {'/'.join(below)}" if below else ""
        return "·".join(above) + "".join(f"/{text}" for text in below)

    @property
    def currency(self) -> str | None:
        """The currency when the unit is "money per something": it decides how a value is written."""
        above = [(name, power) for name, power in self.terms if power > 0]
        if len(above) == 1 and above[0][1] == 1 and above[0][0] in CURRENCY_SYMBOLS:
            return above[0][0]
        return None


@dataclass(frozen=True)
class UnitReading:
    """What a unit text said: the unit, a scale to fold into the value ("k€" → 1000), qualifiers."""

    unit: Unit
    scale: Decimal
    qualifiers: tuple[str, ...] = ()


_SPACE: Final = re.compile(r"[ \t\u00a0\u202f\u2009]*")
_EXPONENT: Final = re.compile(r"\^\s*(-?\d)|\*\*\s*(-?\d)|([²³])")
_SYMBOL: Final = re.compile(r"(?:k|K|M|Mds?|Mrd|G|bn)?[€$£¥]|%|°[CF]|1(?!\d)")
# Letters (and "_" for pint's names) not glued to a digit or an apostrophe: "T2", "s'il" are not units.
_WORD: Final = re.compile(r"[^\W\d¹²³]+(?![\d'’])")


class _Token(NamedTuple):
    kind: str  # "word", "term", "qual", "div", "mul", "exp"
    value: str
    end: int


@functools.cache
def unit_registry() -> pint.UnitRegistry[Any]:
    """The one pint registry, on exact fractions, extended with currencies, persons and calendar units.

    Built on first use rather than at import: it reads pint's definition files (0.3–0.5 s).
    """
    registry: pint.UnitRegistry[Any] = pint.UnitRegistry(non_int_type=Fraction, cache_folder=None)
    for code in CURRENCY_SYMBOLS:
        registry.define(f"{code} = [currency_{code}]")
    registry.define("person = [person]")
    registry.define("quarter_year = year / 4")
    registry.define("half_year = year / 2")
    return registry


def parse_unit(text: str) -> UnitReading:
    """Read a unit field: our words, then pint's names and symbols. Raises `UnitError` naming the text."""
    return _read(text.strip(), True)


def unit_from_code(code: str) -> Unit:
    """Read a unit as found on the wire; scaled or qualified units are not codes."""
    reading = _read(code.strip(), True)
    if reading.scale != 1 or reading.qualifiers:
        raise UnitError(f"not a unit code: {code!r}")
    return reading.unit


def read_unit_prefix(text: str) -> tuple[UnitReading, int] | None:
    """The longest unit at the start of running text, with the length it covers; our words only."""
    tokens = _tokenize(text, stop_early=True)[:_MAX_PREFIX_TOKENS]
    for count in range(len(tokens), 0, -1):
        try:
            return _evaluate(tokens[:count], text, lenient=False), tokens[count - 1].end
        except UnitError:
            continue
    return None


@functools.lru_cache(maxsize=2048)
def _read(text: str, lenient: bool) -> UnitReading:
    if not text:
        raise UnitError("missing unit")
    tokens = _tokenize(text, stop_early=False)
    return _evaluate(tokens, text, lenient)


def _tokenize(text: str, *, stop_early: bool) -> list[_Token]:
    """Split unit text into tokens; stop (free text) or fail (a unit field) at the first non-token."""
    tokens: list[_Token] = []
    position = 0
    while True:
        space = _SPACE.match(text, position)
        start = space.end() if space else position
        if start >= len(text):
            return tokens
        token = _next_token(text, start)
        if token is None:
            if stop_early:
                return tokens
            raise UnitError(f"unknown unit: {text!r}")
        tokens.append(token)
        position = token.end


def _next_token(text: str, start: int) -> _Token | None:
    """One token at `start`: phrases first, so "mètres carrés" is not read as "mètres" then junk."""
    for pattern, kind, value in _phrase_patterns():
        match = pattern.match(text, start)
        if match:
            expanded = match.expand(value) if kind == "term" else value
            return _Token(kind, expanded, match.end())
    match = _EXPONENT.match(text, start)
    if match:
        digit = match.group(1) or match.group(2) or str("  ²³".index(match.group(3)))
        return _Token("exp", digit, match.end())
    if text[start] in "/*·⋅":
        return _Token("div" if text[start] == "/" else "mul", "", start + 1)
    match = _SYMBOL.match(text, start)
    if match:
        return _Token("word", match.group(), match.end())
    return _word_token(text, start)


def _word_token(text: str, start: int) -> _Token | None:
    match = _WORD.match(text, start)
    if not match:
        return None
    word, end = match.group(), match.end()
    if word.lower() in ("par", "per"):
        return _Token("div", "", end)
    if word.lower() in QUALIFIERS:
        return _Token("qual", QUALIFIERS[word.lower()], end)
    if text[end : end + 1] == "." and _lookup(word + ".") is not None:
        end += 1
    return _Token("word", text[start:end], end)


def _evaluate(tokens: list[_Token], text: str, lenient: bool) -> UnitReading:
    """Turn tokens into a pint expression: "/" divides the next term only, juxtaposition multiplies."""
    terms: list[tuple[str, int]] = []
    qualifiers: list[str] = []
    pending: int | None = None
    for token in tokens:
        if token.kind == "qual" and pending is None:
            qualifiers.append(token.value)
        elif token.kind in ("div", "mul") and pending is None and (terms or token.kind == "div"):
            terms = terms or [("1", 1)]
            pending = -1 if token.kind == "div" else 1
        elif token.kind == "exp" and terms and pending is None:
            expression, power = terms[-1]
            terms[-1] = (expression, power * int(token.value))
        elif token.kind in ("word", "term"):
            expression = token.value if token.kind == "term" else _resolve(token.value, text, lenient)
            terms.append((expression, pending or 1))
            pending = None
        else:
            raise UnitError(f"malformed unit: {text!r}")
    if pending is not None or not terms:
        raise UnitError(f"malformed unit: {text!r}")
    unit, scale = _canonical("*".join(f"({expression})**{power}" for expression, power in terms), text)
    return UnitReading(unit, _to_decimal(scale), tuple(dict.fromkeys(qualifiers)))


def _resolve(word: str, text: str, lenient: bool) -> str:
    known = _lookup(word)
    if known is not None:
        return known
    if lenient and re.fullmatch(r"[A-Za-z_]+", word):
        try:
            unit_registry().parse_units(word)
        except (pint.PintError, ValueError, TypeError, AttributeError):
            pass
        else:
            return word
    raise UnitError(f"unknown unit: {text!r}")


def _canonical(expression: str, text: str) -> tuple[Unit, Fraction]:
    """Let pint reduce the expression, then fold currency prefixes into a scale and name the result."""
    registry = unit_registry()
    try:
        items = registry.Quantity(Fraction(1), registry.parse_units(expression)).unit_items()
    except (pint.PintError, ValueError, TypeError, AttributeError, SyntaxError) as error:
        raise UnitError(f"malformed unit: {text!r}") from error
    scale = Fraction(1)
    powers: dict[str, int] = {}
    for name, exponent in items:
        power = _exact(exponent)
        if power.denominator != 1:
            raise UnitError(f"malformed unit: {text!r}")
        base = _currency_base(name)
        if base != name:
            scale *= _exact(registry.Quantity(Fraction(1), name).to(base).magnitude) ** power.numerator
        powers[base] = powers.get(base, 0) + power.numerator
    terms = tuple(sorted((name, power) for name, power in powers.items() if power))
    return Unit(_code(terms), terms), scale


def _currency_base(name: str) -> str:
    for _prefix, base, _suffix in unit_registry().parse_unit_name(name):
        if base in CURRENCY_SYMBOLS:
            return str(base)
    return name


def _code(terms: tuple[tuple[str, int], ...]) -> str:
    def term(name: str, power: int) -> str:
        return name if power == 1 else f"{name}^{power}"

    above = "*".join(term(name, power) for name, power in terms if power > 0) or "1"
    return above + "".join(f"/{term(name, -power)}" for name, power in terms if power < 0)


def _atom(name: str, power: int, lang: Lang, plural: bool) -> str:
    words = _WORD_DISPLAY.get(name, {}).get(lang)
    if words is not None:
        text = words[1] if plural else words[0]
    else:
        text = _SYMBOL_DISPLAY.get(name) or str(unit_registry().get_symbol(name))
    return text + _SUPERSCRIPTS.get(power, "" if power == 1 else f"^{power}")


def _key(items: Iterable[tuple[str, object]]) -> str:
    """A stable text for a product of powers; pint's own formatting fails on fraction exponents."""
    return " * ".join(f"{name}^{_exact(power)}" for name, power in sorted(items))


def _exact(number: object) -> Fraction:
    """Pint hands back our fractions (or ints); anything else would mean a float crept in."""
    if isinstance(number, int | Fraction | Decimal):
        return Fraction(number)
    raise UnitError(f"inexact conversion: {number!r}")


def _to_decimal(value: Fraction) -> Decimal:
    """Exact when the fraction has a finite decimal expansion, else 28 significant digits."""
    return _PRECISION.divide(Decimal(value.numerator), Decimal(value.denominator))


@functools.lru_cache(maxsize=1024)
def _line(source: str, target: str | None) -> tuple[Fraction, Fraction, str]:
    """How `source` maps onto `target` (None: base units) as y = a·x + b, and the target's key.

    Every pint conversion is affine (offsets only for temperatures), so two conversions give the
    line, and later conversions are exact fraction arithmetic instead of ≈70 µs through pint.
    """
    registry = unit_registry()
    points = []
    for x in (Fraction(0), Fraction(1)):
        given = registry.Quantity(x, registry.parse_units(source))
        converted = given.to_base_units() if target is None else given.to(target)
        points.append(_exact(converted.magnitude))
    return points[1] - points[0], points[0], _key(converted.unit_items())


def compatible(first: Unit, second: Unit) -> bool:
    """Whether amounts in the two units can be converted (same dimension, currencies included)."""
    return dimension(first) == dimension(second)


def dimension(unit: Unit) -> str:
    """A key for grouping units that convert into each other, e.g. "[currency_EUR]^1 * [time]^-1"."""
    return _key(unit_registry().parse_units(unit.code).dimensionality.items())


def convert(value: Decimal, source: Unit, target: Unit) -> Decimal:
    """`value` in `source` expressed in `target`; raises `UnitError` across dimensions."""
    if source == target:
        return value
    try:
        slope, offset, _ = _line(source.code, target.code)
    except pint.PintError as error:
        raise UnitError(f"cannot convert {source.code!r} to {target.code!r}") from error
    return _to_decimal(slope * Fraction(value) + offset)


def multiply(first: Unit, second: Unit) -> Unit:
    """The product unit, e.g. EUR × 1/month → EUR/month (completes a reply that omitted a part)."""
    unit, _scale = _canonical(f"({first.code})*({second.code})", first.code)
    return unit


def numerator(unit: Unit) -> Unit:
    """What is counted, without the "per …" part: EUR/month → EUR."""
    terms = tuple(term for term in unit.terms if term[1] > 0)
    return Unit(_code(terms), terms)


def without_period(unit: Unit) -> Unit | None:
    """The unit without its one "per time" term (EUR/month → EUR), or None when it has none."""
    registry = unit_registry()
    time = registry.get_dimensionality("[time]")
    periods = [t for t in unit.terms if t[1] == -1 and registry.parse_units(t[0]).dimensionality == time]
    if len(periods) != 1:
        return None
    terms = tuple(term for term in unit.terms if term != periods[0])
    return Unit(_code(terms), terms)


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Amount:
    """A value with its unit; equality and order convert exactly (12 k€/an == 1 000 EUR/mois)."""

    value: Decimal
    unit: Unit

    def _base(self) -> tuple[Fraction, str]:
        slope, offset, key = _line(self.unit.code, None)
        return slope * Fraction(self.value) + offset, key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Amount):
            return NotImplemented
        return self._base() == other._base()

    def __hash__(self) -> int:
        return hash(self._base())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Amount):
            return NotImplemented
        mine, theirs = self._base(), other._base()
        if mine[1] != theirs[1]:
            raise UnitError(f"cannot compare {self.unit.code!r} with {other.unit.code!r}")
        return mine[0] < theirs[0]

    def to(self, unit: Unit) -> Amount:
        return Amount(convert(self.value, self.unit, unit), unit)


_AMOUNT: Final = re.compile(
    r"\s*(?P<sign>[-−+]?)\s*(?P<symbol>[€$£¥]?)\s*(?P<number>\d(?:[\d\s.,'’]*\d)?)\s*(?P<unit>.*?)\s*",
    re.DOTALL,
)


def parse_amount(text: str, lang: Lang = "fr") -> Amount:
    """Read "12 k€/an", "845,50 €/mois", "€845.50/month" into an amount with its scale folded in."""
    match = _AMOUNT.fullmatch(text)
    if not match:
        raise UnitError(f"not an amount: {text!r}")
    value = parse_decimal(match["sign"] + match["number"], lang)
    reading = parse_unit(match["symbol"] + match["unit"])
    return Amount(scaled(value, reading.scale), reading.unit)


def scaled(value: Decimal, scale: Decimal) -> Decimal:
    """`value` × `scale`, without the trailing zeros a scale would add ("1,5 k€" → 1500, not 1500.0)."""
    if scale == 1:
        return value
    product = value * scale
    normal = product.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def format_value(value: Decimal, unit: Unit, lang: Lang) -> str:
    """A value as people read it: "845,50 €/mois" in French, "€845.50/month" in English.

    French puts every unit after the number ("12,5 %" with a narrow no-break space); English puts
    a currency symbol before it ("€845.50/month", "CHF 845.50") and "%" right after ("12.5%").
    The space before a unit does not break, so a value never ends a line without its unit.
    """
    sign = "-" if value < 0 else ""
    number = format_decimal(abs(value), lang)
    currency = unit.currency
    if lang == "en" and currency is not None:
        symbol = CURRENCY_SYMBOLS[currency]
        rest = unit.display(lang, count=value)[len(symbol) :]
        return f"{sign}{symbol}{'' if len(symbol) == 1 else ' '}{number}{rest}"
    text = unit.display(lang, count=value)
    if not text:
        return f"{sign}{number}"
    if text == "%":
        return f"{sign}{number}{'%' if lang == 'en' else chr(0x202F) + '%'}"
    return f"{sign}{number}\u00a0{text}"
