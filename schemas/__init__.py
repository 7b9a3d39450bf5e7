"""Data files shipped with ChiffresEnsemble: JSON-LD contexts and JSON Schemas.

This package holds data only and imports nothing else of ours, so that every other package
(including the pure domain in ``figures``) may read these files without pulling in I/O code.
Files are read through :mod:`importlib.resources` so they are found in a wheel as well as in a
source checkout.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

__all__ = [
    "CHIFFRES_CONTEXT_URL",
    "CHIFFRES_NAMESPACE",
    "chiffres_context",
    "data_file",
    "load_bytes",
    "load_json",
]

#: Base IRI of our vocabulary: every term and type we define expands under it. It names the
#: vocabulary, not an instance, so it stays the same on every instance and never changes.
CHIFFRES_NAMESPACE = "https://chiffres-ensemble.org/ns#"

#: The IRI of our context document (each instance also serves a copy at ``/ns``). Documents we
#: send never refer to it: they inline the context object (see :func:`chiffres_context`).
CHIFFRES_CONTEXT_URL = "https://chiffres-ensemble.org/ns"


def data_file(name: str) -> Traversable:
    """Locate a data file by its path relative to this package, e.g. ``"contexts/chiffres.json"``.

    Names are plain relative paths; anything that could climb out of the package is refused so
    that a name taken from configuration cannot read arbitrary files.
    """
    parts = name.split("/")
    if not name or name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a data file name: {name!r}")
    node = resources.files(__name__)
    for part in parts:
        node = node.joinpath(part)
    if not node.is_file():
        raise FileNotFoundError(f"no data file {name!r} in package {__name__!r}")
    return node


@cache
def load_bytes(name: str) -> bytes:
    """The exact bytes of a data file; cached, since these files never change while running."""
    return data_file(name).read_bytes()


def load_json(name: str) -> Any:
    """A fresh parse of a JSON data file: callers may mutate the result without affecting others."""
    return json.loads(load_bytes(name))


def chiffres_context() -> dict[str, Any]:
    """Our JSON-LD context object, as inlined in the ``@context`` of every document we send.

    A fresh copy each time, so that a caller adding to its document cannot alter the next one.
    """
    return copy.deepcopy(_chiffres_context())


@cache
def _chiffres_context() -> dict[str, Any]:
    document = load_json("contexts/chiffres.json")
    context: dict[str, Any] = document["@context"]
    return context
