"""Dates from peers, read leniently: a missing or unreadable date claims no order rather than failing."""

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
