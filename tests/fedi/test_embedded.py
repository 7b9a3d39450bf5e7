"""The embedded server killed with ``kill -9`` is started again on the same data directory, with its data."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from fedi.database import connect
from fedi.embedded import EmbeddedPostgres, EmbeddedUnavailable, postmaster_state
from tests.support.waiting import eventually


async def _run(url: str, query: str) -> object:
    connection = await connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def _revived(embedded: EmbeddedPostgres) -> bool:
    try:
        return embedded.revive()
    except EmbeddedUnavailable:  # the dead postmaster is not reaped yet
        return False


def _postmaster(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def test_a_killed_embedded_server_is_started_again_with_its_data(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path)
    url = embedded.start()
    try:
        assert not embedded.revive(), "a running server is left alone"
        asyncio.run(_run(url, "CREATE TABLE kept AS SELECT 42 AS n"))
        killed = _postmaster(embedded.pgdata)
        os.kill(killed, signal.SIGKILL)
        eventually(lambda: postmaster_state(embedded.pgdata) != "running", timeout=10, what="the postmaster to die")

        eventually(lambda: _revived(embedded), timeout=30, what="the server to start again")
        assert postmaster_state(embedded.pgdata) == "running"
        assert _postmaster(embedded.pgdata) != killed
        assert not embedded.revive(), "started once, not twice"
        assert asyncio.run(_run(url, "SELECT n FROM kept")) == 42
    finally:
        embedded.stop()
    assert postmaster_state(embedded.pgdata) != "running", "the last holder stops the restarted server"


def test_a_server_that_died_does_not_break_shutdown(tmp_path: Path) -> None:
    embedded = EmbeddedPostgres(tmp_path)
    embedded.start()
    os.kill(_postmaster(embedded.pgdata), signal.SIGKILL)
    embedded.stop()
