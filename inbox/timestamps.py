"""Dates from peers, read leniently: a missing or unreadable date claims no order rather than failing.

A sender's date is its word: it may say that something happened before we received it (a delivery retried for
hours), never after. So the time of a claim is ours, moved back by the sender's date and never forward.
"""

from __future__ import annotations

from datetime import UTC, datetime


def timestamp(value: object) -> datetime | None:
    """An xsd:dateTime from a peer, or None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def claim_time(published: object, received: datetime, not_before: datetime | None = None) -> datetime:
    """When a claim was made, as far as we can tell: our receipt, or the sender's earlier ``published``.

    A date later than our receipt (2099, or a clock ahead of ours) is our receipt; a date before ``not_before``
    (what the claim is about did not exist yet) is ``not_before``, unless that is itself later than our receipt.
    """
    moment = timestamp(published)
    if moment is None or moment > received:
        return received
    if not_before is not None and moment < not_before:
        return min(not_before, received)
    return moment
