"""Work that grows with claims and followers: the batch recomputation, the outbox's first page, memory per claim.

Run from the repository root: ``python -m bench.scale`` (``make bench`` runs it with the others), on a throwaway
embedded PostgreSQL. Only the ratios (and the memory figures) are meant to hold across machines; nothing here
asserts a timing.

Recompute: ``CLAIMS`` claims by ``ACTORS`` actors of ``DOMAINS`` domains on ``FIGURES`` figures are copied into
the database; the same claims, already ``Claim`` objects in a Python list, go through the engine in memory
(``consensus.batch``: columns, then rounds) — the baseline; then ``chiffres consensus recompute`` runs as a
process of its own, which reports its peak resident memory.

Outbox: a public group's outbox of ``OUTBOX_ITEMS`` activities; its first page against a bare JSON response of
as many bytes, from the same uvicorn in the same process, in alternating rounds.

Memory: ``chiffres serve`` (web and worker in one process, as by default) in this process; signed Likes of our
figures by ``LIKERS`` actors on ``LIKER_HOSTS`` loopback hosts, served by a helper process; the resident size
after each step of ``MEMORY_STEPS`` claims, once every Like is a claim and no job is due.

``BENCH_SCALE=recompute|outbox|memory`` runs one section; ``BENCH_LIKERS`` sets how many actors like;
``BENCH_TRACEMALLOC=objects`` (or ``1``, with tracemalloc, ten times slower) says what grew in the memory section.

The three sections share one throwaway database server and one report, so one module holds them; that, and the
peers the memory section serves, is why it runs past our usual 400 lines.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors import store
from bench.embedded import on_embedded
from bench.federation import (
    Helper,
    actor_document,
    address,
    create_database,
    free_port,
    loopback_sockets,
    peer_key,
    uvicorn_server,
)
from bench.pages import timed_gets
from chiffres import server
from chiffres.app import build_app, federation, job_handlers, worker_loops
from consensus.batch import recompute
from consensus.rows import rows_of
from consensus.vocabulary import Claim, Kind, Policy
from fedi.config import Settings
from fedi.database import connect
from fedi.instance import Instance
from fedi.signatures import sign_cavage
from ledger.publication import Publisher

OUTBOX_ITEMS = 100_000
OUTBOX_REQUESTS = 500  # per address, in OUTBOX_ROUNDS alternating slices
OUTBOX_ROUNDS = 5
AS_JSON = "application/activity+json"
MEMORY_STEPS = (1_000, 4_000, 7_000, 10_000)  # claims received before each measure; the goal compares the ends
LIKED_FIGURES = 200
# Distinct actors who like: all of them have liked by the first measure, so that what is measured is per claim (their
# keys are kept, within a bound: ``BENCH_LIKERS=20000`` makes every Like come from someone new).
LIKERS = int(os.environ.get("BENCH_LIKERS") or 1_000)
LIKER_HOSTS = 200
CLAIMS = 1_000_000
FIGURES = 20_000
ACTORS = 4_000
DOMAINS = 200
DOMAIN = "bench.example"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
_KINDS = {"endorse": Kind.ENDORSE, "correct": Kind.CORRECT, "publish": Kind.PUBLISH}


def claims(count: int = CLAIMS) -> list[tuple[str, str, str, str, float, datetime]]:
    """Seeded claims: each figure has a truth, each actor a bias of their own; a publication opens each figure."""
    rng = random.Random(14)
    per_figure = count // FIGURES
    rows = []
    for figure in range(FIGURES):
        uri = f"https://{figure % DOMAINS}.figures.example/objects/{figure}"
        truth = 100 * (1 + figure % 97)
        for slot, actor in enumerate(rng.sample(range(ACTORS), per_figure)):
            domain = f"d{actor % DOMAINS}.example"
            kind = "publish" if slot == 0 else "correct" if rng.random() < 0.3 else "endorse"
            value = round(truth * (1 + rng.gauss(0, 0.02 + (actor % 7) / 100)), 2)
            at = T0 + timedelta(seconds=figure * 60 + slot)
            rows.append((uri, f"https://{domain}/users/u{actor}", domain, kind, value, at))
    return rows


def in_memory(rows: list[tuple[str, str, str, str, float, datetime]]) -> tuple[float, int]:
    """The baseline: the engine over the claims already in a Python list; seconds, figures."""
    policy = Policy(own_domain=DOMAIN)
    listed = [Claim(uri, actor, domain, value, _KINDS[kind], at) for uri, actor, domain, kind, value, at in rows]
    began = time.perf_counter()
    result = recompute(rows_of(listed), policy, T0 + timedelta(days=400))
    return time.perf_counter() - began, len(result.numbers)


async def fill(url: str, rows: list[tuple[str, str, str, str, float, datetime]]) -> None:
    connection = await connect(url)
    try:
        await connection.copy_records_to_table(
            "claims",
            records=(
                (uri, actor, domain, kind, str(value), f"{actor}/claims/{number}", at)
                for number, (uri, actor, domain, kind, value, at) in enumerate(rows)
            ),
            columns=("figure_uri", "actor", "domain", "kind", "value", "reference", "made_at"),
        )
        await connection.executemany(
            "INSERT INTO domains (domain, first_seen) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(f"d{number}.example", T0 - timedelta(days=365)) for number in range(DOMAINS)],
        )
        await connection.execute("ANALYZE claims")
    finally:
        await connection.close()


def recompute_process(url: str, workdir: Path) -> tuple[float, float, str]:
    """``chiffres consensus recompute`` as a process of its own: seconds, peak RSS in MB, its output."""
    env = os.environ | {"CHIFFRES_DATABASE_URL": url, "CHIFFRES_DOMAIN": DOMAIN, "CHIFFRES_DATA_DIR": str(workdir)}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "recompute"], env=env, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - began
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, report["peak_mb"], report["output"]


def _recompute_here() -> None:
    """The helper process: run the command as the CLI does, then say its peak memory."""
    import contextlib
    import io

    from chiffres.cli import main

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = main(["consensus", "recompute"])
    if code:
        raise SystemExit(code)
    print(json.dumps({"peak_mb": peak_mb(), "output": captured.getvalue().strip()}))


def peak_mb() -> float:
    """This process's peak resident memory since it started its program: ``getrusage`` would also count the
    parent's memory that a child process shares until its ``exec``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _bench_recompute(admin_url: str, workdir: Path) -> None:
    rows = claims()
    url = await create_database(admin_url, "scale_recompute")
    began = time.perf_counter()
    await fill(url, rows)
    print(f"{len(rows):,} claims on {FIGURES:,} figures by {ACTORS:,} actors of {DOMAINS} domains", end="")
    print(f" copied in {time.perf_counter() - began:.0f} s")
    memory_seconds, figures = await asyncio.to_thread(in_memory, rows)
    del rows
    print(f"in-memory batch (consensus.batch on Claim lists): {memory_seconds:.1f} s, {figures:,} figures")
    seconds, peak, output = recompute_process(url, workdir)
    print(f"chiffres consensus recompute: {seconds:.1f} s ({output}), peak RSS {peak:.0f} MB")
    print(f"  {seconds / memory_seconds:.2f} × the in-memory batch (goal ≤ 2), {peak:.0f} MB (goal < 500)")


