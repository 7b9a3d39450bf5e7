"""The command line for groups: their join policy, their moderators and their waiting requests, and the dates
``follows list`` shows; every refusal is one line and a non-zero exit."""

from __future__ import annotations

import re

import pytest

from tests.chiffres.test_cli_membership import Cli, cli, refused

__all__ = ["cli"]  # the fixture, shared with the membership commands' tests

_WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def test_a_groups_policy_defaults_by_visibility_and_can_be_set(cli: Cli) -> None:
    assert cli("actor", "create", "loyers", "--group")[0] == 0
    assert cli("actor", "create", "prix", "--group", "--visibility", "public")[0] == 0
    assert cli("group", "policy", "loyers") == (0, "loyers\tcharter\t(default)\n", "")
    assert cli("group", "policy", "prix") == (0, "prix\topen\t(default)\n", "")
    assert cli("group", "policy", "prix", "admin") == (0, "prix\tadmin\n", "")
    assert cli("group", "policy", "prix") == (0, "prix\tadmin\n", "")
    assert cli("group", "policy", "prix", "default") == (0, "prix\topen\t(default)\n", "")


def test_policy_errors_are_one_line(cli: Cli) -> None:
    cli("actor", "create", "alice")
    refused(cli("group", "policy", "nobody"), "no local actor named 'nobody'")
    refused(cli("group", "policy", "alice", "open"), "alice is not a group")
    with pytest.raises(SystemExit) as exited:  # argparse refuses an unknown policy before anything runs
        cli("group", "policy", "alice", "sometimes")
    assert exited.value.code == 2


def test_moderators_are_added_listed_and_removed(cli: Cli) -> None:
    cli("actor", "create", "loyers", "--group")
    cli("actor", "create", "alice")
    cli("actor", "create", "prix", "--group")
    assert cli("group", "moderator", "list", "loyers") == (0, "name\tadded\n", "")
    assert cli("group", "moderator", "add", "loyers", "alice") == (0, "loyers\talice\tadded\n", "")
    assert cli("group", "moderator", "add", "loyers", "alice") == (0, "loyers\talice\talready a moderator\n", "")
    code, out, _ = cli("group", "moderator", "list", "loyers")
    assert code == 0
    assert re.fullmatch(rf"name\tadded\nalice\t{_WHEN}\n", out), out
    assert cli("group", "moderator", "remove", "loyers", "alice") == (0, "loyers\talice\tremoved\n", "")
    assert cli("group", "moderator", "remove", "loyers", "alice") == (0, "loyers\talice\twas not a moderator\n", "")
    refused(cli("group", "moderator", "add", "nobody", "alice"), "no local actor named 'nobody'")
    refused(cli("group", "moderator", "add", "loyers", "nobody"), "no local actor named 'nobody'")
    refused(cli("group", "moderator", "add", "loyers", "prix"), "prix is not a member")
    refused(cli("group", "moderator", "add", "alice", "alice"), "alice is not a group")


def test_waiting_requests_and_follows_show_their_dates(cli: Cli) -> None:
    cli("actor", "create", "loyers", "--group")
    cli("actor", "create", "alice")
    code, out, _ = cli("follow", "--as", "alice", "loyers")
    assert code == 0
    follow_id = out.split("\t")[0]
    code, out, _ = cli("group", "pending", "loyers")
    assert code == 0
    assert re.fullmatch(rf"id\tfollower\trequested\n{follow_id}\t@alice@chiffres.test\t{_WHEN}\n", out), out
    code, out, _ = cli("follows", "list")
    header, *rows = out.splitlines()
    assert header == "id\tfollower\tstate\tfollowee\trequested\tanswered"
    assert re.fullmatch(rf"{follow_id}\t@alice@chiffres.test\tpending\t@loyers@chiffres.test\t{_WHEN}\t-", rows[0])
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    code, out, _ = cli("follows", "list", "--as", "loyers")
    assert re.fullmatch(rf"{follow_id}\t@alice\S+\taccepted\t@loyers\S+\t{_WHEN}\t{_WHEN}", out.splitlines()[1])
    assert cli("group", "pending", "loyers") == (0, "id\tfollower\trequested\n", "")
