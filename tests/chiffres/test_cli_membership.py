"""The command line for members: joining a group before publishing into it, and API tokens that are listed,
revoked and expire; every refusal is one line and a non-zero exit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from chiffres.cli import main

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``chiffres ARGS…`` on the test database; returns (exit code, stdout, stderr)."""
    for name in ("CHIFFRES_CONFIG", "CHIFFRES_DEV", "CHIFFRES_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHIFFRES_DATABASE_URL", database_url)
    monkeypatch.setenv("CHIFFRES_DOMAIN", "chiffres.test")
    monkeypatch.setenv("CHIFFRES_DATA_DIR", str(tmp_path))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


FIGURE = (
    "--value",
    "812",
    "--unit",
    "€/mois",
    "--measures",
    "loyer médian d'un T2",
    "--source",
    "https://observatoire.example/loyers",
    "--place",
    "Lyon",
    "--period",
    "2026-Q2",
)


def refused(result: tuple[int, str, str], *words: str) -> None:
    code, out, err = result
    assert code != 0
    assert out == ""
    assert err.startswith("chiffres: "), err
    assert err.count("\n") == 1, err
    for word in words:
        assert word in err


def test_a_person_publishes_into_a_group_once_their_follow_is_approved(cli: Cli) -> None:
    assert cli("actor", "create", "loyers", "--group", "--visibility", "public")[0] == 0
    assert cli("actor", "create", "alice")[0] == 0
    publish = ("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE)
    refused(cli(*publish), "alice is not an approved member of loyers", "chiffres follow --as alice loyers")
    code, out, _ = cli("follow", "--as", "alice", "loyers")
    assert code == 0
    follow_id, followee, state = out.strip().split("\t")
    assert (followee, state) == ("@loyers@chiffres.test", "pending")
    refused(cli(*publish), "not an approved member")
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    code, out, _ = cli(*publish)
    assert code == 0
    assert out.startswith("https://chiffres.test/objects/")
    refused(cli("follow", "--as", "alice", "nobody"), "nobody")


def test_tokens_are_listed_revoked_and_may_expire(cli: Cli) -> None:
    cli("actor", "create", "alice")
    code, secret, _ = cli("token", "create", "--as", "alice", "--label", "relevés du lundi", "--expires", "30d")
    assert code == 0
    assert len(secret.strip()) == 43
    assert cli("token", "create", "--as", "alice", "--expires", "2099-12-31")[0] == 0
    code, out, _ = cli("token", "list", "--as", "alice")
    assert code == 0
    header, *lines = out.strip().splitlines()
    assert header == "id\tstate\tcreated\tlast_used\texpires\tlabel"
    first, second = (line.split("\t") for line in lines)
    assert (first[1], first[-1]) == ("live", "relevés du lundi")
    assert first[4] != "-", "an expiry"
    assert second[4] == "2099-12-31T00:00:00Z"
    assert secret.strip() not in out
    assert cli("token", "revoke", first[0]) == (0, f"{first[0]}\trevoked\n", "")
    assert cli("token", "list", "--as", "alice")[1].splitlines()[1].split("\t")[1] == "revoked"
    refused(cli("token", "revoke", first[0]), f"no live token {first[0]}")
    refused(cli("token", "create", "--as", "alice", "--expires", "tomorrow"), "expiry")
    refused(cli("token", "create", "--as", "alice", "--expires", "2000-01-01"), "past")
    refused(cli("token", "list", "--as", "nobody"), "nobody")


def group_of_members(cli: Cli, *names: str) -> None:
    """A members group, loyers, and each named person an approved member of it, as an admin makes them."""
    assert cli("actor", "create", "loyers", "--group")[0] == 0
    for name in names:
        assert cli("actor", "create", name)[0] == 0
        follow_id = cli("follow", "--as", name, "loyers")[1].split("\t")[0]
        assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
