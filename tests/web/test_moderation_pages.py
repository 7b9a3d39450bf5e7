"""The moderation pages in a browser: a moderator answers their group's follow requests (the same Accept and Reject
as the command line) and revokes members, never another group's; admins see every group and set trust; everyone
else is sent to sign in or refused with a page, and every POST needs the form's CSRF token."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from actors import follows, membership, store
from actors.actor import Actor
from chiffres.app import Federation
from ledger import claims, reciprocity
from tests.support.browser import FLAGS, serious_violations, tools, validate_all
from tests.web.test_accounts import Client, csrf, make_client, shown, signup
from tests.web.test_api import Ticking
from web import accounts

__all__ = ["make_client"]  # the fixture

RITA = "https://remote.example/users/rita"


async def _group(fed: Federation, name: str) -> Actor:
    return await store.create(fed.instance.pool, name, "group", visibility="members")


async def _ask(fed: Federation, person: str, group: Actor) -> follows.Follow:
    """A local person's pending request to join ``group``."""
    pool, urls = fed.instance.pool, fed.instance.urls
    actor = await store.get(pool, person)
    return await follows.follow(pool, urls, actor, urls.actor(group.name), urls.inbox(group.name), Ticking())


async def _remote_ask(fed: Federation, group: Actor) -> follows.Follow:
    """A remote actor's pending request, stored as the inbox stores one; their profile says hostile things."""
    pool, urls = fed.instance.pool, fed.instance.urls
    document = {"@context": "x", "id": "https://remote.example/follows/1", "type": "Follow", "actor": RITA}
    await pool.execute(
        "INSERT INTO remote_actors (uri, domain, inbox, preferred_username, document) VALUES ($1, $2, $3, $4, $5)",
        RITA,
        "remote.example",
        "https://remote.example/inbox",
        "rita",
        {"id": RITA, "name": "<script>alert(1)</script>Rita", "url": "javascript:alert(1)"},
    )
    async with pool.acquire() as connection:
        return await follows.record_incoming(
            connection, document, RITA, group, urls, "https://remote.example/inbox", None
        )


async def _state(fed: Federation, follow_id: int) -> str:
    state: str = await fed.instance.pool.fetchval("SELECT state FROM follows WHERE id = $1", follow_id)
    return state


async def _moderator(make_client: Client, fed: Federation, name: str, *groups: Actor) -> httpx.AsyncClient:
    client = await make_client(signup="open")
    assert (await signup(client, name)).status_code == 303
    pool = fed.instance.pool
    for group in groups:
        assert await membership.add_moderator(pool, group, await store.get(pool, name))
    return client


async def _answer(client: httpx.AsyncClient, group: str, follow_id: int | str, action: str) -> httpx.Response:
    path = f"/moderation/groups/{group}"
    token = await csrf(client)  # the session's token, the same in every form
    return await client.post(path, data={"csrf": token, "follow": str(follow_id), "action": action})


async def test_a_stranger_is_sent_to_sign_in_and_a_member_who_moderates_nothing_is_refused(
    make_client: Client, fed: Federation
) -> None:
    await _group(fed, "entraide")
    anonymous = await make_client(signup="open")
    for path in ("/moderation", "/moderation/groups/entraide", "/moderation/ledger", "/moderation/trust"):
        sent = await anonymous.get(path)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/signin?next={path}"
    sent = await anonymous.get("/moderation/ledger?group=entraide&days=7")
    assert sent.headers["location"] == "/signin?next=/moderation/ledger%3Fgroup%3Dentraide%26days%3D7"
    member = await make_client(signup="open")
    await signup(member, "paul")
    for path in ("/moderation", "/moderation/groups/entraide", "/moderation/ledger", "/moderation/trust"):
        refused = await member.get(path)
        assert refused.status_code == 403
        assert "<h1>Accès refusé</h1>" in refused.text
        assert "réservée" in shown(refused) or "ne modérez pas" in shown(refused)
    posted = await member.post("/moderation/groups/entraide", data={"follow": "1", "action": "approve"})
    assert posted.status_code == 403  # no CSRF token: refused before anything else


