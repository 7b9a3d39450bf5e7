"""Instances as real processes: start-up on the embedded database, the CLI beside a running server, shutdown."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import jsonschema
import psutil
import pytest

from tests.support.process import InstanceProcess

pytestmark = pytest.mark.e2e
AP = {"Accept": "application/activity+json"}


def _postgres_for(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(attrs=("name", "cmdline")):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and any(str(data_dir) in part for part in cmdline):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InstanceProcess, InstanceProcess]]:
    first = InstanceProcess(tmp_path_factory.mktemp("first")).start()
    second = InstanceProcess(tmp_path_factory.mktemp("second")).start()
    try:
        first.wait_ready()
        second.wait_ready()
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_group_created_by_the_cli_is_discoverable(pair: tuple[InstanceProcess, InstanceProcess]) -> None:
    first, _ = pair
    created = first.cli("actor", "create", "loyers", "--group", "--display-name", "Loyers de Lyon")
    actor_id = created.stdout.strip()
    assert actor_id == f"{first.base}/actors/loyers"

    finger = httpx.get(f"{first.base}/.well-known/webfinger", params={"resource": f"acct:loyers@{first.domain}"})
    assert finger.status_code == 200
    assert [link["href"] for link in finger.json()["links"] if link["rel"] == "self"] == [actor_id]

    response = httpx.get(actor_id, headers=AP)
    assert response.headers["content-type"] == "application/activity+json"
    actor = response.json()
    assert actor["id"] == actor_id == str(response.url)
    assert actor["type"] == "Group"
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["publicKey"]["owner"] == actor_id
    assert "https://www.w3.org/ns/activitystreams" in actor["@context"]
    for key in ("inbox", "outbox", "followers", "following", "preferredUsername"):
        assert actor[key]
    assert actor["endpoints"]["sharedInbox"] == f"{first.base}/inbox"

    instance_actor = httpx.get(f"{first.base}/actor", headers=AP).json()
    assert instance_actor["type"] == "Application"

    nodeinfo = httpx.get(f"{first.base}/nodeinfo/2.1").json()
    schema = json.loads(resources.files("schemas").joinpath("nodeinfo-2.1.schema.json").read_text())
    jsonschema.validate(nodeinfo, schema)

    listing = first.cli("actor", "list").stdout
    assert f"@loyers@{first.domain}\tgroup\t{actor_id}\tmembers" in listing


def test_second_instance_has_its_own_database(pair: tuple[InstanceProcess, InstanceProcess]) -> None:
    first, second = pair
    second.cli("actor", "create", "salaires", "--group", "--visibility", "public")
    assert httpx.get(f"{second.base}/actors/salaires", headers=AP).status_code == 200
    assert httpx.get(f"{first.base}/actors/salaires", headers=AP).status_code == 404
    assert _postgres_for(first.directory / "data")
    assert _postgres_for(second.directory / "data")
    assert first.directory != second.directory


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("actor", "create", "taken"), "already taken"),
        (("actor", "create", "bad name"), "invalid name"),
        (("actor", "create", "alice", "--visibility", "public"), "--visibility applies to groups only"),
    ],
)
def test_cli_errors_are_one_line(
    pair: tuple[InstanceProcess, InstanceProcess], args: tuple[str, ...], message: str
) -> None:
    first, _ = pair
    first.cli("actor", "create", "taken", check=False)
    result = first.cli(*args, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("chiffres: ")


def test_cli_reports_an_unreachable_database_and_bad_settings(tmp_path: Path) -> None:
    unreachable = InstanceProcess(tmp_path, extra_env={"CHIFFRES_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/x"})
    result = unreachable.cli("actor", "list", check=False)
    assert result.returncode == 1
    assert "database unreachable" in result.stderr
    assert result.stderr.count("\n") == 1

    bad = InstanceProcess(tmp_path, extra_env={"CHIFFRES_DOMAIN": "not a domain"})
    result = bad.cli("actor", "list", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("chiffres: CHIFFRES_DOMAIN:")


def test_stopping_the_server_stops_its_database(tmp_path: Path) -> None:
    alone = InstanceProcess(tmp_path).start()
    try:
        alone.wait_ready()
        data_dir = alone.directory / "data"
        assert _postgres_for(data_dir)
        alone.cli("actor", "create", "bob")
        assert _postgres_for(data_dir), "a CLI command must not stop the server's database"
    finally:
        code = alone.stop()
    assert code == 0
    assert not _postgres_for(data_dir)


def test_a_command_without_dev_mode_works_beside_a_dev_server(tmp_path: Path) -> None:
    """As a newcomer does: `make serve` in one terminal, `.venv/bin/chiffres actor create` in another."""
    alone = InstanceProcess(tmp_path).start()
    try:
        alone.wait_ready()
        plain = {key: value for key, value in alone.env.items() if key != "CHIFFRES_DEV"}
        result = subprocess.run(
            [sys.executable, "-m", "chiffres.cli", "actor", "create", "loyers", "--group"],
            env=plain,
            capture_output=True,
            text=True,
            cwd=alone.directory,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{alone.base}/actors/loyers"
    finally:
        alone.stop()


def test_ids_cannot_drift_from_the_recorded_domain(tmp_path: Path) -> None:
    """`make serve` first; then a public `serve` and a command under another domain on the same data directory
    are refused in one line, and the trial's commands still mint its http ids (a refused `serve` used to record
    production mode and break them)."""
    alone = InstanceProcess(tmp_path).start()
    try:
        alone.wait_ready()
        plain = {key: value for key, value in alone.env.items() if key != "CHIFFRES_DEV"}
        public = subprocess.run(
            [sys.executable, "-m", "chiffres.cli", "serve", "--port", "9", "--domain", "chiffres.example"],
            env=plain,
            capture_output=True,
            text=True,
            cwd=alone.directory,
            timeout=120,
        )
        assert public.returncode == 1
        refusal = public.stderr.splitlines()[-1]  # `serve` logs its start (the database) before it settles the ids
        assert refusal.startswith(f"chiffres: CHIFFRES_DEV: this database holds the development trial {alone.base}")
        assert "Traceback" not in public.stderr

        elsewhere = InstanceProcess(tmp_path, extra_env={"CHIFFRES_DOMAIN": "localhost:1"})
        moved = elsewhere.cli("actor", "create", "salaires", check=False)
        assert moved.returncode == 1
        assert moved.stderr == (
            f"chiffres: CHIFFRES_DOMAIN: this database was created for {alone.domain!r}; ids cannot move to"
            " 'localhost:1'\n"
        )

        created = subprocess.run(
            [sys.executable, "-m", "chiffres.cli", "actor", "create", "loyers", "--group"],
            env=plain,
            capture_output=True,
            text=True,
            cwd=alone.directory,
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
        assert created.stdout.strip() == f"{alone.base}/actors/loyers"
        assert httpx.get(f"{alone.base}/actors/loyers", headers=AP).json()["id"] == f"{alone.base}/actors/loyers"
    finally:
        alone.stop()
