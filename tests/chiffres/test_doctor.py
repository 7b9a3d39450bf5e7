"""``chiffres doctor``: a line per check, ok, warn or fail, and a non-zero exit on any fail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chiffres import doctor
from chiffres.cli import main
from fedi.config import Settings
from fedi.database import Database, Pool, create_pool
from fedi.queue import enqueue
from tests.support.cluster import Cluster
from tests.support.remote_server import closed_port

HERE = "192.0.2.10"  # this machine, as the tests make it look


def _opener(url: str) -> doctor.Opener:
    async def opened() -> Database:
        return Database(url, await create_pool(url, min_size=1, max_size=2))

    return opened


async def _resolve_here(host: str) -> set[str]:
    return {HERE}


async def _examine(
    url: str,
    settings: Settings,
    resolve: doctor.Resolver = _resolve_here,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, tuple[str, str]]:
    report = await doctor.examine(
        settings, _opener(url), resolve=resolve, local_addresses=lambda: {HERE, "127.0.0.1"}, clock=clock
    )
    return {check.name: (check.level, check.detail) for check in report.checks}


def _production(tmp_path: Path) -> Settings:
    return Settings(domain="chiffres.example.org", data_dir=tmp_path, dev=False)


async def test_a_healthy_instance_is_ok_on_every_line(database_url: str, tmp_path: Path) -> None:
    checks = await _examine(database_url, _production(tmp_path))
    assert list(checks) == ["configuration", "database", "migrations", "queue", "clock", "dns", "disk"]
    assert {name: level for name, (level, _) in checks.items()} == dict.fromkeys(checks, "ok"), checks
    assert checks["configuration"][1] == "production, https://chiffres.example.org"
    assert checks["database"][1].startswith("PostgreSQL ")
    assert checks["queue"][1] == "0 jobs due"


async def test_what_needs_an_eye_is_a_warning(database_url: str, pool: Pool, tmp_path: Path) -> None:
    async with pool.acquire() as connection:
        await enqueue(connection, "delivery", {"n": 1})
    await pool.execute("UPDATE pgqueuer SET execute_after = now() - interval '1 hour'")

    async def elsewhere(host: str) -> set[str]:
        return {"203.0.113.7"}

    checks = await _examine(
        database_url,
        _production(tmp_path),
        resolve=elsewhere,
        clock=lambda: datetime.now(UTC) + timedelta(seconds=30),
    )
    assert checks["queue"][0] == "warn"
    assert checks["queue"][1].startswith("1 jobs due, the oldest for 36")
    assert checks["clock"][0] == "warn"
    assert "NTP" in checks["clock"][1]
    assert checks["dns"] == (
        "warn",
        "chiffres.example.org → 203.0.113.7, not this machine (right only behind a proxy or balancer)",
    )


async def test_what_cannot_work_fails(cluster: Cluster, tmp_path: Path) -> None:
    name = await cluster.create_database(empty=True)
    try:

        async def nowhere(host: str) -> set[str]:
            raise OSError(-2, "Name or service not known")

        checks = await _examine(cluster.url(name), Settings(domain="localhost", data_dir=tmp_path), resolve=nowhere)
    finally:
        await cluster.drop_database(name)
    assert checks["configuration"] == ("fail", "localhost is not a public domain; peers cannot reach it")
    assert checks["migrations"][0] == "fail"
    assert "chiffres db migrate" in checks["migrations"][1]
    assert checks["queue"][0] == "fail"
    assert checks["dns"] == ("fail", "localhost does not resolve: Name or service not known")
    assert doctor.is_private_name("10.0.0.4")
    assert doctor.is_private_name("chiffres.local")
    assert not doctor.is_private_name("chiffres.example.org")


def test_an_unreachable_database_is_a_fail_line_and_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CHIFFRES_CONFIG", "CHIFFRES_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHIFFRES_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{closed_port()}/chiffres")
    monkeypatch.setenv("CHIFFRES_DEV", "1")
    monkeypatch.setenv("CHIFFRES_DOMAIN", "localhost:8000")
    monkeypatch.setenv("CHIFFRES_DATA_DIR", str(tmp_path))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    header, *lines = out.splitlines()
    assert header == "level\tcheck\tdetail"
    levels = {line.split("\t")[1]: line.split("\t")[0] for line in lines}
    assert levels == {"configuration": "warn", "database": "fail", "dns": "ok", "disk": "ok"}, out
    assert "database unreachable" in out

    assert main(["doctor", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {"name": "configuration", "level": "warn", "detail": report["checks"][0]["detail"]} in report["checks"]


async def test_a_resolver_that_hangs_is_given_up_on(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "DNS_TIMEOUT", 0.2)

    async def hanging(host: str) -> set[str]:
        await asyncio.sleep(60)
        return set()

    checks = await _examine(database_url, _production(tmp_path), resolve=hanging)
    assert checks["dns"] == ("fail", "chiffres.example.org does not resolve: no answer within 0.2 s")
    assert await doctor.resolve_host("localhost") & {"127.0.0.1", "::1"}
