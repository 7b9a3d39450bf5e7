"""Every list command prints a header line then its rows, and with ``--json`` the same rows as a JSON list of
objects keyed by those columns; people are shown by their handle, the URL kept in ``--json``; ``inbox`` prints
what a post says, not its HTML."""

from __future__ import annotations

import asyncio
import json
import re

import asyncpg
import pytest

from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, group_of_members, refused

__all__ = ["cli"]

ZOE = "https://masto.example/users/zoe"
ODD = "https://odd.example/users/x"
LOYERS = "https://chiffres.test/actors/loyers"
NOTE_HTML = (
    '<p>Plutôt <strong>845&nbsp;€/mois</strong>, <span class="h-card"><a href="https://chiffres.test/actors/loyers"'
    ' class="u-url mention">@<span>loyers</span></a></span></p><p>source : <a href="https://obs.example/x">'
    "https://obs.example/x</a></p>"
)
SHORT = '<p>Voir <a href="https://obs.example/x">le relevé</a></p>'


async def _remote_people(database_url: str) -> None:
    """zoe, a Mastodon user who asked to join loyers, and a peer whose name is no name; alice received a post."""
    connection = await asyncpg.connect(database_url)
    try:
        for uri, name, domain in ((ZOE, "zoe", "masto.example"), (ODD, "<b>x\tévil</b>", "odd.example")):
            await connection.execute(
                "INSERT INTO remote_actors (uri, domain, inbox, preferred_username, document)"
                " VALUES ($1, $2, $3, $4, '{}')",
                uri,
                domain,
                f"{uri}/inbox",
                name,
            )
            await connection.execute(
                "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'pending')",
                f"{uri}#follow",
                uri,
                LOYERS,
            )
        for number, content in ((1, NOTE_HTML + "x" * 5000), (2, SHORT)):
            document = {
                "id": f"{ZOE}/statuses/{number}/activity",
                "type": "Create",
                "actor": ZOE,
                "object": {"id": f"{ZOE}/statuses/{number}", "type": "Note", "content": content},
            }
            activity = await connection.fetchval(
                "INSERT INTO inbox_activities (activity_id, actor, type, document, signer)"
                " VALUES ($1, $2, 'Create', $3, $4) RETURNING id",
                document["id"],
                ZOE,
                json.dumps(document),
                f"{ZOE}#main-key",
            )
            await connection.execute(
                "INSERT INTO inbox_items (actor_id, activity) SELECT id, $1 FROM actors WHERE name = 'alice'",
                activity,
            )
    finally:
        await connection.close()


