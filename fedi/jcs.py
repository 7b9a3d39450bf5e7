"""The JSON Canonicalization Scheme (RFC 8785): one byte string per JSON value, whoever serialised it.

Integrity proofs (``eddsa-jcs-2022``) sign these bytes, so a document keeps its proof through any re-encoding that
keeps its values: key order, whitespace, escapes, ``1e2`` for ``100``, or a round trip through PostgreSQL's
``jsonb``. Numbers are IEEE doubles written as ECMAScript writes them, keys are sorted by their UTF-16 code units,
and strings escape only what JSON requires.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

__all__ = ["NotCanonicalizable", "canonicalize"]


class NotCanonicalizable(ValueError):
    """The value has no canonical form: NaN, an infinity, a number beyond a double, or a lone surrogate."""


def canonicalize(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value`` (parsed JSON: dicts, lists, strings, numbers, booleans, None)."""
    try:
        return _text(value).encode("utf-8")
    except UnicodeEncodeError:
        raise NotCanonicalizable("a string holds a lone surrogate") from None


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: _utf16(item[0]))
        return "{" + ",".join(_string(key) + ":" + _text(item) for key, item in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(item) for item in value) + "]"
    raise NotCanonicalizable(f"{type(value).__name__} is not a JSON value")


def _utf16(key: object) -> bytes:
    if not isinstance(key, str):
        raise NotCanonicalizable("object keys must be strings")
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    # json.dumps escapes exactly what RFC 8785 asks: quote, backslash, \b \f \n \r \t, other controls as \u00xx.
    return json.dumps(text, ensure_ascii=False)


def number(value: int | float) -> str:
    """A number as ECMAScript's ``Number.prototype.toString`` writes the double nearest to it."""
    try:
        double = float(value)
    except OverflowError:
        raise NotCanonicalizable(f"{value} is beyond the range of a double") from None
    if not math.isfinite(double):
        raise NotCanonicalizable(f"{double} has no JSON form")
    if double == 0:
        return "0"
    sign = "-" if double < 0 else ""
    # repr gives the shortest digits that read back as the same double, as ECMAScript requires.
    decimal = Decimal(repr(abs(double))).as_tuple()
    written = "".join(map(str, decimal.digits))
    digits = written.rstrip("0")
    n = int(decimal.exponent) + len(written)
    k = len(digits)
    return sign + _place(digits, k, n)


def _place(digits: str, k: int, n: int) -> str:
    """ECMAScript's layout of digits ``d1…dk`` times 10^(n−k) (ECMA-262, Number::toString)."""
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    exponent = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
