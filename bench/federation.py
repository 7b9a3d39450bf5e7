"""Federation throughput: signed inbox ingest against a bare endpoint, and one note fanned out to 1,000 followers.

Run from the repository root: ``python -m bench.federation`` (``make bench`` runs it with the others).

Ingest: ``chiffres serve --no-worker`` on a throwaway embedded PostgreSQL takes signed draft-cavage POSTs of
distinct ``Like`` activities on its shared inbox — verify, store, queue, 202 — and a bare Starlette endpoint
answering 202 runs on the same uvicorn configuration, in a process of its own, driven by the same load. The
ratio is what holds across machines. The requests are signed before the clock starts; the remote actor whose
key verifies them is served from loopback and fetched once. The load generator is a keep-alive HTTP/1.1 client
of a few lines over asyncio streams: httpx costs more per request than the bare endpoint, and would measure
itself.

Delivery: a group with 1,000 accepted followers on 100 loopback hosts (``127.0.0.1`` to ``127.0.0.100``, ten
followers each) publishes one followers-only note; a :class:`fedi.queue.Worker` with the instance's job
handlers fans it out and delivers it. Hosts 1–10 advertise a shared inbox, so they get one delivery each;
hosts 11–100 do not (as bovine), so they get one per follower: 910 deliveries. The peers count what arrives.

The helper servers run as ``python -m bench.federation bare PORT`` and ``… peers PORT PEM_FILE``: they live
here, with the load generator, so that one module is one benchmark, which is why it runs past our usual 400 lines.
Nothing here asserts a timing; the checks are that every request was answered 202 and stored, and that every
delivery arrived exactly once.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors import notes, store
from actors.actor import Actor
from chiffres import server
from chiffres.app import federation, job_handlers
from chiffres.reads import BufferedH11
from fedi.config import Settings
from fedi.database import connect, ensure_database
from fedi.embedded import EmbeddedPostgres, database_url
from fedi.fetch import USER_AGENT, Signer
from fedi.migrator import migrate
from fedi.queue import CONCURRENCY, Worker
from fedi.signatures import sign_cavage

DURATION = 10.0  # seconds measured on each side, in ROUNDS slices
WARMUP = 2.0
ROUNDS = 5  # slices per side, alternating
CONNECTIONS = 32
HOSTS = 100  # peer hosts at 1,000 followers
MAX_HOSTS = 1000  # at 10,000 followers
FOLLOWERS_PER_HOST = 10
DELIVERY_ROUNDS = 3  # turns per side, alternating
PATIENCE = 90.0  # seconds before a delivery that has not arrived counts as lost
AS_JSON = "application/activity+json"


# ---------------------------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Helper:
    """A server this bench starts as a process of its own, so it has a core to itself as in production."""

    def __init__(self, args: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.args = list(args)
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, *args], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=Path.cwd()
            )

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{' '.join(self.args)} exited:\n{self.log.read_text(errors='replace')}")
            with suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{url} not ready after {timeout} s:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def cpu_seconds(pid: int, *, tree: bool = False) -> float:
    """User + system CPU of a process, with its descendants when ``tree``: PostgreSQL runs one backend per
    connection, while this process is also the parent of the servers it measures."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)] if tree else [root]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


