"""Pages under a full database: the p95 of a figure's page and of a listing page, against a bare Starlette response
of the same size served by the same uvicorn in the same process, in the same run.

Run from the repository root: ``python -m bench.pages`` (``make bench`` runs it with the others). A public group
holds ``FIGURES`` figures (published through the publisher, as members publish them); requests go one at a time
over one keep-alive connection, alternating the three addresses in rounds so that load from elsewhere on the
machine falls on all three alike. Only the ratio is meant to hold across machines; nothing here asserts a timing.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from actors import store
from bench.embedded import on_embedded
from bench.federation import create_database
from chiffres.app import build_app, federation
from fedi.config import Settings
from fedi.database import create_pool
from fedi.instance import Instance
from fedi.urls import Urls
from ledger.publication import Publisher

FIGURES = 10_000
REQUESTS = 300  # per address, in ROUNDS slices
ROUNDS = 5
DOMAIN = "bench.example"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _serve(app: object) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = _port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    return server, task, f"http://127.0.0.1:{port}"


async def _fill(instance: Instance) -> str:
    """The group, its member and FIGURES figures; the path of one of them."""
    group = await store.create(instance.pool, "loyers", "group", visibility="public")
    ana = await store.create(instance.pool, "ana", "person")
    await instance.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state) VALUES ($1, $2, $3, 'accepted')",
        f"{instance.urls.actor('ana')}#follow",
        instance.urls.actor("ana"),
        instance.urls.actor("loyers"),
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = iter(start + timedelta(seconds=second) for second in range(10 * FIGURES))
    publisher = Publisher(instance.pool, instance.urls, lambda: next(moments), "fr")
    places = ("Lyon", "Paris", "Marseille", "Lille", "Nantes", "Rennes", "Bordeaux", "Toulouse")
    uri = ""
    semaphore = asyncio.Semaphore(8)

    async def one(number: int) -> str:
        fields = {
            "value": str(500 + number % 900),
            "unit": "€/mois",
            "measures": f"loyer médian d'un T{1 + number % 5}",
            "place": places[number % len(places)],
            "period": f"{2020 + number % 7}-Q{1 + number % 4}",
            "source": f"https://observatoire.example/loyers/{number}",
            "tags": ["loyers"],
        }
        async with semaphore:
            return (await publisher.publish(ana, group, fields, "fr")).uri

    for start_at in range(0, FIGURES, 500):
        uris = await asyncio.gather(*(one(number) for number in range(start_at, min(start_at + 500, FIGURES))))
        uri = uri or uris[len(uris) // 2]
    return uri.removeprefix(instance.urls.base)


async def timed_gets(client: httpx.AsyncClient, url: str, count: int, accept: str = "text/html") -> list[float]:
    """Seconds for each of ``count`` GETs of ``url``, one after the other; anything but a 200 stops the bench."""
    seconds = []
    for _ in range(count):
        began = time.perf_counter()
        response = await client.get(url, headers={"Accept": accept})
        seconds.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return seconds


def _p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[18]


async def run(admin_url: str) -> None:
    url = await create_database(admin_url, "pages")
    pool = await create_pool(url)
    settings = Settings(domain=DOMAIN, database_url=url, data_dir=Path(tempfile.gettempdir()))
    instance = Instance(settings, Urls.for_domain(DOMAIN, "https"), pool)
    fed = federation(instance)
    began = time.perf_counter()
    figure = await _fill(instance)
    print(f"{FIGURES} figures published in {time.perf_counter() - began:.0f} s")
    addresses = {
        "figure page": figure,
        "listing (tag page)": "/tags/loyers",
        "search page": "/search?q=loyer+lyon",
        "home page": "/",
        "group page": "/actors/loyers",
    }
    servers = []
    try:
        ours = await _serve(build_app(fed))
        servers.append(ours)
        sizes: dict[str, int] = {}
        async with httpx.AsyncClient() as probe:
            for name, path in addresses.items():
                sizes[name] = len((await probe.get(ours[2] + path, headers={"Accept": "text/html"})).content)

        async def bare_page(request: Request) -> Response:
            """As many bytes as the page it stands beside, so that the ratio is the work, not the size."""
            size = int(request.path_params["size"])
            return HTMLResponse("<!doctype html>" + "x" * max(size - 15, 0))

        bare = await _serve(Starlette(routes=[Route("/{size:int}", bare_page)]))
        servers.append(bare)
        timings: dict[str, list[float]] = {}
        async with httpx.AsyncClient() as client:
            for name, path in addresses.items():  # warm-up
                await timed_gets(client, ours[2] + path, 20)
                await timed_gets(client, f"{bare[2]}/{sizes[name]}", 20)
            for _ in range(ROUNDS):
                for name, path in addresses.items():
                    timings.setdefault(name, []).extend(await timed_gets(client, ours[2] + path, REQUESTS // ROUNDS))
                    bare_timings = await timed_gets(client, f"{bare[2]}/{sizes[name]}", REQUESTS // ROUNDS)
                    timings.setdefault(f"bare {name}", []).extend(bare_timings)
        for name in addresses:
            p95, baseline = _p95(timings[name]), _p95(timings[f"bare {name}"])
            print(
                f"{name:<20} {sizes[name]:>7} bytes  p95 {p95 * 1000:7.2f} ms  bare {baseline * 1000:6.2f} ms"
                f"  {p95 / baseline:5.1f} × bare"
            )
    finally:
        for server, task, _ in servers:
            server.should_exit = True
            await task
        await fed.close()
        await pool.close()


def main() -> None:
    on_embedded("pages", lambda admin_url, workdir: run(admin_url))


if __name__ == "__main__":
    main()
