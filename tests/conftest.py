from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from chiffres.app import Federation, build_app, federation
from fedi import keys
from fedi.config import Settings
from fedi.database import Pool, create_pool
from fedi.instance import Instance
from fedi.urls import Urls
from tests.support.cluster import Cluster

TEST_DOMAIN = "chiffres.test"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = Cluster.start(tmp_path_factory.mktemp("cluster"))
    asyncio.run(started.create_template())
    yield started
    started.stop()


@pytest.fixture
async def database_url(cluster: Cluster) -> AsyncIterator[str]:
    name = await cluster.create_database()
    yield cluster.url(name)
    await cluster.drop_database(name)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await create_pool(database_url, min_size=1, max_size=5)
    yield opened
    await opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(domain=TEST_DOMAIN, data_dir=tmp_path, dev=False)


@pytest.fixture
def instance(settings: Settings, pool: Pool) -> Instance:
    return Instance(settings, Urls.for_domain(TEST_DOMAIN, "https"), pool)


@pytest.fixture
async def fed(instance: Instance) -> AsyncIterator[Federation]:
    built = federation(instance)
    yield built
    await built.close()


@pytest.fixture
async def client(fed: Federation) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(fed))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{TEST_DOMAIN}") as opened:
        yield opened


@pytest.fixture(scope="session")
def key_pair() -> keys.KeyPair:
    """One RSA key pair for every local actor a test makes: generating one costs tens of milliseconds."""
    return keys.generate()