@dataclass
class CpuMeter:
    """CPU used by each process over a window: it tells which side of the loop is saturated."""

    pids: dict[str, int]
    postgres: int
    started: dict[str, float] = field(default_factory=dict)
    since: float = 0.0

    def _now(self) -> dict[str, float]:
        used = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return used | {"postgres": cpu_seconds(self.postgres, tree=True)}

    def start(self) -> None:
        self.since = time.perf_counter()
        self.started = self._now()

    def used(self) -> dict[str, float]:
        """CPU seconds by process since :meth:`start`."""
        return {name: used - self.started[name] for name, used in self._now().items()}

    def shares(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self.since
        return {name: used / elapsed for name, used in self.used().items()}


def shown(shares: dict[str, float]) -> str:
    return ", ".join(f"{name} {share:.0%}" for name, share in shares.items())


# ---------------------------------------------------------------------------------------------------- helper servers


def uvicorn_server(app: Starlette, port: int) -> uvicorn.Server:
    """The configuration ``chiffres serve`` uses, and like it on the standard event loop (``asyncio.run``)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        server_header=False,
        http=BufferedH11,
    )
    return uvicorn.Server(config)


def bare_app() -> Starlette:
    async def accept(request: Request) -> Response:
        await request.body()
        return JSONResponse({"status": "accepted"}, status_code=202)

    async def ready(request: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route("/inbox", accept, methods=["POST"]), Route("/healthz", ready)])


def actor_document(base: str, public_pem: str) -> dict[str, object]:
    actor = f"{base}/users/bench"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "bench",
        "inbox": f"{actor}/inbox",
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem},
    }


def peers_app(port: int, public_pem: str) -> Starlette:
    """Every remote host at once: the actor who signs the ingest load, and inboxes that count deliveries."""
    received: Counter[str] = Counter()
    times: list[float] = []

    async def actor(request: Request) -> Response:
        document = actor_document(f"http://127.0.0.1:{port}", public_pem)
        return JSONResponse(document, media_type=AS_JSON)

    async def deliver(request: Request) -> Response:
        await request.body()
        received[f"http://{request.headers.get('host')}{request.url.path}"] += 1
        times.append(time.time())
        return JSONResponse({"status": "accepted"}, status_code=202)

    async def report(request: Request) -> Response:
        return JSONResponse({"received": received, "first": min(times, default=None), "last": max(times, default=None)})

    async def total(request: Request) -> Response:
        return JSONResponse({"total": len(times), "last": times[-1] if times else None})

    routes = [
        Route("/users/bench", actor),
        Route("/received", report),
        Route("/total", total),
        Route("/{path:path}", deliver, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def loopback_sockets(port: int) -> list[socket.socket]:
    sockets = []
    for host in range(1, MAX_HOSTS + 1):
        bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((address(host), port))
        sockets.append(bound)
    return sockets


def run_helper(argv: Sequence[str]) -> int:
    role, port = argv[0], int(argv[1])
    if role == "bare":
        asyncio.run(uvicorn_server(bare_app(), port).serve())
        return 0
    if role == "peers":
        app = peers_app(port, Path(argv[2]).read_text())
        asyncio.run(uvicorn_server(app, port).serve(sockets=loopback_sockets(port)))
        return 0
    print(f"unknown role {role!r}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------------------------- load


@dataclass
class Load:
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    cpu: Counter[str] = field(default_factory=Counter)  # CPU seconds by process

    @property
    def rate(self) -> float:
        return self.statuses.total() / self.seconds

    def add(self, other: Load) -> None:
        self.statuses.update(other.statuses)
        self.seconds += other.seconds
        self.cpu.update(other.cpu)

    def cpu_shares(self) -> dict[str, float]:
        return {name: used / self.seconds for name, used in self.cpu.items()}


def signed_likes(key: rsa.RSAPrivateKey, actor: str, inbox: str, start: int, count: int, now: datetime) -> list[bytes]:
    """Raw HTTP/1.1 requests, each a distinct Like signed as Mastodon signs."""
    key_id = f"{actor}#main-key"
    path = "/" + inbox.split("/", 3)[3]
    requests = []
    for number in range(start, start + count):
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/likes/{number}",
            "type": "Like",
            "actor": actor,
            "object": f"{inbox.rsplit('/', 1)[0]}/objects/{number}",
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = sign_cavage("POST", inbox, key_id=key_id, private_key=key, now=now, body=body)
        headers["Content-Length"] = str(len(body))
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode("latin-1") + body)
    return requests


class SignedLikes:
    """Distinct signed Likes, made in batches between measurements so the client's signing is never timed."""

    def __init__(self, key: rsa.RSAPrivateKey, actor: str, inbox: str) -> None:
        self._sign = functools.partial(signed_likes, key, actor, inbox)
        self._ready: deque[bytes] = deque()
        self._made = 0
        self._now = datetime.now(UTC)  # the signature date may be up to an hour old

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if not self._ready:
            raise StopIteration
        return self._ready.popleft()

    def repeating(self, count: int) -> Iterator[bytes]:
        """The same requests over and over, for an endpoint that keeps nothing."""
        batch = self._sign(-count, count, self._now)
        return itertools.cycle(batch)

    def top_up(self, count: int) -> None:
        missing = count - len(self._ready)
        if missing > 0:
            self._ready.extend(self._sign(self._made, missing, self._now))
            self._made += missing


async def one_connection(port: int, source: Iterator[bytes], deadline: float, statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline and (request := next(source, None)) is not None:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            statuses[int(head[9:12])] += 1
    finally:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()


async def drive(
    port: int, source: Iterator[bytes], seconds: float, meter: CpuMeter | None = None, connections: int = CONNECTIONS
) -> Load:
    """Closed-loop load: each connection sends its next request when the previous answer is in; it stops when the
    time is up or the requests run out."""
    load = Load()
    if meter is not None:
        meter.start()
    started = time.perf_counter()
    await asyncio.gather(*(one_connection(port, source, started + seconds, load.statuses) for _ in range(connections)))
    load.seconds = time.perf_counter() - started
    if meter is not None:
        load.cpu.update(meter.used())
    return load


# ---------------------------------------------------------------------------------------------------- ingest


@dataclass
class Ingest:
    bare: Load
    signed: Load
    accepted: int  # 202 answers of the instance, warm-up included
    stored: int


async def alternate(
    instance: Helper, port: int, bare: Helper, bare_port: int, likes: SignedLikes, pg_pid: int
) -> Ingest:
    """Slices of bare and signed load in turn, so a change in what else the machine runs weighs on both sides."""
    bare_source = likes.repeating(2000)
    likes.top_up(1)
    everything = await drive(port, likes, 30, connections=1)  # the one key fetch
    await drive(bare_port, bare_source, WARMUP)
    likes.top_up(5000)
    warm = await drive(port, likes, WARMUP)
    everything.add(warm)
    bare_meter = CpuMeter({"server": bare.process.pid, "client": os.getpid()}, pg_pid)
    meter = CpuMeter({"server": instance.process.pid, "client": os.getpid()}, pg_pid)
    result = Ingest(Load(), Load(), 0, 0)
    for _ in range(ROUNDS):
        result.bare.add(await drive(bare_port, bare_source, DURATION / ROUNDS, bare_meter))
        likes.top_up(int(warm.rate * DURATION / ROUNDS * 2) + 500)
        warm = await drive(port, likes, DURATION / ROUNDS, meter)
        result.signed.add(warm)
    everything.add(result.signed)
    result.accepted = everything.statuses[202]
    return result


async def ingest(workdir: Path, url: str, peers_port: int, key: rsa.RSAPrivateKey, pg_pid: int) -> Ingest:
    port, bare_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHIFFRES_")}
    env |= {"CHIFFRES_DEV": "1", "CHIFFRES_DATABASE_URL": url, "CHIFFRES_DATA_DIR": str(workdir / "data")}
    instance = Helper(["-m", "chiffres.cli", "serve", "--port", str(port), "--no-worker"], workdir / "serve.log", env)
    bare = Helper(["-m", "bench.federation", "bare", str(bare_port)], workdir / "bare.log")
    try:
        instance.wait_ready(f"http://127.0.0.1:{port}/healthz")
        bare.wait_ready(f"http://127.0.0.1:{bare_port}/healthz")
        likes = SignedLikes(key, f"http://127.0.0.1:{peers_port}/users/bench", f"http://localhost:{port}/inbox")
        result = await alternate(instance, port, bare, bare_port, likes, pg_pid)
    finally:
        instance.stop()
        bare.stop()
    connection = await connect(url)
    try:
        result.stored = int(await connection.fetchval("SELECT count(*) FROM inbox_activities"))
    finally:
        await connection.close()
    return result


def report_ingest(result: Ingest) -> None:
    ratio = result.signed.rate / result.bare.rate
    errors = {status: n for status, n in result.signed.statuses.items() if status != 202}
    print("signed inbox ingest: draft-cavage RSA-2048 Likes to /inbox, --no-worker (verify, store, 202);")
    print(f"  {CONNECTIONS} keep-alive connections; {ROUNDS} alternating slices, {DURATION:.0f} s per side")
    print(f"  bare Starlette 202 : {result.bare.rate:8.0f} requests/s   CPU: {shown(result.bare.cpu_shares())}")
    print(f"  signed ingest      : {result.signed.rate:8.0f} requests/s   CPU: {shown(result.signed.cpu_shares())}")
    print(f"  ratio              : {ratio:8.3f}   (target >= 0.5)")
    print(f"  accepted / stored  : {result.accepted} / {result.stored}; answers other than 202: {errors or 'none'}")


# ---------------------------------------------------------------------------------------------------- delivery


def address(host: int) -> str:
    """The loopback address of peer host ``host`` (from 1): ``127.0.0.1`` … ``127.0.0.250``, then ``127.0.1.1`` …"""
    return f"127.0.{(host - 1) // 250}.{(host - 1) % 250 + 1}"


@dataclass(frozen=True)
class Scale:
    """Followers of the group: ``per_host`` on each of ``hosts`` loopback hosts, the first tenth of the hosts with
    a shared inbox."""

    hosts: int
    per_host: int = FOLLOWERS_PER_HOST

    @property
    def shared_hosts(self) -> int:
        return self.hosts // 10

    @property
    def followers(self) -> int:
        return self.hosts * self.per_host


SCALES = (Scale(HOSTS), Scale(MAX_HOSTS))  # 1,000 followers on 100 hosts, 10,000 on 1,000


def followers(peers_port: int, scale: Scale) -> list[tuple[str, str, str | None]]:
    """(follower, inbox, shared inbox) for every follower on every loopback host."""
    found = []
    for host in range(1, scale.hosts + 1):
        base = f"http://{address(host)}:{peers_port}"
        shared = f"{base}/inbox" if host <= scale.shared_hosts else None
        for number in range(scale.per_host):
            found.append((f"{base}/users/u{number}", f"{base}/users/u{number}/inbox", shared))
    return found


async def seed_group(url: str, peers_port: int, scale: Scale) -> tuple[server.Prepared, Actor, list[str]]:
    """A group and its accepted follows, written as the inbox would after approval; returns the expected inboxes."""
    settings = Settings(domain=server.DEV_DOMAIN, database_url=url, dev=True)
    prepared = await server.prepare(settings, serving=False)
    pool, urls = prepared.instance.pool, prepared.instance.urls
    await store.instance_actor(pool)
    group = await store.create(pool, "releves", "group")
    rows = followers(peers_port, scale)
    await pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox, follower_shared_inbox)"
        " SELECT f || '#follow', f, $1, 'accepted', i, s FROM unnest($2::text[], $3::text[], $4::text[]) AS t(f, i, s)",
        urls.actor(group.name),
        [row[0] for row in rows],
        [row[1] for row in rows],
        [row[2] for row in rows],
    )
    return prepared, group, list(dict.fromkeys(shared or inbox for _, inbox, shared in rows))


