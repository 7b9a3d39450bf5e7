"""The database going away under a running ``chiffres serve``: the instance recovers by itself, or exits.

A remote server sends signed Likes to a ``chiffres serve`` process on its embedded database as fast as a few
senders can; part-way through, the postmaster is killed. The server must answer 503 (never 500) while the
database is away, serve again within 30 s without anyone restarting anything, and process every activity it
answered 202 for: that answer is a promise the activity is stored.

A database that does not come back (here an external one behind a proxy that is cut) must not leave a process
that looks alive: past its deadline the server exits non-zero, for systemd or Docker to start it again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.process import InstanceProcess
from tests.support.proxy import DatabaseProxy
from tests.support.remote_server import AS2, RemoteActor, RemoteServer, encode
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
BEFORE_KILL = 60
AFTER_RECOVERY = 60
SENDERS = 6


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    running = RemoteServer().start()
    yield running
    running.stop()


@dataclass(frozen=True)
class Answer:
    status: int
    at: float
    retry_after: str | None


class Burst:
    """Signed Likes sent by several threads; every answer is kept by activity id."""

    def __init__(self, instance: InstanceProcess, sender: RemoteActor, note: str) -> None:
        self._instance = instance
        self._sender = sender
        self._note = note
        self._lock = threading.Lock()
        self._next = 0
        self.answers: dict[str, Answer] = {}

    def send(self, count: int) -> None:
        with ThreadPoolExecutor(SENDERS) as pool, httpx.Client(timeout=30) as client:
            list(pool.map(lambda _: self._one(client), range(count)))

    def accepted_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for answer in self.answers.values() if answer.status == 202 and answer.at > moment)

    def statuses(self) -> set[int]:
        with self._lock:
            return {answer.status for answer in self.answers.values()}

    def accepted(self) -> list[str]:
        with self._lock:
            return [activity for activity, answer in self.answers.items() if answer.status == 202]

    def _one(self, client: httpx.Client) -> None:
        with self._lock:
            self._next += 1
            number = self._next
        like = {
            "@context": AS2,
            "id": f"{self._sender.id}/likes/{number}",
            "type": "Like",
            "actor": self._sender.id,
            "object": self._note,
        }
        body = encode(like)
        url = f"{self._instance.base}/inbox"
        response = client.post(url, content=body, headers=self._sender.sign(url, body))
        answer = Answer(response.status_code, time.monotonic(), response.headers.get("retry-after"))
        with self._lock:
            self.answers[like["id"]] = answer


def _postmaster(pgdata: Path) -> tuple[int, str]:
    """The postmaster's pid and the URL of the instance's database, from the server's own lock file."""
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return int(lines[0]), f"postgresql://postgres@/chiffres?host={lines[4]}"


async def _unprocessed(url: str, ids: list[str]) -> list[str]:
    connection = await connect(url)
    try:
        rows = await connection.fetch(
            "SELECT a.id FROM unnest($1::text[]) AS a(id) LEFT JOIN inbox_activities i ON i.activity_id = a.id"
            " WHERE i.processed_at IS NULL",
            ids,
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows]


def _ready(instance: InstanceProcess) -> bool:
    try:
        return httpx.get(f"{instance.base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_9_of_the_embedded_postgres_during_an_inbox_burst(
    remote: RemoteServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    instance = InstanceProcess(tmp_path_factory.mktemp("outage")).start()
    try:
        instance.wait_ready()
        instance.cli("actor", "create", "loyers", "--group", "--visibility", "public")
        note = instance.cli("note", "--as", "loyers", "Loyer médian : 812 €/mois").stdout.strip()
        burst = Burst(instance, remote.actor("bursty"), note)
        burst.send(BEFORE_KILL)
        assert burst.statuses() == {202}, burst.statuses()

        pid, url = _postmaster(instance.directory / "data" / "pg")
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        while burst.accepted_since(killed_at) < AFTER_RECOVERY:
            assert time.monotonic() - killed_at < 30, f"not serving 30 s after the kill:\n{instance.log()[-3000:]}"
            burst.send(SENDERS * 4)
            time.sleep(0.1)  # a sender that got 503 does not hammer; the restart needs the CPU too
        assert _ready(instance)
        assert instance.process is not None
        assert instance.process.poll() is None, "the server restarted instead of recovering"

        assert burst.statuses() <= {202, 503}, burst.statuses()
        assert all(int(answer.retry_after or 0) > 0 for answer in burst.answers.values() if answer.status == 503)
        accepted = burst.accepted()
        _, url = _postmaster(instance.directory / "data" / "pg")
        eventually(
            lambda: not asyncio.run(_unprocessed(url, accepted)), timeout=60, what="every accepted activity processed"
        )
    finally:
        instance.stop()


def test_past_its_deadline_without_a_database_the_server_exits_non_zero(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name = asyncio.run(cluster.create_database())
    proxy = DatabaseProxy(cluster.admin_url).start()
    instance = InstanceProcess(
        tmp_path_factory.mktemp("deadline"),
        database_url=proxy.url(name),
        extra_env={"CHIFFRES_DATABASE_DEADLINE": "2"},
    ).start()
    try:
        instance.wait_ready()
        proxy.cut()
        assert instance.process is not None
        code = instance.process.wait(45)
        assert code != 0
        assert "exiting to be restarted" in instance.log()
    finally:
        instance.stop()
        proxy.stop()
        asyncio.run(cluster.drop_database(name))
