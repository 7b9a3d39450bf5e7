"""Drives a bovine-herd server from inside bovine's own virtualenv.

This script runs under the python of the bovine virtualenv and is never imported by our test process:
bovine's dependencies (quart, tortoise-orm, aiohttp, pyld …) must not meet ours, so every bovine module is
imported inside the functions that use it. Usage::

    python -I bovine_driver.py COMMAND 'JSON-ARGUMENTS'

It prints one JSON document on stdout; bovine's logging goes to stderr. Every command takes ``state``, the
server's directory, and runs there: bovine opens its JSON-LD context cache (``bovine_jsonld_cache.sqlite``)
in the working directory when it is imported.

- ``serve`` {port, contexts}: bovine-herd (Quart on hypercorn) on 127.0.0.1:port until SIGTERM or SIGINT,
  its sqlite database in ``state``.
- ``register`` {base, handle}: a user with an Ed25519 key for the client-to-server API (Moo-Auth-1).
- ``send`` {base, secret, activity}: posts an activity to the user's outbox; prints {id}.
- ``collection`` {base, secret, name, resolve}: the items of the user's inbox, outbox, followers or
  following, resolved (when asked) through the user's ``proxyUrl`` as a bovine client does.
- ``accept_follows`` {base, secret}: answers every Follow of the user not accepted yet with an Accept.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

# bovine fetches every context URL it does not know and caches the result (an empty context when the
# fetch fails). Seeding its cache with the documents vendored in schemas/contexts gives the result of a
# successful fetch without a network.
VENDORED_CONTEXTS = {
    "https://w3id.org/security/v1": "security-v1.json",
    "https://w3id.org/security/v2": "security-v2.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.json",
    "https://w3id.org/identity/v1": "identity-v1.json",
}
# Not vendored: seeded with what bovine caches after a failed fetch, so that no run waits on DNS.
EMPTY_CONTEXTS = ("https://www.w3.org/ns/did/v1",)
CACHE_FILE = "bovine_jsonld_cache.sqlite"

Json = dict[str, Any]


def seed_jsonld_cache(state: Path, contexts: Path) -> None:
    """Writes the context cache in bovine's own table layout before bovine is imported."""
    rows = [
        (url, json.dumps(json.loads((contexts / name).read_text())["@context"]))
        for url, name in VENDORED_CONTEXTS.items()
    ]
    rows += [(url, "[]") for url in EMPTY_CONTEXTS]
    connection = sqlite3.connect(state / CACHE_FILE)
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        connection.executemany("INSERT OR REPLACE INTO jsonld VALUES (?, ?)", rows)
        connection.commit()
    finally:
        connection.close()


def database_url(state: Path) -> str:
    return f"sqlite://{state / 'bovine.sqlite3'}"


def serve(arguments: Json) -> Json:
    """bovine-herd is a library: this is the whole application its README describes, bound to loopback."""
    quart = importlib.import_module("quart")
    herd = importlib.import_module("bovine_herd")
    hypercorn_config = importlib.import_module("hypercorn.config")
    hypercorn_asyncio = importlib.import_module("hypercorn.asyncio")

    app = quart.Quart("bovine_test_server")
    herd.BovineHerd(app, db_url=database_url(Path(arguments["state"])))
    config = hypercorn_config.Config()
    config.bind = [f"127.0.0.1:{int(arguments['port'])}"]
    config.accesslog = "-"
    config.errorlog = "-"
    config.graceful_timeout = 1

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, stop.set)
        await hypercorn_asyncio.serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(run())
    return {"stopped": True}


