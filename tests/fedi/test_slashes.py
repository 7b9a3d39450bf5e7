"""The other form of a served path redirects to the configured base, whatever the request's scheme and host."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fedi.slashes import TrailingSlashes

BASE = "https://chiffres.example"


async def echo(request: Request) -> Response:
    return PlainTextResponse(f"{request.method} {request.url.path}")


ROUTES = [
    Route("/tags/{tag}", echo),
    Route("/inbox", echo, methods=["POST"]),
    Route("/api/v1/apps/", echo),
]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=ROUTES, middleware=[Middleware(TrailingSlashes, base=BASE, routes=ROUTES)])
    app.router.redirect_slashes = False
    # Asked over plain http under another name, as behind a TLS proxy that forwards neither scheme nor host.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://internal:8000") as opened:
        yield opened


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/tags/loyers/", f"{BASE}/tags/loyers"),
        ("/tags/loyers//", f"{BASE}/tags/loyers"),
        ("/tags/caf%C3%A9/?page=2", f"{BASE}/tags/caf%C3%A9?page=2"),
        ("/api/v1/apps", f"{BASE}/api/v1/apps/"),
    ],
)
async def test_the_other_form_redirects_to_the_configured_base(
    client: httpx.AsyncClient, path: str, location: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example", "X-Forwarded-Proto": "http"})
    assert response.status_code == 307
    assert response.headers["location"] == location


async def test_a_redirect_keeps_the_method(client: httpx.AsyncClient) -> None:
    response = await client.post("/inbox/", content=b"{}")
    assert response.status_code == 307
    assert response.headers["location"] == f"{BASE}/inbox"


@pytest.mark.parametrize("path", ["/tags/loyers", "/api/v1/apps/"])
async def test_a_path_served_as_asked_is_not_redirected(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.text == f"GET {path}"


@pytest.mark.parametrize("path", ["/nothing/", "/nothing", "/", "/tags/a%2F"])
async def test_a_path_served_in_neither_form_is_left_to_the_router(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code in (200, 404)
    assert "location" not in response.headers
