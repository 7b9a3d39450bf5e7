"""A hostile HTTP server on loopback that answers one byte at a time: the slow-drip attack, bounded.

A drip server never times out a per-read deadline (a byte always arrives within ``interval``), so only a total
deadline cuts it. It runs on the test's own event loop, counts the connections it holds at once (``active``,
``peak``) and in all (``accepted``), and stops on its own after ``limit`` bytes, so that a client without a
deadline makes a test fail in seconds instead of hanging it. With ``interval=0`` it answers at once, which makes
it an honest server for tests that need one bound to a chosen address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Literal

Mode = Literal["head", "body"]
_DOCUMENT = json.dumps({"type": "Note", "content": "drip"}).encode()


class DripServer:
    """One host: ``mode="body"`` sends the head at once and drips the body; ``"head"`` drips the head too."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        interval: float = 0.1,
        limit: int = 60,
        mode: Mode = "body",
    ) -> None:
        self._host = host
        self._port = port
        self._interval = interval
        self._limit = limit
        self._mode = mode
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self.active = 0
        self.peak = 0
        self.accepted = 0

    async def __aenter__(self) -> DripServer:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self._host}:{self._port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        self.accepted += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        async with self._changed:
            self._changed.notify_all()
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            await self._answer(writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            self.active -= 1
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)

    async def until_active(self, count: int, *, within: float = 5.0) -> None:
        """Wait until the server holds ``count`` connections at once; fail after ``within`` seconds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self.active >= count)

    async def _answer(self, writer: asyncio.StreamWriter) -> None:
        body = _DOCUMENT if self._interval == 0 else b" " * 4096
        head = (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
        )
        if self._interval == 0:
            writer.write(head + body)
            await writer.drain()
            return
        if self._mode == "body":
            writer.write(head)
            await writer.drain()
        dripped = head + body if self._mode == "head" else body
        for index in range(min(self._limit, len(dripped))):
            writer.write(dripped[index : index + 1])
            await writer.drain()
            await asyncio.sleep(self._interval)
