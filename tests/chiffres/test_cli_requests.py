"""``chiffres request ask|answer|close|list``: a member asks a group for a figure, another answers it with a value
and a source, requests are listed under a header line; every refusal is one line and a non-zero exit."""

from __future__ import annotations

import pytest

from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, group_of_members, refused

__all__ = ["cli"]

HEADER = "id\tstatus\tcreated\tmeasures\tplace\tperiod\tunit\tasker\tanswer"
ASK = ("--measures", "loyer médian d'un T2", "--place", "Lyon", "--period", "2026-Q2", "--unit", "€/mois")
ANSWER = ("--value", "812", "--unit", "€/mois", "--source", "https://observatoire.example/loyers")


@pytest.fixture
def members(cli: Cli) -> Cli:
    """A members group, loyers, with two approved members, alice and bob."""
    group_of_members(cli, "alice", "bob")
    return cli


def rows(out: str) -> list[list[str]]:
    header, *lines = out.splitlines()
    assert header == HEADER
    return [line.split("\t") for line in lines]


def test_a_member_asks_another_answers_and_the_request_is_listed_answered(members: Cli) -> None:
    code, out, err = members("request", "ask", "--as", "alice", "--group", "loyers", *ASK)
    assert code == 0, err
    ident, status, uri = out.strip().split("\t")
    assert status == "open"
    assert uri.startswith("https://chiffres.test/objects/")
    [row] = rows(members("request", "list", "loyers")[1])
    assert row[:2] == [ident, "open"]
    assert row[3:8] == [
        "loyer médian d'un T2",
        "Lyon",
        "2026-04/2026-06",
        "EUR/month",
        "@alice@chiffres.test",
    ]
    assert row[8] == "-"

    code, out, err = members("request", "answer", ident, "--as", "bob", *ANSWER)
    assert code == 0, err
    answered, status, figure = out.strip().split("\t")
    assert (answered, status) == (ident, "answered")
    [row] = rows(members("request", "list", "loyers", "--status", "answered")[1])
    assert (row[1], row[8]) == ("answered", figure)
    assert rows(members("request", "list", "loyers", "--status", "open")[1]) == []
    code, out, _ = members("figure", "show", figure)
    assert code == 0
    assert "loyer médian d'un T2" in out
    refused(members("request", "answer", ident, "--as", "bob", *ANSWER), f"request {ident} is answered, not open")

    # Asked again, the figure is there at once.
    code, out, _ = members("request", "ask", "--as", "alice", "--group", "loyers", *ASK)
    assert code == 0
    assert out.strip().split("\t")[1:] == ["answered", figure]


def test_a_figure_already_published_answers_at_once(members: Cli) -> None:
    code, published, _ = members("figure", "publish", "--as", "bob", "--group", "loyers", *FIGURE)
    assert code == 0
    code, out, _ = members("request", "ask", "--as", "alice", "--group", "loyers", *ASK)
    assert code == 0
    assert out.strip().split("\t")[1:] == ["answered", published.strip()]


def test_requests_are_closed(members: Cli) -> None:
    ident = members("request", "ask", "--as", "alice", "--group", "loyers", *ASK)[1].split("\t")[0]
    assert members("request", "close", ident) == (0, f"{ident}\tclosed\n", "")
    [row] = rows(members("request", "list", "loyers", "--status", "closed")[1])
    assert row[:2] == [ident, "closed"]
    refused(members("request", "close", ident), "closed, not open")
    refused(members("request", "answer", ident, "--as", "bob", *ANSWER), "closed, not open")


def test_bad_input_is_refused_in_one_line(members: Cli) -> None:
    ask = ("request", "ask", "--as", "alice", "--group", "loyers")
    refused(members(*ask, "--measures", "loyer", "--place", "Lyon", "--period", "juin"), "invalid request", "period")
    refused(members(*ask, "--measures", "loyer", "--place", "Lyon", "--period", "2026", "--unit", "zorglub"), "unit")
    refused(members(*ask[:4], "--group", "alice", *ASK), "alice is not a group")
    refused(members(*ask[:2], "--as", "nobody", *ask[4:], *ASK), "nobody")
    assert members("actor", "create", "zoe")[0] == 0
    refused(members(*ask[:2], "--as", "zoe", *ask[4:], *ASK), "only members ask")
    ident = members(*ask, *ASK)[1].split("\t")[0]
    refused(members("request", "answer", ident, "--as", "zoe", *ANSWER), "not an approved member", "only members")
    bad_value = ("--value", "beaucoup", *ANSWER[2:])
    refused(members("request", "answer", ident, "--as", "bob", *bad_value), "invalid answer", "value")
    refused(members("request", "answer", "4242", "--as", "bob", *ANSWER), "no request 4242")
    refused(members("request", "close", "https://chiffres.test/objects/nothing"), "no request")
    refused(members("request", "list", "nobody"), "nobody")
    with pytest.raises(SystemExit) as exited:
        members("request", "list", "loyers", "--status", "pending")
    assert exited.value.code == 2, "argparse refuses a status it does not know"
