"""When to try a delivery again: a pure policy, so it can be tested without a clock or a network.

Exponential backoff from 30 s, doubling to a cap of 8 h, with ±25 % jitter so that a host coming back is not hit
by every queued delivery at once; 16 attempts span about two days, as Mastodon's retries do. A 4xx answer is final
(the peer understood and refused), except 408 and 429, which ask us to come back later.
"""

from __future__ import annotations

import random
from datetime import timedelta
from enum import Enum

BASE = timedelta(seconds=30)
CAP = timedelta(hours=8)
MAX_ATTEMPTS = 16
JITTER = 0.25


class Outcome(Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FINAL = "final"


def classify(status: int | None) -> Outcome:
    """What a delivery's answer means; ``None`` is a network failure (timeout, refused, reset)."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status in (408, 429) or status >= 500:
        return Outcome.RETRY
    return Outcome.FINAL


def backoff(attempt: int, rng: random.Random) -> timedelta | None:
    """The delay before attempt ``attempt + 1`` after ``attempt`` failures; ``None`` once we give up."""
    if attempt < 1:
        raise ValueError("attempt counts failures so far and starts at 1")
    if attempt >= MAX_ATTEMPTS:
        return None
    nominal: timedelta = min(BASE * (2 ** (attempt - 1)), CAP)
    factor = 1 + rng.uniform(-JITTER, JITTER)
    return nominal * factor


def total_span(rng: random.Random) -> timedelta:
    """How long a delivery keeps trying before it is given up (for documentation and tests)."""
    total = timedelta()
    for attempt in range(1, MAX_ATTEMPTS):
        delay = backoff(attempt, rng)
        assert delay is not None
        total += delay
    return total