@pytest.fixture
def instance(cli: Cli, database_url: str) -> Cli:
    """loyers with two members, alice (a moderator, with a token, a figure and a request) and bob; a pending local
    follower, carol, and two remote ones; a trust level set."""
    group_of_members(cli, "alice", "bob")
    for args in (
        ("actor", "create", "carol"),
        ("follow", "--as", "carol", "loyers"),
        ("group", "moderator", "add", "loyers", "alice"),
        ("token", "create", "--as", "alice", "--label", "relevés"),
        ("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE),
        ("request", "ask", "--as", "bob", "--group", "loyers", "--measures", "prix du m²", "--place", "Lyon"),
        ("trust", "set", "b.example", "0.5"),
    ):
        if args[:2] == ("request", "ask"):
            args = (*args, "--period", "2026")
        code, _, err = cli(*args)
        assert code == 0, (args, err)
    asyncio.run(_remote_people(database_url))
    return cli


LISTS = {
    ("actor", "list"): "handle kind url visibility",
    ("follows", "list"): "id follower state followee requested answered",
    ("follows", "list", "--pending", "--as", "loyers"): "id follower state followee requested answered",
    ("group", "moderator", "list", "loyers"): "name added",
    ("group", "pending", "loyers"): "id follower requested",
    ("token", "list", "--as", "alice"): "id state created last_used expires label",
    ("trust", "list"): "domain trust note",
    ("peer", "list"): "actor direction state",
    ("relay", "list"): "inbox state actor",
    ("request", "list", "loyers"): "id status created measures place period unit asker answer",
    ("ledger", "show", "@alice"): None,
    ("ledger", "top", "loyers"): None,
    ("account", "list"): "name state created",
    ("inbox", "--as", "alice"): "received type from text",
    ("reciprocity", "check", "--dry-run"): "group follow follower who consultations contributions action",
}


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


@pytest.mark.parametrize("args", list(LISTS), ids=" ".join)
def test_a_list_has_a_header_and_the_same_columns_in_json(instance: Cli, args: tuple[str, ...]) -> None:
    code, text, err = instance(*args)
    assert code == 0, err
    header, *lines = text.splitlines()
    columns = header.split("\t")
    expected = LISTS[args]
    if expected is not None:
        assert columns == expected.split()
    code, out, err = instance(*args, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    assert len(rows) == len(lines)
    for line, row in zip(lines, rows, strict=True):
        assert line.split("\t") == [_cell(row[column]) for column in columns]


def test_people_are_shown_by_handle_and_their_url_kept_in_json(instance: Cli) -> None:
    text = instance("follows", "list", "--pending")[1]
    assert "https://" not in text.replace(ODD, "")
    followers = {line.split("\t")[1] for line in text.splitlines()[1:]}
    assert followers == {"@carol@chiffres.test", "@zoe@masto.example", ODD}, "a name that is no name: the URL"
    rows = json.loads(instance("follows", "list", "--pending", "--json")[1])
    zoe = next(row for row in rows if row["follower"] == "@zoe@masto.example")
    assert (zoe["follower_url"], zoe["followee"], zoe["followee_url"]) == (ZOE, "@loyers@chiffres.test", LOYERS)
    pending = json.loads(instance("group", "pending", "loyers", "--json")[1])
    assert {row["follower_url"] for row in pending} == {"https://chiffres.test/actors/carol", ZOE, ODD}
    assert "@zoe@masto.example" in instance("group", "pending", "loyers")[1]
    [request] = json.loads(instance("request", "list", "loyers", "--json")[1])
    assert (request["asker"], request["asker_url"]) == ("@bob@chiffres.test", "https://chiffres.test/actors/bob")


def test_inbox_prints_what_a_post_says_as_one_bounded_line(instance: Cli) -> None:
    code, out, err = instance("inbox", "--as", "alice")
    assert code == 0, err
    header, *lines = out.splitlines()
    assert header == "received\ttype\tfrom\ttext"
    short, line = (line for line in lines if "\t@zoe@masto.example\t" in line)
    assert short.split("\t")[3] == "Voir https://obs.example/x", "newest first; a link's text gives way to its URL"
    received, kind, sender, said = line.split("\t")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", received)
    assert (kind, sender) == ("Create", "@zoe@masto.example")
    assert said.startswith("Plutôt 845 €/mois, source : xxx")
    assert said.endswith("…")
    assert "<" not in said
    assert len(said) <= 200
    rows = json.loads(instance("inbox", "--as", "alice", "--json")[1])
    assert [row["text"] for row in rows[:2]] == [short.split("\t")[3], said]
    assert rows[0]["from_url"] == ZOE
    assert rows[0]["activity"]["object"]["content"] == SHORT, "--json: the activity as received, too"


def test_every_command_naming_a_figure_takes_its_url_uuid_or_number(instance: Cli, database_url: str) -> None:
    uri, number = asyncio.run(_figure(database_url))
    uuid = uri.rsplit("/", 1)[1]
    shown = {instance("figure", "show", ident, "--json")[1] for ident in (uri, uuid, str(number))}
    assert len(shown) == 1
    assert json.loads(shown.pop())["id"] == uri
    assert instance("figure", "update", uuid, "--value", "845")[1] == f"{uri}\tversion 2\n"
    assert instance("like", "--as", "bob", str(number))[0] == 0
    assert instance("consensus", "show", uuid)[0] == 0
    assert instance("figure", "delete", str(number))[1] == f"{uri}\tdeleted\n"
    assert "deleted" in instance("figure", "show", uuid)[1]
    for command in (("figure", "show"), ("figure", "update"), ("figure", "delete")):
        refused(instance(*command, "00000000-0000-4000-8000-000000000000"), "no figure")


def test_a_request_is_named_by_its_number_uri_or_uuid(instance: Cli) -> None:
    [request] = json.loads(instance("request", "list", "loyers", "--json")[1])
    uuid = request["uri"].rsplit("/", 1)[1]
    assert instance("request", "close", uuid)[1] == f"{request['id']}\tclosed\n"


async def _figure(database_url: str) -> tuple[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow("SELECT uri, id FROM figures")
        assert row is not None
        return str(row["uri"]), int(row["id"])
    finally:
        await connection.close()
