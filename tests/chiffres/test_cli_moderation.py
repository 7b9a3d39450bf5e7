"""The moderation commands as an admin types them: domain blocks, a local actor's standing, removal of remote
things, reports and the queue. Lists have a header line and a ``--json`` form; refusals are one line and a
non-zero exit."""

from __future__ import annotations

import json

from tests.chiffres.test_cli_membership import Cli, cli, refused

__all__ = ["cli"]


def test_domains_are_blocked_listed_and_unblocked(cli: Cli) -> None:
    code, out, _ = cli("domain", "block", "Spam.Example", "--severity", "suspend", "--reason", "spam\twaves")
    assert code == 0
    assert out.startswith("spam.example\tsuspend\tfollows removed: 0\tdeliveries stopped: 0")
    assert cli("domain", "block", "quiet.example", "--severity", "silence")[0] == 0
    code, out, _ = cli("domain", "list")
    assert code == 0
    header, *lines = out.strip().splitlines()
    assert header == "domain\tseverity\tsince\treason"
    assert [line.split("\t")[:2] for line in lines] == [["quiet.example", "silence"], ["spam.example", "suspend"]]
    assert lines[0].split("\t")[3] == "-"
    assert lines[1].split("\t")[3] == "spam waves"
    code, out, _ = cli("domain", "list", "--json")
    assert [row["domain"] for row in json.loads(out)] == ["quiet.example", "spam.example"]
    code, out, _ = cli("trust", "list")
    assert "quiet.example\t0" in out  # a silenced domain's claims weigh nothing
    assert cli("domain", "unblock", "spam.example") == (0, "spam.example\tunblocked\n", "")
    refused(cli("domain", "unblock", "spam.example"), "is not blocked")


def test_urls_and_invalid_host_names_are_refused(cli: Cli) -> None:
    refused(cli("domain", "block", "https://spam.example", "--severity", "silence"), "is a URL")
    refused(cli("domain", "block", "spam.example/users/x", "--severity", "silence"), "is a URL")
    refused(cli("domain", "block", "not a host", "--severity", "silence"), "not a host name")
    refused(cli("domain", "block", "spam.example:8001", "--severity", "suspend"), "ports are only allowed")
    refused(cli("domain", "block", "chiffres.test", "--severity", "suspend"), "our own domain")
    assert cli("domain", "list")[1] == "domain\tseverity\tsince\treason\n"


def test_a_local_actor_is_suspended_edited_and_deleted(cli: Cli) -> None:
    assert cli("actor", "create", "alice")[0] == 0
    code, out, _ = cli("actor", "suspend", "alice")
    assert (code, out.split("\t")[:2]) == (0, ["@alice", "suspended"])
    assert out.split("\t")[2].startswith("https://chiffres.test/")  # the Update its followers are sent
    refused(cli("actor", "suspend", "alice"), "suspended already")
    refused(cli("actor", "edit", "alice", "--display-name", "Alice"), "@alice is suspended and cannot publish")
    code, out, _ = cli("actor", "suspend", "alice", "--undo")
    assert (code, out.split("\t")[:2]) == (0, ["@alice", "active"])
    refused(cli("actor", "suspend", "alice", "--undo"), "is not suspended")
    refused(cli("actor", "edit", "alice"), "nothing to change")
    code, out, _ = cli("actor", "edit", "alice", "--display-name", "Alice B.", "--summary", "Relevés de loyers")
    assert code == 0
    assert out.startswith("@alice\tupdated\thttps://chiffres.test/")
    code, out, _ = cli("actor", "delete", "alice")
    assert code == 0
    assert out.startswith("@alice\tdeleted\thttps://chiffres.test/")
    refused(cli("actor", "delete", "alice"), "already deleted")
    refused(cli("actor", "suspend", "nobody"), "nobody")


def test_reports_and_the_queue_list_under_a_header(cli: Cli) -> None:
    assert cli("reports") == (0, "id\treceived\tdomain\tobjects\tcomment\tresolved\n", "")
    assert cli("reports", "--json") == (0, "[]\n", "")
    refused(cli("reports", "resolve", "7"), "no open report 7")
    assert cli("queue") == (0, "id\tkind\tstate\twhat\tattempts\tnext_try\treason\n", "")
    assert cli("queue", "--json") == (0, "[]\n", "")
    assert cli("queue", "retry", "--all-failed") == (0, "0 sent round again\n", "")
    refused(cli("queue", "retry"), "give queue ids")
    refused(cli("queue", "drop", "12"), "is not a queue id")
    assert cli("queue", "drop", "d12", "i7") == (0, "0 dropped\n", "")


def test_removing_what_is_not_held_here_is_one_line(cli: Cli) -> None:
    refused(cli("remote", "delete", "https://elsewhere.example/notes/1"), "no remote actor, post, figure or claim")
    refused(cli("remote", "delete", "https://chiffres.test/actors/alice"), "is ours")
