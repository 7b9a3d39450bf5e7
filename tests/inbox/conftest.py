"""An instance under test with remote servers beside it on loopback, and the means to replay real payloads.

The instance runs in development mode so that it may fetch keys from loopback; its public base stays
``https://chiffres.test``, the URL senders sign. Jobs run by direct calls to the handlers the worker would run, so
a test sees the state right after each step.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from actors import notes, store
from actors.outbox import FANOUT
from chiffres.app import Federation, build_app, federation, job_handlers
from fedi import keys
from fedi.config import Settings
from fedi.database import Pool, create_pool
from fedi.delivery import DELIVER
from fedi.instance import Instance
from fedi.urls import Urls
from inbox.endpoint import PROCESS
from tests.conftest import TEST_DOMAIN
from tests.support.cluster import Cluster
from tests.support.remote_server import RemoteActor, RemoteServer, encode

BASE = f"https://{TEST_DOMAIN}"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "fediverse"
JSON = dict[str, Any]
_COUNTS = (
    "SELECT (SELECT count(*) FROM follows) AS follows, (SELECT count(*) FROM reactions) AS reactions,"
    " (SELECT count(*) FROM remote_objects) AS remote_objects,"
    " (SELECT count(*) FROM remote_objects WHERE deleted_at IS NOT NULL) AS tombstones,"
    " (SELECT count(*) FROM inbox_activities) AS inbox_activities,"
    " (SELECT count(*) FROM remote_actors WHERE gone_at IS NOT NULL) AS gone_actors,"
    " (SELECT count(*) FROM outbox) AS outbox"
)


def replayed(name: str, identities: Mapping[str, str]) -> JSON:
    """A captured payload with its anonymised identities rewritten, in the order given (longest first)."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for old, new in identities.items():
        text = text.replace(old, new)
    document: JSON = json.loads(text)
    return document


@dataclass
class World:
    """Our instance (a group ``loyers``, a member ``marie``, a public note of the group) and a remote server."""

    fed: Federation
    client: httpx.AsyncClient
    remote: RemoteServer
    group: str
    member: str
    note: str

    @property
    def pool(self) -> Pool:
        return self.fed.instance.pool

    @property
    def urls(self) -> Urls:
        return self.fed.instance.urls

    async def deliver(
        self, sender: RemoteActor, document: JSON, path: str = "/inbox", *, rfc9421: bool = False
    ) -> httpx.Response:
        """POST ``document`` signed as ``sender``'s server signs (or with RFC 9421)."""
        body = encode(document)
        url = BASE + path
        headers = sender.sign_rfc9421(url, body) if rfc9421 else sender.sign(url, body)
        return await self.client.post(path, content=body, headers=headers)

    async def process(self) -> list[str]:
        """Run the ``inbox`` job of every activity not processed yet; their outcomes, oldest first."""
        handler = job_handlers(self.fed)[PROCESS]
        rows = await self.pool.fetch("SELECT id FROM inbox_activities WHERE processed_at IS NULL ORDER BY id")
        for row in rows:
            await handler({"id": row["id"]})
        ids = [row["id"] for row in rows]
        done = await self.pool.fetch("SELECT outcome FROM inbox_activities WHERE id = ANY($1) ORDER BY id", ids)
        return [str(row["outcome"]) for row in done]

    async def flush(self) -> None:
        """Fan out what the outbox holds and run the deliveries: what the worker would do next."""
        handlers = job_handlers(self.fed)
        for row in await self.pool.fetch("SELECT activity_id FROM outbox WHERE fanned_out_at IS NULL ORDER BY id"):
            await handlers[FANOUT]({"activity": row["activity_id"]})
        for row in await self.pool.fetch("SELECT id FROM deliveries WHERE state = 'pending' ORDER BY id"):
            await handlers[DELIVER]({"delivery": row["id"]})

    async def counts(self) -> dict[str, int]:
        row = await self.pool.fetchrow(_COUNTS)
        assert row is not None
        return {key: int(value) for key, value in dict(row).items()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=True)


@pytest.fixture(scope="session")
def local_key_pairs() -> list[keys.KeyPair]:
    """Keys for the local actors of every test: generating them per test would cost more than the test."""
    return [keys.generate() for _ in range(3)]


@pytest.fixture(scope="session")
def remote_servers() -> Iterator[tuple[RemoteServer, RemoteServer]]:
    first, second = RemoteServer().start(), RemoteServer().start()
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def remote(remote_servers: tuple[RemoteServer, RemoteServer]) -> RemoteServer:
    remote_servers[0].reset()
    return remote_servers[0]


@pytest.fixture
def elsewhere(remote_servers: tuple[RemoteServer, RemoteServer]) -> RemoteServer:
    """A second remote host, for objects and keys that are not on the sender's host."""
    remote_servers[1].reset()
    return remote_servers[1]


async def populate(
    fed: Federation, client: httpx.AsyncClient, remote: RemoteServer, pairs: list[keys.KeyPair]
) -> World:
    instance = fed.instance
    await store.instance_actor(instance.pool, key_factory=lambda: pairs[0])
    group = await store.create(instance.pool, "loyers", "group", display_name="Loyers", key_factory=lambda: pairs[1])
    member = await store.create(instance.pool, "marie", "person", key_factory=lambda: pairs[2])
    note = await notes.post(
        instance.pool, instance.urls, group, "Loyer médian T2 : 812 €/mois", "public", instance.clock
    )
    return World(fed, client, remote, instance.urls.actor(group.name), instance.urls.actor(member.name), note["id"])


@pytest.fixture
async def world(
    fed: Federation, client: httpx.AsyncClient, remote: RemoteServer, local_key_pairs: list[keys.KeyPair]
) -> World:
    return await populate(fed, client, remote, local_key_pairs)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world(
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    remote_servers: tuple[RemoteServer, RemoteServer],
    local_key_pairs: list[keys.KeyPair],
) -> AsyncIterator[World]:
    """One instance for a whole module of one-request cases, each of which checks its own effect on the counts:
    a database per case would cost more than all the requests together."""
    name = await cluster.create_database()
    pool = await create_pool(cluster.url(name), min_size=1, max_size=5)
    settings = Settings(domain=TEST_DOMAIN, data_dir=tmp_path_factory.mktemp("shared"), dev=True)
    fed = federation(Instance(settings, Urls.for_domain(TEST_DOMAIN, "https"), pool))
    try:
        # A crash is answered 500 as a server would, instead of raised into the test: the status is what is checked.
        transport = httpx.ASGITransport(app=build_app(fed), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield await populate(fed, client, remote_servers[0], local_key_pairs)
    finally:
        await fed.close()
        await pool.close()
        await cluster.drop_database(name)
