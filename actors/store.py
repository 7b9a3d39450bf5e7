"""Reading and writing local actors and their keys in PostgreSQL.

Keys are generated here, in the same transaction as the actor, so an actor can never exist without keys.
Private keys are read only by :func:`signing_keys`, never with the actor, so pages and documents cannot leak them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from actors.actor import (
    INSTANCE_ACTOR_NAME,
    Actor,
    Kind,
    NameTaken,
    UnknownActor,
    Visibility,
    check_name,
    is_valid_name,
)
from fedi import keys
from fedi.database import Connection, Pool, borrow
from fedi.urls import Urls

KeyFactory = Callable[[], keys.KeyPair]

_COLUMNS = (
    "a.id, a.name, a.kind, a.display_name, a.summary, a.visibility, a.manually_approves, a.created_at,"
    " k.rsa_public_pem, k.ed25519_public_multibase"
)
_FROM = "actors a JOIN actor_keys k ON k.actor_id = a.id"


@dataclass(frozen=True)
class SigningKeys:
    rsa_private_pem: str
    ed25519_private_pem: str


def _actor(row: asyncpg.Record) -> Actor:
    return Actor(**dict(row))


async def create(
    db: Pool | Connection,
    name: str,
    kind: Kind,
    *,
    display_name: str = "",
    summary: str = "",
    visibility: Visibility = "public",
    key_factory: KeyFactory = keys.generate,
) -> Actor:
    """Create an actor with fresh keys; whether a group approves its followers by hand follows its join policy."""
    if kind != "application":
        name = check_name(name)
    pair = key_factory()
    async with borrow(db) as connection, connection.transaction():
        try:
            actor_id = await connection.fetchval(
                "INSERT INTO actors (name, kind, display_name, summary, visibility) VALUES ($1, $2, $3, $4, $5)"
                " RETURNING id",
                name,
                kind,
                display_name,
                summary,
                visibility,
            )
        except asyncpg.UniqueViolationError:
            raise NameTaken(f"the name {name!r} is already taken") from None
        await connection.execute(
            "INSERT INTO actor_keys (actor_id, rsa_private_pem, rsa_public_pem, ed25519_private_pem,"
            " ed25519_public_multibase) VALUES ($1, $2, $3, $4, $5)",
            actor_id,
            pair.rsa_private_pem,
            pair.rsa_public_pem,
            pair.ed25519_private_pem,
            pair.ed25519_public_multibase,
        )
        row = await connection.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.id = $1", actor_id)
    if row is None:
        raise UnknownActor(f"actor {name!r} vanished while being created")
    return _actor(row)


async def find(db: Pool | Connection, name: str) -> Actor | None:
    """The actor of that name; a name no actor could have (NUL bytes, slashes…) is nobody's, without a query."""
    if name != INSTANCE_ACTOR_NAME and not is_valid_name(name):
        return None
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.name = $1", name.lower())
    return _actor(row) if row else None


async def get(db: Pool | Connection, name: str) -> Actor:
    actor = await find(db, name)
    if actor is None or actor.is_instance:
        raise UnknownActor(f"no local actor named {name!r}")
    return actor


async def listing(db: Pool | Connection) -> list[Actor]:
    """Members and groups, oldest first; the instance actor is not listed."""
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.kind <> 'application' ORDER BY a.id")
    return [_actor(row) for row in rows]


async def instance_actor(db: Pool | Connection, key_factory: KeyFactory = keys.generate) -> Actor:
    """The instance actor, created on first use; concurrent first uses agree on one."""
    actor = await find(db, INSTANCE_ACTOR_NAME)
    if actor is not None:
        return actor
    try:
        return await create(db, INSTANCE_ACTOR_NAME, "application", key_factory=key_factory)
    except NameTaken:
        return await get_instance(db)


async def get_instance(db: Pool | Connection) -> Actor:
    actor = await find(db, INSTANCE_ACTOR_NAME)
    if actor is None:
        raise UnknownActor("the instance actor has not been created yet (run chiffres db migrate)")
    return actor


async def signing_keys(db: Pool | Connection, actor_id: int) -> SigningKeys:
    row = await db.fetchrow("SELECT rsa_private_pem, ed25519_private_pem FROM actor_keys WHERE actor_id = $1", actor_id)
    if row is None:
        raise UnknownActor(f"no keys for actor {actor_id}")
    return SigningKeys(row["rsa_private_pem"], row["ed25519_private_pem"])


async def counts(db: Pool | Connection) -> dict[str, int]:
    rows = await db.fetch("SELECT kind, count(*) AS n FROM actors GROUP BY kind")
    return {row["kind"]: row["n"] for row in rows}


async def by_uri(db: Pool | Connection, urls: Urls, uri: str) -> Actor | None:
    """The local actor an id names: a member, a group or the instance actor."""
    if uri == urls.instance_actor():
        return await find(db, INSTANCE_ACTOR_NAME)
    name = urls.local_name(uri)
    return await find(db, name) if name else None


def uri_of(urls: Urls, actor: Actor) -> str:
    return urls.instance_actor() if actor.is_instance else urls.actor(actor.name)
