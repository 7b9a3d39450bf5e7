"""Pages that belong to no actor, reached the way other servers link to them."""

from __future__ import annotations

import httpx

from chiffres.app import Federation, build_app
from fedi.config import Settings
from ledger import charter
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


async def test_the_charter_page_serves_the_charter_and_its_version_in_both_languages(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    shipped = charter.load(settings.data_dir)
    french = await client.get("/charter", headers={"Accept": "text/html"})
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text
    assert shipped.html("fr") in french.text
    assert shipped.version in french.text
    assert f'<link rel="alternate" hreflang="en" href="https://{TEST_DOMAIN}/charter?lang=en">' in french.text
    english = await client.get("/charter", params={"lang": "en"}, headers={"Accept": "text/html"})
    assert '<html lang="en">' in english.text
    assert "<title>Reciprocity charter</title>" in english.text
    assert shipped.html("en") in english.text
    assert shipped.version in english.text
    assert f'hreflang="fr" href="https://{TEST_DOMAIN}/charter?lang=fr"' in english.text
    client.cookies.clear()  # ?lang=en was remembered, as the language switch is
    unknown = await client.get("/charter", params={"lang": "de"}, headers={"Accept": "text/html"})
    assert '<html lang="fr">' in unknown.text


async def test_the_charter_page_shows_the_instance_s_own_charter_sanitised(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    source = "# Charte du quartier\n\n<script>alert(1)</script> [lien](javascript:alert(1))\n"
    (settings.data_dir / "charter.md").write_text(source, encoding="utf-8")
    page = await client.get("/charter", headers={"Accept": "text/html"})
    assert "<title>Charte du quartier</title>" in page.text
    assert "<h1>Charte du quartier</h1>" in page.text
    assert "<script>alert" not in page.text
    assert 'href="javascript:' not in page.text
    assert charter.load(settings.data_dir).version in page.text
    machine = (await client.get("/charter", headers={"Accept": "application/activity+json"})).json()
    assert machine["title"] == "Charte du quartier"
    assert machine["version"] == charter.load(settings.data_dir).version


async def test_nodeinfo_names_the_charter_and_its_version(client: httpx.AsyncClient, settings: Settings) -> None:
    for version in ("2.0", "2.1"):
        metadata = (await client.get(f"/nodeinfo/{version}")).json()["metadata"]
        expected = {"url": f"https://{TEST_DOMAIN}/charter", "version": charter.load(settings.data_dir).version}
        assert metadata["charter"] == expected
    (settings.data_dir / "charter.md").write_text("# Autre charte\n", encoding="utf-8")
    changed = (await client.get("/nodeinfo/2.1")).json()["metadata"]["charter"]["version"]
    assert changed == charter.load(settings.data_dir).version != expected["version"]
