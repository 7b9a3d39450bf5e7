"""Polling for effects that arrive through queues and other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


#: Long enough for a delivery that failed once (a peer slow to answer on a loaded machine) to be tried again:
#: ``fedi.retry`` waits 30 s ± 25 % before the second attempt. A probe that holds returns at once.
TIMEOUT = 60.0


def eventually(
    probe: Callable[[], T],
    *,
    timeout: float = TIMEOUT,
    interval: float = 0.25,
    what: str = "",
    explain: Callable[[], str] | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds, and with what
    ``explain`` says then (the state of the instances waited on), so that a wait that fails once says why."""
    deadline = time.monotonic() + timeout
    last: T = probe()
    while not last:
        if time.monotonic() > deadline:
            why = f"\n{explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what or probe}; last: {last!r}{why}")
        time.sleep(interval)
        last = probe()
    return last
