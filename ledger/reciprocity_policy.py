"""The reciprocity policy: per group, how much reading without contributing the charter tolerates, and for how long.

An admin writes it in the data directory's ``reciprocity.toml``, one table per group name and a ``[default]`` table
for every group not named; a key left out takes the ``[default]`` table's value, then the documented default::

    [default]
    grace_days = 30                      # followers approved less than this ago are left alone
    window_days = 90                     # the ledger's window
    consultations_per_contribution = 50  # at least one contribution per this many consultations
    reminder_days = 14                   # from the reminder to the revocation
    enabled = true

The policy is data read when it is needed (by each tick of the job, by each command), not a setting fixed at start,
so that an admin edits the file without restarting the worker. A mistake in it is refused as a whole, in one line
naming the file and the key, so that a typo never enforces half a policy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

from ledger.reciprocity import ReciprocityError

__all__ = ["DEFAULT", "FILE", "Policies", "Policy", "PolicyError", "load"]

FILE: Final = "reciprocity.toml"


class PolicyError(ReciprocityError):
    """The policy file cannot be read or holds a value that does not fit; one line, naming the file and the key."""


@dataclass(frozen=True)
class Policy:
    grace_days: int = 30
    window_days: int = 90
    consultations_per_contribution: int = 50
    reminder_days: int = 14
    enabled: bool = True

    def below(self, contributions: int, consultations: int) -> bool:
        """Fewer than one contribution per ``consultations_per_contribution`` consultations, once there were that
        many: a follower who read a little and gave nothing yet is not behind, one who read much is."""
        ratio = self.consultations_per_contribution
        return consultations >= ratio and contributions * ratio < consultations


DEFAULT: Final = Policy()
#: The least each number may be: a window or a ratio of 0 would make every follower fall behind at once.
_LEAST: Final = {"grace_days": 0, "window_days": 1, "consultations_per_contribution": 1, "reminder_days": 0}


@dataclass(frozen=True)
class Policies:
    """The ``[default]`` policy and the groups' own."""

    default: Policy = DEFAULT
    groups: tuple[tuple[str, Policy], ...] = ()

    def of(self, group: str) -> Policy:
        return dict(self.groups).get(group, self.default)


def load(data_dir: Path) -> Policies:
    """The policies in force; the documented defaults when there is no file."""
    path = data_dir / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Policies()
    except OSError as error:
        raise PolicyError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: not valid TOML: {error}") from None
    default = _policy(path, "default", tables.get("default", {}), DEFAULT)
    groups = tuple((name, _policy(path, name, table, default)) for name, table in tables.items() if name != "default")
    return Policies(default, groups)


def _policy(path: Path, name: str, table: Any, base: Policy) -> Policy:
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: {name} must be a table ([{name}]) of policy keys")
    known = {field.name for field in fields(Policy)}
    changes: dict[str, int | bool] = {}
    for key, value in table.items():
        where = f"{path}: [{name}] {key}"
        if key not in known:
            raise PolicyError(f"{where}: unknown key; use {', '.join(sorted(known))}")
        if key == "enabled":
            if not isinstance(value, bool):
                raise PolicyError(f"{where}: must be true or false")
        elif isinstance(value, bool) or not isinstance(value, int) or value < _LEAST[key]:
            raise PolicyError(f"{where}: must be a whole number of at least {_LEAST[key]}")
        changes[key] = value
    return replace(base, **changes)  # type: ignore[arg-type]
