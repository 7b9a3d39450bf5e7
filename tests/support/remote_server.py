"""Remote ActivityPub servers on loopback, for tests of our inbox: real keys, real HTTP, their signing habits.

A :class:`RemoteServer` is one host, ``127.0.0.1:PORT`` on a port the system picked. uvicorn runs a small
Starlette app in a thread with its own event loop, so the server outlives the per-test loops of pytest-asyncio
and keeps answering while a test's loop waits on our app, which is fetching a key from it. It serves actor
documents in the shapes real servers use, answers 410 for actors it has deleted, and records every request it
receives: our key fetches (signed GETs) and our deliveries (signed POSTs to its inboxes).

The signers are written here from the specifications, not borrowed from ``fedi.signatures``, so a mistake shared
by our signer and our verifier cannot hide. Every part of a signature can be forced, to build requests that a
verifier must refuse.

Shapes (INTEROP.md): Mastodon and Mitra list ``publicKey {id: actor#main-key}`` in the actor; bovine uses
``actor#serverKey``, signs ``content-type`` too and writes ``Digest: sha-256=`` in lower case; GoToSocial's key
id ``actor/main-key`` resolves to a stub of the actor holding only ``publicKey`` and ``preferredUsername``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ACTIVITY_JSON = "application/activity+json"
AS2 = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
MASTODON_COVERED = ("(request-target)", "host", "date", "digest", "content-type")
PLAIN_COVERED = ("(request-target)", "host", "date", "digest")
RFC9421_COVERED = ("@method", "@target-uri", "content-digest")

Flavour = Literal["mastodon", "bovine", "gotosocial", "mitra"]
JSON = dict[str, Any]
_USER = re.compile(r"/users/([A-Za-z0-9_-]+)(/main-key)?")


def now() -> datetime:
    return datetime.now(UTC)


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def digest_header(body: bytes, algorithm: str = "SHA-256") -> str:
    """``Digest``: Mastodon writes ``SHA-256=``, bovine ``sha-256=``; the value is the same."""
    return f"{algorithm}=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _rsa_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    raw = key.sign(text.encode("latin-1"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def cavage_headers(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    body: bytes,
    covered: Sequence[str] = MASTODON_COVERED,
    moment: datetime | None = None,
    digest: str | None = None,
    content_type: str = ACTIVITY_JSON,
    host: str | None = None,
    algorithm: str = "rsa-sha256",
) -> dict[str, str]:
    """draft-cavage headers: the signing string is built over ``covered`` in that order.

    ``digest`` and ``host`` replace the honest values, both in the headers sent and in what is signed, so a test
    can sign a lie and see whether the receiver checks it against the body or the request.
    """
    parts = urlsplit(url)
    headers = {
        "Host": host or parts.netloc,
        "Date": http_date(moment or now()),
        "Digest": digest if digest is not None else digest_header(body),
        "Content-Type": content_type,
    }
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lowered = {name.lower(): value for name, value in headers.items()}
    lines = [
        f"(request-target): {method.lower()} {target}"
        if name == "(request-target)"
        else f"{name}: {lowered.get(name, '')}"
        for name in covered
    ]
    signature = _rsa_sign(private_key, "\n".join(lines))
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",signature="{signature}"'
    )
    return headers


def rfc9421_headers(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    body: bytes,
    components: Sequence[str] = RFC9421_COVERED,
    created: int | None = None,
    with_created: bool = True,
    alg: str | None = "rsa-v1_5-sha256",
    content_digest: str | None = None,
) -> dict[str, str]:
    """RFC 9421 headers as Mastodon 4.5 sends them (``created`` defaults to now); any part can be forced."""
    headers = {
        "Content-Type": ACTIVITY_JSON,
        "Content-Digest": content_digest if content_digest is not None else content_digest_header(body),
    }
    lowered = {name.lower(): value for name, value in headers.items()}
    params = "(" + " ".join(f'"{name}"' for name in components) + ")"
    if with_created:
        params += f";created={created if created is not None else int(now().timestamp())}"
    params += f';keyid="{key_id}"' + (f';alg="{alg}"' if alg else "")
    values = {"@method": method.upper(), "@target-uri": url}
    lines = [f'"{name}": {values[name] if name in values else lowered[name]}' for name in components]
    lines.append(f'"@signature-params": {params}')
    headers["Signature-Input"] = f"sig1={params}"
    headers["Signature"] = f"sig1=:{_rsa_sign(private_key, chr(10).join(lines))}:"
    return headers


def encode(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class RemoteActor:
    """An account on a remote server, with the key its server signs with."""

    base: str
    name: str
    flavour: Flavour
    private_key: rsa.RSAPrivateKey

    @property
    def id(self) -> str:
        return f"{self.base}/users/{self.name}"

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    @property
    def followers(self) -> str:
        return f"{self.id}/followers"

    @property
    def key_id(self) -> str:
        suffix = {"mastodon": "#main-key", "mitra": "#main-key", "bovine": "#serverKey", "gotosocial": "/main-key"}
        return self.id + suffix[self.flavour]

    def public_key(self) -> JSON:
        return {"id": self.key_id, "owner": self.id, "publicKeyPem": public_pem(self.private_key)}

    def document(self) -> JSON:
        document: JSON = {
            "@context": [AS2, SECURITY],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "publicKey": self.public_key(),
        }
        if self.flavour != "bovine":  # bovine lists no followers, no endpoints
            document |= {"followers": self.followers, "endpoints": {"sharedInbox": f"{self.base}/inbox"}}
        return document

    def key_stub(self) -> JSON:
        """What GoToSocial serves at ``…/main-key``: an actor without inbox, only enough to read the key."""
        return {
            "@context": [SECURITY, AS2],
            "id": self.id,
            "type": "Person",
            "preferredUsername": self.name,
            "publicKey": self.public_key(),
        }

    def sign(self, url: str, body: bytes, *, moment: datetime | None = None) -> dict[str, str]:
        """The headers of a POST of ``body`` to ``url``, signed the way this actor's server signs."""
        if self.flavour == "bovine":
            algorithm = "sha-256"
            covered: Sequence[str] = MASTODON_COVERED
        else:
            algorithm = "SHA-256"
            covered = MASTODON_COVERED if self.flavour == "mastodon" else PLAIN_COVERED
        return cavage_headers(
            "POST",
            url,
            key_id=self.key_id,
            private_key=self.private_key,
            body=body,
            covered=covered,
            moment=moment,
            digest=digest_header(body, algorithm),
        )

    def sign_rfc9421(self, url: str, body: bytes) -> dict[str, str]:
        return rfc9421_headers("POST", url, key_id=self.key_id, private_key=self.private_key, body=body)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _State:
    actors: dict[str, RemoteActor] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    documents: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)


