"""The outbound transport: each connection dials the very addresses the address guard has just checked.

Checking a name and then letting the HTTP client resolve it again leaves a gap a peer's DNS can use (rebinding):
a public answer for the check, ``127.0.0.1`` for the connection. Here the guard's answer is the one used.
httpx delegates connecting to an httpcore *network backend*, whose ``connect_tcp`` receives the URL's host name;
:class:`GuardedBackend` resolves that name once through :meth:`AddressGuard.resolve`, refuses it if any address is
not permitted, and dials the checked IP addresses itself. Everything above the socket keeps the name: the ``Host``
header, TLS SNI and certificate verification (httpcore passes the URL's host as ``server_hostname``), and the
connection pool, which is keyed by name, so a connection checked for one name is never reused for another.

httpx 0.28 does not let a caller hand its default transport a network backend, so :class:`GuardedTransport` is a
small transport over httpcore's connection pool, mapping httpcore's errors onto httpx's as httpx's own does.
:class:`ForbiddenAddress` and :class:`Unresolvable` pass through both libraries untouched, for the fetcher to read.
No proxy from the environment is used (httpx reads ``HTTP(S)_PROXY`` only for its own default transport): the
address the guard checked must be the address dialled.

Each origin (scheme, host, port) gets a small httpcore pool of its own. httpcore checks every connection of a pool
for expiry on each request and on each answer, so a single pool holding a fan-out's connections to hundreds of hosts
spent more time scanning than sending. The total of requests in flight stays within ``max_connections``, and pools
left idle past the keep-alive expiry are closed.
"""

from __future__ import annotations

import asyncio
import time
import typing
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpcore
import httpx

from fedi.addresses import AddressGuard

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
Origin = tuple[bytes, bytes, int | None]
PER_ORIGIN = 10  # connections to one origin; more requests to it wait for one of them

# Most specific first: the first match names the httpx error.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Dial the checked addresses in turn; the first that answers carries the connection."""
        failure: Exception = httpcore.ConnectError(f"no address of {host} answers")
        for address in await self._guard.resolve(host, port):
            try:
                return await self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("outbound requests use TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass
class _OriginPool:
    pool: httpcore.AsyncConnectionPool
    busy: int = 0  # requests whose answer is not closed yet
    used: float = field(default_factory=time.monotonic)


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        guard: AddressGuard,
        *,
        limits: httpx.Limits,
        inner: httpcore.AsyncNetworkBackend | None = None,
        per_origin: int = PER_ORIGIN,
    ) -> None:
        self._ssl_context = httpx.create_ssl_context()
        self._backend = GuardedBackend(guard, inner)
        total = limits.max_connections
        self._per_origin = per_origin if total is None else min(per_origin, total)
        self._expiry = limits.keepalive_expiry if limits.keepalive_expiry is not None else 5.0
        self._in_flight = asyncio.Semaphore(total if total is not None else 1 << 16)
        self._origins: dict[Origin, _OriginPool] = {}
        self._swept = time.monotonic()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError("the guarded transport sends async request bodies only")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        await self._sweep()
        await self._acquire(request.extensions.get("timeout", {}).get("pool"))
        origin = self._origin((request.url.raw_scheme, request.url.raw_host, request.url.port))
        origin.busy += 1
        try:
            with _mapped():
                response = await self._send(
                    origin.pool, core_request, replayable=isinstance(request.stream, httpx.ByteStream)
                )
        except BaseException:
            self._release(origin)
            raise
        stream = typing.cast("typing.AsyncIterable[bytes]", response.stream)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(stream, lambda: self._release(origin)),
            extensions=response.extensions,
        )

    @staticmethod
    async def _send(
        pool: httpcore.AsyncConnectionPool, request: httpcore.Request, *, replayable: bool
    ) -> httpcore.Response:
        """Send once more, at once, when a kept-alive connection turns out to have been closed by the peer.

        A server closes an idle connection when its own keep-alive timeout runs out; if that happens while the
        pool hands the connection to a new request, the request fails with no answer ("server disconnected") or a
        reset, through no fault of the peer. Without this, such a delivery waited out a whole retry backoff. The
        second attempt gets a connection the pool has not just seen fail (a new one if need be); a peer that keeps
        failing fails it too, and the error goes up as before. Resending a POST is safe here: receivers drop an
        activity whose id they already have, and a delivery that failed is sent again anyway.
        """
        reused = any(connection.is_idle() for connection in pool.connections)
        try:
            return await pool.handle_async_request(request)
        except (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError):
            if not (reused and replayable):
                raise
        return await pool.handle_async_request(request)

    async def _acquire(self, timeout: float | None) -> None:  # noqa: ASYNC109  (httpx's pool timeout)
        try:
            async with asyncio.timeout(timeout):
                await self._in_flight.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("every connection of the pool is in use") from None

    def _release(self, origin: _OriginPool) -> None:
        origin.busy -= 1
        origin.used = time.monotonic()
        self._in_flight.release()

    def _origin(self, key: Origin) -> _OriginPool:
        found = self._origins.get(key)
        if found is None:
            pool = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl_context,
                max_connections=self._per_origin,
                max_keepalive_connections=self._per_origin,
                keepalive_expiry=self._expiry,
                network_backend=self._backend,
            )
            found = self._origins[key] = _OriginPool(pool)
        return found

    async def _sweep(self) -> None:
        """Close the pools of origins nobody has asked for since their connections expired (at most once per
        expiry period, so the walk over every origin costs little per request)."""
        now = time.monotonic()
        if now - self._swept < self._expiry:
            return
        self._swept = now
        idle = [key for key, origin in self._origins.items() if not origin.busy and now - origin.used > self._expiry]
        closing = [self._origins.pop(key) for key in idle]  # all out of reach before the first await
        for origin in closing:
            await origin.pool.aclose()

    async def aclose(self) -> None:
        origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            await origin.pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: typing.AsyncIterable[bytes], release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        try:
            closer = getattr(self._stream, "aclose", None)
            if closer is not None:
                await closer()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for source, target in _ERRORS:
            if isinstance(error, source):
                raise target(str(error)) from error
        raise