async def test_a_moderator_sees_who_asks_and_approves_rejects_and_revokes(make_client: Client, fed: Federation) -> None:
    pool = fed.instance.pool
    group = await _group(fed, "entraide")
    modo = await _moderator(make_client, fed, "modo", group)
    asker = await make_client(signup="open")
    await signup(asker, "paul")
    paul, rita = await _ask(fed, "paul", group), await _remote_ask(fed, group)

    index = await modo.get("/moderation")
    assert index.status_code == 200
    assert "<h1>Modération</h1>" in index.text
    assert 'href="https://chiffres.test/moderation/groups/entraide"' in index.text
    assert "2 demande(s) en attente" in shown(index)

    page = await modo.get("/moderation/groups/entraide")
    assert page.status_code == 200
    assert page.text.count("<h1>") == 1
    assert '<a href="https://chiffres.test/actors/paul">@paul@chiffres.test</a>' in page.text
    assert "@rita@remote.example" in page.text
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Rita" in page.text
    assert "javascript:" not in page.text
    assert f'href="{RITA}"' in page.text  # the actor's id, since their "url" is no web address
    text = shown(page)
    assert re.search(r"Charte acceptée :\s+oui \(version ", text)  # paul accepted it when signing up
    assert re.search(r"Charte acceptée :\s+non", text)  # rita never replied with the phrase
    assert "Rien au registre sur cette période." in text
    assert re.search(r"Adhésion :\s+<strong>sur acceptation de la charte", text)
    english = shown(await modo.get("/moderation/groups/entraide?lang=en"))
    assert "<h1>Moderation of the programme entraide</h1>" in english
    assert re.search(r"Charter accepted:\s+yes \(version ", english)
    assert "Approve @rita@remote.example" in english
    await modo.get("/moderation?lang=fr")

    approved = await _answer(modo, "entraide", paul.id, "approve")
    assert approved.status_code == 303
    assert approved.headers["location"] == "/moderation/groups/entraide"
    assert await _state(fed, paul.id) == "accepted"
    rejected = await _answer(modo, "entraide", rita.id, "reject")
    assert rejected.status_code == 303
    assert await _state(fed, rita.id) == "rejected"
    sent = await pool.fetch("SELECT document FROM outbox WHERE actor_id = $1 ORDER BY id", group.id)
    kinds = [(row["document"]["type"], row["document"]["to"]) for row in sent]
    assert ("Accept", [fed.instance.urls.actor("paul")]) in kinds
    assert ("Reject", [RITA]) in kinds

    after = shown(await modo.get("/moderation/groups/entraide"))
    assert "Aucune demande en attente." in after
    assert "Révoquer @paul@chiffres.test" in after
    assert await membership.pending_for(pool, fed.instance.urls, group) == []
    assert (await _answer(modo, "entraide", paul.id, "approve")).status_code == 404  # answered already
    assert (await _answer(modo, "entraide", paul.id, "revoke")).status_code == 303
    assert await _state(fed, paul.id) == "rejected"
    assert "Aucun membre approuvé." in shown(await modo.get("/moderation/groups/entraide"))


async def test_a_moderator_of_one_group_never_acts_on_another(make_client: Client, fed: Federation) -> None:
    mine, theirs = await _group(fed, "entraide"), await _group(fed, "salaires")
    modo = await _moderator(make_client, fed, "modo", mine)
    asker = await make_client(signup="open")
    await signup(asker, "paul")
    other = await _ask(fed, "paul", theirs)

    index = await modo.get("/moderation")
    assert "entraide" in index.text
    assert "salaires" not in index.text
    refused = await modo.get("/moderation/groups/salaires")
    assert refused.status_code == 403
    assert "Vous ne modérez pas ce programme." in shown(refused)
    token = await csrf(modo)
    for action in ("approve", "reject", "revoke"):
        elsewhere = await modo.post(
            "/moderation/groups/salaires", data={"csrf": token, "follow": str(other.id), "action": action}
        )
        assert elsewhere.status_code == 403
        smuggled = await _answer(modo, "entraide", other.id, action)  # another group's request through mine
        assert smuggled.status_code == 404
        assert "n'existe pas dans ce programme" in shown(smuggled)
    assert await _state(fed, other.id) == "pending"
    ledger = await modo.get("/moderation/ledger?group=salaires")
    assert ledger.status_code == 400
    assert "Vous ne modérez pas ce programme." in shown(ledger)


