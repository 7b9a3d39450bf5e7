"""Claims read from what people do with a figure: publish it, like it, boost it, reply to correct it.

Pure: the inbox hands in the figure (its versions) and the activity's parts; this says what value, if any, the
actor claims. A Like endorses the version current when it was made (peers may name the version); a boost is a
weaker endorsement; a reply with our ``correction`` object proposes its value; a plain reply whose text holds a
number and a unit (the figure's unit assumed when absent) proposes a parsed correction.

A ``correction`` object that is not ours to read (no value, another dimension, "1e3") claims nothing; one whose
value is beyond the bounds of ``figures.numbers``, as written or once converted, is refused with
``NumberOutOfBounds``, so that the inbox records why.

A correction, whether a peer's object, a member's ``--value`` or a reply's written value, passes the same
plausibility test (``plausible``: within ×/÷ ``PLAUSIBLE_RATIO`` of the figure's value or its current consensus).
One that fails is still a claim, kept to be seen, but marked ``implausible``: the consensus leaves it out until
another claim agrees with it, so that a slip ("5" for 845 €/mois) never moves a figure on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from figures.correction_text import parse_correction
from figures.figure import Figure
from figures.numbers import FiguresError, Lang, NumberOutOfBounds, in_range, parse_wire_decimal
from figures.plausibility import PLAUSIBLE_RATIO, plausible, plausible_against
from figures.units import compatible, convert, unit_from_code

__all__ = [
    "KINDS",
    "PLAUSIBLE_RATIO",
    "ClaimedValue",
    "correction",
    "endorsement",
    "plausible",
    "publication",
    "reply",
]

KINDS = ("publish", "endorse", "boost", "correct")


@dataclass(frozen=True)
class ClaimedValue:
    """A value in the figure's own unit, with how it was obtained."""

    kind: str
    value: Decimal
    version: int | None = None
    parsed: bool = False
    source_url: str | None = None
    reason: str | None = None
    implausible: bool = False


def publication(figure: Figure) -> ClaimedValue:
    return ClaimedValue("publish", figure.value, figure.version)


def endorsement(
    versions: Mapping[int, Decimal], current: int, named: object = None, *, boost: bool = False
) -> ClaimedValue | None:
    """The value of the version endorsed: the one named if we know it, else the current one."""
    version = named if isinstance(named, int) and named in versions else current
    if version not in versions:
        return None
    return ClaimedValue("boost" if boost else "endorse", versions[version], version)


def correction(obj: Mapping[str, object], figure: Figure, consensus: Decimal | None = None) -> ClaimedValue | None:
    """Our ``correction`` object: a value and a unit compatible with the figure's (converted to it), marked
    implausible when it is far from both the figure's value and its `consensus`.

    Raises ``NumberOutOfBounds`` for a value a figure may not hold; returns None for anything else unusable."""
    raw_value, raw_unit = obj.get("value"), obj.get("unit")
    code = raw_unit.get("code") if isinstance(raw_unit, Mapping) else raw_unit
    if not isinstance(raw_value, str) or not isinstance(code, str):
        return None
    try:
        value = parse_wire_decimal(raw_value)
        unit = unit_from_code(code)
        if not compatible(unit, figure.unit):
            return None
        converted = in_range(convert(value, unit, figure.unit))
    except NumberOutOfBounds as error:
        raise NumberOutOfBounds(f"correction value: {error}") from error
    except (FiguresError, ValueError, ArithmeticError):
        return None
    source = obj.get("source")
    url = source.get("url") if isinstance(source, Mapping) else source
    reason = obj.get("reason")
    return ClaimedValue(
        "correct",
        converted,
        None,
        False,
        url if isinstance(url, str) else None,
        reason if isinstance(reason, str) else None,
        not plausible_against(converted, (figure.value, consensus)),
    )


def reply(
    content: str, figure: Figure, lang: Lang | None = None, consensus: Decimal | None = None
) -> ClaimedValue | None:
    """A plain reply (as from Mastodon): a correction when its text holds a usable value, marked as parsed.

    A bare number is read only when plausible (``parse_correction``); one with a written unit is read whatever
    its size, and marked implausible when it is far from the figure's value and its `consensus`."""
    parsed = parse_correction(content, figure, lang, consensus)
    if parsed is None:
        return None
    implausible = not plausible_against(parsed.value, (figure.value, consensus))
    return ClaimedValue("correct", parsed.value, None, True, parsed.source_url, parsed.quote, implausible)
