"""The deployment files as their own tools read them: ``systemd-analyze verify`` on the units and ``docker compose
config`` on the compose file, where those tools are installed (each test says why it skips otherwise).

``systemd-analyze verify`` also checks that each ``ExecStart`` program exists and is executable on the machine
that runs it. The units name ``/srv/chiffres/.venv/bin/chiffres``, the venv docs/production.md has the admin
create, which no build machine has; so the units are verified as copies whose program is this test run's own
``chiffres`` (the same entry point, installed by the same ``pip install``), and the originals are checked to
draw no other complaint than that missing program.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("chiffres-web.service", "chiffres-worker.service")
PRODUCTION_PROGRAM = "/srv/chiffres/.venv/bin/chiffres"


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd)")
    return found


def _verify(analyze: str, units: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    program = Path(sys.executable).parent / "chiffres"
    assert program.is_file(), f"{program}: the venv running the tests has no chiffres entry point"
    copies = []
    for unit in UNITS:
        text = (DEPLOY / unit).read_text()
        assert text.count(f"ExecStart={PRODUCTION_PROGRAM} ") == 1, unit
        copy = tmp_path / unit
        copy.write_text(text.replace(f"ExecStart={PRODUCTION_PROGRAM} ", f"ExecStart={program} "))
        copies.append(copy)

    verified = _verify(analyze, copies)
    # verify exits 0 on unknown keys and unparsable values, which it only warns about: any output is a finding.
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")

    originals = _verify(analyze, [DEPLOY / unit for unit in UNITS])
    complaints = [line for line in (originals.stdout + originals.stderr).splitlines() if line.strip()]
    assert all(f"Command {PRODUCTION_PROGRAM} is not executable" in line for line in complaints), complaints


def test_verify_would_catch_a_mistyped_hardening_key(tmp_path: Path) -> None:
    """What the check above is worth: a typo in a hardening key silently drops the protection."""
    analyze = _systemd_analyze()
    program = Path(sys.executable).parent / "chiffres"
    text = (DEPLOY / UNITS[0]).read_text().replace(PRODUCTION_PROGRAM, str(program))
    broken = tmp_path / UNITS[0]
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystm=strict"))
    assert "Unknown key" in _verify(analyze, [broken]).stderr


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True, check=False, timeout=30).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.skip("no Docker Compose here (neither `docker compose` nor docker-compose; apt-get install docker-compose)")


def _env(values: dict[str, str]) -> str:
    """deploy/env.example with its blanks filled as an admin would."""
    lines = []
    for line in (DEPLOY / "env.example").read_text().splitlines():
        name, equals, _ = line.partition("=")
        if equals and not line.startswith("#") and name in values:
            line = f"{name}={values[name]}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _config(tmp_path: Path, env: str) -> subprocess.CompletedProcess[str]:
    """``config`` on a copy of deploy/ with its .env, so no file is written in the checkout."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".env"))
    (copy / ".env").write_text(env)
    command = [*_compose_command(), "-f", str(copy / "compose.yaml"), "--env-file", str(copy / ".env"), "config"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=copy)


def test_docker_compose_config_validates_the_compose_file_and_passes_the_settings(tmp_path: Path) -> None:
    secrets = {
        "POSTGRES_PASSWORD": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
        "CHIFFRES_SECRET_KEY": "f" * 64,
        "CHIFFRES_METRICS_TOKEN": "m" * 64,
    }
    result = _config(tmp_path, _env(secrets))
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"db", "web", "worker", "caddy"}
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert (
            environment["CHIFFRES_DATABASE_URL"] == f"postgresql://chiffres:{secrets['POSTGRES_PASSWORD']}@db/chiffres"
        )
        assert environment["CHIFFRES_METRICS_TOKEN"] == secrets["CHIFFRES_METRICS_TOKEN"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"] == secrets["POSTGRES_PASSWORD"]


def test_docker_compose_refuses_to_start_without_a_database_password(tmp_path: Path) -> None:
    result = _config(tmp_path, _env({"CHIFFRES_SECRET_KEY": "f" * 64}))
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_caddy_validates_the_caddyfile(tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed here (apt-get install caddy)")
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "CHIFFRES_DOMAIN": "chiffres.example", **home},
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
