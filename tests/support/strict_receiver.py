"""A strict Mastodon-family server on loopback, which shows what its users would see of us and why not.

It applies the checks INTEROP.md measured against Takahē 0.11 ("Strict receivers") and Mastodon's code:

- inbox POSTs must carry a draft-cavage signature over at least ``(request-target) date digest`` (Mastodon
  requires the last two), a ``Digest: SHA-256=…`` that matches the body (Takahē compares the header with the
  upper-case form) and a ``Date`` within Mastodon's window; the key is fetched (a signed GET as its instance
  actor, re-fetched once when a signature fails) from an actor document Mastodon would accept, and its owner must
  be the activity's ``actor``. Failures get 401, like Mastodon; everything after that is decided after the 202,
  as real servers do, and a refusal is only recorded (``refusals()``), never told to the sender;
- a ``Create``, ``Update`` or ``Delete`` whose ``actor`` is not the object's ``attributedTo`` is refused (Takahē's
  ``handle_create_ap``, ``handle_update_ap``, ``handle_delete_ap``); so is a Delete of a post filed under
  another account, or a post whose id lives on another host than its author;
- a followers-only post must have the sender's followers collection in ``to`` (Mastodon reads ``to`` only), and a
  post must concern its user (from someone it follows, or addressed to it), as Mastodon's ``Create`` requires;
- an Update applies only with a newer ``updated`` and shows as an edit; after a Delete an id is dead;
- NodeInfo is discovered from ``/.well-known/nodeinfo`` by the 2.0 schema only, falling back to
  ``/nodeinfo/2.0``; the software found, or ``"unknown"``, is recorded per domain (``software()``);
- objects given by id (an ``Announce``, a bare ``Create``) are fetched as the instance actor, signed, as Takahē
  and Mastodon in authorized-fetch mode do; ``fetch(url)`` does the same for a test;
- what it shows is ``content`` (or the first ``contentMap`` entry) through Mastodon's sanitiser
  (``tests.support.sanitiser``): ``timeline()`` maps each post id to its rendering, its earlier renderings
  (edits) and whether it was deleted.

Its one user follows an actor of ours with ``follow(handle_or_url)``: WebFinger (over http, the scheme of our
loopback instances), a signed fetch of the actor, then a ``Follow`` signed with the user's key to the actor's own
inbox; an ``Accept`` or ``Reject`` from that actor settles it (``following()``). The signers and the verifier are
written here, not taken from ``fedi``, so that a mistake shared by our signer and our verifier cannot hide.

The module runs past our usual 400 lines because it is one server: its routes, the inbox pipeline and the requests
it makes share its keys and state. The rules it applies are pure functions in ``tests.support.mastodon_reading``,
what its user sees is ``tests.support.timeline``, and the HTML it keeps is ``tests.support.sanitiser``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote, urlsplit

import httpx
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.mastodon_reading import (
    ACTOR_TYPES,
    JSON,
    POST_TYPES,
    Refused,
    actor_document,
    as_list,
    check_authorship,
    check_date,
    check_digest,
    id_of,
    is_activity_json,
    signing_string,
    types_of,
    visibility,
)
from tests.support.remote_server import ACTIVITY_JSON, AS2, SECURITY, cavage_headers, encode, http_date, public_pem
from tests.support.timeline import Event, Post, Timeline

__all__ = ["Event", "Fetch", "Post", "Refused", "StrictReceiver"]

NODEINFO_20: Final = "http://nodeinfo.diaspora.software/ns/schema/2.0"
FETCH_ACCEPT: Final = "application/activity+json, application/ld+json"
MAX_BODY: Final = 1_000_000
_SIGNATURE_PARAM: Final = re.compile(r'([a-zA-Z]+)="([^"]*)"')


@dataclass(frozen=True)
class Fetch:
    url: str
    status: int
    document: JSON | None


@dataclass
class Following:
    target: str
    follow_id: str
    state: str = "pending"


@dataclass
class _State:
    timeline: Timeline = field(default_factory=Timeline)
    fetches: list[Fetch] = field(default_factory=list)
    software: dict[str, str] = field(default_factory=dict)
    following: dict[str, Following] = field(default_factory=dict)
    actors: dict[str, JSON] = field(default_factory=dict)
    keys: dict[str, tuple[str, rsa.RSAPublicKey]] = field(default_factory=dict)


class StrictReceiver:
    """One strict server on ``127.0.0.1:PORT`` with one user, ``username``, and an instance actor at ``/actor``."""

    def __init__(self, username: str = "sam") -> None:
        self.username = username
        self._instance_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._user_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._state = _State()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.domain = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.domain}"
        routes = [
            Route("/inbox", self._inbox, methods=["POST"]),
            Route("/actor/inbox", self._inbox, methods=["POST"]),
            Route("/users/{name}/inbox", self._inbox, methods=["POST"]),
            Route("/actor", self._instance_actor),
            Route("/users/{name}", self._user),
            Route("/users/{name}/{collection:str}", self._collection),
            Route("/.well-known/webfinger", self._webfinger),
            Route("/.well-known/nodeinfo", self._nodeinfo_links),
            Route("/nodeinfo/2.0", self._nodeinfo),
        ]
        config = uvicorn.Config(
            Starlette(routes=routes),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=75,  # as nginx in front of a real server: senders reuse their connections
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    # --- Running ------------------------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> StrictReceiver:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the strict receiver on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    @property
    def user_id(self) -> str:
        return f"{self.base}/users/{self.username}"

    @property
    def instance_actor_id(self) -> str:
        return f"{self.base}/actor"

    # --- What tests ask ---------------------------------------------------------------------------------------

    def timeline(self) -> dict[str, Post]:
        """Every post it took, by id: what it shows, the renderings its edits replaced, whether it was deleted."""
        with self._lock:
            return copy.deepcopy(self._state.timeline.posts)

    def refusals(self) -> list[Event]:
        """What it refused, and what failed while it was deciding (a fault counts as a refusal to its user)."""
        with self._lock:
            return [event for event in self._state.timeline.events if event.outcome.startswith(("refused", "failed"))]

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._state.timeline.events)

    def software(self) -> dict[str, str]:
        """The software NodeInfo 2.0 names for each domain it heard from, or ``"unknown"``."""
        with self._lock:
            return dict(self._state.software)

    def fetches(self) -> list[Fetch]:
        with self._lock:
            return list(self._state.fetches)

    def following(self) -> dict[str, str]:
        """Actor followed → ``pending``, ``accepted`` or ``rejected``."""
        with self._lock:
            return {target: entry.state for target, entry in self._state.following.items()}

    def follow(self, target: str) -> str:
        """The user follows ``@name@host`` (found by WebFinger) or an actor URL; returns the Follow's id."""
        actor_id = target if target.startswith(("http://", "https://")) else self._finger(target)
        fetched = self.fetch(actor_id)
        if fetched.status != 200 or fetched.document is None:
            raise Refused(f"cannot follow {actor_id}: fetching it gave {fetched.status}")
        actor = actor_document(fetched.document, actor_id)
        follow_id = f"{self.base}/follows/{uuid.uuid4()}"
        follow = {"@context": AS2, "id": follow_id, "type": "Follow", "actor": self.user_id, "object": actor_id}
        with self._lock:
            self._state.following[actor_id] = Following(actor_id, follow_id)
        body = encode(follow)
        headers = cavage_headers(
            "POST", actor["inbox"], key_id=f"{self.user_id}#main-key", private_key=self._user_key, body=body
        )
        response = httpx.post(actor["inbox"], content=body, headers=headers, timeout=10, trust_env=False)
        if response.status_code >= 300:
            raise Refused(f"the Follow of {actor_id} got {response.status_code}: {response.text[:300]}")
        return follow_id

    def fetch(self, url: str) -> Fetch:
        """A GET of ``url`` signed as the instance actor, as a Mastodon-family server fetches any object."""
        with httpx.Client(timeout=10, trust_env=False) as client:
            response = client.get(url, headers=self._signed_get(url))
        return self._fetched(url, response)

    # --- Documents it serves ------------------------------------------------------------------------------------

    def _actor_json(self, actor_id: str, kind: str, name: str, key: rsa.RSAPrivateKey) -> JSON:
        document: JSON = {
            "@context": [AS2, SECURITY],
            "id": actor_id,
            "type": kind,
            "preferredUsername": name,
            "inbox": f"{actor_id}/inbox",
            "outbox": f"{actor_id}/outbox",
            "followers": f"{actor_id}/followers",
            "following": f"{actor_id}/following",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_pem(key)},
        }
        return document

    async def _instance_actor(self, request: Request) -> Response:
        return _activity_json(self._actor_json(self.instance_actor_id, "Application", self.domain, self._instance_key))

    async def _user(self, request: Request) -> Response:
        if request.path_params["name"] != self.username:
            return JSONResponse({"error": "not found"}, status_code=404)
        return _activity_json(self._actor_json(self.user_id, "Person", self.username, self._user_key))

    async def _collection(self, request: Request) -> Response:
        if request.path_params["name"] != self.username:
            return JSONResponse({"error": "not found"}, status_code=404)
        collection_id = f"{self.user_id}/{request.path_params['collection']}"
        return _activity_json({"@context": AS2, "id": collection_id, "type": "OrderedCollection", "totalItems": 0})

    async def _webfinger(self, request: Request) -> Response:
        if request.query_params.get("resource") != f"acct:{self.username}@{self.domain}":
            return JSONResponse({"error": "not found"}, status_code=404)
        link = {"rel": "self", "type": ACTIVITY_JSON, "href": self.user_id}
        return JSONResponse({"subject": f"acct:{self.username}@{self.domain}", "links": [link]})

    async def _nodeinfo_links(self, request: Request) -> Response:
        return JSONResponse({"links": [{"rel": NODEINFO_20, "href": f"{self.base}/nodeinfo/2.0"}]})

    async def _nodeinfo(self, request: Request) -> Response:
        software = {"name": "strict-receiver", "version": "1.0"}
        usage = {"users": {"total": 1}, "localPosts": 0}
        document = {"version": "2.0", "software": software, "protocols": ["activitypub"], "usage": usage}
        return JSONResponse(document | {"services": {"inbound": [], "outbound": []}, "openRegistrations": False})

    # --- The inbox: verify now, decide after the 202 ---------------------------------------------------------

    async def _inbox(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return self._refuse_now(None, 413, f"body over {MAX_BODY} bytes")
        media_type = request.headers.get("content-type", "")
        if not is_activity_json(media_type):
            return self._refuse_now(None, 415, f"content type {media_type!r}")
        try:
            document = json.loads(body)
        except ValueError:
            return self._refuse_now(None, 400, "the body is not JSON")
        if not isinstance(document, dict):
            return self._refuse_now(None, 400, "the body is not an object")
        try:
            signer = await self._verify(request, body)
        except Refused as error:
            return self._refuse_now(document, 401, str(error))
        if signer != id_of(document.get("actor")):
            return self._refuse_now(document, 401, f"signed by {signer}, not by the actor {document.get('actor')}")
        return Response(status_code=202, background=BackgroundTask(self._process, document))

    def _refuse_now(self, document: JSON | None, status: int, reason: str) -> Response:
        self._record(document or {}, f"refused: {reason}")
        return JSONResponse({"error": reason}, status_code=status)

    async def _verify(self, request: Request, body: bytes) -> str:
        """The owner of the key that signed this POST, or ``Refused`` with the reason."""
        params = dict(_SIGNATURE_PARAM.findall(request.headers.get("signature", "")))
        if not {"keyId", "signature"} <= params.keys():
            raise Refused("unsigned request")
        covered = params.get("headers", "date").lower().split()
        missing = {"(request-target)", "date", "digest"} - set(covered)
        if missing:
            raise Refused(f"the signature does not cover {', '.join(sorted(missing))}")
        check_date(request.headers.get("date", ""), datetime.now(UTC))
        check_digest(request.headers.get("digest", ""), body)
        raw = base64.b64decode(params["signature"])
        for refresh in (False, True):
            owner, key, fresh = await self._key(params["keyId"], refresh=refresh)
            for with_query in (True, False):
                try:
                    text = signing_string(
                        request.method, _target(request, with_query), covered, request.headers.getlist
                    )
                    key.verify(raw, text, padding.PKCS1v15(), hashes.SHA256())
                except InvalidSignature:
                    continue
                return owner
            if fresh:
                break
        raise Refused(f"the signature does not verify with {params['keyId']}")

    async def _key(self, key_id: str, *, refresh: bool) -> tuple[str, rsa.RSAPublicKey, bool]:
        """The key's owner and material, and whether it was fetched just now (a cached key is fetched again once
        when a signature fails: the actor may have rotated it)."""
        with self._lock:
            known = None if refresh else self._state.keys.get(key_id)
        if known is not None:
            return *known, False
        document = await self._get_document(key_id.split("#")[0])
        if types_of(document) & ACTOR_TYPES:
            actor = actor_document(document, key_id.split("#")[0])
            key = next((item for item in as_list(actor.get("publicKey")) if id_of(item) == key_id), None)
        else:  # a key document: its owner must list it
            owner = str(document.get("owner"))
            key, actor = document, actor_document(await self._get_document(owner), owner)
            if key_id not in {id_of(item) for item in as_list(actor.get("publicKey"))}:
                raise Refused(f"{actor.get('id')} does not list the key {key_id}")
        if not isinstance(key, dict) or key.get("owner") != actor["id"] or not isinstance(key.get("publicKeyPem"), str):
            raise Refused(f"no key {key_id} owned by {actor.get('id')}")
        public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
        if not isinstance(public, rsa.RSAPublicKey):
            raise Refused(f"{key_id} is not an RSA key")
        with self._lock:
            self._state.actors[actor["id"]] = actor
            self._state.keys[key_id] = (actor["id"], public)
        return actor["id"], public, True

    # --- Processing, after the 202 -------------------------------------------------------------------------

    async def _process(self, activity: JSON) -> None:
        actor = id_of(activity.get("actor")) or ""
        await self._discover(actor)
        handlers: dict[str, Callable[[JSON, str], Awaitable[str]]] = {
            "Create": self._on_create,
            "Update": self._on_update,
            "Delete": self._on_delete,
            "Accept": self._on_accept,
            "Reject": self._on_reject,
            "Announce": self._on_announce,
        }
        kind = next((kind for kind in types_of(activity) if kind in handlers), None)
        try:
            outcome = await handlers[kind](activity, actor) if kind else "ignored: not a kind it acts on"
        except Refused as error:
            outcome = f"refused: {error}"
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:  # a fault, to be seen like a refusal
            outcome = f"failed: {error!r}"
        self._record(activity, outcome)

    async def _on_create(self, activity: JSON, actor: str) -> str:
        post = await self._object(activity)
        if not types_of(post) & POST_TYPES:
            return f"ignored: a {'/'.join(sorted(types_of(post)))} is not shown"
        check_authorship(activity, post, actor)
        with self._lock:
            followers = self._state.actors.get(actor, {}).get("followers")
            entry = self._state.following.get(actor)
            followed = entry is not None and entry.state == "accepted"
            seen_as = visibility(post, followers, followed, {self.user_id, self.instance_actor_id})
            return self._state.timeline.create(post, actor, seen_as)

    async def _on_update(self, activity: JSON, actor: str) -> str:
        post = await self._object(activity)
        if types_of(post) & ACTOR_TYPES:
            return "ignored: an actor's update"
        if not types_of(post) & POST_TYPES:
            return "ignored: not a post"
        check_authorship(activity, post, actor)
        with self._lock:
            return self._state.timeline.update(post, actor)

    async def _on_delete(self, activity: JSON, actor: str) -> str:
        target = id_of(activity.get("object"))
        if target is None or target == actor:
            return "ignored: an actor's deletion"
        embedded = activity.get("object")
        if isinstance(embedded, dict) and "attributedTo" in embedded:
            check_authorship(activity, embedded, actor)
        with self._lock:
            return self._state.timeline.delete(target, actor)

    async def _on_accept(self, activity: JSON, actor: str) -> str:
        return self._answer(activity, actor, "accepted")

    async def _on_reject(self, activity: JSON, actor: str) -> str:
        return self._answer(activity, actor, "rejected")

    def _answer(self, activity: JSON, actor: str, state: str) -> str:
        """An Accept or Reject settles the user's follow it names (by id, or embedded), if the followed sent it."""
        follow = activity.get("object")
        follow_id = id_of(follow)
        with self._lock:
            entry = next((item for item in self._state.following.values() if item.follow_id == follow_id), None)
            if entry is None and isinstance(follow, dict) and id_of(follow.get("actor")) == self.user_id:
                entry = self._state.following.get(id_of(follow.get("object")) or "")
            if entry is None:
                return "ignored: an answer to no follow of ours"
            if entry.target != actor:
                raise Refused(f"{actor} answers the follow of {entry.target}")
            entry.state = state
        return state

    async def _on_announce(self, activity: JSON, actor: str) -> str:
        """A boost names its post by id: the post is fetched as the instance actor, as Takahē fetches it."""
        shared = activity.get("object")
        if isinstance(shared, str):
            fetched = await self._fetch_async(shared)
            if fetched.status != 200 or fetched.document is None:
                return f"ignored: the boosted {shared} could not be fetched ({fetched.status})"
            shared = fetched.document
        kinds = types_of(shared)
        return "boost shown" if kinds & POST_TYPES else f"ignored: a boost of a {'/'.join(sorted(kinds)) or '?'}"

    async def _object(self, activity: JSON) -> JSON:
        obj = activity.get("object")
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            return obj
        if isinstance(obj, str):
            fetched = await self._fetch_async(obj)
            if fetched.status == 200 and fetched.document is not None:
                return fetched.document
            raise Refused(f"the object {obj} could not be fetched ({fetched.status})")
        raise Refused("an object without id")

    # --- Outgoing requests: NodeInfo, keys, objects ---------------------------------------------------------

    async def _discover(self, actor: str) -> None:
        """NodeInfo the way Takahē looks for it: the 2.0 schema in the well-known links, else ``/nodeinfo/2.0``."""
        parts = urlsplit(actor)
        with self._lock:
            if not parts.netloc or parts.netloc in self._state.software:
                return
        base, name = f"{parts.scheme}://{parts.netloc}", "unknown"
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                links = (await client.get(f"{base}/.well-known/nodeinfo")).json().get("links", [])
                found = [str(link["href"]) for link in links if link.get("rel") == NODEINFO_20 and "href" in link]
                document = (await client.get(found[0] if found else f"{base}/nodeinfo/2.0")).json()
                name = str(document["software"]["name"]) if document.get("version") == "2.0" else "unknown"
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
            name = "unknown"
        with self._lock:
            self._state.software[parts.netloc] = name

    async def _get_document(self, url: str) -> JSON:
        fetched = await self._fetch_async(url)
        if fetched.status != 200 or fetched.document is None:
            raise Refused(f"fetching {url} gave {fetched.status}")
        return fetched.document

    async def _fetch_async(self, url: str) -> Fetch:
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                response = await client.get(url, headers=self._signed_get(url))
        except httpx.HTTPError as error:
            raise Refused(f"fetching {url} failed: {error!r}") from error
        return self._fetched(url, response)

    def _fetched(self, url: str, response: httpx.Response) -> Fetch:
        """A fetched document counts only as ActivityStreams JSON whose id is where it was fetched from; a 200 that
        is not one is recorded as 422, the document refused."""
        document: JSON | None = None
        if response.status_code == 200 and is_activity_json(response.headers.get("content-type", "")):
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and parsed.get("id") == url:
                document = parsed
        status = response.status_code if document is not None or response.status_code != 200 else 422
        fetched = Fetch(url, status, document)
        with self._lock:
            self._state.fetches.append(fetched)
        return fetched

    def _signed_get(self, url: str) -> dict[str, str]:
        """A GET signed as the instance actor over ``(request-target) host date accept``, as Mastodon signs."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": parts.netloc, "Date": http_date(datetime.now(UTC)), "Accept": FETCH_ACCEPT}
        lines = [f"(request-target): get {target}", f"host: {parts.netloc}", f"date: {headers['Date']}"]
        text = "\n".join([*lines, f"accept: {FETCH_ACCEPT}"])
        raw = self._instance_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        signature = base64.b64encode(raw).decode("ascii")
        headers["Signature"] = (
            f'keyId="{self.instance_actor_id}#main-key",algorithm="rsa-sha256",'
            f'headers="(request-target) host date accept",signature="{signature}"'
        )
        return headers

    def _finger(self, handle: str) -> str:
        account = handle.removeprefix("acct:").removeprefix("@")
        host = account.rpartition("@")[2]
        url = f"http://{host}/.well-known/webfinger?resource={quote('acct:' + account)}"
        answer = httpx.get(url, headers={"Accept": "application/jrd+json, application/json"}, trust_env=False)
        links = answer.json().get("links", []) if answer.status_code == 200 else []
        for link in links:
            if link.get("rel") == "self" and is_activity_json(str(link.get("type"))):
                return str(link["href"])
        raise Refused(f"WebFinger of {handle} gave {answer.status_code} and no ActivityPub link")

    def _record(self, activity: JSON, outcome: str) -> None:
        event = Event(
            id_of(activity.get("id")), "/".join(sorted(types_of(activity))), id_of(activity.get("actor")), outcome
        )
        with self._lock:
            self._state.timeline.events.append(event)


def _activity_json(document: JSON) -> Response:
    return Response(encode(document), media_type=ACTIVITY_JSON)


def _target(request: Request, with_query: bool) -> str:
    """The signed path: Mastodon tries it with the query string, then without."""
    return request.url.path + (f"?{request.url.query}" if with_query and request.url.query else "")
