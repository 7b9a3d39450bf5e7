"""A TCP proxy in front of PostgreSQL that a test can cut and restore: a database outage on demand.

Cutting closes the listening socket and every open connection, as a crashed or unplugged server would; restoring
listens again on the same port, so URLs handed out before the cut work again after it. The proxy runs its own
event loop in a thread, like :class:`tests.support.remote_server.RemoteServer`, so that sync end-to-end tests and
async unit tests can both use it. The upstream is the test cluster's Unix socket (or its host and port), and
connections through the socket are trusted by the embedded server, so the proxied URL needs no password.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.support.process import free_port

T = TypeVar("T")
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def upstream_of(admin_url: str) -> Callable[[], Awaitable[Streams]]:
    """How to reach the server behind ``admin_url``: its Unix socket when the URL names one, else host and port."""
    parts = urlsplit(admin_url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    port = parts.port or 5432
    if socket_dir.startswith("/"):
        path = str(Path(socket_dir) / f".s.PGSQL.{port}")
        return lambda: asyncio.open_unix_connection(path)
    host = parts.hostname or "127.0.0.1"
    return lambda: asyncio.open_connection(host, port)


class DatabaseProxy:
    """``127.0.0.1:<port>`` forwarding to the cluster; :meth:`cut` and :meth:`restore` make and end an outage."""

    def __init__(self, admin_url: str) -> None:
        self._connect = upstream_of(admin_url)
        self._user = urlsplit(admin_url).username or "postgres"
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, database: str) -> str:
        return f"postgresql://{self._user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> DatabaseProxy:
        self._thread.start()
        self.restore()
        return self

    def cut(self) -> None:
        """Stop listening and drop every connection: clients see a refused or broken connection."""
        self._call(self._cut)

    def restore(self) -> None:
        """Listen again on the same port."""
        self._call(self._listen)

    def stop(self) -> None:
        self._call(self._cut)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        async def run() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._connect()
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for each in (writer, up_writer):
                self._writers.discard(each)
                each.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()
