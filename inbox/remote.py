"""Remote actors and their keys, fetched with a signed GET as the instance actor and cached in PostgreSQL.

A key id names a key (``…#main-key``, GoToSocial's ``…/main-key``, bovine's ``…#serverKey``); the document
behind it is the actor, or a key object whose ``owner`` is the actor. Either way the key counts only if the
owner's own document lists it, or a peer could claim someone else's key. Keys of local actors are read from our
own store: an instance talking to itself needs no fetch.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from actors import store
from actors.actor import Actor
from fedi.database import Pool
from fedi.domains import host_of
from fedi.fetch import Fetcher, FetchError, Signer
from fedi.normalise import MAX_ID_BYTES
from fedi.signatures import KeyUnavailable, PublicKeyInfo
from fedi.types import JSON, Clock
from fedi.urls import Urls
from inbox.suspension import Suspension
from ledger import independence
from ledger.independence import Independence

logger = logging.getLogger(__name__)

SignerSource = Callable[[], Awaitable[Signer]]
_ACTOR_TYPES = {"Person", "Group", "Application", "Service", "Organization"}


class KeyGone(KeyUnavailable):
    """The key's document answers 404 or 410: its actor was deleted."""

    def __init__(self, key_id: str, reason: str) -> None:
        super().__init__(reason)
        self.key_id = key_id


class ActorUnavailable(Exception):
    """A remote actor cannot be fetched or is not an actor; ``gone`` when its server says 404/410."""

    def __init__(self, reason: str, *, gone: bool = False) -> None:
        super().__init__(reason)
        self.gone = gone


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    inbox: str
    shared_inbox: str | None
    followers: str | None
    preferred_username: str | None
    document: JSON

    @property
    def domain(self) -> str:
        return host_of(self.uri)

    @property
    def handle(self) -> str:
        return f"{self.preferred_username or '?'}@{self.domain}"


def _types(document: JSON) -> set[str]:
    kind = document.get("type")
    return set(kind) if isinstance(kind, list) else {str(kind)}


def _keys_listed(document: JSON) -> dict[str, str]:
    """Key id → material for every key an actor document lists (publicKey and FEP-521a assertionMethod)."""
    found: dict[str, str] = {}
    for key in _as_list(document.get("publicKey")):
        if isinstance(key, dict) and isinstance(key.get("id"), str) and isinstance(key.get("publicKeyPem"), str):
            found[key["id"]] = key["publicKeyPem"]
    for method in _as_list(document.get("assertionMethod")):
        if (
            isinstance(method, dict)
            and isinstance(method.get("id"), str)
            and isinstance(method.get("publicKeyMultibase"), str)
        ):
            found[method["id"]] = method["publicKeyMultibase"]
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _owner_of(document: JSON, key_id: str) -> str | None:
    """Who a fetched key document says owns ``key_id``: a key object's owner, or the actor listing the key."""
    if not _types(document) & _ACTOR_TYPES:
        owner = document.get("owner")
        return owner if isinstance(owner, str) else None
    for key in _as_list(document.get("publicKey")):
        if isinstance(key, dict) and key.get("id") == key_id and isinstance(key.get("owner"), str):
            return str(key["owner"])
    ident = document.get("id")
    return ident if isinstance(ident, str) else None


def parse_actor(document: JSON) -> RemoteActor:
    if not _types(document) & _ACTOR_TYPES:
        raise ActorUnavailable(f"{document.get('id')!r} is not an actor")
    uri, inbox = document.get("id"), document.get("inbox")
    if not isinstance(uri, str) or not isinstance(inbox, str):
        raise ActorUnavailable("actor document without id or inbox")
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    followers = document.get("followers")
    name = document.get("preferredUsername")
    # Bounded as ids in activities are (fedi.normalise): these are stored and indexed too (follows by shared inbox).
    for label, address in (("id", uri), ("inbox", inbox), ("sharedInbox", shared), ("followers", followers)):
        if isinstance(address, str) and len(address.encode("utf-8")) > MAX_ID_BYTES:
            raise ActorUnavailable(f"actor document with a {label} longer than {MAX_ID_BYTES} bytes")
    return RemoteActor(
        uri=uri,
        inbox=inbox,
        shared_inbox=shared if isinstance(shared, str) else None,
        followers=followers if isinstance(followers, str) else None,
        preferred_username=name if isinstance(name, str) else None,
        document=document,
    )


