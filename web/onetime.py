"""One-time links: a password reset, an invitation to sign up.

Only the token's SHA-256 is stored, so that whoever reads the database (a backup, a dump) can open no account. A
link lasts a day and works once: it is consumed by one ``UPDATE … RETURNING``, so two clicks racing cannot both win.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal

from fedi.database import Connection, Pool

Purpose = Literal["reset", "invitation"]
LIFETIME = timedelta(hours=24)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def issue(db: Pool | Connection, purpose: Purpose, now: datetime, account_id: int | None = None) -> str:
    """A fresh token, shown once to whoever asked (the admin's terminal) and never stored as such."""
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, account_id, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        _digest(token),
        purpose,
        account_id,
        now,
        now + LIFETIME,
    )
    return token


async def valid(db: Pool | Connection, token: str, purpose: Purpose, now: datetime) -> bool:
    """Whether the link still works, to show its form; only :func:`consume` spends it."""
    found = await db.fetchval(
        "SELECT 1 FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
        _digest(token),
        purpose,
        now,
    )
    return found is not None


async def consume(db: Pool | Connection, token: str, purpose: Purpose, now: datetime) -> tuple[bool, int | None]:
    """Spend the token: (whether it was valid, the account it names). Used inside the transaction of its effect, so
    that a failed effect leaves the link working."""
    row = await db.fetchrow(
        "UPDATE one_time_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL"
        " AND expires_at > $3 RETURNING account_id",
        _digest(token),
        purpose,
        now,
    )
    return (row is not None, row["account_id"] if row else None)
