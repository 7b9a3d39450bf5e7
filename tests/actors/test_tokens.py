"""API tokens: shown once, stored hashed, traced when used, refused once revoked or expired, each refusal saying
why."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from actors import store, tokens
from actors.actor import Actor
from fedi import keys
from fedi.database import Pool

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def marie(pool: Pool, key_pair: keys.KeyPair) -> Actor:
    return await store.create(pool, "marie", "person", key_factory=lambda: key_pair)


async def test_a_token_is_shown_once_and_only_its_hash_is_kept(pool: Pool, marie: Actor) -> None:
    token = await tokens.create_token(pool, marie.id, "script de relevé")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    row = await pool.fetchrow("SELECT * FROM api_tokens WHERE actor_id = $1", marie.id)
    assert row is not None
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in dict(row).values()}
    assert row["label"] == "script de relevé"


async def test_a_token_leads_to_its_member_and_its_use_is_noted(pool: Pool, marie: Actor) -> None:
    token = await tokens.create_token(pool, marie.id)
    assert (await tokens.listing(pool, marie.id))[0].last_used_at is None
    found = await tokens.actor_for_token(pool, token, NOW)
    assert found == marie
    assert (await tokens.listing(pool, marie.id))[0].last_used_at is not None


async def test_unknown_tokens_lead_nowhere(pool: Pool, marie: Actor) -> None:
    token = await tokens.create_token(pool, marie.id)
    for wrong in ("", "x", token[:-1], token + "x", token.upper()):
        with pytest.raises(tokens.TokenRefused, match="unknown token"):
            await tokens.actor_for_token(pool, wrong, NOW)


async def test_each_token_is_new_and_each_member_has_their_own(
    pool: Pool, marie: Actor, key_pair: keys.KeyPair
) -> None:
    paul = await store.create(pool, "paul", "person", key_factory=lambda: key_pair)
    first, second = await tokens.create_token(pool, marie.id), await tokens.create_token(pool, marie.id)
    other = await tokens.create_token(pool, paul.id)
    assert len({first, second, other}) == 3
    assert [await tokens.actor_for_token(pool, token, NOW) for token in (first, second, other)] == [marie, marie, paul]


async def test_revoked_tokens_stop_working(pool: Pool, marie: Actor) -> None:
    by_secret, by_id, kept = [await tokens.create_token(pool, marie.id, label) for label in ("a", "b", "c")]
    assert await tokens.revoke(pool, by_secret)
    assert not await tokens.revoke(pool, by_secret)
    records = {record.label: record for record in await tokens.listing(pool, marie.id)}
    assert await tokens.revoke_id(pool, records["b"].id)
    assert not await tokens.revoke_id(pool, records["b"].id)
    for revoked_token in (by_secret, by_id):
        with pytest.raises(tokens.TokenRefused, match="revoked"):
            await tokens.actor_for_token(pool, revoked_token, NOW)
    assert await tokens.actor_for_token(pool, kept, NOW) == marie
    revoked = {record.label for record in await tokens.listing(pool, marie.id) if record.revoked_at is not None}
    assert revoked == {"a", "b"}


async def test_only_members_hold_tokens(pool: Pool, marie: Actor, key_pair: keys.KeyPair) -> None:
    group = await store.create(pool, "loyers", "group", key_factory=lambda: key_pair)
    with pytest.raises(tokens.TokenError):
        await tokens.create_token(pool, group.id)
    with pytest.raises(tokens.TokenError):
        await tokens.create_token(pool, marie.id + 1000)
    assert await pool.fetchval("SELECT count(*) FROM api_tokens") == 0


async def test_the_api_refuses_a_revoked_token(client: httpx.AsyncClient, pool: Pool, marie: Actor) -> None:
    token = await tokens.create_token(pool, marie.id)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/figures", headers=headers)).status_code == 200
    await tokens.revoke(pool, token)
    response = await client.get("/api/v1/figures", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "this token was revoked"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_stops_working_when_it_expires(pool: Pool, marie: Actor) -> None:
    token = await tokens.create_token(pool, marie.id, "un mois", NOW + timedelta(days=30))
    assert await tokens.actor_for_token(pool, token, NOW + timedelta(days=29)) == marie
    with pytest.raises(tokens.TokenRefused, match="expired at 2026-05-31T08:00:00Z"):
        await tokens.actor_for_token(pool, token, NOW + timedelta(days=30))
    [record] = await tokens.listing(pool, marie.id)
    assert record.expires_at == NOW + timedelta(days=30)
    assert record.state(NOW) == "live"
    assert record.state(NOW + timedelta(days=31)) == "expired"


async def test_the_api_refuses_an_expired_token_with_the_reason(
    client: httpx.AsyncClient, pool: Pool, marie: Actor
) -> None:
    token = await tokens.create_token(pool, marie.id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = await client.get("/api/v1/figures", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"].startswith("this token expired at ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW + timedelta(days=30)),
        ("12h", NOW + timedelta(hours=12)),
        ("2w", NOW + timedelta(weeks=2)),
        ("2026-12-31", datetime(2026, 12, 31, tzinfo=UTC)),
        ("2026-06-01T12:30:00+02:00", datetime(2026, 6, 1, 10, 30, tzinfo=UTC)),
    ],
)
def test_an_expiry_is_a_duration_or_an_iso_date(text: str, expected: datetime) -> None:
    assert tokens.expiry(text, NOW) == expected


@pytest.mark.parametrize(
    "text", ["", "0d", "30", "30 days", "-1d", "tomorrow", "2026-13-01", "2026-04-30", "99999999d"]
)
def test_an_expiry_that_cannot_be_read_or_is_past_is_refused(text: str) -> None:
    with pytest.raises(tokens.TokenError, match="expiry"):
        tokens.expiry(text, NOW)


async def test_a_member_revokes_only_their_own_tokens_by_id(pool: Pool, marie: Actor, key_pair: keys.KeyPair) -> None:
    paul = await store.create(pool, "paul", "person", key_factory=lambda: key_pair)
    await tokens.create_token(pool, marie.id)
    await tokens.create_token(pool, paul.id)
    [maries] = await tokens.listing(pool, marie.id)
    [pauls] = await tokens.listing(pool, paul.id)
    assert not await tokens.revoke_id(pool, pauls.id, actor_id=marie.id)
    assert (await tokens.listing(pool, paul.id))[0].revoked_at is None
    assert await tokens.revoke_id(pool, maries.id, actor_id=marie.id)
    assert (await tokens.listing(pool, marie.id))[0].state(NOW) == "revoked"
