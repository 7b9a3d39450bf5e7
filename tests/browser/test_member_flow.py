"""A newcomer's whole path, in Chromium, against a running ``chiffres serve`` (web and worker, its own database).

Ana signs up and accepts the charter, an admin approves her account, she asks to join the group and its moderator
lets her in from the moderation page; she asks for a figure and sees Bruno's answer; she publishes a figure,
endorses one of Bruno's and proposes a correction to another, and sees the consensus line and the chart change as
the worker recomputes them. A stranger opening the members-only figure sees its teaser, never its value. The path
runs at a phone's width and at a laptop's; every step leaves a screenshot in ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import ARTEFACTS, FLAGS, Tools, serious_violations, validate_all
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
WIDTHS = (360, 1280)


@pytest.fixture(scope="module")
def site(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstanceProcess]:
    """The instance: a members-only group whose follows a moderator answers; Bruno, a member who publishes."""
    with fleet(cluster, tmp_path_factory, ["site"]) as running:
        instance = running["site"]
        instance.cli("actor", "create", "loyers", "--group", "--display-name", "Loyers de Lyon")
        instance.cli("group", "policy", "loyers", "admin")
        instance.cli("actor", "create", "bruno", "--display-name", "Bruno")
        join(instance, "bruno", "loyers")
        instance.cli("group", "moderator", "add", "loyers", "bruno")
        yield instance


class Checks:
    """Each page of the path as it stands: a screenshot; its HTML as the server sent it (fetched again with the
    browser's cookies) through the Nu HTML Checker at one width; a title, one ``<h1>`` and axe-core at both."""

    def __init__(self, tools: Tools, width: int) -> None:
        self.tools, self.width = tools, width
        self.problems: list[str] = []
        self.sent: dict[str, str] = {}

    async def __call__(self, page: Any, name: str) -> None:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTEFACTS / f"flow-{name}-{self.width}.png"), full_page=True)
        if not (await page.title()).strip():
            self.problems.append(f"{name}: no title")
        if not await page.evaluate(_no_horizontal_scroll(self.width)):
            self.problems.append(f"{name}: wider than {self.width} px")
        if await page.locator("h1").count() != 1:
            self.problems.append(f"{name}: {await page.locator('h1').count()} <h1>")
        self.problems += [f"{name}: {found}" for found in await serious_violations(self.tools, page)]
        if self.width == WIDTHS[-1]:
            sent = await (await page.request.get(page.url, headers={"Accept": "text/html"})).text()
            if len(sent.encode()) > 100_000:
                self.problems.append(f"{name}: {len(sent.encode())} bytes")
            self.sent[name] = sent

    def verdict(self) -> list[str]:
        """Every problem seen, the checker's about every page sent included (one run of it for them all)."""
        checked = validate_all(self.tools, self.sent)
        return self.problems + [f"{name}: {error}" for name, errors in checked.items() for error in errors]


def _no_horizontal_scroll(width: int) -> str:
    return f"() => document.documentElement.scrollWidth <= {width}"


async def _sign_up(page: Any, base: str, name: str) -> None:
    await page.goto(f"{base}/signup")
    await page.get_by_label("Nom d'utilisateur").fill(name)
    await page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    await page.get_by_label("Mot de passe (encore)").fill(PASSWORD)
    await page.locator("#charter").check()
    await page.get_by_role("button", name="Créer un compte").click()


async def _sign_in(page: Any, base: str, name: str) -> None:
    await page.goto(f"{base}/signin")
    await page.get_by_label("Nom d'utilisateur").fill(name)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()


def _request_id(site: InstanceProcess, asker: str, measures: str) -> str:
    """The id of the open request that ``asker`` made for ``measures`` (``chiffres request list``)."""
    for line in site.cli("request", "list", "loyers", "--status", "open").stdout.splitlines()[1:]:
        cells = line.split("\t")
        if cells[3] == measures and cells[7] == f"@{asker}@{site.domain}":
            return cells[0]
    raise AssertionError(f"no open request of {asker} for {measures}")


async def _consensus_text(page: Any) -> str:
    return str(await page.inner_text("section[aria-labelledby=consensus]"))


