"""One throwaway PostgreSQL for a whole test session, and a fresh database per test.

The session cluster comes from the same embedded launcher as ``chiffres serve`` (or from
``CHIFFRES_TEST_DATABASE_URL``). A migrated template database is made once; each test gets a copy of it with
``CREATE DATABASE … TEMPLATE``, which takes milliseconds where migrating would take far longer.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

from fedi.database import connect
from fedi.embedded import EmbeddedPostgres, database_url
from fedi.migrator import migrate

_counter = itertools.count()


class Cluster:
    def __init__(self, admin_url: str, embedded: EmbeddedPostgres | None) -> None:
        self.admin_url = admin_url
        self.embedded = embedded
        self.template = f"chiffres_template_{os.getpid()}"

    @classmethod
    def start(cls, directory: Path) -> Cluster:
        url = os.environ.get("CHIFFRES_TEST_DATABASE_URL")
        if url:
            return cls(url, None)
        embedded = EmbeddedPostgres(directory)
        return cls(embedded.start(), embedded)

    def url(self, name: str) -> str:
        return database_url(self.admin_url, name)

    async def create_template(self) -> None:
        admin = await connect(self.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            await admin.execute(f'CREATE DATABASE "{self.template}"')
        finally:
            await admin.close()
        connection = await connect(self.url(self.template))
        try:
            await migrate(connection)
        finally:
            await connection.close()

    async def create_database(self, *, empty: bool = False) -> str:
        name = f"chiffres_test_{os.getpid()}_{next(_counter)}"
        admin = await connect(self.admin_url)
        try:
            template = "template0" if empty else self.template
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await admin.close()
        return name

    async def drop_database(self, name: str) -> None:
        admin = await connect(self.admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    def stop(self) -> None:
        if self.embedded is None:
            asyncio.run(self.drop_database(self.template))
        else:
            self.embedded.stop()
