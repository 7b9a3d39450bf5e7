"""The member forms a signed-in person uses instead of the command line: the account page, joining and leaving a
group, publishing and editing a figure, endorsing it and proposing a correction. Each test reads what the person
sees: the page, the message beside a field, where the answer sends them."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from actors import membership, store
from actors.actor import Actor
from chiffres.app import Federation
from tests.support.browser import FLAGS, serious_violations, tools, validate_all
from tests.web.test_accounts import PASSWORD, Client, csrf, make_client, shown, signup
from web import accounts

__all__ = ["make_client"]  # the fixture

FIGURE = {
    "value": "845",
    "unit": "€/mois",
    "measures": "loyer médian d'un T2",
    "place": "Lyon 3e",
    "place_code": "",
    "period": "2026-Q1",
    "source": "https://example.org/loyers",
    "source_title": "Observatoire des loyers",
    "method": "",
    "tags": "loyers lyon",
}


async def member(make_client: Client, fed: Federation, name: str, group: Actor) -> httpx.AsyncClient:
    """A person signed up on the open instance who joined ``group`` with its button."""
    client = await make_client(signup="open")
    assert (await signup(client, name)).status_code == 303
    joined = await client.post(f"/groups/{group.name}/join", data={"csrf": await csrf(client, "/account")})
    assert joined.status_code == 303
    return client


async def post(client: httpx.AsyncClient, path: str, form_page: str, **fields: str) -> httpx.Response:
    return await client.post(path, data={"csrf": await csrf(client, form_page), **fields})


def figure_path(response: httpx.Response) -> str:
    location = response.headers["location"]
    assert re.fullmatch(r"/objects/[0-9a-f-]{36}", location), location
    return str(location)


async def test_the_account_page_lists_my_groups_and_the_join_policy_decides(
    make_client: Client, fed: Federation
) -> None:
    pool = fed.instance.pool
    loyers = await store.create(pool, "loyers", "group", visibility="public")
    entraide = await store.create(pool, "entraide", "group", visibility="members")
    secret = await store.create(pool, "secret", "group", visibility="members")
    await membership.set_policy(pool, secret, "admin")
    anonymous = await make_client(signup="open")
    away = await anonymous.get("/account")
    assert away.status_code == 303
    assert away.headers["location"] == "/signin?next=/account"

    client = await make_client(signup="open")
    await signup(client, "marie")
    page = await client.get("/account")
    assert page.status_code == 200
    text = shown(page)
    assert "<h1>Mon compte</h1>" in text
    assert "@marie@chiffres.test" in text
    assert 'action="/signout"' in text
    assert 'href="/account/password"' in text
    assert "Vous ne suivez encore aucun programme." in text
    for group in (loyers, entraide, secret):
        answer = await post(client, f"/groups/{group.name}/join", "/account")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account"
    text = shown(await client.get("/account"))
    mine = text.split("Mes programmes", 1)[1]
    assert re.search(r"loyers</a>\s*— <strong>membre</strong>", mine)
    assert re.search(r"entraide</a>\s*— <strong>membre</strong>", mine)  # the charter was accepted on sign-up
    assert re.search(r"secret</a>\s*— <strong>demande en attente</strong>", mine)  # a moderator answers
    assert 'href="/groups/loyers/publish"' in mine
    assert 'href="/groups/secret/publish"' not in mine

    left = await post(client, "/groups/loyers/leave", "/account")
    assert left.status_code == 303
    text = shown(await client.get("/account"))
    assert "loyers</a>\n    <form" in text.split("Autres programmes", 1)[1]  # offered to join again
    assert (await post(client, "/groups/nobody/join", "/account")).status_code == 404
    refused = await client.post("/groups/loyers/join", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert "expiré" in shown(refused)


async def test_a_member_publishes_with_errors_beside_the_fields_then_succeeds(
    make_client: Client, fed: Federation
) -> None:
    pool = fed.instance.pool
    group = await store.create(pool, "loyers", "group", visibility="members")
    marie = await member(make_client, fed, "marie", group)
    form = await marie.get("/groups/loyers/publish")
    assert form.status_code == 200
    text = shown(form)
    assert text.count("<h1>") == 1
    assert '<datalist id="units">' in text
    assert '<option value="€/mois">' in text
    assert "les membres approuvés du programme seulement" in text
    for name in ("value", "unit", "measures", "place", "period", "source", "source_title", "method", "tags"):
        assert f'<label for="{name}">' in text, name

    bad = {**FIGURE, "value": "beaucoup", "source": "ftp://example.org/x", "measures": "", "period": "hier"}
    refused = await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **bad)
    assert refused.status_code == 400
    text = shown(refused)
    assert 'id="value-error"' in text
    assert re.search(r'id="source-error">Il faut une adresse http\(s\) complète\.', text)
    assert 'id="period-error"' in text
    assert re.search(r'id="measures-error">Ce champ est obligatoire\.', text)
    assert 'value="beaucoup"' in text  # what was typed is kept
    assert 'value="Lyon 3e"' in text
    assert await pool.fetchval("SELECT count(*) FROM figures") == 0

    made = await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **FIGURE)
    assert made.status_code == 303
    path = figure_path(made)
    row = await pool.fetchrow(
        "SELECT value, unit_code, author FROM figures WHERE uri = $1", fed.instance.urls.base + path
    )
    assert row is not None
    assert str(row["value"]) == "845"
    assert row["author"] == fed.instance.urls.actor("marie")
    assert (await marie.get(path)).status_code == 200  # the figure's own page is still reached
    again = shown(await marie.get("/groups/loyers/publish"))
    assert again.count('<option value="€/mois">') == 1  # the group's unit, suggested once


async def test_only_approved_members_publish_and_hostile_input_is_refused_cleanly(
    make_client: Client, fed: Federation
) -> None:
    pool = fed.instance.pool
    group = await store.create(pool, "secret", "group", visibility="members")
    await membership.set_policy(pool, group, "admin")
    waiting = await member(make_client, fed, "paul", group)  # pending: a moderator has not answered
    refused = await waiting.get("/groups/secret/publish")
    assert refused.status_code == 403
    assert "Seuls les membres approuvés" in shown(refused)
    anonymous = await make_client(signup="open")
    away = await anonymous.get("/groups/secret/publish")
    assert away.status_code == 303
    assert away.headers["location"] == "/signin?next=/groups/secret/publish"
    assert (await anonymous.post("/groups/secret/publish", data={"csrf": "x"})).status_code == 403
    assert (await waiting.get("/groups/nothing/publish")).status_code == 404

    open_group = await store.create(pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", open_group)
    hostile = {**FIGURE, "measures": "<script>alert(1)</script>", "place": "x" * 5000}
    answer = await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **hostile)
    assert answer.status_code == 400
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;" in answer.text
    assert "Ce texte est trop long." in shown(answer)
    huge = await marie.post("/groups/loyers/publish", data={"csrf": "x", "method": "m" * 20000})
    assert huge.status_code == 413


async def test_the_author_edits_a_figure_into_a_new_version(make_client: Client, fed: Federation) -> None:
    pool, urls = fed.instance.pool, fed.instance.urls
    group = await store.create(pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    paul = await member(make_client, fed, "paul", group)
    path = figure_path(await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **FIGURE))
    form = await marie.get(f"{path}/edit")
    assert form.status_code == 200
    text = shown(form)
    assert "<h1>Modifier un chiffre</h1>" in text
    assert 'value="845"' in text
    assert 'value="Observatoire des loyers"' in text
    assert 'value="loyers lyon"' in text
    assert (await paul.get(f"{path}/edit")).status_code == 403
    assert (await marie.get("/objects/00000000-0000-4000-8000-000000000000/edit")).status_code == 404

    same = await post(marie, f"{path}/edit", f"{path}/edit", **FIGURE)
    assert same.status_code == 400
    assert "Rien n'a changé" in shown(same)
    changed = await post(marie, f"{path}/edit", f"{path}/edit", **{**FIGURE, "value": "850,5"})
    assert changed.status_code == 303
    assert changed.headers["location"] == path
    row = await pool.fetchrow("SELECT value, version FROM figures WHERE uri = $1", urls.base + path)
    assert row is not None
    assert (str(row["value"]), row["version"]) == ("850.5", 2)
    title = await pool.fetchval("SELECT wire->'source'->>'title' FROM figures WHERE uri = $1", urls.base + path)
    assert title == "Observatoire des loyers"


async def test_members_endorse_and_correct_a_figure(make_client: Client, fed: Federation) -> None:
    pool, urls = fed.instance.pool, fed.instance.urls
    group = await store.create(pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    paul = await member(make_client, fed, "paul", group)
    path = figure_path(await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **FIGURE))
    uri = urls.base + path

    endorsed = await post(paul, f"{path}/endorse", "/account")
    assert endorsed.status_code == 303
    assert endorsed.headers["location"] == path
    kinds = await pool.fetch(
        "SELECT kind, value FROM claims WHERE figure_uri = $1 AND actor = $2", uri, urls.actor("paul")
    )
    assert [(row["kind"], str(row["value"])) for row in kinds] == [("endorse", "845")]
    liked = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE document->>'type' = 'Like' AND document->>'object' = $1", uri
    )
    assert liked == 1
    assert (await post(paul, f"{path}/endorse", "/account")).status_code == 303  # a second click
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE document->>'type' = 'Like'") == 1

    form = await paul.get(f"{path}/correct")
    assert form.status_code == 200
    text = shown(form)
    assert "<h1>Proposer une correction</h1>" in text
    assert 'value="€/mois"' in text
    missing = await post(paul, f"{path}/correct", f"{path}/correct", value="860", unit="", source="", reason="")
    assert missing.status_code == 400
    assert re.search(r'id="source-error">Ce champ est obligatoire\.', shown(missing))
    wrong = await post(paul, f"{path}/correct", f"{path}/correct", value="860", unit="kg", source="https://e.org/r")
    assert wrong.status_code == 400
    assert "ne se convertit pas" in shown(wrong)
    assert 'value="860"' in wrong.text
    for value in ("9" * 300, "1e999", "abc"):
        hostile = await post(paul, f"{path}/correct", f"{path}/correct", value=value, unit="", source="https://e.org")
        assert hostile.status_code == 400, value
        assert 'id="value-error"' in hostile.text
    sent = await post(
        paul, f"{path}/correct", f"{path}/correct", value="10 320", unit="€/an", source="https://e.org/r", reason="bail"
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == path
    corrected = await pool.fetchrow(
        "SELECT value, source_url, reason FROM claims WHERE figure_uri = $1 AND kind = 'correct'", uri
    )
    assert corrected is not None
    assert (str(corrected["value"]), corrected["source_url"], corrected["reason"]) == ("860", "https://e.org/r", "bail")


async def test_claims_are_refused_to_strangers_and_on_unknown_figures(make_client: Client, fed: Federation) -> None:
    pool = fed.instance.pool
    group = await store.create(pool, "entraide", "group", visibility="members")
    other = await store.create(pool, "ailleurs", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    stranger = await member(make_client, fed, "paul", other)
    path = figure_path(await post(marie, "/groups/entraide/publish", "/groups/entraide/publish", **FIGURE))
    for action in ("endorse", "correct"):
        refused = await post(stranger, f"{path}/{action}", "/account", value="1", unit="€/mois", source="https://e.org")
        assert refused.status_code == 403, action
        assert "Seuls les membres approuvés" in shown(refused)
    assert (await stranger.get(f"{path}/correct")).status_code == 403
    unknown = await post(marie, "/objects/not-a-figure/endorse", "/account")
    assert unknown.status_code == 404
    assert "Aucun chiffre" in shown(unknown)
    assert await pool.fetchval("SELECT count(*) FROM claims WHERE kind <> 'publish'") == 0


async def test_every_member_form_page_is_one_language_with_one_title(make_client: Client, fed: Federation) -> None:
    group = await store.create(fed.instance.pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    path = figure_path(await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **FIGURE))
    for page in ("/account", "/groups/loyers/publish", f"{path}/edit", f"{path}/correct"):
        english = await marie.get(f"{page}?lang=en")
        assert english.status_code == 200, page
        assert '<html lang="en">' in english.text
        assert english.text.count("<h1>") == 1
        assert "<title>" in english.text
        assert len(english.content) < 100_000
        assert "Ce champ" not in english.text


async def test_every_member_form_is_valid_html5_even_with_its_errors_shown(
    make_client: Client, fed: Federation
) -> None:
    """The Nu HTML Checker reads each form as served, blank and refused (the browser tests hold the checker)."""
    found = tools()
    if isinstance(found, str):
        pytest.skip(found)
    group = await store.create(fed.instance.pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    path = figure_path(await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", **FIGURE))
    await post(
        marie, "/groups/loyers/requests", "/groups/loyers/requests", measures="pain", place="Lyon", period="2026"
    )
    ident = await fed.instance.pool.fetchval("SELECT id FROM requests")
    pages = {
        name: await marie.get(address)
        for name, address in (
            ("account", "/account"),
            ("publish", "/groups/loyers/publish"),
            ("edit", f"{path}/edit"),
            ("correct", f"{path}/correct"),
            ("requests", "/groups/loyers/requests"),
            ("answer", f"/groups/loyers/requests/{ident}/answer"),
        )
    }
    pages["publish refused"] = await post(marie, "/groups/loyers/publish", "/groups/loyers/publish", value="x")
    pages["correct refused"] = await post(marie, f"{path}/correct", f"{path}/correct", value="x", unit="kg")
    pages["ask refused"] = await post(marie, "/groups/loyers/requests", "/groups/loyers/requests", period="x")
    checked = validate_all(found, {name: sent.text for name, sent in pages.items()})
    problems = [f"{name}: {error}" for name, errors in checked.items() for error in errors]
    assert problems == []


async def test_an_account_back_to_pending_sees_only_that_it_waits(make_client: Client, fed: Federation) -> None:
    group = await store.create(fed.instance.pool, "loyers", "group", visibility="public")
    marie = await member(make_client, fed, "marie", group)
    await accounts.set_state(fed.instance.pool, "marie", "pending")
    page = await marie.get("/account")
    assert page.status_code == 200
    text = shown(page)
    assert "Votre compte attend la validation d'un administrateur." in text
    assert "Mes programmes" not in text
    assert 'action="/signout"' in text
    assert (await marie.get("/groups/loyers/publish")).status_code == 303
    refused = await post(marie, "/groups/loyers/requests", "/account", measures="pain", place="Lyon", period="2026")
    assert refused.status_code == 403
    assert "Connectez-vous d'abord" in shown(refused)


async def test_every_member_form_passes_axe_in_a_browser_signed_in(fed: Federation) -> None:
    """axe-core finds no serious violation on the forms as a member sees them (labels, names, contrast)."""
    found = tools()
    if isinstance(found, str):
        pytest.skip(found)
    from playwright.async_api import async_playwright

    from tests.browser.test_pages import serving

    settings = dataclasses.replace(fed.instance.settings, signup="open", dev=True)
    trial = dataclasses.replace(fed, instance=dataclasses.replace(fed.instance, settings=settings))
    group = await store.create(fed.instance.pool, "loyers", "group", visibility="public")
    problems: list[str] = []
    async with serving(trial) as base, async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(found.chromium), args=list(FLAGS))
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 800}, locale="fr-FR")
            await page.goto(f"{base}/signup")
            await page.get_by_label("Nom d'utilisateur").fill("marie")
            await page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
            await page.get_by_label("Mot de passe (encore)").fill(PASSWORD)
            await page.locator("#charter").check()
            await page.get_by_role("button", name="Créer un compte").click()
            await page.goto(f"{base}/account")
            await page.get_by_role("button", name=f"Demander à rejoindre {group.name}").click()
            await page.goto(f"{base}/groups/loyers/publish")
            for name, value in FIGURE.items():
                await page.locator(f"#{name}").fill(value)
            await page.get_by_role("button", name="Publier").click()
            await page.wait_for_url(re.compile(r".*/objects/[0-9a-f-]{36}$"))
            path = page.url.removeprefix(base)
            for address in (
                "/account",
                "/groups/loyers/publish",
                f"{path}/edit",
                f"{path}/correct",
                "/groups/loyers/requests",
            ):
                await page.goto(base + address)
                assert await page.locator("h1").count() == 1, address
                problems += [f"{address}: {problem}" for problem in await serious_violations(found, page)]
        finally:
            await browser.close()
    assert problems == []