class RemoteServer:
    """One remote host. Keys are made once per name and kept across :meth:`reset`, since RSA generation is slow."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        # Senders reuse their connections, as they do with nginx in front of a real server (75 s).
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=75,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> RemoteServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the remote server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def reset(self) -> None:
        """Forget actors, deletions, extra documents and recorded requests (keys stay)."""
        with self._lock:
            self._state = _State()

    def key(self, label: str) -> rsa.RSAPrivateKey:
        """The private key made for ``label`` (an actor's name, or any spare key a test needs)."""
        with self._lock:
            found = self._keys.get(label)
        if found is None:
            found = new_key()
            with self._lock:
                found = self._keys.setdefault(label, found)
        return found

    def actor(self, name: str, flavour: Flavour = "mastodon") -> RemoteActor:
        made = RemoteActor(self.base, name, flavour, self.key(name))
        with self._lock:
            self._state.actors[name] = made
        return made

    def delete(self, name: str) -> None:
        """The account is gone: its document and its key now answer 410."""
        with self._lock:
            self._state.gone.add(name)

    def publish(self, path: str, document: object, *, status: int = 200, content_type: str = ACTIVITY_JSON) -> str:
        """Serve ``document`` (JSON, or bytes as they are) at ``path``; returns its URL."""
        body = document if isinstance(document, bytes) else encode(document)
        with self._lock:
            self._state.documents[path] = (status, body, content_type)
        return self.base + path

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        with self._lock:
            found = list(self._state.received)
        return [item for item in found if (method in (None, item.method)) and (path in (None, item.path))]

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        received = Received(request.method, path, dict(request.headers), await request.body())
        with self._lock:
            self._state.received.append(received)
            state = self._state
        if request.method == "POST":
            return Response(b"", status_code=202)
        if path in state.documents:
            status, body, content_type = state.documents[path]
            return Response(body, status_code=status, media_type=content_type)
        match = _USER.fullmatch(path)
        actor = state.actors.get(match.group(1)) if match else None
        if match is None or actor is None:
            return Response(b'{"error":"not found"}', status_code=404, media_type="application/json")
        if actor.name in state.gone:
            return Response(b'{"error":"gone"}', status_code=410, media_type="application/json")
        if match.group(2):
            if actor.flavour != "gotosocial":
                return Response(b'{"error":"not found"}', status_code=404, media_type="application/json")
            return Response(encode(actor.key_stub()), media_type=ACTIVITY_JSON)
        return Response(encode(actor.document()), media_type=ACTIVITY_JSON)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
