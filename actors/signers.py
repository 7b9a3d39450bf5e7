"""Who signs our requests: each local actor's key id and parsed RSA key, read once and kept.

Keys never change once made, so a delivery to a thousand inboxes reads its signer's key once, not a thousand
times; the instance actor signs every fetch.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from actors import store
from actors.actor import UnknownActor
from fedi import keys
from fedi.database import Pool
from fedi.fetch import Signer
from fedi.urls import Urls


class Signers:
    def __init__(self, pool: Pool, urls: Urls) -> None:
        self._pool = pool
        self._urls = urls
        self._known: dict[int, Signer] = {}
        self._instance_id: int | None = None

    async def for_actor(self, actor_id: int) -> Signer:
        known = self._known.get(actor_id)
        if known is not None:
            return known
        signing = await store.signing_keys(self._pool, actor_id)
        private = keys.load_private(signing.rsa_private_pem)
        if not isinstance(private, RSAPrivateKey):
            raise TypeError(f"actor {actor_id} has no RSA key")
        row = await self._pool.fetchrow("SELECT name, kind FROM actors WHERE id = $1", actor_id)
        if row is None:
            raise UnknownActor(f"no actor {actor_id}")
        uri = self._urls.instance_actor() if row["kind"] == "application" else self._urls.actor(row["name"])
        signer = Signer(self._urls.key(uri), private)
        self._known[actor_id] = signer
        return signer

    async def instance(self) -> Signer:
        if self._instance_id is None:
            self._instance_id = (await store.instance_actor(self._pool)).id
        return await self.for_actor(self._instance_id)
