"""Ids cannot drift: the domain and mode recorded at first start are the only ones any process mints ids under.

A refused process says why in one line and leaves the record as it found it; a development trial may come back
on another loopback port when it serves, and a production instance never moves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chiffres import server
from chiffres.cli import main
from chiffres.identity import Identity, settle
from fedi.config import ConfigError, Settings
from fedi.database import create_pool

TRIAL = Identity("localhost:8000", dev=True)
PUBLIC = Identity("chiffres.example", dev=False)


@pytest.mark.parametrize(
    ("recorded", "domain", "dev", "serving", "expected"),
    [
        (None, None, True, True, TRIAL),
        (None, "chiffres.example", False, False, PUBLIC),
        (TRIAL, None, False, False, TRIAL),  # a command beside `make serve` needs no CHIFFRES_DEV
        (TRIAL, None, True, False, TRIAL),
        (TRIAL, "localhost:8001", True, True, Identity("localhost:8001", dev=True)),  # `make serve PORT=8001`
        (Identity("127.0.0.1:8000", dev=True), "127.0.0.1:9000", True, True, Identity("127.0.0.1:9000", dev=True)),
        (PUBLIC, None, False, True, PUBLIC),
        (PUBLIC, "chiffres.example", False, False, PUBLIC),
    ],
)
def test_what_settles(
    recorded: Identity | None, domain: str | None, dev: bool, serving: bool, expected: Identity
) -> None:
    assert settle(recorded, domain, dev, serving=serving) == expected


@pytest.mark.parametrize(
    ("recorded", "domain", "dev", "serving", "words"),
    [
        (None, None, False, True, "CHIFFRES_DOMAIN: not set"),
        (PUBLIC, "other.example", False, True, "ids cannot move to 'other.example'"),
        (PUBLIC, "other.example", False, False, "ids cannot move"),
        (PUBLIC, None, True, False, "CHIFFRES_DEV: this database belongs to the public instance"),
        (PUBLIC, "chiffres.example", True, True, "CHIFFRES_DEV"),
        (TRIAL, "chiffres.example", False, True, "development trial http://localhost:8000"),
        (TRIAL, None, False, True, "new data directory"),
        (TRIAL, "localhost:8001", True, False, "ids cannot move"),  # only a server moves a trial
        (TRIAL, "example.test:8000", True, True, "ids cannot move"),
        (Identity("trial.test", dev=True), "trial.test:8001", True, True, "ids cannot move"),
    ],
)
def test_what_is_refused(recorded: Identity | None, domain: str | None, dev: bool, serving: bool, words: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settle(recorded, domain, dev, serving=serving)
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)


async def _recorded(database_url: str) -> dict[str, str]:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    try:
        rows = await pool.fetch("SELECT key, value FROM instance_settings WHERE key IN ('domain', 'dev')")
    finally:
        await pool.close()
    return {row["key"]: row["value"] for row in rows}


async def _base(settings: Settings, *, serving: bool) -> str:
    prepared = await server.prepare(settings, serving=serving, pool_size=2)
    await prepared.database.close()
    return prepared.instance.urls.base


async def test_a_refused_serve_changes_nothing(database_url: str, tmp_path: Path) -> None:
    """A public `serve` on a trial's database used to record production mode before refusing, and every later
    command then minted https ids for the http trial."""
    trial = Settings(domain="localhost:8123", database_url=database_url, data_dir=tmp_path, dev=True)
    assert await _base(trial, serving=True) == "http://localhost:8123"
    before = await _recorded(database_url)

    public = Settings(domain="chiffres.example", database_url=database_url, data_dir=tmp_path, dev=False)
    with pytest.raises(ConfigError, match="development trial"):
        await _base(public, serving=True)

    assert await _recorded(database_url) == before == {"domain": "localhost:8123", "dev": "1"}
    command = Settings(database_url=database_url, data_dir=tmp_path, dev=False)
    assert await _base(command, serving=False) == "http://localhost:8123"


async def test_a_trial_follows_its_server_to_another_port_but_a_command_does_not_move_it(
    database_url: str, tmp_path: Path
) -> None:
    def trial(domain: str) -> Settings:
        return Settings(domain=domain, database_url=database_url, data_dir=tmp_path, dev=True)

    assert await _base(trial("localhost:8123"), serving=True) == "http://localhost:8123"
    assert await _base(trial("localhost:8124"), serving=True) == "http://localhost:8124"
    with pytest.raises(ConfigError, match="ids cannot move"):
        await _base(trial("localhost:8125"), serving=False)
    assert (await _recorded(database_url))["domain"] == "localhost:8124"


async def test_a_public_instance_never_moves_nor_turns_to_development(database_url: str, tmp_path: Path) -> None:
    public = Settings(domain="chiffres.example", database_url=database_url, data_dir=tmp_path, dev=False)
    assert await _base(public, serving=True) == "https://chiffres.example"
    for refused in (
        Settings(domain="other.example", database_url=database_url, data_dir=tmp_path, dev=False),
        Settings(domain="localhost:8000", database_url=database_url, data_dir=tmp_path, dev=True),
        Settings(database_url=database_url, data_dir=tmp_path, dev=True),
    ):
        for serving in (True, False):
            with pytest.raises(ConfigError):
                await _base(refused, serving=serving)
    assert await _recorded(database_url) == {"domain": "chiffres.example", "dev": "0"}


async def test_a_trial_recorded_as_production_by_an_earlier_version_is_read_as_a_trial(
    database_url: str, tmp_path: Path
) -> None:
    """A port is only allowed in development, so a recorded domain with a port is a trial whatever its mode says:
    databases broken by the refused `serve` of earlier versions work again."""
    trial = Settings(domain="localhost:8123", database_url=database_url, data_dir=tmp_path, dev=True)
    await _base(trial, serving=True)
    pool = await create_pool(database_url, min_size=1, max_size=1)
    await pool.execute("UPDATE instance_settings SET value = '0' WHERE key = 'dev'")
    await pool.close()
    assert await _base(Settings(database_url=database_url, data_dir=tmp_path), serving=False) == "http://localhost:8123"
    assert await _base(trial, serving=True) == "http://localhost:8123"
    assert await _recorded(database_url) == {"domain": "localhost:8123", "dev": "1"}


def test_the_command_line_refuses_another_domain_in_one_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CHIFFRES_CONFIG", "CHIFFRES_DEV", "CHIFFRES_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHIFFRES_DATABASE_URL", database_url)
    monkeypatch.setenv("CHIFFRES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHIFFRES_DOMAIN", "chiffres.example")
    assert main(["actor", "create", "loyers", "--group"]) == 0
    assert capsys.readouterr().out.strip() == "https://chiffres.example/actors/loyers"

    monkeypatch.setenv("CHIFFRES_DOMAIN", "other.example")
    assert main(["actor", "create", "salaires", "--group"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("chiffres: CHIFFRES_DOMAIN: this database was created for 'chiffres.example'")
    assert captured.err.count("\n") == 1

    monkeypatch.delenv("CHIFFRES_DOMAIN")
    monkeypatch.setenv("CHIFFRES_DEV", "1")
    assert main(["actor", "list"]) == 1
    assert capsys.readouterr().err.startswith("chiffres: CHIFFRES_DEV: this database belongs to the public instance")
