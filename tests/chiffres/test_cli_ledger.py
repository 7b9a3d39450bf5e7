"""``chiffres ledger show|top``: what an actor or a server contributed to and consulted in each group, and a group's
list, under a header line; whatever names nothing known is refused in one line with a non-zero exit."""

from __future__ import annotations

import pytest

from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, group_of_members, refused

__all__ = ["cli"]

HEADER = (
    "group\twho\tpublished\tanswered\tendorsed\tcorrected\tmoved\tsource\tdelivered\tfetched\tread"
    "\tlast contribution\tlast consultation"
)
GROUP = "@loyers@chiffres.test"
ALICE = "@alice@chiffres.test"
BOB = "@bob@chiffres.test"
ASK = ("--measures", "loyer médian d'un T3", "--place", "Lyon", "--period", "2026-Q2")
ANSWER = ("--value", "912", "--unit", "€/mois", "--source", "https://observatoire.example/loyers")


@pytest.fixture
def members(cli: Cli) -> Cli:
    """A members group, loyers, with two approved members: alice published a figure, bob answered her request."""
    group_of_members(cli, "alice", "bob")
    assert cli("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE)[0] == 0
    request = cli("request", "ask", "--as", "alice", "--group", "loyers", *ASK)[1].split("\t")[0]
    assert cli("request", "answer", request, "--as", "bob", *ANSWER)[0] == 0
    return cli


def table(result: tuple[int, str, str]) -> list[list[str]]:
    code, out, err = result
    assert code == 0, err
    header, *lines = out.splitlines()
    assert header == HEADER
    return [line.split("\t") for line in lines]


def test_show_prints_an_actor_s_counts_per_group_however_the_actor_is_named(members: Cli) -> None:
    [row] = table(members("ledger", "show", "@alice"))
    assert row[:11] == [GROUP, ALICE, "1", "0", "0", "0", "0", "1", "0", "0", "0"]
    assert row[11].startswith("20")
    assert row[12] == "-"
    for name in ("@alice@chiffres.test", "https://chiffres.test/actors/alice"):
        assert table(members("ledger", "show", name)) == [row]
    [bob] = table(members("ledger", "show", "@bob", "--days", "7"))
    assert bob[:11] == [GROUP, BOB, "1", "1", "0", "0", "0", "0", "0", "0", "0"]  # alice's source already


def test_show_of_a_domain_sums_its_actors(members: Cli) -> None:
    [row] = table(members("ledger", "show", "chiffres.test"))
    assert row[:11] == [GROUP, "chiffres.test", "2", "1", "0", "0", "0", "1", "0", "0", "0"]


def test_top_lists_a_group_s_contributors_most_first(members: Cli) -> None:
    members(
        "figure", "publish", "--as", "bob", "--group", "loyers", *FIGURE[:-4], "--place", "Lyon", "--period", "2026"
    )
    rows = table(members("ledger", "top", "loyers"))
    assert [(row[1], row[2], row[3], row[7]) for row in rows] == [(BOB, "2", "1", "0"), (ALICE, "1", "0", "1")]
    [first] = table(members("ledger", "top", "loyers", "--limit", "1"))
    assert first[1] == BOB
    assert table(members("ledger", "top", "@loyers", "--days", "1")) == rows


def test_unknown_names_and_bad_windows_are_refused_in_one_line(members: Cli) -> None:
    refused(members("ledger", "show", "@nobody"), "nobody")
    refused(members("ledger", "show", "@zoe@masto.example"), "no known actor @zoe@masto.example")
    refused(members("ledger", "show", "https://masto.example/users/zoe"), "no known actor")
    refused(members("ledger", "show", "masto.example"), "no known server masto.example")
    refused(members("ledger", "show", "not a domain!"), "not a handle, an actor URL or a domain")
    refused(members("ledger", "top", "alice"), "alice is not a group")
    refused(members("ledger", "top", "nobody"), "nobody")
    refused(members("ledger", "top", "loyers", "--days", "0"), "--days must be at least 1")
    refused(members("ledger", "top", "loyers", "--limit", "0"), "--limit must be at least 1")
