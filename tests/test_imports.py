"""Every import points down the package table of DESIGN.md, so that each layer can be read without the ones above.

The table names the packages each package stands on directly. A package may also use what those stand on (every
layer sees ``schemas``, the data), which keeps the table short without letting an import run upward: the allowed
sets are the table's transitive closure, and since the table has no cycle, neither has the closure. ``chiffres``,
the composition root, may import everything; nothing may import it. Imports inside functions and under
``TYPE_CHECKING`` count as much as top-level ones: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator, Mapping

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The "imports" column of the package table in DESIGN.md, top to bottom.
TABLE: Mapping[str, frozenset[str]] = {
    "schemas": frozenset(),
    "figures": frozenset({"schemas"}),
    "consensus": frozenset({"figures"}),
    "fedi": frozenset({"schemas"}),
    "actors": frozenset({"fedi", "figures"}),
    "ledger": frozenset({"fedi", "actors", "figures", "consensus"}),
    "inbox": frozenset({"fedi", "actors", "ledger", "figures"}),
    "web": frozenset({"fedi", "actors", "ledger", "figures"}),
    "chiffres": frozenset({"schemas", "figures", "consensus", "fedi", "actors", "ledger", "inbox", "web"}),
}


def allowed(package: str) -> frozenset[str]:
    """The packages ``package`` may import: its row of the table and, through them, everything below."""
    seen: set[str] = set()
    todo = list(TABLE[package])
    while todo:
        below = todo.pop()
        if below not in seen:
            seen.add(below)
            todo.extend(TABLE[below])
    return frozenset(seen)


def modules() -> Iterator[tuple[str, pathlib.Path]]:
    for package in TABLE:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imported(module: str, path: pathlib.Path) -> Iterator[tuple[int, str]]:
    """Every module name ``module`` imports, with its line, relative imports resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target


def violations(module: str, path: pathlib.Path) -> list[str]:
    package = module.split(".")[0]
    found = []
    for line, target in imported(module, path):
        top = target.split(".")[0]
        if top in TABLE and top != package and top not in allowed(package):
            found.append(f"{module} (line {line}) imports {target}: {package} may not import {top}")
    return found


def test_the_table_has_no_cycle_and_nothing_imports_the_composition_root() -> None:
    for package in TABLE:
        assert package not in allowed(package), package
        if package != "chiffres":
            assert "chiffres" not in allowed(package), package


def test_every_package_of_the_table_exists_and_has_a_docstring() -> None:
    for package in TABLE:
        init = ROOT / package / "__init__.py"
        assert init.is_file(), f"{package}/__init__.py is missing"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), f"{package}/__init__.py says nothing"


@pytest.mark.parametrize(("module", "path"), list(modules()), ids=lambda value: str(value))
def test_every_import_points_down_the_table(module: str, path: pathlib.Path) -> None:
    assert violations(module, path) == []


def test_the_walker_sees_upward_imports_wherever_they_hide(tmp_path: pathlib.Path) -> None:
    """The check above must be able to fail: upward imports at top level, in a function, under TYPE_CHECKING."""
    source = tmp_path / "sample.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from actors import store\n"
        "from schemas import chiffres_context\n"
        "from . import urls\n"
        "if TYPE_CHECKING:\n"
        "    from chiffres.app import Federation\n"
        "def later() -> None:\n"
        "    import web.api\n",
        encoding="utf-8",
    )
    assert violations("fedi.sample", source) == [
        "fedi.sample (line 2) imports actors: fedi may not import actors",
        "fedi.sample (line 6) imports chiffres.app: fedi may not import chiffres",
        "fedi.sample (line 8) imports web.api: fedi may not import web",
    ]
    assert (4, "fedi") in list(imported("fedi.sample", source))
