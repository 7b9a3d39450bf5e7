"""Web accounts through their pages: sign-up under each policy, sign-in and its limiter, sign-out, passwords changed
and reset by a one-time link, the session cookie and the CSRF token of every form, and hostile input."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from chiffres.app import Federation, build_app
from tests.conftest import TEST_DOMAIN
from web import accounts, onetime

PASSWORD = "correct horse battery"
Client = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_client(fed: Federation) -> AsyncIterator[Client]:
    """A client of an instance whose settings differ from the default by ``changes`` (signup policy, dev)."""
    opened: list[httpx.AsyncClient] = []

    async def make(**changes: Any) -> httpx.AsyncClient:
        settings = dataclasses.replace(fed.instance.settings, **changes)
        changed = dataclasses.replace(fed, instance=dataclasses.replace(fed.instance, settings=settings))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_app(changed)), base_url=f"https://{TEST_DOMAIN}"
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()


def shown(response: httpx.Response) -> str:
    """The page as read, entities decoded (French apostrophes are escaped)."""
    return html.unescape(response.text)


async def csrf(client: httpx.AsyncClient, path: str = "/signin") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def signup(client: httpx.AsyncClient, name: str, path: str = "/signup", **fields: str) -> httpx.Response:
    form = {"name": name, "password": PASSWORD, "password2": PASSWORD, "charter": "yes", **fields}
    return await client.post("/signup", data={"csrf": await csrf(client, path), **form})


async def signin(client: httpx.AsyncClient, name: str, password: str = PASSWORD, **fields: str) -> httpx.Response:
    token = await csrf(client)
    return await client.post("/signin", data={"csrf": token, "name": name, "password": password, **fields})


async def test_open_sign_up_signs_in_at_once_and_records_the_charter_version(
    make_client: Client, fed: Federation
) -> None:
    client = await make_client(signup="open")
    page = await client.get("/signup")
    assert "<h1>Créer un compte</h1>" in page.text
    assert 'href="https://chiffres.test/charter"' in page.text
    created = await signup(client, "marie")
    assert created.status_code == 303
    assert created.headers["location"] == "/"
    account = await accounts.get(fed.instance.pool, "marie")
    assert account.state == "active"
    assert account.approved_at is not None
    assert len(account.charter_version) > 4
    assert "marie" in (await client.get("/account/password")).text


async def test_under_approval_an_account_waits_for_the_admin(make_client: Client, fed: Federation) -> None:
    client = await make_client()  # the default policy
    created = await signup(client, "paul")
    assert created.status_code == 200
    assert "validé" in created.text
    refused = await signin(client, "paul")
    assert refused.status_code == 403
    assert "attend la validation" in refused.text
    await accounts.set_state(fed.instance.pool, "paul", "active")
    assert (await signin(client, "paul")).status_code == 303
    await accounts.set_state(fed.instance.pool, "paul", "disabled")
    assert (await client.get("/account/password")).status_code == 303  # the disabled account's session ended
    assert "désactivé" in (await signin(client, "paul")).text


async def test_under_invitation_sign_up_needs_a_link_that_works_once(make_client: Client, fed: Federation) -> None:
    client = await make_client(signup="invitation")
    assert (await client.get("/signup")).status_code == 403
    assert "invitation" in (await client.get("/signup")).text
    token = await onetime.issue(fed.instance.pool, "invitation", fed.instance.clock())
    path = f"/signup?invitation={token}"
    assert (await signup(client, "lea", path, invitation=token)).status_code == 303
    assert (await accounts.get(fed.instance.pool, "lea")).state == "active"
    other = await make_client(signup="invitation")
    assert (await other.get(path)).status_code == 403
    assert (await other.post("/signup", data={"csrf": "x", "invitation": token})).status_code == 403


async def test_a_refused_form_says_why_beside_each_field_and_keeps_what_was_typed(make_client: Client) -> None:
    client = await make_client(signup="open")
    token = await csrf(client, "/signup")
    form = {"csrf": token, "name": "Élodie <b>", "password": "court", "password2": "court"}
    refused = await client.post("/signup", data=form)
    assert refused.status_code == 400
    assert "Ce nom n'est pas valable" in shown(refused)
    assert "au moins 10 caractères" in shown(refused)
    assert "Il faut accepter la charte" in refused.text
    assert 'value="Élodie &lt;b&gt;"' in refused.text
    assert "court" not in refused.text.replace("caractères", "")
    mismatch = await client.post("/signup", data={**form, "name": "elodie", "password": PASSWORD, "charter": "yes"})
    assert mismatch.status_code == 400
    assert "pas identiques" in mismatch.text
    assert PASSWORD not in mismatch.text
    assert (await signup(client, "elodie")).status_code == 303
    taken = await signup(await make_client(signup="open"), "elodie")
    assert taken.status_code == 400
    assert "déjà pris" in taken.text


async def test_hostile_input_gets_a_clear_refusal_never_a_500(make_client: Client) -> None:
    client = await make_client(signup="open")
    token = await csrf(client, "/signup")
    for form in (
        {"name": "a" * 10_000, "password": PASSWORD, "password2": PASSWORD, "charter": "yes"},
        {"name": "x\x00y", "password": "p" * 5000, "password2": "p" * 5000, "charter": "yes"},
        {"name": "../../etc", "password": PASSWORD, "password2": PASSWORD, "charter": "on"},
    ):
        answer = await client.post("/signup", data={"csrf": token, **form})
        assert answer.status_code == 400, answer.text
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    broken = f"csrf={token}&name=%ff%fe&password=%ff%00&password2=%ff%00&charter=yes".encode()
    assert (await client.post("/signup", content=broken, headers=urlencoded)).status_code == 400
    huge = await client.post("/signup", data={"csrf": token, "name": "a" * 20_000})
    assert huge.status_code == 413
    odd = await client.post("/signin", data={"csrf": token, "name": "\u202e" * 64, "password": "x" * 300})
    assert odd.status_code == 401
    assert (
        await client.post("/signin", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    ).status_code == 403
    assert (await client.get("/reset/" + "%ff" * 40)).status_code == 404
    assert (await client.get("/reset/" + "%00" * 40)).status_code == 400  # NUL bytes are refused at the door
    assert (await client.get("/signin?next=//evil.example")).text.count('value="/"') == 1


async def test_a_post_without_a_session_or_with_a_wrong_token_is_refused(make_client: Client) -> None:
    client = await make_client(signup="open")
    assert (await client.post("/signin", data={"name": "a", "password": "b"})).status_code == 403
    await csrf(client)
    wrong = await client.post("/signin", data={"csrf": "forged", "name": "a", "password": "b"})
    assert wrong.status_code == 403
    assert "formulaire a expiré" in wrong.text
    assert (await client.post("/signout")).status_code == 403
    client.cookies.set("chiffres_session", "tampered.value", domain=TEST_DOMAIN)
    assert (await client.post("/signin", data={"csrf": "tampered", "name": "a"})).status_code == 403


async def test_the_session_cookie_is_signed_http_only_lax_and_secure_outside_development(make_client: Client) -> None:
    for dev, secure in ((False, True), (True, False)):
        client = await make_client(dev=dev)
        cookie = (await client.get("/signin")).headers["set-cookie"].lower()
        assert cookie.startswith("chiffres_session=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/" in cookie
        assert ("secure" in cookie.split("; ")) is secure


async def test_sign_in_is_refused_after_five_failures_per_name_and_per_address(
    make_client: Client, fed: Federation
) -> None:
    client = await make_client(signup="open")
    await signup(client, "marie")
    await client.post("/signout", data={"csrf": await csrf(client)})
    for _ in range(5):
        assert (await signin(client, "marie", "wrong password")).status_code == 401
    blocked = await signin(client, "marie")
    assert blocked.status_code == 429
    assert "Trop d'essais" in shown(blocked)
    await fed.instance.pool.execute("UPDATE signin_failures SET at = at - interval '16 minutes'")
    assert (await signin(client, "marie")).status_code == 303
    for number in range(5):
        await signin(client, f"nobody{number}", "wrong password")
    assert (await signin(client, "marie")).status_code == 429  # the same address, whatever the name


async def test_sign_out_ends_the_session(make_client: Client) -> None:
    client = await make_client(signup="open")
    await signup(client, "marie")
    assert (await client.get("/account/password")).status_code == 200
    out = await client.post("/signout", data={"csrf": await csrf(client, "/account/password")})
    assert out.status_code == 303
    assert (await client.get("/account/password")).headers["location"] == "/signin?next=/account/password"


async def test_every_page_menu_offers_my_account_when_signed_in_and_sign_in_otherwise(make_client: Client) -> None:
    client = await make_client(signup="open")
    anonymous = await client.get("/charter")
    before = anonymous.text
    assert "private" not in anonymous.headers.get("cache-control", "")
    assert 'href="https://chiffres.test/signin"' in before
    assert "Mon compte" not in before
    await signup(client, "marie")
    answer = await client.get("/charter")
    during = answer.text
    assert answer.headers["cache-control"] == "private, max-age=0", "no shared cache keeps a member's page"
    assert "Mon compte" in during
    assert 'href="https://chiffres.test/signin"' not in during
    client.cookies.set("chiffres_session", "forged.cookie", domain=TEST_DOMAIN)
    assert "Mon compte" not in (await client.get("/charter")).text


async def test_a_password_change_needs_the_current_one_and_ends_other_sessions(make_client: Client) -> None:
    client, other = await make_client(signup="open"), await make_client(signup="open")
    await signup(client, "marie")
    assert (await signin(other, "marie")).status_code == 303
    token = await csrf(client, "/account/password")
    form = {
        "csrf": token,
        "current": "not it at all",
        "password": "a new long password",
        "password2": "a new long password",
    }
    assert "actuel n'est pas le bon" in shown(await client.post("/account/password", data=form))
    changed = await client.post("/account/password", data={**form, "current": PASSWORD})
    assert changed.status_code == 200
    assert "changé" in changed.text
    assert (await client.get("/account/password")).status_code == 200  # this browser stays signed in
    assert (await other.get("/account/password")).status_code == 303  # the other one does not
    assert (await signin(other, "marie")).status_code == 401
    assert (await signin(other, "marie", "a new long password")).status_code == 303


async def test_a_reset_link_works_once_and_for_a_day(make_client: Client, fed: Federation) -> None:
    client = await make_client(signup="open")
    await signup(client, "marie")
    pool, now = fed.instance.pool, fed.instance.clock()
    account = await accounts.get(pool, "marie")
    token = await onetime.issue(pool, "reset", now, account.id)
    page = await client.get(f"/reset/{token}")
    assert page.status_code == 200
    assert "<h1>Choisir un nouveau mot de passe</h1>" in page.text
    form = {
        "csrf": await csrf(client, f"/reset/{token}"),
        "password": "reset password!",
        "password2": "reset password!",
    }
    done = await client.post(f"/reset/{token}", data=form)
    assert done.status_code == 200
    assert "enregistré" in done.text
    again = {**form, "csrf": await csrf(client)}  # the reset began a new session, with its own token
    assert (await client.post(f"/reset/{token}", data=again)).status_code == 404
    assert (await client.get(f"/reset/{token}")).status_code == 404
    assert (await signin(client, "marie", "reset password!")).status_code == 303
    old = await onetime.issue(pool, "reset", now - timedelta(hours=25), account.id)
    assert (await client.get(f"/reset/{old}")).status_code == 404
    assert not await onetime.valid(pool, token, "invitation", now)