@dataclass
class Turn:
    """One side's delivery of one document to every inbox: how long, and what each inbox received."""

    seconds: float
    received: Counter[str]  # deliveries by inbox URL during this turn
    states: dict[str, int] = field(default_factory=dict)  # our side: the deliveries' recorded states


@dataclass
class Side:
    turns: list[Turn] = field(default_factory=list)
    cpu: Counter[str] = field(default_factory=Counter)  # CPU seconds by process

    @property
    def seconds(self) -> float:
        return sum(turn.seconds for turn in self.turns)

    def rate(self, expected: int) -> float:
        return expected * len(self.turns) / self.seconds

    def faults(self, expected: list[str]) -> tuple[int, int, int]:
        """Deliveries lost, duplicated, and sent where none was expected, over every turn."""
        wanted = set(expected)
        lost = sum(1 for turn in self.turns for inbox in expected if turn.received[inbox] == 0)
        doubled = sum(count - 1 for turn in self.turns for count in turn.received.values() if count > 1)
        stray = sum(count for turn in self.turns for inbox, count in turn.received.items() if inbox not in wanted)
        return lost, doubled, stray


@dataclass
class Delivery:
    scale: Scale
    expected: list[str]
    ours: Side
    plain: Side
    concurrency: int


class Peers:
    """What the peers process counted, read over HTTP."""

    def __init__(self, client: httpx.AsyncClient, port: int) -> None:
        self._client = client
        self._port = port

    async def received(self) -> Counter[str]:
        answer = (await self._client.get(f"http://127.0.0.1:{self._port}/received")).json()
        return Counter({str(inbox): int(count) for inbox, count in answer["received"].items()})

    async def total(self) -> tuple[int, float]:
        answer = (await self._client.get(f"http://127.0.0.1:{self._port}/total")).json()
        return int(answer["total"]), float(answer["last"] or 0)

    async def wait_for(self, total: int) -> float:
        """The time the last delivery arrived, once ``total`` have arrived since the peers started (or the time is
        up); polling the total only, so that the measured side is not slowed by reading every count."""
        deadline = time.monotonic() + PATIENCE
        while True:
            seen, last = await self.total()
            if seen >= total or time.monotonic() > deadline:
                return last
            await asyncio.sleep(0.05)


