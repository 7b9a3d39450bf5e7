"""``chiffres reciprocity check``: who is behind and what is done about it, under a header line; ``--dry-run``
changes nothing, and a wrong policy file or group is refused in one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from tests.chiffres.test_cli_membership import Cli, cli, refused

__all__ = ["cli"]

HEADER = "group\tfollow\tfollower\twho\tconsultations\tcontributions\taction"
ALICE = "https://chiffres.test/actors/alice"


async def _behind(database_url: str) -> None:
    """Alice, a member for 40 days, read 60 figures through the API and contributed nothing."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE follows SET answered_at = now() - interval '40 days' WHERE follower = $1", ALICE
        )
        await connection.execute(
            "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, at) SELECT"
            " 'https://chiffres.test/actors/loyers', $1, 'chiffres.test', 'read', now() - interval '1 day'"
            " FROM generate_series(1, 60)",
            ALICE,
        )
    finally:
        await connection.close()


async def _reminders(database_url: str) -> tuple[int, bool]:
    connection = await asyncpg.connect(database_url)
    try:
        sent = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE document->>'type' = 'Create' AND document->'to' = $1::jsonb",
            f'["{ALICE}"]',
        )
        reminded = await connection.fetchval("SELECT reminded_at IS NOT NULL FROM follows WHERE follower = $1", ALICE)
        return int(sent), bool(reminded)
    finally:
        await connection.close()


@pytest.fixture
def behind(cli: Cli, database_url: str) -> Cli:
    assert cli("actor", "create", "loyers", "--group")[0] == 0
    assert cli("actor", "create", "alice")[0] == 0
    follow_id = cli("follow", "--as", "alice", "loyers")[1].split("\t")[0]
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    asyncio.run(_behind(database_url))
    return cli


def test_dry_run_prints_what_would_be_done_and_changes_nothing(behind: Cli, database_url: str) -> None:
    code, out, err = behind("reciprocity", "check", "loyers", "--dry-run")
    assert code == 0, err
    header, row = out.splitlines()
    assert header == HEADER
    assert row.split("\t")[2:] == [ALICE, ALICE, "60", "0", "remind"]
    assert asyncio.run(_reminders(database_url)) == (0, False)


def test_check_reminds_once(behind: Cli, database_url: str) -> None:
    code, out, _ = behind("reciprocity", "check")
    assert code == 0
    assert out.splitlines()[1].endswith("\tremind")
    assert asyncio.run(_reminders(database_url)) == (1, True)
    assert behind("reciprocity", "check")[1].splitlines()[1].endswith("\twait")
    assert asyncio.run(_reminders(database_url)) == (1, True)


def test_the_policy_file_is_read_and_a_wrong_one_refused(behind: Cli, tmp_path: Path) -> None:
    (tmp_path / "reciprocity.toml").write_text("[loyers]\ngrace_days = 60\n", encoding="utf-8")
    assert behind("reciprocity", "check", "--dry-run")[1] == HEADER + "\n"  # alice is within 60 days' grace
    (tmp_path / "reciprocity.toml").write_text("[loyers]\ngrace_days = 'soixante'\n", encoding="utf-8")
    refused(behind("reciprocity", "check", "--dry-run"), "reciprocity.toml", "[loyers] grace_days")
    refused(behind("reciprocity", "check", "alice"), "alice is not a group")
    refused(behind("reciprocity", "check", "nobody"), "nobody")
