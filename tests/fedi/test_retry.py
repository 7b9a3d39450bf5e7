from __future__ import annotations

import random
from datetime import timedelta

import pytest

from fedi.retry import MAX_ATTEMPTS, Outcome, backoff, classify, total_span


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (400, Outcome.FINAL),
        (401, Outcome.FINAL),
        (403, Outcome.FINAL),
        (404, Outcome.FINAL),
        (410, Outcome.FINAL),
        (413, Outcome.FINAL),
        (422, Outcome.FINAL),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (None, Outcome.RETRY),
    ],
)
def test_classify(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_backoff_grows_then_caps_with_jitter() -> None:
    rng = random.Random(7)
    delays = [backoff(attempt, rng) for attempt in range(1, MAX_ATTEMPTS)]
    assert all(delay is not None for delay in delays)
    first = delays[0]
    assert first is not None
    assert timedelta(seconds=22.5) <= first <= timedelta(seconds=37.5)
    for delay in delays:
        assert delay is not None
        assert delay <= timedelta(hours=10)
    last = delays[-1]
    assert last is not None
    assert last >= timedelta(hours=6)


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    assert len({backoff(5, rng) for _ in range(20)}) > 10


def test_gives_up_after_about_two_days() -> None:
    assert backoff(MAX_ATTEMPTS, random.Random(0)) is None
    for seed in range(20):
        span = total_span(random.Random(seed))
        assert timedelta(days=1, hours=12) <= span <= timedelta(days=2, hours=12)


def test_attempt_must_count_failures() -> None:
    with pytest.raises(ValueError):
        backoff(0, random.Random(0))