async def our_turn(prepared: server.Prepared, group: Actor, peers: Peers, expected: int) -> Turn:
    """Publish one followers-only note; the worker fans it out and delivers it."""
    instance = prepared.instance
    before, _ = await peers.total()
    counts = await peers.received()
    published = time.time()
    await notes.post(instance.pool, instance.urls, group, "Relevé", "followers", instance.clock)
    last = await peers.wait_for(before + expected)
    turn = Turn(last - published, (await peers.received()) - counts)
    turn.states = await settled(prepared)
    return turn


async def plain_turn(
    client: httpx.AsyncClient, signer: Signer, document: bytes, inboxes: list[str], peers: Peers, concurrency: int
) -> Turn:
    """The baseline: sign (draft-cavage, RSA-2048, the headers our deliveries carry) and POST the same document to
    every inbox with one httpx client as httpx comes (its default pool: 100 connections, 20 kept alive, which sends
    faster here than a pool keeping every connection), ``concurrency`` requests in flight, nothing recorded."""
    before, _ = await peers.total()
    counts = await peers.received()
    pending = iter(inboxes)
    sync = f'collectionId="{signer.key_id}", url="{signer.key_id}", digest="{"0" * 64}"'  # as long as ours

    async def sender() -> None:
        for inbox in pending:
            now = datetime.now(UTC)
            key_id, key = signer.key_id, signer.private_key
            headers = sign_cavage("POST", inbox, key_id=key_id, private_key=key, now=now, body=document)
            headers |= {"User-Agent": USER_AGENT, "Collection-Synchronization": sync}
            with suppress(httpx.HTTPError):
                await client.post(inbox, content=document, headers=headers)

    started = time.time()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    last = await peers.wait_for(before + len(inboxes))
    return Turn(last - started, (await peers.received()) - counts)


