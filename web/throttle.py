"""The sign-in limiter: a few failed attempts per name and per client address, then a pause.

Failures are rows in the database, so that every web process of an instance counts the same ones; a success does
not erase them, so that a guesser who owns one account cannot reset the count on another.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fedi.database import Pool

ATTEMPTS = 5
WINDOW = timedelta(minutes=15)


async def blocked(pool: Pool, name: str, address: str, now: datetime) -> bool:
    """Whether ``ATTEMPTS`` sign-ins already failed for this name, or from this address, within the window."""
    since = now - WINDOW
    by_name = await pool.fetchval("SELECT count(*) FROM signin_failures WHERE name = $1 AND at > $2", _key(name), since)
    by_address = await pool.fetchval(
        "SELECT count(*) FROM signin_failures WHERE address = $1 AND at > $2", address, since
    )
    return bool(by_name >= ATTEMPTS or by_address >= ATTEMPTS)


async def failed(pool: Pool, name: str, address: str, now: datetime) -> None:
    """Count one failure, and forget those too old to matter."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM signin_failures WHERE at < $1", now - 2 * WINDOW)
        await connection.execute(
            "INSERT INTO signin_failures (name, address, at) VALUES ($1, $2, $3)", _key(name), address, now
        )


def _key(name: str) -> str:
    """Names are compared as sign-in compares them; an overlong one is cut, not stored whole."""
    return name.strip().lower()[:64]
