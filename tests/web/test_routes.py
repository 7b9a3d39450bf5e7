"""Pages that belong to no actor, reached the way other servers link to them."""

from __future__ import annotations

import httpx

from chiffres.app import Federation, build_app
from tests.conftest import TEST_DOMAIN


async def test_a_hashtag_link_with_a_trailing_slash_stays_on_https(fed: Federation) -> None:
    """Takahē rewrites hashtag links to ``/tags/NAME/``; behind a TLS proxy that sends no ``X-Forwarded-Proto``
    the request reaches us as http, and the redirect must still lead to the instance's https address."""
    transport = httpx.ASGITransport(app=build_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as behind_proxy:
        response = await behind_proxy.get("/tags/carburants/", headers={"Host": TEST_DOMAIN})
        assert response.status_code == 307
        assert response.headers["location"] == f"https://{TEST_DOMAIN}/tags/carburants"
        page = await behind_proxy.get(response.headers["location"].removeprefix(f"https://{TEST_DOMAIN}"))
        assert page.status_code == 200
        assert "#carburants" in page.text


async def test_an_unknown_path_with_a_trailing_slash_is_404(fed: Federation) -> None:
    transport = httpx.ASGITransport(app=build_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as client:
        response = await client.get("/nowhere/", headers={"Accept": "text/html"})
        assert response.status_code == 404