async def settled(prepared: server.Prepared) -> dict[str, int]:
    """States of the newest activity's deliveries once the worker has recorded its last answer."""
    deadline = time.monotonic() + PATIENCE
    while True:
        rows = await prepared.instance.pool.fetch(
            "SELECT state, count(*) AS n FROM deliveries WHERE activity_id ="
            " (SELECT activity_id FROM outbox ORDER BY id DESC LIMIT 1) GROUP BY state"
        )
        states = {row["state"]: int(row["n"]) for row in rows}
        if (states and "pending" not in states) or time.monotonic() > deadline:
            return states
        await asyncio.sleep(0.05)


async def deliver(url: str, peers_process: Helper, peers_port: int, pg_pid: int, scale: Scale) -> Delivery:
    """Our fan-out and the plain sender in turns, each turn one document to every inbox."""
    prepared, group, expected = await seed_group(url, peers_port, scale)
    instance = prepared.instance
    fed = federation(instance)
    worker = Worker(prepared.database.url, job_handlers(fed))
    running = asyncio.create_task(worker.run())
    pids = {"worker": os.getpid(), "peers": peers_process.process.pid}
    result = Delivery(scale, expected, Side(), Side(), CONCURRENCY)
    async with (
        httpx.AsyncClient(timeout=30) as reader,
        httpx.AsyncClient(timeout=httpx.Timeout(10, connect=5)) as plain,
    ):
        peers = Peers(reader, peers_port)
        try:
            await asyncio.sleep(1)  # the worker is listening before the first note is out
            signer = await fed.signers.for_actor(group.id)
            for side in (result.ours, result.plain) * DELIVERY_ROUNDS:
                meter = CpuMeter(pids, pg_pid)
                meter.start()
                if side is result.ours:
                    turn = await our_turn(prepared, group, peers, len(expected))
                else:
                    document = await instance.pool.fetchval("SELECT document FROM outbox ORDER BY id DESC LIMIT 1")
                    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
                    turn = await plain_turn(plain, signer, body, expected, peers, CONCURRENCY)
                side.cpu.update(meter.used())
                side.turns.append(turn)
        finally:
            worker.stop()
            await running
            await fed.close()
            await prepared.database.close()
    return result


