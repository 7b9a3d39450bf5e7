"""A members-only figure's page for a browser signed in: the full page to an approved member, the teaser to anyone
else, and nothing more over ActivityPub for a cookie, which is no signature."""

from __future__ import annotations

import html

import httpx

from actors import store
from chiffres.app import Federation
from ledger.publication import Publisher
from tests.actors.test_access import is_private_to_its_reader
from tests.web.test_accounts import Client, make_client, signin, signup
from tests.web.test_api import Ticking, join, rent

__all__ = ["make_client"]  # the fixture


async def test_a_signed_in_member_reads_the_figure_and_others_get_the_teaser(
    make_client: Client, fed: Federation
) -> None:
    pool, urls, clock = fed.instance.pool, fed.instance.urls, Ticking()
    member, stranger, anonymous = [await make_client(signup="open") for _ in range(3)]
    await signup(member, "marie")
    await signup(stranger, "paul")
    group = await store.create(pool, "entraide", "group", visibility="members")
    marie = await store.get(pool, "marie")
    await join(pool, urls, marie, group, clock)
    published = await Publisher(pool, urls, clock, "fr").publish(marie, group, rent(value="790.12"), "fr")
    path = published.uri.removeprefix(urls.base)

    page = await member.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "790" in page.text
    assert is_private_to_its_reader(page)
    for reader in (stranger, anonymous):
        teaser = await reader.get(path, headers={"Accept": "text/html"})
        assert teaser.status_code == 403
        assert "Demander l'accès" in html.unescape(teaser.text)
        assert "790" not in teaser.text
        assert is_private_to_its_reader(teaser)
    document = await member.get(path, headers={"Accept": "application/activity+json"})
    assert document.status_code == 404  # a cookie is no signature for fediverse software
    await member.post("/signout", data={"csrf": _token(await member.get("/signin"))})
    assert (await member.get(path, headers={"Accept": "text/html"})).status_code == 403
    assert (await signin(member, "marie")).status_code == 303
    assert (await member.get(path)).status_code == 200


def _token(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
