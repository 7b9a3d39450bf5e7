"""Bearer tokens with which members use the JSON API from scripts.

Only the SHA-256 of a token is stored: a leaked database then hands out no working credential, and since tokens
are long random strings a plain, unsalted hash is enough to look them up by equality. The secret is shown once,
when it is made. A token may carry an expiry, so that one handed to a script for a month stops working by itself;
a refused token says why (unknown, revoked, expired), since only someone holding the secret can ask.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from actors import store
from actors.actor import Actor, ActorError
from fedi.database import Connection, Pool

State = Literal["live", "revoked", "expired"]
_SPAN: Final = re.compile(r"([1-9][0-9]{0,3})([hdw])")
_UNITS: Final = {"h": "hours", "d": "days", "w": "weeks"}
_MAX_ID: Final = 2**63 - 1  # api_tokens.id is a bigint


class TokenError(ActorError):
    """A token cannot be issued or revoked as asked (unknown actor, not a member, an unreadable expiry)."""


class TokenRefused(TokenError):
    """A token that opens nothing; the message says why, for the 401 answer."""


@dataclass(frozen=True)
class TokenRecord:
    """What is kept of a token: never its secret."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None

    def state(self, now: datetime) -> State:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def expiry(text: str, now: datetime) -> datetime:
    """When a token asked to last ``text`` expires: a span (``12h``, ``30d``, ``2w``) from now, or an ISO date or
    date-time (a date is its midnight, UTC, so that ``2026-12-31`` no longer works on that day)."""
    span = _SPAN.fullmatch(text.strip().lower())
    if span is not None:
        return now + timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TokenError(f"expiry: not a span (12h, 30d, 2w) or an ISO date: {text!r}") from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if moment <= now:
        raise TokenError(f"expiry: {text} is already past")
    return moment


async def create_token(
    pool: Pool | Connection, actor_id: int, label: str = "", expires_at: datetime | None = None
) -> str:
    """A new secret for a member; returned once, only its hash is kept."""
    kind = await pool.fetchval("SELECT kind FROM actors WHERE id = $1", actor_id)
    if kind is None:
        raise TokenError(f"no local actor with id {actor_id}")
    if kind != "person":
        raise TokenError("only members (persons) can hold API tokens")
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO api_tokens (actor_id, token_hash, label, expires_at) VALUES ($1, $2, $3, $4)",
        actor_id,
        token_hash(token),
        label,
        expires_at,
    )
    return token


async def actor_for_token(pool: Pool | Connection, token: str, now: datetime) -> Actor:
    """The member a live token belongs to, noting the use; TokenRefused says why a token opens nothing."""
    name = await pool.fetchval(
        "WITH used AS (UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL"
        " AND (expires_at IS NULL OR expires_at > $2) RETURNING actor_id)"
        " SELECT a.name FROM used JOIN actors a ON a.id = used.actor_id",
        token_hash(token),
        now,
    )
    found = await store.find(pool, name) if name is not None else None
    if found is not None:
        return found
    row = await pool.fetchrow("SELECT revoked_at, expires_at FROM api_tokens WHERE token_hash = $1", token_hash(token))
    if row is None:
        raise TokenRefused("unknown token")
    if row["revoked_at"] is not None:
        raise TokenRefused("this token was revoked")
    if row["expires_at"] is not None:
        raise TokenRefused(f"this token expired at {iso(row['expires_at'])}")
    raise TokenRefused("this token's member no longer exists")


async def revoke(pool: Pool | Connection, token: str) -> bool:
    """Revoke by secret, for a member who still has it; False when it was unknown or already revoked."""
    revoked = await pool.fetchval(
        "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id",
        token_hash(token),
    )
    return revoked is not None


async def revoke_id(pool: Pool | Connection, token_id: int, actor_id: int | None = None) -> bool:
    """Revoke by the id that :func:`listing` shows: any token for an admin (``actor_id`` None), only their own
    for a member. False when there is no such live token."""
    if not 0 < token_id <= _MAX_ID:
        return False
    revoked = await pool.fetchval(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
        " AND ($2::bigint IS NULL OR actor_id = $2) RETURNING id",
        token_id,
        actor_id,
    )
    return revoked is not None


async def listing(pool: Pool | Connection, actor_id: int) -> list[TokenRecord]:
    """A member's tokens, oldest first, revoked and expired ones included so that their use stays visible."""
    rows = await pool.fetch(
        "SELECT id, label, created_at, last_used_at, revoked_at, expires_at FROM api_tokens WHERE actor_id = $1"
        " ORDER BY id",
        actor_id,
    )
    return [TokenRecord(**dict(row)) for row in rows]
