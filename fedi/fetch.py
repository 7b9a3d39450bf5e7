"""Signed outbound HTTP: GET of ActivityPub documents and POST of activities.

Every request is signed (draft-cavage, as Mastodon signs), since servers in authorized-fetch mode and every
bovine-based server refuse unsigned GETs. Responses are read with a size cap, redirects are followed by hand so
each hop passes the address guard, and a fetched document must come from the host it claims as its id's host.

A peer that answers one byte every few seconds satisfies every per-read timeout, so each fetch and each delivery
also has a total deadline (:class:`Budget`). Documents (keys, actors, WebFinger) and deliveries go through separate
clients, hence separate connection pools: inbound verification needs key fetches, and a flood of slow deliveries
must not starve them, nor the reverse. Document fetches are also capped per host (``fedi/slots.py``), so that one
slow host cannot take the whole pool. Clients come from :func:`default_client`, whose transport connects only to
addresses the guard has checked (``fedi/transport.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from fedi import documents
from fedi.addresses import AddressGuard, ForbiddenAddress, Unresolvable
from fedi.negotiation import ACTIVITY_JSON, LD_JSON_AS2
from fedi.signatures import sign_cavage
from fedi.slots import HostBusy, HostSlots
from fedi.transport import GuardedTransport
from fedi.types import JSON, Clock

logger = logging.getLogger(__name__)

MAX_DOCUMENT = 1024 * 1024
MAX_INBOX_ANSWER = 64 * 1024
# Idle connections are closed before 5 s, the keep-alive timeout of uvicorn and of Node's HTTP server (Fedify,
# Misskey): a connection the peer is about to close is not handed to a new request.
KEEPALIVE = 4.0
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON_AS2}"
_AP_TYPES = ("application/activity+json", "application/ld+json", "application/json", "application/jrd+json")
USER_AGENT = "ChiffresEnsemble (+https://chiffres-ensemble.org/)"


class FetchError(Exception):
    """A fetch failed; ``status`` is the peer's HTTP status when there was one."""

    def __init__(self, reason: str, *, status: int | None = None, temporary: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.temporary = temporary or (status is not None and (status >= 500 or status in (408, 429)))

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


@dataclass(frozen=True)
class Signer:
    """Who signs a request: a local actor's key id and RSA key."""

    key_id: str
    private_key: RSAPrivateKey


@dataclass(frozen=True)
class Budget:
    """How long and how many: the totals a hostile peer can cost us.

    ``deadline`` bounds a document fetch from first byte sent to last byte read, redirects and the wait for a host
    slot included; ``delivery_deadline`` bounds a POST to an inbox (Mastodon allows 30 s for a whole request).
    ``per_host`` document fetches may be in flight to one host; others wait up to ``host_wait`` seconds.
    """

    deadline: float = 10.0
    delivery_deadline: float = 30.0
    per_host: int = 4
    host_wait: float = 5.0


class Fetcher:
    """Documents through ``client``, deliveries through ``deliveries`` (the same client when not given)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        guard: AddressGuard,
        clock: Clock,
        *,
        deliveries: httpx.AsyncClient | None = None,
        budget: Budget | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self._client = client
        self._deliveries = deliveries or client
        self._guard = guard
        self._clock = clock
        self._budget = budget or Budget()
        self._slots = HostSlots(self._budget.per_host, self._budget.host_wait)
        self._user_agent = user_agent

    async def get_json(
        self, url: str, signer: Signer, *, accept: str = ACCEPT, max_bytes: int = MAX_DOCUMENT, check_id: bool = True
    ) -> JSON:
        """An ActivityPub (or JRD) document; its ``id``, when present, must be on the host that served it."""
        response, body, final_url = await self._get(url, signer, accept, max_bytes)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in _AP_TYPES:
            raise FetchError(f"{url}: unexpected content type {media or 'none'!r}", status=response.status_code)
        try:
            document = documents.loads(body)
        except ValueError as error:
            raise FetchError(f"{url}: the response is not JSON we can keep: {error}") from None
        if reason := documents.problem(document, body):
            raise FetchError(f"{url}: the response cannot be kept: {reason}")
        if not isinstance(document, dict):
            raise FetchError(f"{url}: the response is not a JSON object")
        if check_id and isinstance(document.get("id"), str) and _host(document["id"]) != _host(final_url):
            raise FetchError(f"{url}: document id {document['id']!r} is not on {_host(final_url)}")
        return document

    async def _get(self, url: str, signer: Signer, accept: str, max_bytes: int) -> tuple[httpx.Response, bytes, str]:
        deadline = self._budget.deadline
        try:
            async with asyncio.timeout(deadline):
                return await self._follow(url, signer, accept, max_bytes)
        except TimeoutError:
            raise FetchError(f"GET {url}: no complete answer within {deadline:g} s", temporary=True) from None

    async def _follow(self, url: str, signer: Signer, accept: str, max_bytes: int) -> tuple[httpx.Response, bytes, str]:
        for _ in range(4):
            self._check(url)
            headers = self._headers("GET", url, signer, None) | {"Accept": accept}
            async with (
                self._slot(url),
                self._failures("GET", url),
                self._client.stream("GET", url, headers=headers) as response,
            ):
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise FetchError(f"GET {url}: HTTP {response.status_code}", status=response.status_code)
                return response, await _read_capped(response, max_bytes, url), url
        raise FetchError(f"GET {url}: too many redirects")

    async def post(
        self, url: str, body: bytes, signer: Signer, extra_headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST an activity; the caller decides what the status means (delivery policy)."""
        self._check(url)
        headers = self._headers("POST", url, signer, body) | (extra_headers or {})
        deadline = self._budget.delivery_deadline
        try:
            async with (
                asyncio.timeout(deadline),
                self._failures("POST", url),
                self._deliveries.stream("POST", url, content=body, headers=headers) as response,
            ):
                await _drain(response, MAX_INBOX_ANSWER)
                return response
        except TimeoutError:
            raise FetchError(f"POST {url}: no complete answer within {deadline:g} s", temporary=True) from None

    def _check(self, url: str) -> None:
        try:
            self._guard.check_url(url)
        except ForbiddenAddress as error:
            logger.info("refused %s: %s", url, error.detail)
            raise FetchError(f"{url}: {error}") from None

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        try:
            async with self._slots.hold(_host(url)):
                yield
        except HostBusy as error:
            raise FetchError(f"GET {url}: {error}", temporary=True) from None

    @asynccontextmanager
    async def _failures(self, method: str, url: str) -> AsyncIterator[None]:
        """What the network and the guard say, as a :class:`FetchError` that names no address of ours."""
        try:
            yield
        except ForbiddenAddress as error:
            logger.info("refused %s %s: %s", method, url, error.detail)
            raise FetchError(f"{method} {url}: {error}") from None
        except Unresolvable as error:
            raise FetchError(f"{method} {url}: {error}", temporary=error.temporary) from None
        except httpx.HTTPError as error:
            logger.debug("%s %s failed: %r", method, url, error)
            raise FetchError(f"{method} {url}: {type(error).__name__}: {error}", temporary=True) from None

    def _headers(self, method: str, url: str, signer: Signer, body: bytes | None) -> dict[str, str]:
        signed = sign_cavage(
            method, url, key_id=signer.key_id, private_key=signer.private_key, now=self._clock(), body=body
        )
        return signed | {"User-Agent": self._user_agent}


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"GET {url}: response of {declared} bytes is over the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"GET {url}: response is over the {max_bytes} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(response: httpx.Response, max_bytes: int) -> None:
    """Read an inbox's answer, up to a small cap, so that its connection can serve the next delivery."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > max_bytes:
            return


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def default_client(guard: AddressGuard, *, max_connections: int = 100, timeout: float = 10.0) -> httpx.AsyncClient:
    """An outbound client: timeouts on every phase, no automatic redirects, connections only to addresses the
    guard has checked. A process opens two, one for documents and one for deliveries (see :class:`Fetcher`)."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections // 4, keepalive_expiry=KEEPALIVE
    )
    transport = GuardedTransport(guard, limits=limits)
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False)


def json_body(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
