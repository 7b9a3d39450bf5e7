"""The home page, a group's page, a member's profile and the about page, as a browser reads them."""

from __future__ import annotations

import re

import httpx

from actors import store
from chiffres.app import Federation
from ledger.publication import Publisher
from tests.web.test_accounts import Client, make_client, shown, signup
from tests.web.test_api import Ticking, join, rent

__all__ = ["make_client"]  # the fixture


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_home_lists_groups_with_their_counts_and_the_latest_public_figures(
    make_client: Client, fed: Federation
) -> None:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    client = await make_client(signup="open")
    await signup(client, "marie")
    marie = await store.get(pool, "marie")
    loyers = await store.create(pool, "loyers", "group", display_name="Loyers <b>Lyon</b>", visibility="public")
    entraide = await store.create(pool, "entraide", "group", visibility="members")
    await join(pool, urls, marie, loyers, clock)
    await join(pool, urls, marie, entraide, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    public = await publisher.publish(marie, loyers, rent(value="2150"), "fr")
    await publisher.publish(marie, entraide, rent(value="777"), "fr")

    page = await (await make_client()).get("/")
    text = shown(page)
    assert page.status_code == 200
    assert text.count("<h1>") == 1
    assert "Loyers &lt;b&gt;Lyon&lt;/b&gt;" in page.text  # a display name is text, never markup
    assert "@loyers@chiffres.test · public · chiffres : 1" in " ".join(text.split())
    assert "@entraide@chiffres.test · réservé aux membres · chiffres : 1" in " ".join(text.split())
    assert "2\u202f150\u00a0€/mois" in text or "2 150 €/mois" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert f'href="{public.uri}"' in page.text
    assert "1er trimestre 2026" in text
    assert "777" not in text  # members-only: never on a page for everyone
    assert 'action="https://chiffres.test/search"' in page.text
    assert '<label for="home-q">' in page.text


async def test_a_group_page_shows_each_reader_what_they_may_read_and_how_to_join(
    make_client: Client, fed: Federation
) -> None:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    member, waiting, stranger = [await make_client(signup="open") for _ in range(3)]
    anonymous = await make_client()
    for client, name in ((member, "marie"), (waiting, "paul"), (stranger, "zoe")):
        await signup(client, name)
    marie, paul = await store.get(pool, "marie"), await store.get(pool, "paul")
    group = await store.create(pool, "entraide", "group", visibility="members")
    await join(pool, urls, marie, group, clock)
    from actors import follows

    await follows.follow(pool, urls, paul, urls.actor("entraide"), urls.inbox("entraide"), clock)
    publisher = Publisher(pool, urls, clock, "fr")
    await publisher.publish(marie, group, rent(value="812.5"), "fr")

    seen = await member.get("/actors/entraide", headers={"Accept": "text/html"})
    text = shown(seen)
    assert seen.status_code == 200
    assert "812,5" in text
    assert "Vous êtes membre de ce programme." in text
    assert 'action="https://chiffres.test/groups/entraide/leave"' in seen.text
    assert f'name="csrf" value="{_csrf(seen)}"' in seen.text
    assert len(_csrf(seen)) > 10
    assert 'href="https://chiffres.test/groups/entraide/publish"' in seen.text
    assert 'href="https://chiffres.test/groups/entraide/requests"' in seen.text
    assert "pas encore de consensus" in text

    pending = shown(await waiting.get("/actors/entraide", headers={"Accept": "text/html"}))
    assert "Votre demande d'adhésion est en attente." in pending
    assert "812,5" not in pending
    assert "Chiffres réservés aux membres : 1" in pending

    other = await stranger.get("/actors/entraide", headers={"Accept": "text/html"})
    assert 'action="https://chiffres.test/groups/entraide/join"' in other.text
    assert "812,5" not in shown(other)

    nobody = shown(await anonymous.get("/actors/entraide", headers={"Accept": "text/html"}))
    assert "812,5" not in nobody
    assert "Chiffres réservés aux membres : 1" in nobody
    assert "@entraide@chiffres.test" in nobody
    assert 'action="https://chiffres.test/groups/entraide/join"' not in nobody
    assert 'href="https://chiffres.test/signin"' in nobody


async def test_a_group_page_draws_each_measure_over_its_periods_with_the_values_as_text(
    make_client: Client, fed: Federation
) -> None:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    await signup(await make_client(signup="open"), "marie")
    marie = await store.get(pool, "marie")
    group = await store.create(pool, "loyers", "group", visibility="public")
    await join(pool, urls, marie, group, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    for quarter, value in (("2025-Q3", "801"), ("2025-Q4", "823"), ("2026-Q1", "845")):
        await publisher.publish(marie, group, rent(value=value, period=quarter), "fr")
    await publisher.publish(marie, group, rent(value="1200", measures="loyer d'un T4"), "fr")  # one period: no line
    for number in range(20):  # more measures than a page shows
        for year in ("2024", "2025"):
            fields = rent(value=str(500 + number), measures=f"mesure {number}", period=year)
            await publisher.publish(marie, group, fields, "fr")

    page = await (await make_client()).get("/actors/loyers", headers={"Accept": "text/html"})
    text = shown(page)
    assert page.status_code == 200
    assert len(page.content) < 100_000
    images = re.findall(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', page.text)
    assert len(images) == 12
    assert all("tableau" in alt for alt in images)
    assert "loyer médian d'un T2 · Paris 11e" in text
    assert re.search(r"3e trimestre 2025</th><td>801\D", text)
    assert re.search(r"1er trimestre 2026</th><td>845\D", text)
    assert "loyer d'un T4 · Paris 11e" not in text  # the measure with a single period has no line

    await publisher.publish(marie, group, rent(value="867", period="2026-Q2"), "fr")  # drawn again, not as kept
    again = shown(await (await make_client()).get("/actors/loyers", headers={"Accept": "text/html"}))
    assert re.search(r"2e trimestre 2026</th><td>867\D", again)


async def test_a_profile_shows_groups_public_figures_and_contributions(make_client: Client, fed: Federation) -> None:
    instance = fed.instance
    pool, urls = instance.pool, instance.urls
    await signup(await make_client(signup="open"), "marie")
    marie = await store.get(pool, "marie")
    loyers = await store.create(pool, "loyers", "group", visibility="public")
    entraide = await store.create(pool, "entraide", "group", visibility="members")
    await store.create(pool, "autre", "group", visibility="public")
    clock = Ticking()
    await join(pool, urls, marie, loyers, clock)
    await join(pool, urls, marie, entraide, clock)
    publisher = Publisher(pool, urls, instance.clock, "fr")
    await publisher.publish(marie, loyers, rent(value="845"), "fr")
    await publisher.publish(marie, entraide, rent(value="777"), "fr")

    page = await (await make_client()).get("/actors/marie", headers={"Accept": "text/html"})
    text = shown(page)
    assert page.status_code == 200
    assert "<h1>marie</h1>" in text
    assert "@marie@chiffres.test" in text
    assert 'href="https://chiffres.test/actors/loyers"' in page.text
    assert 'href="https://chiffres.test/actors/entraide"' in page.text
    assert 'href="https://chiffres.test/actors/autre"' not in page.text
    assert "845" in text
    assert "777" not in text
    ledger = text.split('id="ledger"', 1)[1]
    assert "publiés" in ledger
    rows = re.findall(r'<th scope="row"><a href="[^"]+">(\w+)</a></th>\s*((?:<td class="n">\d+</td>)+)', ledger)
    assert {group: re.findall(r"\d+", cells)[0] for group, cells in rows} == {"entraide": "1", "loyers": "1"}


async def test_about_says_what_the_instance_is_and_how_to_join(make_client: Client, fed: Federation) -> None:
    client = await make_client(signup="open")
    await signup(client, "modo")
    await fed.instance.pool.execute("UPDATE accounts SET admin = true")
    client = await make_client(signup="invitation")
    await store.create(fed.instance.pool, "loyers", "group")
    page = await client.get("/about")
    text = shown(page)
    assert page.status_code == 200
    assert text.count("<h1>") == 1
    assert "<strong>chiffres.test</strong>" in text
    assert "Les comptes se créent sur invitation." in text
    assert 'href="https://chiffres.test/charter"' in page.text
    assert "chiffres-ensemble" in text
    assert '<a href="https://chiffres.test/actors/modo">@modo@chiffres.test</a>' in text
    assert re.search(r"<dt>Membres</dt><dd>1</dd>", text)
    assert re.search(r"<dt>Programmes</dt><dd>1</dd>", text)
    english = shown(await client.get("/about?lang=en"))
    assert "Accounts are created by invitation." in english


async def test_a_line_is_drawn_once_for_the_same_points_and_carries_no_text() -> None:
    from datetime import date

    from web.multiples import Multiples, Point, draw

    points = [Point(date(2025, 1, 1), 801.0), Point(date(2025, 4, 1), 823.0)]
    drawn = Multiples(size=2)
    first = await drawn.line(points)
    assert first.startswith("data:image/svg+xml;base64,")
    assert await drawn.line(list(points)) == first
    assert len(drawn) == 1
    for value in (1.0, 2.0, 3.0):
        await drawn.line([Point(date(2025, 1, 1), value), Point(date(2025, 4, 1), value)])  # flat lines draw too
    assert len(drawn) == 2  # bounded
    svg = draw(points).decode()
    assert "<text" not in svg
    assert len(svg) < 4000
