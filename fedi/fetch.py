"""Signed outbound HTTP: GET of ActivityPub documents and POST of activities, through one httpx client.

Every request is signed (draft-cavage, as Mastodon signs), since servers in authorized-fetch mode and every
bovine-based server refuse unsigned GETs. Responses are read with a size cap, redirects are followed by hand so
each hop passes the address guard, and a fetched document must come from the host it claims as its id's host.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from fedi.addresses import AddressGuard, ForbiddenAddress
from fedi.negotiation import ACTIVITY_JSON, LD_JSON_AS2
from fedi.signatures import sign_cavage
from fedi.types import JSON, Clock

MAX_DOCUMENT = 1024 * 1024
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


class Fetcher:
    def __init__(
        self, client: httpx.AsyncClient, guard: AddressGuard, clock: Clock, *, user_agent: str = USER_AGENT
    ) -> None:
        self._client = client
        self._guard = guard
        self._clock = clock
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
            document = json.loads(body)
        except ValueError:
            raise FetchError(f"{url}: the response is not JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"{url}: the response is not a JSON object")
        if check_id and isinstance(document.get("id"), str) and _host(document["id"]) != _host(final_url):
            raise FetchError(f"{url}: document id {document['id']!r} is not on {_host(final_url)}")
        return document

    async def _get(self, url: str, signer: Signer, accept: str, max_bytes: int) -> tuple[httpx.Response, bytes, str]:
        for _ in range(4):
            await self._check(url)
            headers = self._headers("GET", url, signer, None) | {"Accept": accept}
            try:
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"GET {url}: HTTP {response.status_code}", status=response.status_code)
                    return response, await _read_capped(response, max_bytes, url), url
            except httpx.HTTPError as error:
                raise FetchError(f"GET {url}: {type(error).__name__}: {error}", temporary=True) from None
        raise FetchError(f"GET {url}: too many redirects")

    async def post(
        self, url: str, body: bytes, signer: Signer, extra_headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST an activity; the caller decides what the status means (delivery policy)."""
        await self._check(url)
        headers = self._headers("POST", url, signer, body) | (extra_headers or {})
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise FetchError(f"POST {url}: {type(error).__name__}: {error}", temporary=True) from None
        await response.aclose()
        return response

    async def _check(self, url: str) -> None:
        try:
            await self._guard.check(url)
        except ForbiddenAddress as error:
            raise FetchError(str(error)) from None

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


def _host(url: str) -> str:
    return (urlsplit(url).netloc or "").lower()


def default_client(timeout: float = 10.0) -> httpx.AsyncClient:
    """The one outbound client of a process: timeouts on every phase, no automatic redirects."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=5.0), limits=limits, follow_redirects=False)


def json_body(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
