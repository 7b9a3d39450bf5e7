"""The language of pages: the switch, then the cookie, then the browser's languages, then the instance's."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from chiffres.app import Federation, build_app
from fedi import keys
from fedi.instance import Instance
from figures.numbers import format_decimal
from ledger.publication import Publisher
from tests.conftest import TEST_DOMAIN
from tests.ledger.members import group_with_members
from web.locale import COOKIE, accepted, chosen


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("fr-CA, en;q=0.5", "fr"),
        ("de-DE,de;q=0.9,en;q=0.8,fr;q=0.7", "en"),
        ("de, fr;q=0.1, en;q=0", "fr"),  # q=0 means "not this one"
        ("en;q=0.2, fr;q=0.8", "fr"),  # by quality, not by position
        ("de, it", None),
        ("", None),
        ("*;q=0.5, ;;;, en;q=abc, xx-!!", None),  # nonsense chooses nothing rather than failing
    ],
)
def test_the_browsers_languages_choose_by_quality(header: str, expected: str | None) -> None:
    assert accepted(header) == expected


def test_the_switch_beats_the_cookie_which_beats_the_browser() -> None:
    assert chosen("en", "fr", "fr", "fr") == "en"
    assert chosen(None, "en", "fr", "fr") == "en"
    assert chosen("de", "xx", "en-GB", "fr") == "en"
    assert chosen(None, None, None, "en") == "en"


@pytest.fixture
async def browser(fed: Federation) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(fed))
    return httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}", headers={"Accept": "text/html"})


async def test_a_page_speaks_the_browsers_language_and_says_so(browser: httpx.AsyncClient) -> None:
    async with browser:
        english = await browser.get("/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
        french = await browser.get("/signin", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    assert '<html lang="fr">' in french.text
    assert "Se connecter" in french.text
    assert english.headers["content-language"] == "en"
    assert {"Accept-Language", "Cookie"} <= {part.strip() for part in english.headers["vary"].split(",")}


async def test_the_switch_is_remembered_and_a_broken_cookie_is_ignored(browser: httpx.AsyncClient) -> None:
    async with browser:
        switched = await browser.get("/", params={"lang": "en"}, headers={"Accept-Language": "fr"})
        assert f"{COOKIE}=en" in switched.headers["set-cookie"]
        assert "SameSite=Lax" in switched.headers["set-cookie"]
        later = await browser.get("/", headers={"Accept-Language": "fr"})
        assert '<html lang="en">' in later.text
        browser.cookies.clear()
        broken = await browser.get("/", headers={"Cookie": 'chiffres_lang="\\', "Accept-Language": "fr"})
    assert broken.status_code == 200
    assert '<html lang="fr">' in broken.text


async def test_an_unknown_object_is_a_page_in_one_language_for_a_browser_and_json_for_a_server(
    browser: httpx.AsyncClient,
) -> None:
    path = "/objects/7c1f0a52-0b5e-4bb0-9d3e-000000000000"
    async with browser:
        french = await browser.get(path, headers={"Accept-Language": "fr"})
        english = await browser.get(path, headers={"Accept-Language": "en"})
        server = await browser.get(path, headers={"Accept": "application/activity+json"})
        actor = await browser.get("/actors/personne", headers={"Accept-Language": "fr"})
    assert french.status_code == english.status_code == server.status_code == actor.status_code == 404
    assert "Page introuvable" in french.text
    assert "no such" not in french.text
    assert "Not found" not in french.text
    assert "Page not found" in english.text
    assert "introuvable" not in english.text
    assert server.json() == {"error": "no such object", "status": 404}
    assert "<h1>Page introuvable</h1>" in actor.text


async def test_numbers_are_written_in_the_readers_locale_on_every_page(fed: Federation, instance: Instance) -> None:
    """The hashtag page writes values as the notes do — "2 150,50 €/mois" in French, "2,150.50" in English —
    keeping every digit given."""
    group, [ana] = await group_with_members(instance, keys.generate(), instance.clock, ("ana",), visibility="public")
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    fields = {
        "value": "2150.50",
        "unit": "€/mois",
        "measures": "loyer médian",
        "place": "Lyon",
        "period": "2026-Q2",
        "source": "https://observatoire.example/loyers",
        "tags": ["loyers"],
    }
    await publisher.publish(ana, group, fields, "fr")
    transport = httpx.ASGITransport(app=build_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as client:
        french = await client.get("/tags/loyers", headers={"Accept": "text/html", "Accept-Language": "fr"})
        english = await client.get("/tags/loyers", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert "2\u202f150,50" in french.text
    assert "2,150.50" in english.text
    assert "2150" not in french.text + english.text


def test_the_formatter_keeps_every_digit_in_both_locales() -> None:
    assert format_decimal(Decimal("845.50"), "fr") == "845,50"
    assert format_decimal(Decimal("-1234.5"), "en") == "-1,234.5"
    big = Decimal("-999999999999999.999999999999999")
    assert format_decimal(big, "fr") == "-999\u202f999\u202f999\u202f999\u202f999,999999999999999"
