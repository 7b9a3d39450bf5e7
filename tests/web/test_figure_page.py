"""A figure's page in a browser: the figure, its consensus with the claims behind it, its versions, its chart, how to
endorse or correct it from Mastodon, and — for an approved member of its group — the buttons to do it here."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from actors import store
from chiffres.app import Federation
from figures.claims import ClaimedValue
from figures.note import Contributor
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.publication import Publisher, StoredFigure
from ledger.requests import Requests, wanted
from tests.support.browser import ARTEFACTS, FLAGS, Tools, serious_violations, tools, validate
from tests.web.test_accounts import Client, make_client, signup
from tests.web.test_api import Ticking, join, rent

__all__ = ["make_client"]  # the fixture

PEERS = ("https://b.example/actors/bea", "https://c.example/actors/cyril")


def shown(page: httpx.Response) -> str:
    """The page's text as read: tags dropped, entities decoded, every space a plain space."""
    text = re.sub(r"<[^>]+>", " ", page.text)
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u202f", " ").replace("\u00a0", " "))


async def corrected_rent(fed: Federation, visibility: str = "public") -> tuple[StoredFigure, str]:
    """marie publishes 845 €/mois into ``loyers``, changes it to 812, and two peers correct it to 905."""
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    group = await store.create(pool, "loyers", "group", visibility="public" if visibility == "public" else "members")
    marie = await store.get(pool, "marie")
    await join(pool, urls, marie, group, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    published = await publisher.publish(marie, group, rent(source={"url": "https://example.org/loyers"}), "fr")
    await publisher.update(published.uri, {"value": "812"}, marie)
    for actor in PEERS:
        async with pool.acquire() as connection:
            await claims.record(
                connection,
                published.uri,
                actor,
                actor.split("/")[2],
                ClaimedValue("correct", Decimal("905"), parsed=True),
                f"{actor}/notes/1",
                datetime.now(UTC),
            )
    await ConsensusJob(pool, urls, clock, publisher).recompute(published.uri)
    return published, published.uri.removeprefix(urls.base)


async def test_a_reader_sees_the_figure_its_consensus_claims_and_versions(make_client: Client, fed: Federation) -> None:
    author = await make_client(signup="open")
    await signup(author, "marie")
    figure, path = await corrected_rent(fed)
    reader = await make_client()

    page = await reader.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = shown(page)
    assert page.text.count("<h1") == 1
    assert "<title>loyer médian d'un T2 · Paris 11e (75111) · 1er trimestre 2026</title>" in html.unescape(page.text)
    assert "812 €/mois" in text
    assert "Source example.org" in text or "https://example.org/loyers" in page.text
    assert 'href="https://chiffres.test/actors/loyers"' in page.text
    assert "@marie@chiffres.test" in text
    stored = await fed.instance.pool.fetchrow("SELECT status FROM consensus WHERE figure_uri = $1", figure.uri)
    word = {"confirmed": "confirmé", "corrected": "corrigé", "contested": "contesté", "insufficient": "en attente"}
    assert stored is not None
    assert f"Statut {word[stored['status']]}" in text
    assert "Intervalle (bas – haut)" in text
    assert "Accord" in text
    for handle in ("@bea@b.example", "@cyril@c.example"):
        assert handle in text
    assert text.count("correction (lue dans le texte d'une réponse)") == 2
    assert "905 €/mois" in text
    assert "publication" in text
    assert re.search(r"2 812 €/mois \d+ mai 2026 Valeur", text), "version 2 says its value changed"
    assert "1 845 €/mois 1er mai 2026 première version" in text or "1 845 €/mois 1 mai 2026 première version" in text
    assert "plutôt 812 €/mois, source : https://…" in text
    assert "@loyers@chiffres.test" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", re.sub(r'(datetime|content|href)="[^"]*"', "", page.text))
    name = path.rsplit("/", 1)[-1]
    assert f'<meta property="og:image" content="https://chiffres.test/charts/{name}.png">' in page.text
    assert f'<meta property="og:url" content="{figure.uri}">' in page.text
    assert '<meta property="og:type" content="article">' in page.text
    assert f'<link rel="alternate" type="application/activity+json" href="{figure.uri}">' in page.text
    chart = rf'<img src="https://chiffres.test/charts/{name}.svg\?v=2\.\d+\.\d+" alt="'
    assert re.search(chart, page.text), "version 2"
    assert "Approuver ce chiffre" not in text, "no buttons for someone signed out"
    assert len(page.content) < 100_000

    english = await reader.get(path + "?lang=en")
    assert "Version history" in shown(english)
    assert "1 May 2026" in shown(english)
    assert "rather €812/month, source: https://…" in shown(english)


async def test_a_figure_without_consensus_says_so(make_client: Client, fed: Federation) -> None:
    author = await make_client(signup="open")
    await signup(author, "marie")
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    group = await store.create(pool, "loyers", "group")
    marie = await store.get(pool, "marie")
    await join(pool, urls, marie, group, clock)
    published = await Publisher(pool, urls, clock, "fr").publish(marie, group, rent(measures="<b>loyer</b>"), "fr")
    page = await author.get(published.uri.removeprefix(urls.base))
    assert page.status_code == 200
    assert "Aucun consensus n'est encore calculé" in shown(page)
    assert "&lt;b&gt;loyer&lt;/b&gt;" in page.text
    assert "<b>loyer" not in page.text


async def test_members_get_the_buttons_and_only_the_author_the_edit_link(make_client: Client, fed: Federation) -> None:
    author, other, stranger = [await make_client(signup="open") for _ in range(3)]
    await signup(author, "marie")
    await signup(other, "paul")
    await signup(stranger, "lea")
    _, path = await corrected_rent(fed, "members")
    pool, urls = fed.instance.pool, fed.instance.urls
    await join(pool, urls, await store.get(pool, "paul"), await store.get(pool, "loyers"), Ticking())
    name = path.rsplit("/", 1)[-1]

    mine = await author.get(path)
    assert mine.status_code == 200
    assert f'action="https://chiffres.test/objects/{name}/endorse"' in mine.text
    token = re.search(r'name="csrf" value="([^"]+)"', mine.text)
    assert token is not None
    assert token.group(1)
    assert f'href="https://chiffres.test/objects/{name}/correct"' in mine.text
    assert f'href="https://chiffres.test/objects/{name}/edit"' in mine.text
    theirs = await other.get(path)
    assert theirs.status_code == 200
    assert f'action="https://chiffres.test/objects/{name}/endorse"' in theirs.text
    assert f"/objects/{name}/edit" not in theirs.text
    refused = await stranger.get(path)
    assert refused.status_code == 403
    assert "812" not in refused.text
    assert "/endorse" not in refused.text


async def test_each_published_change_of_the_consensus_is_kept_and_listed(make_client: Client, fed: Federation) -> None:
    author = await make_client(signup="open")
    await signup(author, "marie")
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    group = await store.create(pool, "loyers", "group")
    marie = await store.get(pool, "marie")
    await join(pool, urls, marie, group, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    figure = await publisher.publish(marie, group, rent(value="812"), "fr")
    job = ConsensusJob(pool, urls, clock, publisher)

    async def claim(domain: str, kind: str, value: str) -> None:
        actor = f"https://{domain}/actors/someone"
        await claims.set_trust(pool, domain, 1.0)
        async with pool.acquire() as connection:
            await claims.record(
                connection, figure.uri, actor, domain, ClaimedValue(kind, Decimal(value)), f"{actor}/1", clock()
            )

    for domain in ("b.example", "c.example"):
        await claim(domain, "endorse", "812")
    await job.recompute(figure.uri)
    for domain in ("d.example", "e.example", "f.example", "g.example", "h.example"):
        await claim(domain, "correct", "905")
    await job.recompute(figure.uri)

    kept = await pool.fetch("SELECT status FROM consensus_history WHERE figure_uri = $1 ORDER BY id", figure.uri)
    assert len(kept) == 2, "the second pass changed the status, and was published"
    assert kept[0]["status"] == "confirmed"
    assert kept[1]["status"] != "confirmed"
    page = shown(await author.get(figure.uri.removeprefix(urls.base)))
    assert "Consensus dans le temps" in page
    assert re.search(r"Date Valeur du consensus Intervalle \(bas – haut\) \d+ \w+ 2026 9\d\d €/mois", page)


async def test_a_note_that_is_no_figure_keeps_its_plain_page(make_client: Client, fed: Federation) -> None:
    reader = await make_client(signup="open")
    await signup(reader, "marie")
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    group = await store.create(pool, "loyers", "group")
    await join(pool, urls, await store.get(pool, "marie"), group, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    asked, _ = await Requests(pool, urls, clock, "fr", publisher).ask(
        Contributor(urls.actor("marie"), "marie", urls.domain), group, wanted("prix du pain", "Lyon", "2026")
    )
    page = await reader.get(asked.uri.removeprefix(urls.base), headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "prix du pain" in shown(page)
    assert "og:image" not in page.text
    assert "/charts/" not in page.text


@pytest.fixture(scope="module")
def checkers() -> Tools:
    found = tools()
    if isinstance(found, str):
        pytest.skip(found)
    return found


async def test_the_page_is_valid_html_and_accessible_signed_in_or_not(
    make_client: Client, fed: Federation, checkers: Tools
) -> None:
    from playwright.async_api import async_playwright

    from tests.browser.test_pages import serving

    author = await make_client(signup="open")
    await signup(author, "marie")
    _, path = await corrected_rent(fed)
    problems = [f"member: {error}" for error in validate(checkers, (await author.get(path)).text)]
    async with serving(fed) as base, async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(checkers.chromium), args=list(FLAGS))
        try:
            async with httpx.AsyncClient() as client:
                sent = (await client.get(base + path, headers={"Accept": "text/html"})).text
            problems += [f"anyone: {error}" for error in validate(checkers, sent)]
            for width in (360, 1280):
                page = await browser.new_page(viewport={"width": width, "height": 800}, locale="fr-FR")
                await page.goto(base + path)
                problems += [f"{width}: {found}" for found in await serious_violations(checkers, page)]
                ARTEFACTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(ARTEFACTS / f"figure-{width}.png"), full_page=True)
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)


async def _claim(fed: Federation, uri: str, actor: str, domain: str, value: str = "905") -> None:
    async with fed.instance.pool.acquire() as connection:
        await claims.record(
            connection,
            uri,
            actor,
            domain,
            ClaimedValue("correct", Decimal(value), parsed=True),
            f"{actor}/notes/{value}",
            datetime.now(UTC),
        )


async def test_a_crowded_figure_lists_its_heaviest_claims_and_links_only_web_addresses(
    make_client: Client, fed: Federation
) -> None:
    """Peers may send thousands of claims, name their actors as they like and give them any id: the page lists
    the 100 heaviest and counts the rest, cuts a long name, and links an actor only at an http(s) address."""
    reader = await make_client(signup="open")
    await signup(reader, "marie")
    figure, path = await corrected_rent(fed)
    for number in range(150):
        await _claim(fed, figure.uri, f"https://d{number}.example/actors/a{number}", f"d{number}.example")
    await _claim(fed, figure.uri, "javascript:alert(1)//x", "evil.example")
    await fed.instance.pool.execute(
        "INSERT INTO remote_actors (uri, preferred_username, inbox, domain, document, fetched_at)"
        " VALUES ($1, $2, $3, 'd0.example', '{}'::jsonb, now()) ON CONFLICT DO NOTHING",
        "https://d0.example/actors/a0",
        "x" * 5000,
        "https://d0.example/inbox",
    )
    await ConsensusJob(fed.instance.pool, fed.instance.urls, Ticking(), Publisher(
        fed.instance.pool, fed.instance.urls, Ticking(), "fr")).recompute(figure.uri)  # fmt: skip
    page = await reader.get(path)
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td>", page.text.split('aria-labelledby="claims"')[1].split("</table>")[0])
    assert len(rows) == 100, len(rows)
    more = re.search(r"Autres contributions prises en compte, de moindre poids : (\d+)", shown(page))
    assert more is not None
    standing = await fed.instance.pool.fetchval(
        "SELECT count(DISTINCT actor) FROM claims WHERE figure_uri = $1 AND withdrawn_at IS NULL", figure.uri
    )
    assert standing > 150
    assert int(more.group(1)) == standing - 100
    assert 'href="javascript:' not in page.text
    assert "x" * 65 not in page.text
    assert len(page.content) < 100_000


async def test_the_claims_shown_are_kept_only_until_a_new_claim(make_client: Client, fed: Federation) -> None:
    reader = await make_client(signup="open")
    await signup(reader, "marie")
    figure, path = await corrected_rent(fed)
    before = shown(await reader.get(path))
    assert "@zoe@z.example" not in before
    assert shown(await reader.get(path)) == before, "the same state, the same page"
    await _claim(fed, figure.uri, "https://z.example/actors/zoe", "z.example", "990")
    assert "@zoe@z.example" in shown(await reader.get(path))
