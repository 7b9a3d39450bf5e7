"""Trust is set per host name, the domain claims carry; anything else would be a setting that never applies."""

from __future__ import annotations

import pytest

from ledger.claims import TrustError, host_name


@pytest.mark.parametrize(
    ("given", "dev", "expected"),
    [
        ("Chiffres.Example", False, "chiffres.example"),
        (" b.example ", False, "b.example"),
        ("localhost:8001", True, "localhost:8001"),
    ],
)
def test_a_host_name_is_kept_as_claims_record_it(given: str, dev: bool, expected: str) -> None:
    assert host_name(given, dev=dev) == expected


@pytest.mark.parametrize(
    ("given", "dev", "reason"),
    [
        ("https://b.example", False, "is a URL"),
        ("https://b.example/actors/bea", True, "is a URL"),
        ("b.example/actors", False, "is a URL"),
        ("b example", False, "not a host name"),
        ("-b.example", False, "not a host name"),
        ("b..example", False, "not a host name"),
        ("", False, "not a host name"),
        ("b.example:8001", False, "has a port"),
    ],
)
def test_urls_and_invalid_names_are_refused(given: str, dev: bool, reason: str) -> None:
    with pytest.raises(TrustError, match=reason):
        host_name(given, dev=dev)
