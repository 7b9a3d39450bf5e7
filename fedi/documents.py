"""JSON documents from strangers, read only as PostgreSQL can store them.

Whatever a peer sends or serves may end up in a json or jsonb column: an activity in the inbox, an actor's or an
object's document fetched from its server. Python's ``json`` reads more than PostgreSQL stores: ``NaN`` and
``Infinity``, numbers beyond a float (``1e400`` becomes infinite, ``1e-20000`` zero, though PostgreSQL keeps the
text as it was, up to 16,383 digits after the point), NUL characters and unpaired surrogates written as ``\\u``
escapes. Each would fail the statement that stores it, and with it the request or the job that read it: here they
are refused where the document is read, with a reason for the sender.
"""

from __future__ import annotations

import json
import math

MAX_DIGITS = 400  # in a number written with a fraction or an exponent; a float holds 17 significant digits
MAX_EXPONENT = 1000


def loads(text: bytes | str) -> object:
    """Parse ``text`` as JSON, refusing (``ValueError``) the constants and numbers PostgreSQL does not store.

    As ``json.loads(text, parse_constant=…, parse_float=…)`` would, with one decoder for every call: given options,
    ``json.loads`` builds a new one each time, a microsecond of every inbox POST.
    """
    if not isinstance(text, str):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def problem(document: object, body: bytes | None = None) -> str | None:
    """Why a parsed document cannot be stored in PostgreSQL (NUL characters, unpaired surrogates), or None.

    Given the ``body`` it was parsed from, a body with no escape (``\\u``), no NUL byte and no byte that starts a
    surrogate's UTF-8 form is not walked: it can hold neither, and that is nearly every document.
    """
    if body is not None and b"\\u" not in body and b"\x00" not in body and b"\xed" not in body:
        return None
    return unstorable(document)


def unstorable(value: object) -> str | None:
    """Why a parsed JSON value cannot be stored in PostgreSQL, or None."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "it holds an unpaired surrogate escape"
    except (TypeError, ValueError):
        pass
    return "it holds a NUL character" if _has_nul(value) else None


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    """A number with a fraction or an exponent, within what a float and PostgreSQL both hold."""
    mantissa, _, exponent = text.lower().partition("e")
    if len(mantissa) > MAX_DIGITS or (exponent and abs(int(exponent)) > MAX_EXPONENT):
        raise ValueError(f"the number {text[:40]} is out of range")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite)
