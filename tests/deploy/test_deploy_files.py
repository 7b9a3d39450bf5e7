"""The production files say what docs/production.md promises; read as files (no Docker daemon runs the tests).

A first ``docker compose up`` must not lose the race with its database, a change of code must not reinstall every
dependency, no password may sit in a committed file, and the proxies must keep ``Host`` and redirect port 80.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_starts_on_a_healthy_database_restarts_and_keeps_secrets_out() -> None:
    services = _compose()["services"]
    assert set(services) == {"db", "web", "worker", "caddy"}
    assert "healthcheck" in services["db"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy", name
        assert services[name]["env_file"] == ".env"
        assert services[name]["deploy"]["replicas"] == 2
    assert services["caddy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert all(service["restart"] == "unless-stopped" for service in services.values())
    text = (DEPLOY / "compose.yaml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert not re.search(r"POSTGRES_PASSWORD:\s*\w", text), "a password written in the file"
    assert ".env" in (DEPLOY.parent / ".gitignore").read_text()


def test_the_image_installs_dependencies_before_the_code_runs_unprivileged_and_says_when_it_is_ready() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text().splitlines()]
    first_code = next(i for i, line in enumerate(lines) if line.startswith("COPY chiffres"))
    install = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    assert lines.index("COPY pyproject.toml ./") < install < first_code
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert any("/readyz" in line for line in lines)
    user = next(i for i, line in enumerate(lines) if line.startswith("USER "))
    assert lines[user] == "USER chiffres"
    assert user > first_code


def test_nginx_redirects_port_80_keeps_host_and_uses_the_current_http2_syntax() -> None:
    text = (DEPLOY / "nginx.conf").read_text()
    assert "listen 80;" in text
    assert "return 301 https://$host$request_uri;" in text
    assert "http2 on;" in text
    assert not re.search(r"listen\s+443\s+ssl\s+http2", text)
    assert "proxy_set_header Host $host;" in text
    assert "X-Forwarded-Proto" in text


def test_the_systemd_units_run_web_and_worker_hardened_from_their_venv() -> None:
    commands = {}
    for unit in ("chiffres-web.service", "chiffres-worker.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(DEPLOY / unit)
        service = parser["Service"]
        commands[unit] = service["ExecStart"]
        assert service["User"] == "chiffres"
        assert service["NoNewPrivileges"] == "yes"
        assert service["ProtectSystem"] == "strict"
        assert service["Restart"] == "on-failure"
        assert service["ExecStart"].startswith("/srv/chiffres/.venv/bin/chiffres ")
    assert commands["chiffres-web.service"].endswith("--no-worker")
    assert commands["chiffres-worker.service"].endswith("chiffres worker")
