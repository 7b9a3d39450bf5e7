"""The outbound side of an instance, apart from the web application.

Administration commands that fetch or deliver need the HTTP clients, signers and remote actor cache, but not the
pages, the API or the job handlers: built here, they start without importing the application that
``chiffres.app`` puts together on top of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from actors.signers import Signers
from fedi.addresses import AddressGuard
from fedi.config import Settings
from fedi.fetch import Fetcher, default_client
from fedi.instance import Instance
from fedi.signatures import KeyCache
from inbox.remote import RemoteActors
from ledger.independence import Independence


@dataclass
class Federation:
    """The outbound side of an instance: its HTTP client, fetcher, signers, remote actor cache and key cache."""

    instance: Instance
    client: httpx.AsyncClient
    fetcher: Fetcher
    signers: Signers
    remote: RemoteActors
    keys: KeyCache
    delivery_client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        await self.client.aclose()
        if self.delivery_client is not None and self.delivery_client is not self.client:
            await self.delivery_client.aclose()


def federation(instance: Instance, client: httpx.AsyncClient | None = None) -> Federation:
    settings = instance.settings
    guard = AddressGuard(settings.allowed_private_addresses, allow_private=settings.dev)
    # Key and actor fetches get one pool and deliveries another: slow peers of one kind cannot starve the other.
    opened = client or default_client(guard)
    delivering = client or default_client(guard)
    fetcher = Fetcher(opened, guard, instance.clock, deliveries=delivering)
    signers = Signers(instance.pool, instance.urls)
    remote = RemoteActors(
        instance.pool, fetcher, instance.urls, signers.instance, instance.clock, farms=farms(settings)
    )
    return Federation(instance, opened, fetcher, signers, remote, KeyCache(), delivering)


def farms(settings: Settings) -> Independence:
    """The rules that group domain farms; a trial in development mode has no history to wait for."""
    if settings.newcomer_hours is not None:
        return Independence(newcomer_age=timedelta(hours=settings.newcomer_hours))
    return Independence(newcomer_age=timedelta(0)) if settings.dev else Independence()
