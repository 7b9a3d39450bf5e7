"""``chiffres export`` and ``chiffres import``: an instance moved to an empty database is the same instance to its
peers (ids, keys, documents); a file that is not a whole export of ours is refused with one line and nothing
written."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import pty
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chiffres.backup import DERIVED, EXPORTED, table_names, unclassified
from chiffres.cli import progress
from fedi.database import connect
from fedi.migrator import available
from tests.chiffres.test_cli_membership import FIGURE, Cli, cli, refused
from tests.support.cluster import Cluster
from tests.support.process import InstanceProcess
from tests.support.remote_server import ACTIVITY_JSON, AS2, Received, RemoteServer, encode
from tests.support.waiting import eventually

__all__ = ["cli"]
ACCEPT = {"Accept": ACTIVITY_JSON}


@pytest.fixture
def empty_database(cluster: Cluster) -> Iterator[str]:
    """A second database, migrated and empty, to import into."""
    name = asyncio.run(cluster.create_database())
    yield cluster.url(name)
    asyncio.run(cluster.drop_database(name))


def _instance(cli: Cli) -> None:
    """A group with a member who published a figure, a token, a moderator: rows in most exported tables."""
    assert cli("actor", "create", "loyers", "--group", "--visibility", "public")[0] == 0
    assert cli("actor", "create", "alice", "--display-name", "Alice Ébert")[0] == 0
    follow_id = cli("follow", "--as", "alice", "loyers")[1].split("\t")[0]
    assert cli("follows", "approve", follow_id, "--as", "loyers")[0] == 0
    code, _, err = cli("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE)
    assert code == 0, err
    assert cli("token", "create", "--as", "alice", "--label", "relevés")[0] == 0


def _body(path: Path) -> list[str]:
    """The export without its header, whose only change is when it was made."""
    return path.read_text(encoding="utf-8").splitlines()[1:]


def test_export_then_import_gives_the_same_rows(
    cli: Cli, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _instance(cli)
    (tmp_path / "charter.md").write_text("# Notre charte\n\nContribuez.\n", encoding="utf-8")
    (tmp_path / "reciprocity.toml").write_text("# the defaults\n", encoding="utf-8")
    exported = tmp_path / "out" / "instance.ndjson"
    exported.parent.mkdir()
    code, out, err = cli("export", str(exported))
    assert code == 0, err
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert "private keys" in err
    assert "\r" not in err, "no bar when stderr is not a terminal"
    header, *lines = exported.read_text(encoding="utf-8").splitlines()
    described = json.loads(header)
    assert described["format"] == "chiffres-export"
    assert described["domain"] == "chiffres.test"
    assert described["schema"] == max(migration.version for migration in available())
    kinds = {json.loads(line)["kind"] for line in lines}
    assert {"actors", "actor_keys", "follows", "figures", "figure_versions", "claims", "api_tokens", "outbox"} <= kinds
    assert {"remote_keys", "deliveries", "pgqueuer"}.isdisjoint(kinds)
    keys = [json.loads(line)["row"] for line in lines if json.loads(line)["kind"] == "actor_keys"]
    assert all(key["rsa_private_pem"].startswith("-----BEGIN") for key in keys)

    moved = tmp_path / "moved"
    monkeypatch.setenv("CHIFFRES_DATABASE_URL", empty_database)
    monkeypatch.setenv("CHIFFRES_DATA_DIR", str(moved))
    code, out, err = cli("import", str(exported))
    assert code == 0, err
    rows = [line for line in lines if json.loads(line)["kind"] not in ("file", "end")]
    assert out.startswith(f"imported {len(rows)} rows of chiffres.test")
    assert (moved / "charter.md").read_text(encoding="utf-8") == "# Notre charte\n\nContribuez.\n"
    assert (moved / "reciprocity.toml").read_text(encoding="utf-8") == "# the defaults\n"
    unsent = sum(1 for line in lines if '"kind":"outbox"' in line and '"fanned_out_at":null' in line)
    assert unsent > 0, "no worker ran: nothing published was sent yet"
    assert f"{unsent} activities not yet sent to followers" in out
    assert _count(empty_database, "pgqueuer WHERE entrypoint = 'fanout'") == unsent
    again = tmp_path / "again.ndjson"
    assert cli("export", str(again))[0] == 0
    assert _body(again) == _body(exported)

    # The sequences continue after the restored ids: a new actor takes a new id, not one peers know.
    code, out, err = cli("actor", "create", "bruno")
    assert code == 0, err
    assert cli("figure", "show", "1")[0] == 0


def test_an_export_piped_into_an_import_moves_the_instance(
    cli: Cli, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``chiffres export - | chiffres import -``, as over ssh to a new machine."""
    _instance(cli)
    command = [sys.executable, "-m", "chiffres.cli"]
    with subprocess.Popen([*command, "export", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as export:
        monkeypatch.setenv("CHIFFRES_DATABASE_URL", empty_database)
        done = subprocess.run(
            [*command, "import", "-"], stdin=export.stdout, capture_output=True, text=True, timeout=120, check=False
        )
        assert export.stderr is not None
        warned = export.stderr.read().decode()
    assert export.returncode == 0, warned
    assert "private keys" in warned
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported ")
    code, out, _ = cli("actor", "list")
    assert code == 0
    assert "@alice@chiffres.test" in out


def test_import_refuses_a_database_that_holds_an_instance(cli: Cli, tmp_path: Path) -> None:
    _instance(cli)
    exported = tmp_path / "instance.ndjson"
    assert cli("export", str(exported))[0] == 0
    refused(cli("import", str(exported)), "already holds an instance", "empty database")


def _rewrite(source: Path, target: Path, change: Any) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(change(lines)), encoding="utf-8")
    return target


def _count(url: str, table: str) -> int:
    async def run() -> int:
        connection = await connect(url)
        try:
            return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
        finally:
            await connection.close()

    return asyncio.run(run())


def test_a_bad_file_is_refused_by_line_and_nothing_is_written(
    cli: Cli, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _instance(cli)
    exported = tmp_path / "instance.ndjson"
    assert cli("export", str(exported))[0] == 0
    monkeypatch.setenv("CHIFFRES_DATABASE_URL", empty_database)
    monkeypatch.setenv("CHIFFRES_DATA_DIR", str(tmp_path / "moved"))
    size = len(exported.read_text(encoding="utf-8").splitlines())

    def broken(lines: list[str]) -> list[str]:
        return [*lines[:5], "{not json\n", *lines[6:]]

    refused(cli("import", str(_rewrite(exported, tmp_path / "broken", broken))), "line 6", "not JSON")

    def wrong_type(lines: list[str]) -> list[str]:
        index = next(n for n, line in enumerate(lines) if '"kind":"figures"' in line)
        record = json.loads(lines[index])
        record["row"]["version"] = "deux"
        return [*lines[:index], json.dumps(record) + "\n", *lines[index + 1 :]]

    refused(cli("import", str(_rewrite(exported, tmp_path / "typed", wrong_type))), "figures.version", "line ")

    def duplicated(lines: list[str]) -> list[str]:
        index = next(n for n, line in enumerate(lines) if '"kind":"actors"' in line)
        return [*lines[: index + 1], lines[index], *lines[index + 1 :]]

    refused(cli("import", str(_rewrite(exported, tmp_path / "twice", duplicated))), "actors", "duplicate key")
    refused(cli("import", str(_rewrite(exported, tmp_path / "cut", lambda lines: lines[:-1]))), "truncated")

    def newer(lines: list[str]) -> list[str]:
        header = json.loads(lines[0])
        header["schema"] += 1
        return [json.dumps(header) + "\n", *lines[1:]]

    refused(cli("import", str(_rewrite(exported, tmp_path / "newer", newer))), "newer", "upgrade")
    refused(cli("import", str(tmp_path / "missing.ndjson")), "cannot read", "missing.ndjson", "No such file")
    refused(cli("export", str(tmp_path / "nowhere" / "out.ndjson")), "cannot write", "nowhere/out.ndjson")
    for table in ("actors", "actor_keys", "figures", "instance_settings"):
        assert _count(empty_database, table) == 0, table
    assert size > 10


def test_an_export_from_an_older_schema_is_read_when_its_fields_map(
    cli: Cli, empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before 0017 `manually_approves` was stored; now it is computed from the join policy, which did not exist."""
    _instance(cli)
    exported = tmp_path / "instance.ndjson"
    assert cli("export", str(exported))[0] == 0

    def older(lines: list[str]) -> list[str]:
        header = json.loads(lines[0])
        header["schema"] = 16
        changed = [json.dumps(header) + "\n"]
        for line in lines[1:]:
            record = json.loads(line)
            if record["kind"] == "actors":
                record["row"].pop("join_policy")
                record["row"]["manually_approves"] = record["row"]["kind"] == "group"
            changed.append(json.dumps(record, ensure_ascii=False) + "\n")
        return changed

    monkeypatch.setenv("CHIFFRES_DATABASE_URL", empty_database)
    code, out, err = cli("import", str(_rewrite(exported, tmp_path / "older", older)))
    assert code == 0, err
    assert "(schema 0016)" in out
    code, out, _ = cli("actor", "list")
    assert "@loyers@chiffres.test" in out


def test_every_table_is_exported_or_said_to_be_derived(cluster: Cluster) -> None:
    """A migration that adds a table must say whether it moves with the instance."""

    async def run() -> list[str]:
        connection = await connect(cluster.url(cluster.template))
        try:
            return await table_names(connection)
        finally:
            await connection.close()

    names = asyncio.run(run())
    assert unclassified(names) == []
    assert set(EXPORTED).isdisjoint(DERIVED)
    assert set(EXPORTED) <= set(names)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_and_nothing_when_piped() -> None:
    terminal, piped = _Terminal(), io.StringIO()
    with progress.bar("export", terminal) as drawn:
        assert drawn is not None
        drawn.total(200)
        drawn.advance(200)
    assert "export [" + "#" * progress.WIDTH + "] 100% 200/200" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")
    with progress.bar("export", piped) as nothing:
        assert nothing is None
    source = io.StringIO("a\t1\tx\nb\t2\ty\n")
    with progress.reading(source, "reading claims", 12, terminal) as lines:
        assert list(lines) == ["a\t1\tx\n", "b\t2\ty\n"]
    assert "reading claims [" + "#" * progress.WIDTH + "] 100% 12/12" in terminal.getvalue()
    with progress.reading(source, "reading claims", 12, piped) as same:
        assert same is source
    assert piped.getvalue() == ""


async def test_work_that_cannot_say_how_far_it_is_shows_its_time() -> None:
    terminal, piped = _Terminal(), io.StringIO()
    async with progress.ticking("recomputing", terminal):
        pass
    assert terminal.getvalue().startswith("\rrecomputing… 0 s")
    assert terminal.getvalue().endswith("\n")
    async with progress.ticking("recomputing", piped):
        pass
    assert piped.getvalue() == ""


def test_export_at_a_terminal_shows_its_bar(cli: Cli, tmp_path: Path) -> None:
    _instance(cli)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chiffres.cli", "export", str(tmp_path / "out.ndjson")],
            stderr=follower,
            stdout=subprocess.PIPE,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = b""
        with contextlib.suppress(OSError):
            while chunk := os.read(leader, 4096):
                shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.returncode == 0, shown
    assert b"export [" in shown
    assert b"100%" in shown
    assert b"private keys" in shown


# The acceptance: real processes, a peer that cached the group's key before the move.


def _verify(received: Received, key_id: str, pem: str, host: str) -> None:
    """The draft-cavage signature of a POST our peer received, checked with the key it cached."""
    fields = dict(part.split("=", 1) for part in received.headers["signature"].split(","))
    fields = {name: value.strip('"') for name, value in fields.items()}
    assert fields["keyId"] == key_id
    lines = []
    for name in fields["headers"].split():
        if name == "(request-target)":
            lines.append(f"(request-target): post {received.path}")
        else:
            lines.append(f"{name}: {received.headers[name] if name != 'host' else received.headers.get('host', host)}")
    public = serialization.load_pem_public_key(pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(fields["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())


def _documents(base: str, urls: list[str]) -> list[Any]:
    """The instance actor, the documents at ``urls``, and the group's outbox and followers collections."""
    group = httpx.get(urls[0], headers=ACCEPT, timeout=10).json()
    found = []
    for url in [f"{base}/actor", *urls, group["outbox"], group["followers"]]:
        answer = httpx.get(url, headers=ACCEPT, timeout=10)
        found.append((answer.status_code, answer.json() if answer.status_code == 200 else answer.text))
    return found


@pytest.mark.e2e
def test_a_restored_instance_is_the_same_to_a_peer_that_cached_its_keys(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first, second = (asyncio.run(cluster.create_database()) for _ in range(2))
    peer = RemoteServer().start()
    old = InstanceProcess(tmp_path_factory.mktemp("old"), database_url=cluster.url(first))
    new: InstanceProcess | None = None
    try:
        old.start().wait_ready()
        group = f"{old.base}/actors/loyers"
        old.cli("actor", "create", "loyers", "--group", "--visibility", "public")
        old.cli("actor", "create", "alice")
        follow_id = old.cli("follow", "--as", "alice", "loyers").stdout.split("\t")[0]
        old.cli("follows", "approve", follow_id, "--as", "loyers")
        figure = old.cli("figure", "publish", "--as", "alice", "--group", "loyers", *FIGURE).stdout.strip()

        # The peer follows the group, is accepted, and caches the group's key as a server does.
        follower = peer.actor("lea")
        follow = {"@context": AS2, "id": f"{follower.id}#follow", "type": "Follow", "actor": follower.id}
        body = encode(follow | {"object": group})
        inbox = f"{old.base}/actors/loyers/inbox"
        answer = httpx.post(inbox, content=body, headers=follower.sign(inbox, body), timeout=10)
        assert answer.status_code == 202, answer.text
        old.cli("follows", "approve", "--all", "--as", "loyers", check=False)
        eventually(lambda: peer.received("POST", "/users/lea/inbox"), timeout=60, what="the Accept")
        cached = httpx.get(group, headers=ACCEPT, timeout=10).json()["publicKey"]
        before = _documents(old.base, [group, f"{old.base}/actors/alice", figure])

        old.stop()
        exported = old.directory / "instance.ndjson"
        result = old.cli("export", str(exported))
        assert "private keys" in result.stderr

        new = InstanceProcess(tmp_path_factory.mktemp("new"), database_url=cluster.url(second), port=old.port)
        assert new.cli("import", str(exported)).stdout.startswith("imported ")
        new.start().wait_ready()
        assert _documents(new.base, [group, f"{new.base}/actors/alice", figure]) == before

        # The restored group signs its deliveries with the key the peer cached before the move.
        delivered = len(peer.received("POST"))
        new.cli("figure", "publish", "--as", "alice", "--group", "loyers", "--value", "815", *FIGURE[2:])
        eventually(lambda: len(peer.received("POST")) > delivered, timeout=60, what="the new figure's delivery")
        latest = peer.received("POST")[-1]
        assert (latest.json()["type"], latest.json()["actor"]) == ("Create", group)
        _verify(latest, cached["id"], cached["publicKeyPem"], urlsplit(peer.base).netloc)
    finally:
        if new is not None:
            new.stop()
        old.stop()
        peer.stop()
        for name in (first, second):
            asyncio.run(cluster.drop_database(name))
