"""Whether a proposed value is plausibly the same measure as a figure: within a ratio of it, with its sign.

A reply's "3" (quartiers) is not a correction of a rent of 1 000 €/mois, and a member's `--value 5` for an
845 €/mois figure is a slip, not a measure: both are more than `PLAUSIBLE_RATIO` away. The ratio is wide on
purpose: rents, wages and prices measured by two honest sources differ by tens of percent, rarely threefold, while
a slip of units (per year for per month: ×12), a count or a stray digit lands far outside it. A value of the other
sign, or zero where the figure is not, is not the same measure either; a figure of zero gives no scale, so
anything is plausible against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Final

__all__ = ["PLAUSIBLE_RATIO", "plausible", "plausible_against"]

PLAUSIBLE_RATIO: Final = Decimal(3)


def plausible(value: Decimal, figure_value: Decimal) -> bool:
    """True when `value` is within ×/÷ `PLAUSIBLE_RATIO` of `figure_value`, with the same sign."""
    if figure_value == 0:
        return True
    if value == 0 or (value < 0) != (figure_value < 0):
        return False
    high, low = max(abs(value), abs(figure_value)), min(abs(value), abs(figure_value))
    return high <= low * PLAUSIBLE_RATIO


def plausible_against(value: Decimal, references: Iterable[Decimal | None]) -> bool:
    """True when `value` is plausible against any of the known references (the figure's value, the consensus)."""
    return any(plausible(value, reference) for reference in references if reference is not None)