@pytest.mark.parametrize("width", WIDTHS)
async def test_a_newcomer_joins_asks_publishes_endorses_and_corrects(
    site: InstanceProcess, page_tools: Tools, width: int
) -> None:
    from playwright.async_api import ViewportSize, async_playwright

    base, ana, modo = site.base, f"ana_{width}", f"modo_{width}"
    endorsed = publish_figure(site, "bruno", "loyers", value="812.37", period="2026-Q1")
    corrected = publish_figure(site, "bruno", "loyers", value="905", period="2026-Q2", place="Villeurbanne")
    measures = f"loyer médian d'un T3 ({width})"
    check = Checks(page_tools, width)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(page_tools.chromium), args=list(FLAGS))
        try:
            viewport = ViewportSize(width=width, height=900)
            page = await (await browser.new_context(viewport=viewport, locale="fr-FR")).new_page()
            moderator = await (await browser.new_context(viewport=viewport, locale="fr-FR")).new_page()
            stranger = await (await browser.new_context(viewport=viewport, locale="fr-FR")).new_page()

            # Sign up, accepting the charter; the account waits for an admin, who approves it.
            await _sign_up(page, base, ana)
            assert "validé" in await page.inner_text("main")
            await check(page, "1-signed-up")
            site.cli("account", "approve", ana)
            await _sign_in(page, base, ana)

            # Ask to join the group; its moderator lets her in from the moderation page.
            await page.goto(f"{base}/account")
            await check(page, "account")
            await page.locator('form[action="/groups/loyers/join"] button').click()
            assert "demande en attente" in await page.inner_text("main")
            await _sign_up(moderator, base, modo)
            site.cli("account", "approve", modo)
            join(site, modo, "loyers")
            site.cli("group", "moderator", "add", "loyers", modo)
            await _sign_in(moderator, base, modo)
            await moderator.goto(f"{base}/moderation")
            await check(moderator, "moderation-index")
            await moderator.goto(f"{base}/moderation/groups/loyers")
            await check(moderator, "2-moderation")
            await moderator.get_by_role("button", name=re.compile(f"Approuver @{ana}@")).click()
            await page.goto(f"{base}/account")
            assert "membre" in await page.inner_text("main")

            # Ask for a figure; another member answers; the answer is one click away.
            await page.goto(f"{base}/groups/loyers/requests")
            ask = page.locator('form[action="/groups/loyers/requests"]')
            await ask.locator("input[name=measures]").fill(measures)
            await ask.locator("input[name=place]").fill("Lyon")
            await ask.locator("input[name=period]").fill("2026-Q3")
            await ask.locator("input[name=unit]").fill("€/mois")
            await ask.get_by_role("button", name="Envoyer la demande").click()
            asked = await page.inner_text("main")
            assert measures in asked
            assert "3e trimestre 2026" in asked, "a period in words, as the notes write it"
            await check(page, "3-asked")
            request_id = _request_id(site, ana, measures)
            site.cli(
                "request", "answer", request_id, "--as", "bruno", "--value", "1020", "--unit", "€/mois",
                "--source", "https://observatoire.example/t3",
            )  # fmt: skip
            await page.goto(f"{base}/groups/loyers/requests")
            await page.get_by_role("link", name="Voir la réponse").first.click()
            assert "1\u202f020" in await page.inner_text("main")
            await check(page, "4-answer")

            # Publish a figure of her own.
            await page.goto(f"{base}/groups/loyers/publish")
            await check(page, "publish-form")
            form = page.locator('form[action="/groups/loyers/publish"]')
            for name, value in {
                "value": "640",
                "unit": "€/mois",
                "measures": "loyer médian d'un studio",
                "place": "Lyon",
                "period": "2026-Q2",
                "source": "https://observatoire.example/studios",
            }.items():
                await form.locator(f"[name={name}]").fill(value)
            await form.get_by_role("button", name="Publier").click()
            assert re.search(r"/objects/[0-9a-f-]{36}$", page.url), page.url
            assert "640" in await page.inner_text("h1, main")
            await check(page, "5-published")

            # Endorse one of Bruno's figures, and propose a correction to another.
            await page.goto(endorsed)
            await page.get_by_role("button", name="Approuver ce chiffre").click()
            assert f"@{ana}@" in await page.inner_text("section[aria-labelledby=claims]")
            await page.goto(corrected)
            before_text = await _consensus_text(page)
            before_chart = await page.locator("section[aria-labelledby=chart] img").get_attribute("src")
            assert before_chart is not None
            before_svg = await (await page.request.get(before_chart)).body()
            await page.get_by_role("link", name="Proposer une correction").click()
            await check(page, "correct-form")
            correct = page.locator("form:has(button:text('Envoyer la correction'))")
            await correct.locator("[name=value]").fill("960")
            await correct.locator("[name=source]").fill("https://observatoire.example/villeurbanne")
            await correct.locator("[name=reason]").fill("relevé de l'observatoire, deuxième trimestre")
            await correct.get_by_role("button", name="Envoyer la correction").click()

            for _ in range(120):  # the worker recomputes the consensus in the background
                await page.goto(corrected)
                if await _consensus_text(page) != before_text:
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError(f"the consensus line never changed: {before_text!r}")
            after_chart = await page.locator("section[aria-labelledby=chart] img").get_attribute("src")
            assert after_chart is not None
            assert after_chart != before_chart, "the chart has a new address"
            assert (await (await page.request.get(after_chart)).body()) != before_svg, "and a new drawing"
            assert "960" in await page.inner_text("section[aria-labelledby=claims]")
            await check(page, "6-consensus")

            # A stranger sees the teaser of the members-only figure, never its value.
            answer = await stranger.goto(endorsed)
            assert answer is not None
            assert answer.status == 403
            text = await stranger.inner_text("body")
            assert "812" not in text
            assert "Demander l'accès" in text
            await check(stranger, "7-teaser")
            for each in (page, moderator, stranger):
                assert await each.evaluate(_no_horizontal_scroll(width)), each.url
        finally:
            await browser.close()
    problems = check.verdict()
    assert not problems, "\n".join(problems)
