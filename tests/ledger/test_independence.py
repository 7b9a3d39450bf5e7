"""Domain farms count as one source: shared keys, shared address blocks, and newcomers without a history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.independence import DomainFacts, Independence, address_block, grouped_trust, sources

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=400)
POLICY = Independence()
OWN = "chiffres.example"


def test_six_fresh_domains_sharing_one_key_count_as_one() -> None:
    farm = [DomainFacts(f"farm{i}.example", NOW - timedelta(minutes=1), None, frozenset({"KEY"})) for i in range(6)]
    honest = [DomainFacts("a.example", OLD, "192.0.2.0/24"), DomainFacts("b.example", OLD, "198.51.100.0/24")]
    grouped = sources([*farm, *honest], POLICY, NOW, OWN)
    assert {grouped[fact.domain] for fact in farm} == {"farm0.example"}
    assert grouped["a.example"] == "a.example"
    assert grouped["b.example"] == "b.example"


def test_shared_keys_group_domains_even_with_a_history() -> None:
    grouped = sources(
        [DomainFacts("x.example", OLD, None, frozenset({"K"})), DomainFacts("y.example", OLD, None, frozenset({"K"}))],
        POLICY,
        NOW,
        OWN,
    )
    assert grouped["x.example"] == grouped["y.example"] == "x.example"


def test_one_address_block_is_one_source() -> None:
    grouped = sources(
        [DomainFacts("x.example", OLD, "203.0.113.0/24"), DomainFacts("y.example", OLD, "203.0.113.0/24")],
        POLICY,
        NOW,
        OWN,
    )
    assert grouped["y.example"] == "x.example"


def test_newcomers_count_together_until_they_have_a_history_unless_vetted() -> None:
    facts = [
        DomainFacts("new1.example", NOW - timedelta(hours=2)),
        DomainFacts("new2.example", None),  # never met before its claim
        DomainFacts("peer.example", NOW - timedelta(hours=1), vetted=True),
        DomainFacts("old.example", OLD),
    ]
    grouped = sources(facts, POLICY, NOW, OWN)
    assert grouped["new1.example"] == grouped["new2.example"] == "new1.example"
    assert grouped["peer.example"] == "peer.example"
    assert grouped["old.example"] == "old.example"
    later = sources(facts, POLICY, NOW + timedelta(days=2), OWN)
    assert later["new1.example"] == "new1.example"
    off = sources(facts, Independence(newcomer_age=timedelta(0)), NOW, OWN)
    assert off["new2.example"] == "new2.example"


def test_our_own_domain_is_never_grouped() -> None:
    grouped = sources(
        [DomainFacts(OWN, NOW, "203.0.113.0/24", frozenset({"K"})), DomainFacts("x.example", NOW, "203.0.113.0/24")],
        POLICY,
        NOW,
        OWN,
    )
    assert grouped[OWN] == OWN
    assert grouped["x.example"] == "x.example"


def test_a_group_has_the_lowest_trust_of_its_members() -> None:
    groups = {"a.example": "a.example", "b.example": "a.example", "c.example": "c.example"}
    trust = grouped_trust(groups, {"a.example": 0.9, "b.example": 0.1}, 0.3)
    assert trust["a.example"] == 0.1
    assert "c.example" not in trust


def test_address_blocks_ignore_loopback_and_private_addresses() -> None:
    assert address_block("93.184.215.14", POLICY) == "93.184.215.0/24"
    assert address_block("2001:4860:4860::8888", POLICY) == "2001:4860:4860::/48"
    assert address_block("::ffff:8.8.8.8", POLICY) == "8.8.8.0/24"
    for private in ("127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fe80::1", "not an address"):
        assert address_block(private, POLICY) is None
