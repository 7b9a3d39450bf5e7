"""Instances as separate ``chiffres serve`` processes on loopback ports, as an admin would run them."""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from fedi.database import connect

_ROOT = str(Path(__file__).resolve().parents[2])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[bytes] | None, timeout: float) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``: a server that will not stop must not outlive the test."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class InstanceProcess:
    """One running instance: its process, its environment and its command line."""

    def __init__(
        self,
        directory: Path,
        *,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.domain = f"localhost:{self.port}"
        self.base = f"http://{self.domain}"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("CHIFFRES_")}
        self.env.update({"CHIFFRES_DEV": "1", "CHIFFRES_DATA_DIR": str(directory / "data")})
        if database_url:
            self.env["CHIFFRES_DATABASE_URL"] = database_url
        self.env.update(extra_env or {})
        self.log_path = directory / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._commands: subprocess.Popen[bytes] | None = None
        self._commands_lock = threading.Lock()

    def start(self) -> InstanceProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chiffres.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.directory,
        )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"instance on {self.port} exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"instance on {self.port} not ready after {timeout} s:\n{self.log()}")

    def cli(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``chiffres ARGS`` in a process of its own, forked from a server that has the application imported."""
        with self._commands_lock:
            code, stdout, stderr = self._command(list(args), timeout)
        result = subprocess.CompletedProcess(["chiffres", *args], code, stdout, stderr)
        if check and result.returncode != 0:
            raise AssertionError(f"chiffres {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def _command(self, args: list[str], timeout: float) -> tuple[int, str, str]:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._commands is None or self._commands.poll() is not None:
            self._commands = subprocess.Popen(
                [sys.executable, "-m", "tests.support.cli_server"],
                env={**self.env, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, self.env.get("PYTHONPATH")]))},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=self.directory,
                start_new_session=True,
            )
        server = self._commands
        assert server.stdin is not None
        assert server.stdout is not None
        server.stdin.write(json.dumps(args).encode() + b"\n")
        server.stdin.flush()
        ready, _, _ = select.select([server.stdout], [], [], timeout)
        line = server.stdout.readline() if ready else b""
        if not line:
            self._stop_commands()
            raise subprocess.TimeoutExpired(["chiffres", *args], timeout)
        answer = json.loads(line)
        return int(answer["code"]), str(answer["stdout"]), str(answer["stderr"])

    def _stop_commands(self) -> None:
        if self._commands is not None and self._commands.poll() is None:
            os.killpg(self._commands.pid, signal.SIGKILL)
            self._commands.wait()
        self._commands = None

    def stop(self, timeout: float = 30) -> int | None:
        self._stop_commands()
        return terminate(self.process, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        """What the instance's database answers, read as an admin would with psql."""
        return asyncio.run(_query(self.env["CHIFFRES_DATABASE_URL"], sql))

    def diagnosis(self) -> str:
        """What a wait that timed out needs to say: the work not done yet and what the database is waiting on."""
        queries = {
            "inbox rows not processed": "SELECT id, type, actor, attempts, claimed_until, parked_at, outcome"
            " FROM inbox_activities WHERE processed_at IS NULL ORDER BY id LIMIT 20",
            "jobs": "SELECT entrypoint, status, count(*), min(created) FROM pgqueuer GROUP BY 1, 2",
            "database sessions": "SELECT pid, application_name, state, wait_event_type, wait_event,"
            " round(extract(epoch FROM now() - xact_start)::numeric, 1), left(query, 160) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
            "locks not granted": "SELECT pid, locktype, mode, relation::regclass::text FROM pg_locks WHERE NOT granted",
        }
        lines = [f"{self.base}:"]
        for title, sql in queries.items():
            try:
                found = self.rows(sql)
            except Exception as error:  # the diagnosis of a failure must not fail
                found = [(f"cannot read: {error}",)]
            lines.append(f"  {title}: {len(found)}")
            lines.extend(f"    {row}" for row in found)
        lines.append("  log tail:")
        lines.extend(f"    {line[:300]}" for line in self.log().splitlines()[-15:])
        return "\n".join(lines)


async def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    connection = await connect(url)
    try:
        return [tuple(row.values()) for row in await connection.fetch(sql)]
    finally:
        await connection.close()
