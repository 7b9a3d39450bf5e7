"""Running an instance and administering its actors: serve, worker, db migrate, actor create/list."""

from __future__ import annotations

import argparse

from actors.actor import ActorError
from chiffres.cli import table
from fedi.config import Settings


async def serve(args: argparse.Namespace, settings: Settings) -> int:
    from actors import store
    from chiffres import server
    from chiffres.app import build_app, federation, job_handlers, worker_loops

    if args.domain:
        settings = settings.with_domain(args.domain)
    elif settings.domain is None and settings.dev:
        settings = settings.with_domain(f"localhost:{args.port}")
    prepared = await server.prepare(settings, serving=True, pool_size=20, wait=True)
    instance = prepared.instance
    await store.instance_actor(instance.pool)
    fed = federation(instance)
    try:
        await server.serve(
            prepared,
            build_app(fed),
            job_handlers(fed),
            loops=worker_loops(fed),
            host=args.host,
            port=args.port,
            with_worker=not args.no_worker,
        )
    finally:
        await fed.close()
    return 0


async def worker(args: argparse.Namespace, settings: Settings) -> int:
    from chiffres import server
    from chiffres.app import federation, job_handlers, worker_loops

    prepared = await server.prepare(settings, serving=False, wait=True)
    fed = federation(prepared.instance)
    try:
        await server.run_worker(prepared, job_handlers(fed), worker_loops(fed))
    finally:
        await fed.close()
    return 0


async def migrate(args: argparse.Namespace, settings: Settings) -> int:
    from actors import store
    from chiffres import server

    prepared = await server.prepare(settings, serving=False)
    try:
        await store.instance_actor(prepared.instance.pool)
        print("database is up to date")
    finally:
        await prepared.database.close()
    return 0


async def actor_create(args: argparse.Namespace, settings: Settings) -> int:
    if args.visibility and not args.group:
        raise ActorError("--visibility applies to groups only (add --group)")
    from actors import store
    from chiffres import server
    from ledger import pinned

    prepared = await server.prepare(settings, serving=False)
    try:
        actor = await store.create(
            prepared.instance.pool,
            args.name,
            "group" if args.group else "person",
            display_name=args.display_name,
            summary=args.summary,
            visibility=args.visibility or ("members" if args.group else "public"),
        )
        if actor.kind == "group":
            instance = prepared.instance
            await pinned.pin_ask_here(instance.pool, instance.urls, instance.clock, actor, settings.language)
        print(prepared.instance.urls.actor(actor.name))
    finally:
        await prepared.database.close()
    return 0


async def actor_list(args: argparse.Namespace, settings: Settings) -> int:
    from actors import store
    from chiffres import server

    prepared = await server.prepare(settings, serving=False)
    try:
        urls = prepared.instance.urls
        rows = [
            {
                "handle": f"@{actor.name}@{urls.domain}",
                "kind": actor.kind,
                "url": urls.actor(actor.name),
                "visibility": actor.visibility if actor.kind == "group" else None,
            }
            for actor in await store.listing(prepared.instance.pool)
        ]
        table.emit(("handle", "kind", "url", "visibility"), rows, as_json=args.json)
    finally:
        await prepared.database.close()
    return 0


# Federation commands: follows, notes and what an actor received.
