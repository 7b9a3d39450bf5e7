"""The search page: accents and case forgiven, only what the reader may see, pages that neither repeat nor skip,
and hostile input answered with a message beside its field."""

from __future__ import annotations

import html
import re

from actors import store
from chiffres.app import Federation
from ledger.publication import Publisher
from tests.web.test_accounts import Client, make_client, shown, signup
from tests.web.test_api import Ticking, join, rent
from web import query, search_pages

__all__ = ["make_client"]  # the fixture


def _values(text: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong></a>", text)


async def _nurse(fed: Federation, client_maker: Client) -> tuple[Publisher, Ticking]:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    await signup(await client_maker(signup="open"), "marie")
    marie = await store.get(pool, "marie")
    group = await store.create(pool, "salaires", "group", visibility="public")
    await join(pool, urls, marie, group, clock)
    publisher = Publisher(pool, urls, clock, "fr")
    nurse = rent(value="2150", measures="salaire d'une infirmière", place="Périgueux", tags=["salaires"])
    await publisher.publish(marie, group, nurse, "fr")
    await publisher.publish(marie, group, rent(value="845"), "fr")
    return publisher, clock


async def test_words_and_places_are_found_whatever_the_accents_and_case(make_client: Client, fed: Federation) -> None:
    await _nurse(fed, make_client)
    client = await make_client()
    for asked in ("q=infirmiere", "q=INFIRMIÈRE", "q=Perigueux", "q=infirmieres+perigueux", "place=perigueux"):
        page = await client.get(f"/search?{asked}")
        assert page.status_code == 200, asked
        text = shown(page)
        assert len(_values(text)) == 1, asked
        assert "salaire d'une infirmière" in text, asked
        assert "Périgueux" in text, asked
        assert "salaires" in text  # its group
    assert "Aucun chiffre trouvé." in shown(await client.get("/search?q=boulanger"))
    both = shown(await client.get("/search"))
    assert len(_values(both)) == 2
    assert 'value="infirmiere"' in (await client.get("/search?q=infirmiere")).text  # the form keeps the words


async def test_members_only_figures_are_found_by_members_only(make_client: Client, fed: Federation) -> None:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    member, stranger = await make_client(signup="open"), await make_client(signup="open")
    await signup(member, "marie")
    await signup(stranger, "paul")
    marie = await store.get(pool, "marie")
    group = await store.create(pool, "entraide", "group", visibility="members")
    await join(pool, urls, marie, group, clock)
    await Publisher(pool, urls, clock, "fr").publish(marie, group, rent(value="777", measures="loyer caché"), "fr")
    assert "777" in shown(await member.get("/search?q=loyer+cache"))
    for reader in (stranger, await make_client()):
        page = shown(await reader.get("/search?q=loyer+cache&group=entraide"))
        assert "777" not in page
        assert "Aucun chiffre trouvé." in page


async def test_results_come_in_pages_that_neither_repeat_nor_skip(make_client: Client, fed: Federation) -> None:
    publisher, _ = await _nurse(fed, make_client)
    marie = await store.get(fed.instance.pool, "marie")
    group = await store.get(fed.instance.pool, "salaires")
    for number in range(30):
        await publisher.publish(marie, group, rent(value=str(1000 + number), tags=["loyers"]), "fr")
    client = await make_client()
    seen: list[str] = []
    page = await client.get("/search?tag=loyers&period=2026")
    pages = 0
    while True:
        pages += 1
        assert page.status_code == 200
        seen.extend(_values(shown(page)))
        found = re.search(r'<a href="https://chiffres\.test(/search\?[^"]+)" rel="next">', page.text)
        if found is None:
            break
        page = await client.get(html.unescape(found.group(1)))
    assert pages == 2
    assert len(seen) == 31  # and the 845 of _nurse, tagged loyers too
    assert len(set(seen)) == 31
    assert seen[0].startswith("1\u202f029") or seen[0].replace("\u202f", " ").startswith("1 029")


async def test_hostile_or_malformed_input_gets_a_message_beside_its_field(make_client: Client, fed: Federation) -> None:
    client = await make_client()
    cases = {
        "period=pas-une-periode": ("search-period-error", "Période illisible"),
        "group=%3Cscript%3E": ("search-group-error", "pas un nom de programme"),
        "q=" + "a" * 201: ("search-q-error", "Trop long"),
        "q=a%01b": ("search-q-error", "caractères invalides"),
        "q=a&q=b": ("search-q-error", "plusieurs fois"),
        "after=garbage": ("", "Ce lien de page n'est plus valable"),
    }
    for asked, (field, message) in cases.items():
        page = await client.get(f"/search?{asked}")
        assert page.status_code == 400, asked
        text = shown(page)
        assert message in text, asked
        if field:
            assert f'id="{field}"' in page.text, asked
        assert "<script>" not in page.text
    assert (await client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")).status_code == 200
    assert "&lt;script&gt;" in (await client.get("/search?q=%3Cscript%3E")).text
    english = shown(await client.get("/search?period=nope&lang=en"))
    assert "Unreadable period" in english


async def test_the_words_are_matched_through_an_index(make_client: Client, fed: Federation) -> None:
    await _nurse(fed, make_client)
    pool = fed.instance.pool
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in await connection.fetch(
                "EXPLAIN SELECT id FROM figures f WHERE f.search_folded @@"
                " websearch_to_tsquery('french', chiffres_fold('Infirmière'))"
            )
        )
    assert "figures_search_folded" in plan
    found = await search_pages.find(fed.instance, query.Filters(q="INFIRMIERE"), query.ANONYMOUS, 10)
    assert [item.wire["measures"] for item in found.items] == ["salaire d'une infirmière"]
