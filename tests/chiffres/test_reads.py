"""The web server's reads into one buffer per thread (``chiffres.reads``), over real sockets: a body larger than the
buffer arrives whole, requests on several connections at once keep their own bytes, and a second server in another
thread reads into a buffer of its own."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chiffres import reads


def _app() -> Starlette:
    async def digest(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"length": len(body), "sha256": hashlib.sha256(body).hexdigest()})

    return Starlette(routes=[Route("/digest", digest, methods=["POST"])])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server(port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        _app(), host="127.0.0.1", port=port, lifespan="off", log_level="warning", http=reads.BufferedH11
    )
    return uvicorn.Server(config)


def _serving() -> Iterator[str]:
    """A server in a thread with its own event loop, as ``tests.support.receiver`` runs them."""
    port = _free_port()
    server = _server(port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def base() -> Iterator[str]:
    yield from _serving()


@pytest.fixture
def other_thread() -> Iterator[str]:
    """A second server, in another thread, as a test that serves beside another does."""
    yield from _serving()


async def test_a_body_larger_than_the_buffer_arrives_whole(base: str) -> None:
    body = os.urandom(5 * reads.READ_SIZE + 123)
    async with httpx.AsyncClient() as client:
        answer = (await client.post(f"{base}/digest", content=body)).json()
    assert answer == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


async def test_requests_on_many_connections_at_once_keep_their_own_bytes(base: str) -> None:
    bodies = [os.urandom(size) for size in (1, 700, 4096, reads.READ_SIZE - 1, reads.READ_SIZE + 1, 150_000) * 5]
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(limits=limits) as client:
        answers = await asyncio.gather(*(client.post(f"{base}/digest", content=body) for body in bodies))
    assert [answer.json()["sha256"] for answer in answers] == [hashlib.sha256(body).hexdigest() for body in bodies]


def test_each_thread_reads_into_a_buffer_of_its_own_and_keeps_it() -> None:
    """``recv_into`` lets other threads run while it waits on the kernel: a buffer shared between threads could be
    filled by one server's read while another's bytes were still to be copied out of it."""
    here = reads._buffer()
    assert reads._buffer() is here
    elsewhere: list[memoryview] = []
    thread = threading.Thread(target=lambda: elsewhere.append(reads._buffer()))
    thread.start()
    thread.join()
    assert elsewhere[0] is not here
    assert elsewhere[0].obj is not here.obj


async def test_two_servers_in_two_threads_each_answer_for_their_own_bytes(base: str, other_thread: str) -> None:
    bodies = [os.urandom(200_000) for _ in range(16)]
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(limits=limits) as client:
        answers = await asyncio.gather(
            *(client.post(f"{(base, other_thread)[n % 2]}/digest", content=body) for n, body in enumerate(bodies))
        )
    assert [answer.json()["sha256"] for answer in answers] == [hashlib.sha256(body).hexdigest() for body in bodies]