async def register(arguments: Json) -> Json:
    """Does what ``python -m bovine_store register --domain BASE`` then ``key --new`` do, in one step."""
    store_module = importlib.import_module("bovine_store")
    crypto = importlib.import_module("bovine.crypto")
    tortoise = importlib.import_module("tortoise")
    types = importlib.import_module("bovine.types")

    secret = str(crypto.generate_ed25519_private_key())
    did_key = str(crypto.private_key_to_did_key(secret))
    url = database_url(Path(arguments["state"]))
    async with store_module.bovine_admin_store(db_url=url, domain=arguments["base"]) as store:
        await tortoise.Tortoise.generate_schemas()
        bovine_name = await store.register(arguments["handle"])
        await store.add_identity_string_to_actor(bovine_name, did_key.removeprefix("did:key:"), did_key)
        actor = await store.actor_for_name(bovine_name)
        await actor.session.close()
    document: Json = actor.actor_object.build(visibility=types.Visibility.OWNER)
    return {"bovine_name": bovine_name, "secret": secret, "did_key": did_key, "actor": document}


async def _client(arguments: Json) -> Any:
    """A bovine client logged in with Moo-Auth-1: it finds its actor by webfinger on the did:key."""
    bovine = importlib.import_module("bovine")
    client = bovine.BovineClient(domain=arguments["base"], secret=arguments["secret"])
    await client.init()
    return client


async def send(arguments: Json) -> Json:
    client = await _client(arguments)
    try:
        return {"id": await _post_outbox(client, arguments["activity"])}
    finally:
        await client.session.close()


async def _post_outbox(client: Any, activity: Json) -> str:
    response = await client.send_to_outbox(activity)
    if response.status != 201:
        raise RuntimeError(f"outbox answered {response.status}: {await response.text()}")
    return str(response.headers["location"])


async def _ids(client: Any, name: str) -> list[str]:
    helper = client.collection_helper(client.information[name], resolve=False)
    return [_id(item) async for item in helper]


async def _resolve(client: Any, item_id: str) -> Json:
    """One unreadable item (gone, or on an unreachable server) must not hide the others."""
    try:
        resolved: Json = await client.proxy(item_id)
    except Exception as error:  # reported in the item instead
        return {"id": item_id, "unresolved": repr(error)}
    return resolved


async def collection(arguments: Json) -> Json:
    client = await _client(arguments)
    try:
        ids = await _ids(client, arguments["name"])
        if not arguments.get("resolve", True):
            return {"items": ids}
        return {"items": [await _resolve(client, item_id) for item_id in ids]}
    finally:
        await client.session.close()


async def accept_follows(arguments: Json) -> Json:
    """bovine never accepts a Follow on its own: its user answers each one with an Accept in the outbox."""
    client = await _client(arguments)
    try:
        actor_id = client.information["id"]
        followers = set(await _ids(client, "followers"))
        accepted = []
        for item_id in await _ids(client, "inbox"):
            follow = await _resolve(client, item_id)
            follower = _id(follow.get("actor"))
            if follow.get("type") != "Follow" or _id(follow.get("object")) != actor_id or follower in followers:
                continue
            accept = {
                "@context": "https://www.w3.org/ns/activitystreams",
                "type": "Accept",
                "actor": actor_id,
                "object": follow["id"],
                "to": [follower],
            }
            accept_id = await _post_outbox(client, accept)
            accepted.append({"follow": follow["id"], "follower": follower, "accept": accept_id})
            followers.add(follower)
        return {"accepted": accepted}
    finally:
        await client.session.close()


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


COMMANDS = {"register": register, "send": send, "collection": collection, "accept_follows": accept_follows}


def main(argv: list[str]) -> int:
    # Our tests/support holds a module named bovine: it must not shadow the library.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    command, arguments = argv[1], json.loads(argv[2])
    logging.basicConfig(level=os.environ.get("BOVINE_LOG_LEVEL", "INFO"), stream=sys.stderr)
    state = Path(arguments["state"])
    if command == "serve":
        seed_jsonld_cache(state, Path(arguments["contexts"]))
    os.chdir(state)
    result = serve(arguments) if command == "serve" else asyncio.run(COMMANDS[command](arguments))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
