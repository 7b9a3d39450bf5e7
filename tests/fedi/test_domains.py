"""A block covers the domain and the domains under it, by label: checked in Python and in SQL on the same cases."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

import fedi.domains as domains_module
from fedi.database import Pool
from fedi.domains import PLAIN_URL, covering, host_of, under

CASES = [
    ("spam.example", "spam.example", True),
    ("a.spam.example", "spam.example", True),
    ("x.y.spam.example", "spam.example", True),
    ("notspam.example", "spam.example", False),
    ("spam.example.org", "spam.example", False),
    ("example", "spam.example", False),
    ("a_b.example", "a-b.example", False),  # LIKE would take _ for any character
    ("127.0.0.1", "0.0.1", False),  # nothing is under an address
    ("127.0.0.1:8000", "0.1:8000", False),
    ("127.0.0.1:8000", "127.0.0.1:8000", True),
]


@pytest.mark.parametrize(("host", "domain", "covered"), CASES)
def test_covering_matches_by_label(host: str, domain: str, covered: bool) -> None:
    assert (covering(host, frozenset({domain})) == domain) is covered


async def test_sql_agrees_with_python(pool: Pool) -> None:
    for host, domain, covered in CASES:
        assert await pool.fetchval(f"SELECT {under('$1::text', '$2::text')}", host, domain) is covered, (host, domain)


def test_a_host_of_many_labels_is_looked_at_only_as_deep_as_the_blocks() -> None:
    """A peer may name a host of a hundred thousand labels; a copy per label would hold the event loop for minutes."""
    host = "a." * 100_000 + "spam.example"
    assert covering(host, frozenset({"spam.example"})) == "spam.example"
    assert covering(host, frozenset({"ham.example", "x.y.z.example"})) is None


def _url_like(rng: random.Random) -> str:
    """Strings near a URL: odd schemes, brackets, user parts, spaces, controls, ports, non-ASCII."""
    start = rng.choice(["http://", "https://", "HTTPS://", "hTtP://", "http:/", "https:", "", "ftp://", " https://"])
    return start + "".join(rng.choice("hHtTpPsS:/.-?#@[]a1Z \t\n\r\x00é%0") for _ in range(rng.randint(0, 14)))


def test_the_host_of_a_url_is_what_urlsplit_reads_for_any_string() -> None:
    """``host_of`` reads plain URLs without ``urlsplit``: it must agree with it everywhere, errors included."""
    rng = random.Random(20261201)

    def split(url: str) -> str:
        try:
            return urlsplit(url).netloc.lower()
        except ValueError:
            return "ValueError"

    def ours(url: str) -> str:
        try:
            return host_of(url)
        except ValueError:
            return "ValueError"

    urls = [_url_like(rng) for _ in range(50_000)]
    urls += ["https://Mastodon.Social/users/a", "http://localhost:8000/inbox", "https://[::1]:8/x", "https://a@b/"]
    assert [url for url in urls if ours(url) != split(url)] == []
    assert sum(PLAIN_URL.match(url) is not None for url in urls) > 2_000, "the fast path is taken"


def test_covering_keeps_host_names_but_not_a_strangers_header_length_strings() -> None:
    blocks = frozenset({"spam.example"})
    long_host = "a" * 10_000 + ".spam.example"
    assert covering(long_host, blocks) == "spam.example"
    assert covering("x.spam.example", blocks) == "spam.example"
    kept = domains_module._kept.cache_info().currsize
    covering("b" * 10_000 + ".example", blocks)
    assert domains_module._kept.cache_info().currsize == kept, "a name longer than a host's is not kept"
    covering("y.ham.example", blocks)
    assert domains_module._kept.cache_info().currsize == kept + 1
