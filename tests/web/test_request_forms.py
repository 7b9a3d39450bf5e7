"""A group's requests for figures in a browser: members ask with the form, another answers with a figure, and the
list shows the request answered with a link to its answer. Who reads the list follows the API's rule."""

from __future__ import annotations

import re

from actors import membership, store
from chiffres.app import Federation
from tests.web.test_accounts import Client, make_client, shown
from tests.web.test_member_forms import figure_path, member, post

__all__ = ["make_client"]  # the fixture

ASKED = {"measures": "prix du pain", "place": "Lyon", "period": "2026-05", "unit": ""}


async def test_a_member_asks_another_answers_and_the_list_links_the_answer(
    make_client: Client, fed: Federation
) -> None:
    pool, urls = fed.instance.pool, fed.instance.urls
    group = await store.create(pool, "prix", "group", visibility="members")
    ana = await member(make_client, fed, "ana", group)
    bruno = await member(make_client, fed, "bruno", group)
    page = await ana.get("/groups/prix/requests")
    assert page.status_code == 200
    text = shown(page)
    assert text.count("<h1>") == 1
    assert "Aucune demande ouverte." in text
    for name in ("measures", "place", "period", "unit"):
        assert f'<label for="{name}">' in text, name

    bad = await post(ana, "/groups/prix/requests", "/groups/prix/requests", **{**ASKED, "period": "bientôt"})
    assert bad.status_code == 400
    text = shown(bad)
    assert 'id="period-error"' in text
    assert 'value="prix du pain"' in text
    assert await pool.fetchval("SELECT count(*) FROM requests") == 0
    empty = await post(ana, "/groups/prix/requests", "/groups/prix/requests", **{**ASKED, "measures": ""})
    assert re.search(r'id="measures-error">Ce champ est obligatoire\.', shown(empty))

    asked = await post(ana, "/groups/prix/requests", "/groups/prix/requests", **ASKED)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/groups/prix/requests"
    ident = await pool.fetchval("SELECT id FROM requests")
    text = shown(await bruno.get("/groups/prix/requests"))
    open_part = text.split("Demandes ouvertes", 1)[1].split("Demandes satisfaites", 1)[0]
    assert "prix du pain — Lyon — mai 2026" in open_part
    answer_path = f"/groups/prix/requests/{ident}/answer"
    assert f'href="{answer_path}"' in open_part

    form = await bruno.get(answer_path)
    assert form.status_code == 200
    assert "<h1>Répondre à une demande</h1>" in shown(form)
    wrong = await post(bruno, answer_path, answer_path, value="1,35", unit="€", source="pas une adresse")
    assert wrong.status_code == 400
    assert 'id="source-error"' in wrong.text
    answered = await post(bruno, answer_path, answer_path, value="1,35", unit="€", source="https://e.org/pain")
    assert answered.status_code == 303
    path = figure_path(answered)
    row = await pool.fetchrow("SELECT status, answer_uri FROM requests WHERE id = $1", ident)
    assert row is not None
    assert (row["status"], row["answer_uri"]) == ("answered", urls.base + path)
    text = shown(await ana.get("/groups/prix/requests"))
    answered_part = text.split("Demandes satisfaites", 1)[1]
    assert "prix du pain" in answered_part
    assert f'href="{path}"' in answered_part
    again = await bruno.get(answer_path)
    assert again.status_code == 409
    assert "plus ouverte" in shown(again)

    held = await post(ana, "/groups/prix/requests", "/groups/prix/requests", **ASKED)
    assert held.status_code == 303
    assert held.headers["location"] == path  # the figure already held answers at once


async def test_who_reads_asks_and_answers(make_client: Client, fed: Federation) -> None:
    pool = fed.instance.pool
    public = await store.create(pool, "loyers", "group", visibility="public")
    private = await store.create(pool, "secret", "group", visibility="members")
    await membership.set_policy(pool, private, "admin")
    ana = await member(make_client, fed, "ana", public)
    waiting = await member(make_client, fed, "paul", private)
    anonymous = await make_client(signup="open")

    readable = await anonymous.get("/groups/loyers/requests")
    assert readable.status_code == 200
    assert "Les membres approuvés du programme peuvent demander un chiffre." in shown(readable)
    assert 'name="measures"' not in readable.text
    assert (await anonymous.get("/groups/secret/requests")).status_code == 303
    refused = await waiting.get("/groups/secret/requests")
    assert refused.status_code == 403
    assert "Seuls les membres approuvés" in shown(refused)
    assert (await ana.get("/groups/nobody/requests")).status_code == 404

    outsider = await post(waiting, "/groups/loyers/requests", "/account", **ASKED)
    assert outsider.status_code == 403
    assert await pool.fetchval("SELECT count(*) FROM requests") == 0
    await post(ana, "/groups/loyers/requests", "/groups/loyers/requests", **ASKED)
    ident = await pool.fetchval("SELECT id FROM requests")
    assert (await waiting.get(f"/groups/loyers/requests/{ident}/answer")).status_code == 403
    assert (await ana.get(f"/groups/secret/requests/{ident}/answer")).status_code == 403
    for bad in ("999999", "1" * 40, "abc"):
        assert (await ana.get(f"/groups/loyers/requests/{bad}/answer")).status_code == 404, bad