def report_delivery(result: Delivery) -> None:
    scale = result.scale
    total = len(result.expected)
    print(f"one followers-only note to {scale.followers} followers on {scale.hosts} loopback hosts")
    only = scale.hosts - scale.shared_hosts
    print(f"  ({scale.shared_hosts} hosts with a shared inbox, {only} with per-actor inboxes only): {total} deliveries")
    print(f"  a turn; {DELIVERY_ROUNDS} turns a side, alternating; {result.concurrency} in flight on each side")
    for name, side in (("our fan-out", result.ours), ("plain httpx", result.plain)):
        lost, doubled, stray = side.faults(result.expected)
        rates = " / ".join(f"{total / turn.seconds:.0f}" for turn in side.turns)
        cpu = {name: used / side.seconds for name, used in side.cpu.items()}
        print(f"  {name:12}: {side.rate(total):6.0f} deliveries/s (turns {rates})   CPU: {shown(cpu)}")
        print(f"  {'':12}  {lost} lost, {doubled} duplicated, {stray} unexpected")
    states = Counter[str]()
    for turn in result.ours.turns:
        states.update(turn.states)
    print(f"  recorded     : {dict(states)}")
    print(f"  ratio        : {result.ours.rate(total) / result.plain.rate(total):6.2f}   (target >= 0.8)")


# ---------------------------------------------------------------------------------------------------- run


async def create_database(admin_url: str, name: str) -> str:
    await ensure_database(admin_url, name)
    url = database_url(admin_url, name)
    connection = await connect(url)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    return url


def peer_key(pem: Path) -> rsa.RSAPrivateKey:
    """The peers' signing key, its public half written to ``pem`` for the helper process that serves their actors."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem.write_text(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key


async def run(workdir: Path, admin_url: str, pg_pid: int, *, delivery: bool = True) -> None:
    pem = workdir / "peer.pem"
    key = peer_key(pem)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} (other work on the machine skews the rates)")
    peers_port = free_port()
    peers = Helper(["-m", "bench.federation", "peers", str(peers_port), str(pem)], workdir / "peers.log")
    try:
        peers.wait_ready(f"http://127.0.0.1:{peers_port}/received")
        ingest_url = await create_database(admin_url, "ingest")
        report_ingest(await ingest(workdir, ingest_url, peers_port, key, pg_pid))
        for scale in SCALES if delivery else ():
            delivery_url = await create_database(admin_url, f"delivery_{scale.followers}")
            report_delivery(await deliver(delivery_url, peers, peers_port, pg_pid, scale))
    finally:
        peers.stop()


def main(*, delivery: bool = True) -> None:
    """Both halves; ``python -m bench.federation ingest`` runs the ingest half alone (about 40 s)."""
    with tempfile.TemporaryDirectory(prefix="chiffres-bench-") as directory:
        workdir = Path(directory)
        embedded = EmbeddedPostgres(workdir)
        admin_url = embedded.start()
        try:
            pg_pid = int((embedded.pgdata / "postmaster.pid").read_text().split()[0])
            asyncio.run(run(workdir, admin_url, pg_pid, delivery=delivery))
        finally:
            embedded.stop()


if __name__ == "__main__":
    if sys.argv[1:] == ["ingest"]:
        main(delivery=False)
        sys.exit(0)
    if len(sys.argv) > 1:
        sys.exit(run_helper(sys.argv[1:]))
    main()
