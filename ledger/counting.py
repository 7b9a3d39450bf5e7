"""Which stored claim rows count, and with what weight: shared by the per-figure job and the bulk recomputation.

Both paths read the same rows (the latest live claim of each actor on a figure, with the figure's current
version) and must turn them into the same engine input, or a figure's consensus would depend on which path
computed it last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from asyncpg import Record

from consensus.vocabulary import Kind, Policy
from figures.numbers import FiguresError, in_range

#: How close another claim must be to an implausible one for it to count: within 5 % of its value.
CORROBORATION = Decimal("0.05")
KINDS = {"publish": Kind.PUBLISH, "endorse": Kind.ENDORSE, "boost": Kind.ENDORSE, "correct": Kind.CORRECT}


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


R = TypeVar("R", bound=Row)


def sound(what: str, values: Iterable[object], skipped: list[str]) -> bool:
    """Whether a stored row's values meet the bounds of input; if not, why is added to ``skipped``."""
    for value in values:
        try:
            in_range(Decimal(str(value)))
        except (FiguresError, ArithmeticError) as error:
            skipped.append(f"{what}: {error}")
            return False
    return True


def superseded(row: Record, policy: Policy) -> float:
    """A Like or boost of a version since replaced by another value: evidence for that value, weighed
    ``policy.superseded`` per version since, so that the consensus is about the current version (after
    ``figure update --value 845``, likes of 812 no longer pull it back) while what people endorsed stays
    on record. An update that kept the value keeps its endorsements whole."""
    if row["kind"] not in ("endorse", "boost") or row["version"] is None or row["current_version"] is None:
        return 1.0
    behind = int(row["current_version"]) - int(row["version"])
    if behind <= 0 or row["value"] == row["current_value"]:
        return 1.0
    return float(policy.superseded**behind)


def factor(row: Record, policy: Policy) -> float:
    """A claim's weight factor: a boost weighs less than a like, a like of a replaced value less again."""
    return (policy.announce_factor if row["kind"] == "boost" else 1.0) * superseded(row, policy)


def weight(kind: str, behind: int, policy: Policy) -> float:
    """``factor`` given how many versions behind with another value the claim is (0 when it is not)."""
    return (policy.announce_factor if kind == "boost" else 1.0) * (float(policy.superseded**behind) if behind else 1.0)


def corroborated(rows: Sequence[R]) -> list[R]:
    """The claims that count: an implausible one (``figures.plausibility``: "5" for 845 €/mois) only once another
    actor's claim on the same figure agrees with it within ``CORROBORATION``, so that a slip or a lone vandal never
    moves a figure, while a real change that several people report still does."""
    by_figure: dict[str, list[R]] = {}
    for row in rows:
        by_figure.setdefault(row["figure_uri"], []).append(row)

    def agreed(row: R) -> bool:
        value = row["value"]
        return any(
            other is not row and abs(other["value"] - value) <= CORROBORATION * abs(value)
            for other in by_figure[row["figure_uri"]]
        )

    return [row for row in rows if not row["implausible"] or agreed(row)]
