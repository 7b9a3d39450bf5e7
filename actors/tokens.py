"""Bearer tokens with which members use the JSON API from scripts.

Only the SHA-256 of a token is stored: a leaked database then hands out no working credential, and since tokens
are long random strings a plain, unsalted hash is enough to look them up by equality. The secret is shown once,
when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from actors import store
from actors.actor import Actor, ActorError
from fedi.database import Connection, Pool


class TokenError(ActorError):
    """A token cannot be issued as asked (unknown actor, not a member)."""


@dataclass(frozen=True)
class TokenRecord:
    """What is kept of a token: never its secret."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(pool: Pool | Connection, actor_id: int, label: str = "") -> str:
    """A new secret for a member; returned once, only its hash is kept."""
    kind = await pool.fetchval("SELECT kind FROM actors WHERE id = $1", actor_id)
    if kind is None:
        raise TokenError(f"no local actor with id {actor_id}")
    if kind != "person":
        raise TokenError("only members (persons) can hold API tokens")
    token = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO api_tokens (actor_id, token_hash, label) VALUES ($1, $2, $3)", actor_id, token_hash(token), label
    )
    return token


async def actor_for_token(pool: Pool | Connection, token: str) -> Actor | None:
    """The member a live token belongs to, noting the use; None for an unknown or revoked token."""
    if not token:
        return None
    name = await pool.fetchval(
        "WITH used AS (UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL"
        " RETURNING actor_id) SELECT a.name FROM used JOIN actors a ON a.id = used.actor_id",
        token_hash(token),
    )
    return await store.find(pool, name) if name is not None else None


async def revoke(pool: Pool | Connection, token: str) -> bool:
    """Revoke by secret, for a member who still has it; False when it was unknown or already revoked."""
    revoked = await pool.fetchval(
        "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id",
        token_hash(token),
    )
    return revoked is not None


async def revoke_id(pool: Pool | Connection, token_id: int) -> bool:
    """Revoke by the id that :func:`listing` shows, for an admin who never saw the secret."""
    revoked = await pool.fetchval(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id", token_id
    )
    return revoked is not None


async def listing(pool: Pool | Connection, actor_id: int) -> list[TokenRecord]:
    """A member's tokens, oldest first, revoked ones included so that their use stays visible."""
    rows = await pool.fetch(
        "SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE actor_id = $1 ORDER BY id",
        actor_id,
    )
    return [TokenRecord(**dict(row)) for row in rows]