async def test_hostile_answers_are_refused_with_a_page(make_client: Client, fed: Federation) -> None:
    group = await _group(fed, "entraide")
    modo = await _moderator(make_client, fed, "modo", group)
    assert (await modo.get("/moderation/groups/%00")).status_code == 400
    assert (await modo.get("/moderation/groups/a%2Fb")).status_code == 404
    for name in ("nobody", "x" * 500, "%C3%A9t%C3%A9", "modo"):
        missing = await modo.get(f"/moderation/groups/{name}")
        assert missing.status_code == 404, name
        assert "Aucun programme ne porte ce nom." in shown(missing)
    for follow_id in ("99999999999999999999999", "-1", "1.5", "", "abc", "²", "٣"):
        assert (await _answer(modo, "entraide", follow_id, "approve")).status_code == 404
    wrong = await _answer(modo, "entraide", 1, "delete")
    assert wrong.status_code == 400
    assert "Cette action n'existe pas." in shown(wrong)
    stale = await modo.post("/moderation/groups/entraide", data={"csrf": "forged", "follow": "1", "action": "reject"})
    assert stale.status_code == 403
    assert "formulaire a expiré" in shown(stale)
    assert (await modo.post("/moderation", data={})).status_code == 405


async def test_the_ledger_shows_the_groups_contributors(make_client: Client, fed: Federation) -> None:
    instance = fed.instance
    group = await _group(fed, "entraide")
    modo = await _moderator(make_client, fed, "modo", group)
    marie = instance.urls.actor("marie")
    async with instance.pool.acquire() as connection:
        await reciprocity.published(
            connection, "https://chiffres.test/objects/1", instance.urls.actor("entraide"), marie,
            "https://example.org/loyers", instance.clock(),
        )  # fmt: skip
    page = await modo.get("/moderation/ledger")
    assert page.status_code == 200
    assert '<a href="https://chiffres.test/actors/marie">@marie</a>' in page.text
    assert re.search(r"<td>1</td>\s*<td>0</td>", page.text)
    assert "Chiffres publiés" in page.text
    too_long = await modo.get("/moderation/ledger?days=0")
    assert too_long.status_code == 400
    assert "Un nombre de jours de 1 à 3650." in shown(too_long)
    for days in ("99999999999", "²", "٣", "-3", "1e3"):
        assert (await modo.get(f"/moderation/ledger?days={days}")).status_code == 400, days
    english = await modo.get("/moderation/ledger?lang=en")
    assert "<h1>Reciprocity ledger</h1>" in english.text
    assert "Figures published" in english.text


