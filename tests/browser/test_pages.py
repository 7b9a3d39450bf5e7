"""Every page in Chromium at a phone's and a laptop's width: valid HTML5 (the Nu HTML Checker), a title and an
``<h1>``, no serious or critical axe-core violation, and a screenshot kept in ``test-artifacts/``. A members-only
figure shows a stranger its teaser, never its value."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import uvicorn

from actors import store
from chiffres.app import Federation, build_app
from fedi.instance import Instance
from ledger.publication import Publisher
from tests.ledger.members import group_with_members
from tests.support.browser import ARTEFACTS, FLAGS, Tools, serious_violations, validate, validate_all

WIDTHS = (360, 1280)


@contextlib.asynccontextmanager
async def serving(fed: Federation) -> AsyncIterator[str]:
    """The application on a loopback port, in the test's own event loop (its database pool lives there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(fed), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _figure(instance: Instance) -> str:
    """A members-only group with a member and a figure of theirs; the figure's path."""
    from fedi import keys

    clock = instance.clock
    group, [ana] = await group_with_members(instance, keys.generate(), clock, ("ana",))
    publisher = Publisher(instance.pool, instance.urls, clock, "fr")
    fields = {
        "value": "812.37",
        "unit": "€/mois",
        "measures": "loyer médian d'un T2",
        "place": "Lyon",
        "period": "2026-Q2",
        "source": "https://observatoire.example/loyers",
    }
    stored = await publisher.publish(ana, group, fields, "fr")
    assert stored.figure.value == Decimal("812.37")
    return stored.uri.removeprefix(instance.urls.base)


@pytest.mark.parametrize("width", WIDTHS)
async def test_every_page_is_valid_accessible_and_titled(
    fed: Federation, instance: Instance, page_tools: Tools, width: int
) -> None:
    from playwright.async_api import async_playwright

    figure = await _figure(instance)
    await store.create(instance.pool, "ouvert", "group", visibility="public")
    pages = {
        "home": "/",
        "group": "/actors/loyers",
        "public-group": "/actors/ouvert",
        "profile": "/actors/ana",
        "about": "/about",
        "search": "/search?q=loyer",
        "search-refused": "/search?period=nope",
        "charter": "/charter",
        "tag": "/tags/loyers",
        "figure-teaser": figure,
        "signin": "/signin",
        "signup": "/signup",
        "not-found": "/nowhere",
        "object-not-found": "/objects/7c1f0a52-0b5e-4bb0-9d3e-000000000000",
        "charter-en": "/charter?lang=en",  # last: the switch keeps English for the pages after it
    }
    problems: list[str] = []
    sent: dict[str, str] = {}
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    async with serving(fed) as base, async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(page_tools.chromium), args=list(FLAGS))
        try:
            page = await browser.new_page(viewport={"width": width, "height": 800}, locale="fr-FR")
            for name, path in pages.items():
                async with httpx.AsyncClient() as client:
                    sent[name] = (await client.get(base + path, headers={"Accept": "text/html"})).text
                await page.goto(base + path)
                if not (await page.title()).strip():
                    problems.append(f"{name}: no title")
                if not await page.evaluate(f"() => document.documentElement.scrollWidth <= {width}"):
                    problems.append(f"{name}: wider than {width} px")
                if await page.locator("h1").count() != 1:
                    problems.append(f"{name}: {await page.locator('h1').count()} <h1>")
                problems += [f"{name}: {found}" for found in await serious_violations(page_tools, page)]
                await page.screenshot(path=str(ARTEFACTS / f"{name}-{width}.png"), full_page=True)
                if name == "figure-teaser":
                    text = await page.inner_text("body")
                    if "812" in text or "Demander l'accès" not in text:
                        problems.append(f"{name}: the teaser shows the value or no way in: {text[:200]!r}")
        finally:
            await browser.close()
    problems += [f"{name}: {error}" for name, errors in validate_all(page_tools, sent).items() for error in errors]
    assert not problems, "\n".join(problems)


def test_the_checker_reports_what_is_wrong(page_tools: Tools) -> None:
    """The validator is really at work: a page without a doctype or a title, with a stray end tag, fails."""
    errors = validate(page_tools, "<html><body><p>un</div></body></html>")
    assert len(errors) >= 2, errors
    assert validate(page_tools, '<!doctype html><html lang="fr"><title>t</title><h1>t</h1></html>') == []


async def test_axe_reports_a_serious_violation(page_tools: Tools) -> None:
    """axe-core is really at work: an image without a text alternative is a critical violation."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(page_tools.chromium), args=list(FLAGS))
        try:
            page = await browser.new_page(locale="fr-FR")
            await page.set_content('<!doctype html><html lang="fr"><title>t</title><h1>t</h1><img src="x.png">')
            found = await serious_violations(page_tools, page)
        finally:
            await browser.close()
    assert any(line.startswith("image-alt") for line in found), found
