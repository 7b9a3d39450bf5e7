"""Instances as separate ``chiffres serve`` processes on loopback ports, as an admin would run them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


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

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "chiffres.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.directory,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"chiffres {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def stop(self, timeout: float = 30) -> int | None:
        return terminate(self.process, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