# ------------------------------------------------------------------------------------------------ outbox page


async def _outbox(instance: Instance, count: int) -> None:
    """``count`` public activities in a group's outbox, copied in as the publisher stores them."""
    group = await store.create(instance.pool, "archives", "group", visibility="public")
    base = instance.urls.actor("archives")
    for start in range(0, count, 10_000):
        numbers = range(start, min(start + 10_000, count))
        await instance.pool.execute(
            "INSERT INTO outbox (actor_id, activity_id, audience, document, published)"
            " SELECT $1, a, 'public', d::jsonb, p"
            " FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS t (a, d, p)",
            group.id,
            [f"{base}/activities/{n}" for n in numbers],
            [_announce(base, n) for n in numbers],
            [T0 + timedelta(seconds=n) for n in numbers],
        )


def _announce(base: str, number: int) -> str:
    return json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{base}/activities/{number}",
            "type": "Announce",
            "actor": base,
            "object": f"https://peer.example/objects/{number}",
            "published": (T0 + timedelta(seconds=number)).isoformat(),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{base}/followers"],
        }
    )


async def _bench_outbox(admin_url: str, workdir: Path) -> None:
    url = await create_database(admin_url, "scale_outbox")
    prepared = await server.prepare(
        Settings(domain=DOMAIN, database_url=url, data_dir=workdir / "outbox"), serving=True, pool_size=4
    )
    instance = prepared.instance
    fed = federation(instance)
    began = time.perf_counter()
    await _outbox(instance, OUTBOX_ITEMS)
    print(f"{OUTBOX_ITEMS:,} activities copied into an outbox in {time.perf_counter() - began:.0f} s")
    page = "/actors/archives/outbox?page=true"
    port = free_port()

    async def bare(request: Request) -> Response:
        """A JSON document of as many bytes as the page, so that the ratio is the work, not the size."""
        return JSONResponse({"x": "x" * max(int(request.path_params["size"]) - 8, 0)}, media_type=AS_JSON)

    app = build_app(fed)
    app.router.routes.insert(0, Route("/bare/{size:int}", bare))
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(uvicorn_server.serve())
    try:
        while not uvicorn_server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Host": DOMAIN}) as client:
            first = await client.get(page, headers={"Accept": "application/activity+json"})
            size = len(first.content)
            await timed_gets(client, page, 20, AS_JSON)
            await timed_gets(client, f"/bare/{size}", 20, AS_JSON)
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(OUTBOX_ROUNDS):
                ours += await timed_gets(client, page, OUTBOX_REQUESTS // OUTBOX_ROUNDS, AS_JSON)
                theirs += await timed_gets(client, f"/bare/{size}", OUTBOX_REQUESTS // OUTBOX_ROUNDS, AS_JSON)
        counted = await _count_cost(instance)
        p50, bare50 = statistics.median(ours), statistics.median(theirs)
        p95, bare95 = _p95(ours), _p95(theirs)
        print(f"outbox page 1 ({size:,} bytes, totalItems {first.json()['totalItems']:,}):", end="")
        print(f" median {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
        print(f"bare JSON GET of the same size, same server: median {bare50 * 1000:.2f} ms, p95 {bare95 * 1000:.2f} ms")
        print(f"  {p50 / bare50:.1f} × a bare GET at the median, {p95 / bare95:.1f} × at p95 (goal ≤ 10)")
        print(f"  (count(*) of that outbox, as each read ran it before: {counted * 1000:.1f} ms)")
    finally:
        uvicorn_server.should_exit = True
        await serving
        await fed.close()
        await prepared.database.close()


async def _count_cost(instance: Instance) -> float:
    began = time.perf_counter()
    for _ in range(5):
        await instance.pool.fetchval("SELECT count(*) FROM outbox WHERE audience = 'public'")
    return (time.perf_counter() - began) / 5


def _p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[18]


# ------------------------------------------------------------------------------------------------ memory per claim


def _rss_mb() -> float:
    gc.collect()
    return float(psutil.Process().memory_info().rss) / 2**20


def _heap() -> str:
    """What glibc's heap holds in use and free, and the resident size once its free pages are handed back."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    libc.malloc_trim(0)
    held = f"heap in use {info.uordblks / 2**20:.0f} MB, free {info.fordblks / 2**20:.0f} MB"
    return f"{held}; trimmed RSS {_rss_mb():.0f} MB"


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


Likes = list[tuple[bytes, dict[str, str]]]


def _liker(peers_port: int, number: int) -> str:
    """The ``number``-th liker: each on one of ``LIKER_HOSTS`` loopback hosts, as people of many servers like."""
    return f"http://{address(number % LIKER_HOSTS + 1)}:{peers_port}/users/u{number % LIKERS}"


def _likes(key: rsa.RSAPrivateKey, peers_port: int, inbox: str, figures: list[str], start: int, count: int) -> Likes:
    """Signed Likes of our figures, each a new claim, as Mastodon signs them."""
    now = datetime.now(UTC)
    bodies: Likes = []
    for number in range(start, start + count):
        actor = _liker(peers_port, number)
        document = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/likes/{number}",
            "type": "Like",
            "actor": actor,
            "object": figures[number % len(figures)],
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = sign_cavage("POST", inbox, key_id=f"{actor}#main-key", private_key=key, now=now, body=body)
        bodies.append((body, headers))
    return bodies


def _likers_app(public_pem: str) -> Starlette:
    """Every liker's actor document, on whichever loopback host it is asked of (one key for all: the server
    verifies each signature all the same)."""

    async def actor(request: Request) -> Response:
        base = f"http://{request.headers['host']}"
        document = actor_document(base, public_pem) | {
            "id": f"{base}{request.url.path}",
            "preferredUsername": request.path_params["name"],
            "inbox": f"{base}{request.url.path}/inbox",
        }
        key = {"id": f"{base}{request.url.path}#main-key", "owner": document["id"], "publicKeyPem": public_pem}
        return JSONResponse(document | {"publicKey": key}, media_type=AS_JSON)

    async def ready(request: Request) -> Response:
        return Response("ok")

    return Starlette(routes=[Route("/users/{name}", actor), Route("/healthz", ready)])


def _likers(port: int, pem: Path) -> None:
    """The helper process that serves the likers."""
    app = _likers_app(pem.read_text())
    asyncio.run(uvicorn_server(app, port).serve(sockets=loopback_sockets(port)))


async def _claims_in(client: httpx.AsyncClient, likes: Likes, inbox: str) -> None:
    for body, headers in likes:
        response = await client.post(inbox, content=body, headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"the inbox answered {response.status_code}: {response.text[:200]}")


async def _drained(instance: Instance, claims: int) -> None:
    """Until every Like sent is a claim and no job or inbox row is waiting."""
    pool = instance.pool
    while True:
        stored = await pool.fetchval("SELECT count(*) FROM claims")
        waiting = await pool.fetchval("SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL")
        # A group's relays of one actor's claims are deferred by its rate (``inbox.relay``): not waiting now.
        jobs = await pool.fetchval("SELECT count(*) FROM pgqueuer WHERE execute_after <= now()")
        if stored >= claims and not waiting and not jobs:
            return
        await asyncio.sleep(0.5)


async def _bench_memory(admin_url: str, workdir: Path) -> None:
    url = await create_database(admin_url, "scale_memory")
    pem = workdir / "memory.pem"
    key = peer_key(pem)
    peers_port, port = free_port(), free_port()
    peers = Helper(["-m", "bench.scale", "likers", str(peers_port), str(pem)], workdir / "memory-likers.log")
    settings = Settings(domain=f"localhost:{port}", database_url=url, data_dir=workdir / "memory", dev=True)
    prepared = await server.prepare(settings, serving=True, pool_size=20, wait=True)
    instance = prepared.instance
    await store.instance_actor(instance.pool)
    fed = federation(instance)
    figures = await _figures(instance)
    serving = asyncio.create_task(
        server.serve(
            prepared,
            build_app(fed),
            job_handlers(fed),
            loops=worker_loops(fed),
            host="127.0.0.1",
            port=port,
            with_worker=True,
        )
    )
    # ``objects``: which kinds of Python objects grew between the measures; ``1``: also where memory was allocated
    # (tracemalloc, which makes the server some ten times slower).
    tracing = os.environ.get("BENCH_TRACEMALLOC") in ("1", "objects")
    malloc = os.environ.get("BENCH_TRACEMALLOC") == "1"
    try:
        peers.wait_ready(f"http://127.0.0.1:{peers_port}/healthz")
        await asyncio.to_thread(Helper.wait_ready, peers, f"http://127.0.0.1:{port}/healthz")
        inbox = f"http://localhost:{port}/inbox"
        sizes: dict[int, float] = {}
        sent = 0
        snapshots: list[tracemalloc.Snapshot] = []
        kinds: list[Counter[str]] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for target in MEMORY_STEPS:
                while sent < target:
                    count = min(500, target - sent)
                    likes = await asyncio.to_thread(_likes, key, peers_port, inbox, figures, sent, count)
                    await _claims_in(client, likes, "/inbox")
                    sent += count
                await _drained(instance, sent)
                sizes[target] = _rss_mb()
                print(f"  after {target:,} claims: RSS {sizes[target]:.0f} MB", end="", flush=True)
                print(f"; {_heap()}" if tracing else "", flush=True)
                if tracing:  # what is allocated from the first measure on and still held at the last
                    if malloc and not snapshots:
                        tracemalloc.start(12)
                    if malloc:
                        snapshots.append(tracemalloc.take_snapshot())
                    kinds.append(Counter(type(thing).__qualname__ for thing in gc.get_objects()))
        first, last = MEMORY_STEPS[0], MEMORY_STEPS[-1]
        print(f"server (web + worker, one process) after {first:,} claims: RSS {sizes[first]:.0f} MB;", end="")
        print(f" after {last:,}: {sizes[last]:.0f} MB")
        grown = sizes[last] - sizes[first]
        print(
            f"  {grown:+.1f} MB for {last - first:,} claims ({grown * 1024 / (last - first):.2f} kB per claim;", end=""
        )
        print(" goal within 20 MB)")
        if tracing:
            grown_kinds = kinds[-1] - kinds[0]
            print("  objects grown:", ", ".join(f"{name} +{count}" for name, count in grown_kinds.most_common(15)))
            for stat in snapshots[-1].compare_to(snapshots[0], "traceback")[:12] if malloc else []:
                print(f"  {stat.size_diff / 1024:+9.0f} kB  {stat.count_diff:+7d} blocks")
                for line in stat.traceback.format()[-8:]:
                    print("      " + line)
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        await serving
        peers.stop()
        await fed.close()


async def _figures(instance: Instance) -> list[str]:
    group = await store.create(instance.pool, "loyers", "group", visibility="public")
    ana = await store.create(instance.pool, "ana", "person")
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{instance.urls.actor('ana')}#follow",
        instance.urls.actor("ana"),
        instance.urls.actor("loyers"),
    )
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    uris = []
    for number in range(LIKED_FIGURES):
        fields = {
            "value": str(500 + number),
            "unit": "€/mois",
            "measures": f"loyer médian d'un T{1 + number % 5}",
            "place": "Lyon",
            "period": f"{2020 + number % 7}-Q{1 + number % 4}",
            "source": f"https://observatoire.example/loyers/{number}",
        }
        uris.append((await publisher.publish(ana, group, fields, "fr")).uri)
    return uris


async def run(admin_url: str, workdir: Path) -> None:
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    if os.environ.get("BENCH_SCALE") in (None, "", "recompute"):
        await _bench_recompute(admin_url, workdir)
    if os.environ.get("BENCH_SCALE") in (None, "", "outbox"):
        await _bench_outbox(admin_url, workdir)
    if os.environ.get("BENCH_SCALE") in (None, "", "memory"):
        await _bench_memory(admin_url, workdir)


def main() -> None:
    on_embedded("scale", run)


if __name__ == "__main__":
    if sys.argv[1:] == ["recompute"]:
        _recompute_here()
    elif sys.argv[1:2] == ["likers"]:
        _likers(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
