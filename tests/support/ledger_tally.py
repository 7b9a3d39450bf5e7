"""The reciprocity ledger set against what was exchanged: an end-to-end test keeps its own account of who sent
what and counts what each follower received, then asks that ``chiffres ledger top`` says exactly that — no column
more or less for anyone, and nobody it does not name."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from tests.support.process import InstanceProcess

#: The ledger's count columns, as ``chiffres ledger`` prints them.
COUNTS = ("published", "answered", "endorsed", "corrected", "moved", "source", "delivered", "fetched", "read")


def ledger_top(instance: InstanceProcess, group: str) -> dict[str, dict[str, int]]:
    """``chiffres ledger top GROUP``: every row, by who, with its counts (the dates left out)."""
    rows = json.loads(instance.cli("ledger", "top", group, "--limit", "1000", "--json").stdout)
    return {row["who_url"]: {name: int(row[name]) for name in COUNTS if int(row[name])} for row in rows}


def figure_activities(items: Iterable[Mapping[str, Any]], group: str, figures: set[str]) -> int:
    """How many Creates and Updates of the group's figures are among the activities a follower received."""

    def about(item: Mapping[str, Any]) -> str | None:
        obj = item.get("object")
        found = obj.get("id") if isinstance(obj, dict) else obj
        return found if isinstance(found, str) else None

    def sender(item: Mapping[str, Any]) -> object:
        actor = item.get("actor")
        return actor.get("id") if isinstance(actor, dict) else actor

    return sum(
        1
        for item in items
        if item.get("type") in ("Create", "Update") and sender(item) == group and about(item) in figures
    )


def received(instance: InstanceProcess, name: str) -> list[dict[str, Any]]:
    """The activities an actor of ours received, as ``chiffres inbox --json`` lists them."""
    output = instance.cli("inbox", "--as", name, "--json", "--limit", "1000").stdout
    return [row["activity"] for row in json.loads(output)]


def without_zeros(rows: Mapping[str, Counter[str]]) -> dict[str, dict[str, int]]:
    """The rows a test expects, without the zeros the ledger prints and :func:`ledger_top` drops."""
    return {who: {name: count for name, count in counts.items() if count} for who, counts in rows.items()}


async def agree(
    instance: InstanceProcess,
    group: str,
    account: Callable[[], Awaitable[Mapping[str, Counter[str]]]],
    patience: float = 30,
) -> dict[str, dict[str, int]]:
    """Wait until the ledger of ``group`` equals the test's ``account`` of what was exchanged, taken afresh each
    time (a delivery still in flight is in neither or, once received, in both); fail showing both."""
    deadline = time.monotonic() + patience
    while True:
        wanted = without_zeros(await account())
        found = await asyncio.to_thread(ledger_top, instance, group)
        if found == wanted or time.monotonic() > deadline:
            assert found == wanted, f"the ledger says {found}, the activities exchanged {wanted}"
            return found
        await asyncio.sleep(0.5)
