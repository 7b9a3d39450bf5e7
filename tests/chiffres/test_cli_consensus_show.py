"""``chiffres consensus show FIGURE [--json]``: why a figure has its status — the consensus line and every claim
behind it, with the weight it carried; the figure named by its URL, its uuid or its number."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from figures.claims import ClaimedValue
from ledger import claims
from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, refused

__all__ = ["cli"]

LINE = {"status", "value", "low", "high", "unit", "domains", "contributors", "agreement", "claims"}
CLAIM = {"actor", "domain", "kind", "value", "unit", "parsed", "version", "weight", "reference"}
REMOTE = [
    ("https://b.example/actors/bea", "correct", "905", None, True),
    ("https://c.example/actors/cyril", "correct", "905", None, False),
    ("https://d.example/actors/dan", "boost", "812", 1, False),
]


async def _remote_claims(database_url: str, figure: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        for actor, kind, value, version, parsed in REMOTE:
            await claims.record(
                connection,
                figure,
                actor,
                actor.split("/")[2],
                ClaimedValue(kind, Decimal(value), version, parsed),
                f"{actor}/notes/1",
                datetime.now(UTC),
            )
    finally:
        await connection.close()


@pytest.fixture
def figure(cli: Cli, database_url: str) -> str:
    """A figure alice published into loyers, with claims from three other domains, d.example blocked."""
    for command in (("actor", "create", "loyers", "--group", "--visibility", "public"), ("actor", "create", "alice")):
        assert cli(*command)[0] == 0
    follow_id = cli("follow", "--as", "alice", "loyers")[1].split("\t")[0]
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    code, out, _ = cli("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE)
    assert code == 0
    uri = out.strip()
    asyncio.run(_remote_claims(database_url, uri))
    assert cli("trust", "set", "d.example", "0")[0] == 0
    assert cli("consensus", "recompute")[0] == 0
    return uri


def test_the_json_lists_every_claim_with_its_weight(cli: Cli, figure: str) -> None:
    code, out, err = cli("consensus", "show", "--json", figure)
    assert code == 0, err
    shown = json.loads(out)
    assert set(shown) == LINE
    assert shown["unit"] == "EUR/month"
    assert shown["contributors"] == 3, "the blocked domain's claim does not count"
    by_actor = {claim["actor"]: claim for claim in shown["claims"]}
    assert all(set(claim) == CLAIM for claim in shown["claims"])
    alice = by_actor["https://chiffres.test/actors/alice"]
    assert (alice["kind"], alice["value"], alice["version"], alice["domain"]) == ("publish", "812", 1, "chiffres.test")
    bea, cyril, dan = (by_actor[actor] for actor, *_ in REMOTE)
    assert (bea["kind"], bea["value"], bea["parsed"], bea["unit"]) == ("correct", "905", True, "EUR/month")
    assert cyril["parsed"] is False
    assert bea["reference"] == "https://b.example/actors/bea/notes/1"
    assert (dan["kind"], dan["version"], dan["weight"]) == ("boost", 1, 0.0)
    assert alice["weight"] > bea["weight"] > 0, "our own domain is trusted more than a new one"
    assert bea["weight"] == pytest.approx(cyril["weight"])
    assert shown["claims"][0] == alice, "heaviest first"


def test_a_figure_is_named_by_its_url_uuid_or_number(cli: Cli, figure: str, database_url: str) -> None:
    number = asyncio.run(_number(database_url, figure))
    uuid = figure.rsplit("/", 1)[1]
    shown = [cli("consensus", "show", "--json", ident)[1] for ident in (figure, uuid, str(number))]
    assert shown[0] == shown[1] == shown[2]
    code, out, _ = cli("consensus", "show", uuid)
    assert code == 0
    line, header, *listed = out.splitlines()
    assert header == "weight\tkind\tvalue\tunit\tread\tversion\tdomain\tactor"
    assert line.split("\t")[0] in {"confirmed", "corrected", "contested", "insufficient"}
    assert "contributors=3" in line.split("\t")
    assert len(listed) == 4
    assert any(row.split("\t")[1:3] == ["correct", "905"] for row in listed)


def test_an_unknown_figure_is_one_line_and_non_zero(cli: Cli, figure: str) -> None:
    refused(cli("consensus", "show", "999999"), "no figure 999999")
    refused(cli("consensus", "show", "00000000-0000-4000-8000-000000000000"), "no figure")
    refused(cli("consensus", "show", "https://elsewhere.example/objects/x"), "no figure")


async def _number(database_url: str, uri: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return int(await connection.fetchval("SELECT id FROM figures WHERE uri = $1", uri))
    finally:
        await connection.close()


def test_a_claim_on_a_replaced_version_says_so(cli: Cli, figure: str) -> None:
    assert cli("trust", "set", "d.example", "1")[0] == 0
    assert cli("figure", "update", figure, "--as", "alice", "--value", "845")[0] == 0
    assert cli("consensus", "recompute")[0] == 0
    code, out, err = cli("consensus", "show", figure)
    assert code == 0, err
    rows = {row.split("\t")[1]: row.split("\t") for row in out.splitlines()[2:]}
    assert rows["boost"][5] == "v1 (replaced)", "dan boosted 812, the first version"
    assert rows["publish"][5] == "v2"
    assert float(rows["boost"][0]) < float(rows["publish"][0]) / 10