class RemoteActors:
    """The cache of remote actors and keys; one per process, around the instance's fetcher."""

    def __init__(
        self,
        pool: Pool,
        fetcher: Fetcher,
        urls: Urls,
        signer: SignerSource,
        clock: Clock,
        key_memory: int = 1024,
        *,
        farms: Independence | None = None,
        suspension: Suspension | None = None,
    ) -> None:
        # Keys verified recently, kept in memory: a busy inbox would otherwise read the same key row per request.
        # A refresh (after a failed verification) always goes to the network and replaces the entry. An entry (the
        # key's text here, its parsed form in ``fedi.signatures.KeyCache``) costs about 1.5 kB: 1,024 of them hold
        # the senders of a busy hour, and a rarer sender costs one read of its row.
        self._keys: OrderedDict[str, PublicKeyInfo] = OrderedDict()
        self._key_memory = key_memory
        self.key_sources: Counter[str] = Counter()  # where verification keys came from, read by fedi.metrics
        self._pool = pool
        self._fetcher = fetcher
        self._urls = urls
        self._signer = signer
        self._clock = clock
        self._farms = farms or Independence()
        #: Suspended domains are never fetched from, nor their keys resolved (``ledger.blocks``).
        self.suspension = suspension or Suspension(pool)

    async def actor(self, uri: str, *, refresh: bool = False) -> RemoteActor:
        if host := await self.suspension.holds(uri):
            raise ActorUnavailable(f"{host} is suspended on this instance")
        if not refresh:
            row = await self._pool.fetchrow(
                "SELECT document FROM remote_actors WHERE uri = $1 AND gone_at IS NULL", uri
            )
            if row is not None:
                return parse_actor(row["document"])
        try:
            document = await self._fetcher.get_json(uri, await self._signer())
        except FetchError as error:
            if error.gone:
                await self.mark_gone(uri)
            raise ActorUnavailable(str(error), gone=error.gone) from None
        actor = parse_actor(document)
        if actor.uri != uri.split("#", 1)[0]:
            raise ActorUnavailable(f"{uri} serves the actor {actor.uri}")
        await self.remember(actor)
        return actor

    async def document(self, url: str) -> JSON:
        """Any ActivityPub document, fetched signed as the instance actor; raises :class:`FetchError`."""
        if host := await self.suspension.holds(url):
            raise FetchError(f"{host} is suspended on this instance", status=403)
        return await self._fetcher.get_json(url, await self._signer())

    async def remember(self, actor: RemoteActor) -> None:
        await self._first_meeting(actor.domain)
        await self._pool.execute(
            "INSERT INTO remote_actors (uri, domain, inbox, shared_inbox, followers, preferred_username, document,"
            " fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uri) DO UPDATE SET"
            " inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, followers = excluded.followers,"
            " preferred_username = excluded.preferred_username, document = excluded.document,"
            " fetched_at = excluded.fetched_at, gone_at = NULL",
            actor.uri,
            actor.domain,
            actor.inbox,
            actor.shared_inbox,
            actor.followers,
            actor.preferred_username,
            actor.document,
            self._clock(),
        )
        for key_id, material in _keys_listed(actor.document).items():
            await self._pool.execute(
                "INSERT INTO remote_keys (key_id, owner, material, fetched_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (key_id) DO UPDATE SET owner = excluded.owner, material = excluded.material,"
                " fetched_at = excluded.fetched_at",
                key_id,
                actor.uri,
                material,
                self._clock(),
            )

    async def _first_meeting(self, domain: str) -> None:
        """The first time we meet a domain, and the address block it resolves to then: a farm of domains made
        on one machine a minute ago must not count as many independent sources (``ledger.independence``)."""
        if await self._pool.fetchval("SELECT 1 FROM domains WHERE domain = $1", domain):
            return
        block = await independence.resolve_block(domain, self._farms)
        await independence.met(self._pool, domain, self._clock(), block)

    async def is_gone(self, uri: str) -> bool:
        """Whether the actor's own document answers 404 or 410 now: fetched from its host, never from our cache.

        This is the only evidence that may make us forget an actor without a signature we can check.
        """
        if await self.suspension.holds(uri):
            return False
        try:
            await self._fetcher.get_json(uri, await self._signer())
        except FetchError as error:
            return error.gone
        return False

    async def mark_gone(self, uri: str) -> None:
        for key_id in [key for key, info in self._keys.items() if info.owner == uri]:
            del self._keys[key_id]
        await self._pool.execute("UPDATE remote_actors SET gone_at = $2 WHERE uri = $1", uri, self._clock())
        await self._pool.execute("DELETE FROM remote_keys WHERE owner = $1", uri)

    async def resolve_key(self, key_id: str, refresh: bool) -> PublicKeyInfo:
        """The resolver handed to signature verification."""
        if self._urls.is_local(key_id):
            return await self._local_key(key_id)
        if host := await self.suspension.holds(key_id):
            raise KeyUnavailable(f"{host} is suspended on this instance")
        if not refresh:
            known = self._keys.get(key_id)
            if known is not None:
                self._keys.move_to_end(key_id)
                self.key_sources["memory"] += 1
                return known
            row = await self._pool.fetchrow("SELECT owner, material FROM remote_keys WHERE key_id = $1", key_id)
            if row is not None:
                self.key_sources["database"] += 1
                return self._remember_key(key_id, PublicKeyInfo(owner=row["owner"], material=row["material"]))
        self.key_sources["network"] += 1
        return self._remember_key(key_id, await self._fetch_key(key_id))

    def _remember_key(self, key_id: str, info: PublicKeyInfo) -> PublicKeyInfo:
        self._keys[key_id] = info
        self._keys.move_to_end(key_id)
        while len(self._keys) > self._key_memory:
            self._keys.popitem(last=False)
        return info

    async def _fetch_key(self, key_id: str) -> PublicKeyInfo:
        url = key_id.split("#", 1)[0]
        try:
            document = await self._fetcher.get_json(url, await self._signer())
        except FetchError as error:
            if error.gone:
                raise KeyGone(key_id, f"key {key_id} is gone ({error})") from None
            raise KeyUnavailable(f"key {key_id} cannot be fetched: {error}", temporary=error.temporary) from None
        owner_uri = _owner_of(document, key_id)
        if owner_uri is None or host_of(owner_uri) != host_of(key_id):
            raise KeyUnavailable(f"key {key_id} has no owner on its own host")
        try:
            # A full actor document vouches for its own keys; a key object or a stub (GoToSocial's /main-key
            # answers a Person without inbox) sends us to the owner's own document.
            complete = owner_uri == document.get("id") and isinstance(document.get("inbox"), str)
            owner = parse_actor(document) if complete else await self.actor(owner_uri, refresh=True)
        except ActorUnavailable as error:
            raise KeyUnavailable(f"the owner of key {key_id} cannot be fetched: {error}") from None
        await self.remember(owner)
        material = _keys_listed(owner.document).get(key_id)
        if material is None:
            raise KeyUnavailable(f"actor {owner.uri} does not list key {key_id}")
        return PublicKeyInfo(owner=owner.uri, material=material)

    async def _local_key(self, key_id: str) -> PublicKeyInfo:
        actor_uri = key_id.split("#", 1)[0]
        local: Actor | None
        if actor_uri == self._urls.instance_actor():
            local = await store.get_instance(self._pool)
        else:
            name = self._urls.local_name(actor_uri)
            local = await store.find(self._pool, name) if name else None
        if local is None:
            raise KeyUnavailable(f"no local actor owns key {key_id}")
        if key_id.endswith("#ed25519-key"):
            return PublicKeyInfo(owner=actor_uri, material=local.ed25519_public_multibase)
        return PublicKeyInfo(owner=actor_uri, material=local.rsa_public_pem)

    async def webfinger(self, handle: str) -> str:
        """The actor id behind ``user@host`` (with or without a leading @ or ``acct:``)."""
        user, _, host = handle.removeprefix("acct:").lstrip("@").rpartition("@")
        if not user or not host:
            raise ActorUnavailable(f"not a handle: {handle!r} (want user@host)")
        scheme = "http" if self._urls.base.startswith("http://") else "https"
        url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}"
        if await self.suspension.holds(url):
            raise ActorUnavailable(f"{host.lower()} is suspended on this instance")
        try:
            document = await self._fetcher.get_json(
                url, await self._signer(), accept="application/jrd+json, application/json", check_id=False
            )
        except FetchError as error:
            raise ActorUnavailable(f"WebFinger for {handle} failed: {error}", gone=error.gone) from None
        for link in _as_list(document.get("links")):
            if isinstance(link, dict) and link.get("rel") == "self" and isinstance(link.get("href"), str):
                media = str(link.get("type", ""))
                if "activity+json" in media or "ld+json" in media:
                    return str(link["href"])
        raise ActorUnavailable(f"WebFinger for {handle} names no ActivityPub actor")