async def test_an_admin_sees_every_group_and_sets_trust(make_client: Client, fed: Federation) -> None:
    pool = fed.instance.pool
    await _group(fed, "entraide")
    await _group(fed, "salaires")
    admin = await make_client(signup="open")
    await signup(admin, "ada")
    assert (await admin.get("/moderation")).status_code == 403
    await accounts.set_admin(pool, "ada", True)

    index = await admin.get("/moderation")
    assert index.status_code == 200
    assert "entraide" in index.text
    assert "salaires" in index.text
    assert 'href="https://chiffres.test/moderation/trust"' in index.text
    assert (await admin.get("/moderation/groups/salaires")).status_code == 200
    await signup(await make_client(signup="open"), "paul")
    asked = await _ask(fed, "paul", await store.get(pool, "salaires"))
    assert (await _answer(admin, "salaires", asked.id, "approve")).status_code == 303  # moderator of none
    assert await _state(fed, asked.id) == "accepted"

    page = await admin.get("/moderation/trust")
    assert page.status_code == 200
    assert '<label for="domain">' in page.text
    assert '<label for="value">' in page.text
    token = await csrf(admin, "/moderation/trust")  # the form's own token
    for domain, value, field, message in (
        ("https://peer.example/x", "0.5", "domain", "Ce n'est pas un nom de domaine"),
        ("peer example", "0.5", "domain", "Ce n'est pas un nom de domaine"),
        ("peer.example", "2", "value", "La confiance est un nombre de 0"),
        ("peer.example", "nan", "value", "La confiance est un nombre de 0"),
        ("peer.example", "x" * 5000, "value", "La confiance est un nombre de 0"),
    ):
        refused = await admin.post("/moderation/trust", data={"csrf": token, "domain": domain, "value": value})
        assert refused.status_code == 400, (domain, value)
        found = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', refused.text)
        assert found, refused.text
        assert message in html.unescape(found.group(1))
    assert await claims.trust_levels(pool) == {}
    saved = await admin.post("/moderation/trust", data={"csrf": token, "domain": "Peer.Example", "value": "0,5"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/moderation/trust"
    assert await claims.trust_levels(pool) == {"peer.example": 0.5}
    assert "peer.example" in (await admin.get("/moderation/trust")).text
    forged = await admin.post("/moderation/trust", data={"domain": "evil.example", "value": "1"})
    assert forged.status_code == 403
    await accounts.set_admin(pool, "ada", False)
    assert (await admin.get("/moderation/trust")).status_code == 403


async def test_every_moderation_page_is_valid_accessible_and_small(make_client: Client, fed: Federation) -> None:
    """Each page as sent, full of requests, members, ledger lines and refusals: the Nu HTML Checker finds no error,
    axe-core no serious violation at a phone's width, and each has one title, one ``<h1>`` and under 100 kB."""
    found = tools()
    if isinstance(found, str):
        pytest.skip(found)
    from playwright.async_api import async_playwright

    instance = fed.instance
    group = await _group(fed, "entraide")
    admin = await _moderator(make_client, fed, "ada", group)
    await accounts.set_admin(instance.pool, "ada", True)
    asker = await make_client(signup="open")
    await signup(asker, "paul")
    await _remote_ask(fed, group)
    await _answer(admin, "entraide", (await _ask(fed, "paul", group)).id, "approve")
    await _ask(fed, "ada", group)
    async with instance.pool.acquire() as connection:
        await reciprocity.published(
            connection, "https://chiffres.test/objects/1", instance.urls.actor("entraide"), RITA,
            "https://example.org/loyers", instance.clock(),
        )  # fmt: skip
    token = await csrf(admin)
    sent = {
        "index": await admin.get("/moderation"),
        "group": await admin.get("/moderation/groups/entraide"),
        "ledger": await admin.get("/moderation/ledger?group=entraide"),
        "ledger-refused": await admin.get("/moderation/ledger?days=x"),
        "trust": await admin.get("/moderation/trust"),
        "trust-refused": await admin.post("/moderation/trust", data={"csrf": token, "domain": "a b", "value": "9"}),
        "not-found": await admin.get("/moderation/groups/nobody"),
    }
    checked = validate_all(found, {name: page.text for name, page in sent.items()})
    problems = [f"{name}: {error}" for name, errors in checked.items() for error in errors]
    problems += [f"{name}: {len(page.content)} bytes" for name, page in sent.items() if len(page.content) > 100_000]
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(found.chromium), args=list(FLAGS))
        try:
            page = await browser.new_page(viewport={"width": 360, "height": 800}, locale="fr-FR")
            for name, response in sent.items():
                await page.set_content(response.text)
                if not (await page.title()).strip() or await page.locator("h1").count() != 1:
                    problems.append(f"{name}: no title or not one <h1>")
                problems += [f"{name}: {violation}" for violation in await serious_violations(found, page)]
        finally:
            await browser.close()
    assert not problems, "\n".join(problems)
