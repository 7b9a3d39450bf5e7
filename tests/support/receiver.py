"""A loopback HTTP server that plays many remote inboxes and counts what they receive."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.process import free_port


class Receiver:
    """Answers 202 (or ``status``) to POST /inbox/{key} after ``delay`` seconds, and counts deliveries per key and
    the connections (client ports) they came over."""

    def __init__(self, delay: float = 0.0, status: int = 202) -> None:
        self.delay = delay
        self.status = status
        self.port = free_port()
        self.received: Counter[str] = Counter()
        self.connections: Counter[int] = Counter()
        self._lock = threading.Lock()
        app = Starlette(routes=[Route("/inbox/{key}", self._inbox, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def inbox(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/inbox/{key}"

    async def _inbox(self, request: Request) -> Response:
        await request.body()
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.received[request.path_params["key"]] += 1
            self.connections[request.client.port if request.client else 0] += 1
        return Response(status_code=self.status)

    def start(self) -> Receiver:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("receiver did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def distinct(self) -> int:
        with self._lock:
            return len(self.received)
