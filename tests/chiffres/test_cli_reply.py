"""A member's reply from the command line: a source must be an http(s) URL, and a `--value` far from the figure is
kept but flagged, as a peer's would be (a member's `--value 5` on 845 €/mois once made the consensus 65.57)."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, refused

__all__ = ["cli"]


def published(cli: Cli) -> str:
    assert cli("actor", "create", "loyers", "--group", "--visibility", "public")[0] == 0
    assert cli("actor", "create", "alice")[0] == 0
    follow_id = cli("follow", "--as", "alice", "loyers")[1].split("\t")[0]
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    code, out, _ = cli("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE)
    assert code == 0
    return out.strip()


async def _flags(database_url: str) -> list[tuple[str, bool]]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT value, implausible FROM claims WHERE kind = 'correct' ORDER BY id")
    finally:
        await connection.close()
    return [(str(row["value"]), row["implausible"]) for row in rows]


def test_a_source_that_is_not_an_http_url_is_refused(cli: Cli) -> None:
    figure = published(cli)
    for source in ("not a url", "ftp://example.org/x", "javascript:alert(1)", "https://", "http://[::1"):
        refused(cli("reply", "--as", "alice", figure, "plutôt 845", "--value", "845", "--source", source), "source")
    code, out, _ = cli(
        "reply", "--as", "alice", figure, "plutôt 845", "--value", "845", "--source", "https://insee.example/t2"
    )
    assert code == 0, out


def test_a_members_implausible_value_is_kept_and_flagged(cli: Cli, database_url: str) -> None:
    figure = published(cli)  # 812 €/mois
    assert cli("reply", "--as", "alice", figure, "oups", "--value", "5")[0] == 0
    assert cli("reply", "--as", "alice", figure, "plutôt 845", "--value", "845")[0] == 0
    assert asyncio.run(_flags(database_url)) == [("5", True), ("845", False)]


def test_like_and_reply_take_a_figure_by_its_number_or_uuid_as_figure_show_does(cli: Cli, database_url: str) -> None:
    figure = published(cli)
    number = asyncio.run(_number(database_url, figure))
    assert cli("like", "--as", "alice", str(number))[0] == 0
    assert cli("reply", "--as", "alice", figure.rsplit("/", 1)[-1], "plutôt 845", "--value", "845")[0] == 0
    assert asyncio.run(_flags(database_url)) == [("845", False)]
    refused(cli("like", "--as", "alice", "999999"), "no figure 999999")


async def _number(database_url: str, uri: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        found: int = await connection.fetchval("SELECT id FROM figures WHERE uri = $1", uri)
    finally:
        await connection.close()
    return found
