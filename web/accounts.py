"""Web accounts of local persons: created at sign-up, approved by an admin, signed in with a password.

An account is a local ``person`` actor and a row beside it; the actor is what federates, the row is what only this
instance knows (the password's argon2 hash, the state an admin moves, the charter version accepted). Messages of
:class:`AccountError` are shown as they are, to the person on a form and to the admin on the command line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from actors import store
from actors.actor import ActorError, check_name
from fedi.database import Connection, Pool, borrow

State = Literal["pending", "active", "disabled"]
#: Long enough to resist guessing, short enough that hashing it is no way to burn the server's time.
MIN_PASSWORD, MAX_PASSWORD = 10, 200

_HASHER = PasswordHasher()


@functools.cache
def _nobody() -> str:
    """A hash to check a password against when no account has the name, so that signing in takes as long whether
    or not it exists; made on first use (an argon2 hash costs a tenth of a second, at every command's start-up)."""
    return _HASHER.hash("no account has this password")


_COLUMNS = "c.id, c.actor_id, a.name, c.state, c.charter_version, c.session_epoch, c.created_at, c.approved_at"
_COLUMNS += ", c.admin"  # migration 0029
_FROM = "accounts c JOIN actors a ON a.id = c.actor_id"


class AccountError(Exception):
    """A request about an account that cannot be granted; the message says why, for the person or the admin."""


@dataclass(frozen=True)
class Account:
    id: int
    actor_id: int
    name: str
    state: State
    charter_version: str
    session_epoch: int
    created_at: datetime
    approved_at: datetime | None
    #: An instance admin: moderates every group on the web pages and sets trust in other domains.
    admin: bool = False


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
    return password


async def create(db: Pool | Connection, name: str, password: str, charter_version: str, *, state: State) -> Account:
    """A new person and their account in one transaction: a name is never taken by half an account."""
    check_password(password)
    try:
        name = check_name(name)
    except ActorError as error:
        raise AccountError(str(error)) from None
    digest = _HASHER.hash(password)
    async with borrow(db) as connection, connection.transaction():
        try:
            person = await store.create(connection, name, "person")
        except ActorError as error:
            raise AccountError(str(error)) from None
        await connection.execute(
            "INSERT INTO accounts (actor_id, password_hash, state, charter_version, approved_at)"
            " VALUES ($1, $2, $3, $4, CASE WHEN $3 = 'active' THEN now() END)",
            person.id,
            digest,
            state,
            charter_version,
        )
    return await get(db, name)


def _account(row: asyncpg.Record) -> Account:
    return Account(**{field: row[field] for field in Account.__dataclass_fields__})


async def find(db: Pool | Connection, name: str) -> Account | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.name = $1", name.strip().lower()[:64])
    return _account(row) if row else None


async def by_id(db: Pool | Connection, account_id: int) -> Account | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE c.id = $1", account_id)
    return _account(row) if row else None


async def get(db: Pool | Connection, name: str) -> Account:
    found = await find(db, name)
    if found is None:
        raise AccountError(f"no account named {name!r}")
    return found


async def listing(db: Pool | Connection) -> list[Account]:
    return [_account(row) for row in await db.fetch(f"SELECT {_COLUMNS} FROM {_FROM} ORDER BY c.id")]


async def verify(db: Pool | Connection, name: str, password: str) -> Account | None:
    """The account whose password this is, whatever its state, or None; rehashed when argon2's costs have grown."""
    if len(password) > MAX_PASSWORD:
        return None
    row = await db.fetchrow(
        f"SELECT {_COLUMNS}, c.password_hash FROM {_FROM} WHERE a.name = $1", name.strip().lower()[:64]
    )
    digest = row["password_hash"] if row else _nobody()
    try:
        _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _HASHER.check_needs_rehash(digest):
        await db.execute("UPDATE accounts SET password_hash = $1 WHERE id = $2", _HASHER.hash(password), row["id"])
    return _account(row)


async def set_password(db: Pool | Connection, account_id: int, password: str) -> None:
    """A new password ends every session signed before it."""
    check_password(password)
    await db.execute(
        "UPDATE accounts SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2",
        _HASHER.hash(password),
        account_id,
    )


async def set_state(db: Pool | Connection, name: str, state: State) -> Account:
    """Approve (``active``) or disable; disabling ends the account's sessions."""
    found = await get(db, name)
    await db.execute(
        "UPDATE accounts SET state = $1, approved_at = CASE WHEN $1 = 'active' THEN coalesce(approved_at, now())"
        " ELSE approved_at END, session_epoch = session_epoch + (CASE WHEN $1 = 'disabled' THEN 1 ELSE 0 END)"
        " WHERE id = $2",
        state,
        found.id,
    )
    return await get(db, found.name)


async def set_admin(db: Pool | Connection, name: str, admin: bool) -> Account:
    """Only the command line grants this, so that no page can ever make its own visitor an admin."""
    found = await get(db, name)
    await db.execute("UPDATE accounts SET admin = $1 WHERE id = $2", admin, found.id)
    return await get(db, found.name)
