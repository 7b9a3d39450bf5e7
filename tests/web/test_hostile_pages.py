"""Whatever a browser sends to the pages — a huge or broken query, a wrong id, a form without its token, bytes
that are not UTF-8 — it gets a 4xx status with a reason (or is sent to sign in first), never a 500."""

from __future__ import annotations

import httpx
import pytest

from chiffres.app import Federation, build_app
from tests.conftest import TEST_DOMAIN
from tests.web.test_accounts import Client, csrf, make_client, signup

__all__ = ["make_client"]

GETS = (
    "/search?q=" + "é" * 5000,
    "/search?q=%00",
    "/search?period=2026-13&place=" + "x" * 3000,
    "/search?group=../../etc&tag=%F0%9F%92%A9",
    "/search?cursor=!!!&q=loyer",
    "/search?page=-1",
    "/search?page=99999999999999999999",
    "/?lang=" + "x" * 500,
    "/about?lang=%FF",
    "/actors/%C0%AF",
    "/actors/" + "a" * 300,
    "/objects/not-a-uuid",
    "/objects/7c1f0a52-0b5e-4bb0-9d3e-000000000000/correct",
    "/charts/not-a-uuid.svg",
    "/charts/7c1f0a52-0b5e-4bb0-9d3e-000000000000.png",
    "/groups/nobody/requests",
    "/groups/nobody/requests/1/answer",
    "/groups/nobody/requests/" + "9" * 40 + "/answer",
    "/groups/nobody/publish",
    "/moderation/groups/" + "%00" * 10,
    "/moderation/ledger?days=" + "9" * 50,
    "/tags/" + "x" * 2000,
    "/reset/" + "x" * 2000,
)
POSTS = (
    "/groups/nobody/join",
    "/groups/nobody/leave",
    "/objects/7c1f0a52-0b5e-4bb0-9d3e-000000000000/endorse",
    "/objects/7c1f0a52-0b5e-4bb0-9d3e-000000000000/correct",
    "/groups/nobody/requests",
    "/moderation/trust",
    "/signin",
    "/signup",
)


@pytest.fixture
async def browser(fed: Federation) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(fed), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}", headers={"Accept": "text/html"})


async def test_no_address_answers_a_500_to_what_a_browser_sends(browser: httpx.AsyncClient) -> None:
    failures = []
    async with browser:
        for path in GETS:
            answer = await browser.get(path)
            signing_in = answer.status_code == 303 and answer.headers["location"].startswith("/signin?next=")
            if answer.status_code >= 500 or not (signing_in or answer.text.strip()):
                failures.append(f"GET {path[:60]}: {answer.status_code}")
        for path in POSTS:
            for body in (b"csrf=nope&value=1", b"\xff\xfe\x00garbage=" + b"\x80" * 100, b"a=" + b"b" * 40_000):
                answer = await browser.post(
                    path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
                )
                if answer.status_code >= 500 or not 400 <= answer.status_code < 500:
                    failures.append(f"POST {path} {body[:12]!r}: {answer.status_code}")
    assert not failures, "\n".join(failures)


async def test_a_signed_in_person_with_a_valid_token_gets_no_500_either(make_client: Client, fed: Federation) -> None:
    """Past the CSRF check, the fields themselves: missing, huge, of the wrong kind, not UTF-8."""
    client = await make_client(signup="open")
    await signup(client, "marie")
    token = await csrf(client, "/account")
    failures = []
    for path in (*POSTS, "/moderation/groups/nobody", "/account/password"):
        for fields in (
            {},
            {"value": "1e999", "unit": "€" * 500, "period": "2026-99", "source": "javascript:x", "follow": "x"},
            {"value": "x" * 5000, "measures": "\x00", "action": "approve", "follow": "9" * 40, "domain": "a b"},
        ):
            answer = await client.post(path, data={"csrf": token, **fields})
            if answer.status_code >= 500:
                failures.append(f"POST {path} {sorted(fields)}: {answer.status_code}")
    assert not failures, "\n".join(failures)
