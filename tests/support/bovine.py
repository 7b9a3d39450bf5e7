"""A real third-party ActivityPub server, bovine-herd, on loopback over plain http, driven from the tests.

bovine-herd lives in a virtualenv of its own (``ensure_bovine_venv``), made once and reused, because its
dependencies (quart, tortoise-orm, aiohttp, pyld …) must not disturb ours. Everything bovine-side runs in
``bovine_driver.py`` under that virtualenv's python: the server, and each user action as a short process
using bovine's own client (``BovineClient``: client-to-server API, Moo-Auth-1 login with an Ed25519 did:key).

What bovine-herd 0.5.19 needs from a remote server
--------------------------------------------------
Read in its source; ★ = checked by tests/e2e/test_bovine_harness.py, ◆ = seen on the wire between a live
bovine-herd 0.5.19 and a recording HTTP server that signs like ours.

Plain http, loopback. bovine has no development mode: the scheme comes from the ids. A user registered
under ``http://localhost:PORT`` gets ids ``http://localhost:PORT/endpoints/<random token>`` ★, and bovine
(aiohttp; no https-only or private-address check) fetches and delivers to whatever URL an id or an
``inbox`` names, ``http://localhost:…`` included ★◆. It uses WebFinger only for its own client login and
for ``acct:`` look-ups (``https://`` for a bare host); follows go by actor id, so it never webfingers us.
Its WebFinger maps ``acct:HANDLE@localhost:PORT`` to the http actor id ★ (two users with one handle make
it fail with 500); ``acct:bovine@…``, its instance actor, always gets an https link.

Its actors, served only to signed GETs (401 unsigned ★): ``@context`` [activitystreams, security/v1],
type Person, ``inbox``, ``outbox``, ``preferredUsername``, ``name``, ``publicKey`` {``id``:
``<actor id>#serverKey``, ``owner``, ``publicKeyPem``}. No ``followers``, ``following``, ``endpoints``
(so no sharedInbox), ``url`` or ``manuallyApprovesFollowers``: we must not require them.

Its GETs (to find an actor's inbox before delivering, to resolve an object, to fetch a key): draft-cavage,
``algorithm="rsa-sha256"``, ``headers="(request-target) host date accept"``, ``Accept:
application/activity+json``, no Digest ◆; the signed ``(request-target)`` includes the query string.
keyId ``<user actor id>#serverKey`` when a user fetches ◆, ``http://HOST/activitypub/bovine#main-key``
(its instance actor, type Application, readable unsigned) when it fetches our key to verify us ◆. So we
must accept signed GETs whose key we fetch ourselves, and serve our instance actor to bovine's GET. It
reads any body as JSON whatever the content type; on 3xx it follows ``Location`` (signing again); 404
and 410 mean Tombstone. It delivers to the actor's ``inbox`` only, never ``endpoints.sharedInbox``.

How it verifies our requests (POST to its inboxes, GET of its actors and objects):
- A draft-cavage ``Signature`` whose ``headers`` contain ``(request-target)`` and ``date``, plus
  ``digest`` or ``content-digest`` on POST; ``Digest: SHA-256=…`` in either case ◆, or RFC 9530
  ``Content-Digest``, must match the body. ``Date`` within ±5 minutes of its clock (Mastodon: 1 h).
  ``content-type`` need not be signed ◆.
- It rebuilds ``(request-target)`` from the path WITHOUT the query string: a GET of ``/x?page=2`` signed
  over ``get /x?page=2`` fails. ``algorithm`` is ignored; the key type comes from the PEM (RSA PKCS#1
  v1.5 SHA-256 as everyone; Ed25519 and ECDSA keys work too).
- RFC 9421 is understood only for ``@method``, ``@path``, ``@authority`` and plain header fields;
  ``@target-uri`` (what Mastodon signs) is not, so such a signature fails: speak draft-cavage to bovine.
- Key: it GETs the keyId (signed, as its instance actor), takes ``publicKey`` when the document has one —
  a single object: a list makes verification fail — requires its ``id`` to equal the keyId exactly and
  reads ``publicKeyPem`` and ``owner``; the owner is the authenticated actor ◆. Keys stay cached for the
  life of the process (and in its database): a rotated key is not re-read.
- Unsigned or unverifiable: 401 for an inbox POST, an actor GET ★ or an ``/objects/…`` GET (which also
  needs ``json`` in ``Accept``). A verified inbox POST gets 202 ``{"status": "processing"}`` ◆ and is
  processed in the background. Its users' collections (inbox, outbox, followers, following) are served to
  anyone, unsigned ★.
- The signer is not compared with the activity's ``actor`` (only logged). Every activity that reaches an
  inbox is stored and listed in the user's inbox, whether or not the user follows its sender ★.
- Bodies: read with Quart's ``get_json`` (``application/activity+json``, ``application/ld+json;
  profile=…`` and ``application/json`` all pass), then JSON-LD compacted with pyld against bovine's own
  context. A context URL it does not know is fetched unsigned with ``requests`` (``Accept:
  application/ld+json, application/json``) and cached; after a failed fetch the context counts as empty
  and terms only it defined vanish from the stored copy. An inline context object (ours) costs nothing.

Follow flow:
- bovine never accepts a Follow on its own ★ (``BovineServer.accept_follows`` plays the user). Its Accept:
  ``{"type": "Accept", "actor": user, "object": "<Follow id>", "to": "<follower>"}``.
- Its Follow: ``{"type": "Follow", "id": "http://HOST/objects/<uuid>", "actor": user, "object": ours,
  "to": ours}``, POSTed to the followed actor's ``inbox`` ★◆. The user follows only once an Accept
  arrives ★ whose ``object`` is that Follow's id (looked up in bovine's own store) ◆ or the embedded
  Follow, and only if: the Accept's ``id`` is on the signer's host (another host is an error), its
  ``actor`` on that host too, the Follow's ``object`` equals the Accept's ``actor``, the Follow's
  ``actor`` is the user.
- What it sends ◆: ``@context`` [activitystreams, ``https://w3id.org/security/v1``,
  ``https://www.w3.org/ns/did/v1``, ``https://w3id.org/security/multikey/v1``, {"Hashtag": "as:Hashtag"}]
  (did/v1 is not among our vendored contexts: an offline JSON-LD loader must know it or skip it);
  compacted, so a one-element ``to``/``cc`` arrives as a plain string; POST signed over
  ``(request-target) host date digest content-type`` with ``Digest: sha-256=…`` (lower case),
  ``Content-Type: application/activity+json``, keyId ``<actor id>#serverKey``. Recipients are the
  activity's ``to``/``cc``/``bto``/``bcc``/``audience`` (not its object's), its own followers collection
  expanded ★.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.process import free_port, terminate

BOVINE_HERD_VERSION = "0.5.19"
# The bovine family is pinned together; their other dependencies float within bovine's own ranges.
REQUIREMENTS = tuple(
    f"{name}=={BOVINE_HERD_VERSION}" for name in ("bovine-herd", "bovine", "bovine-store", "bovine-process")
)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DRIVER = Path(__file__).with_name("bovine_driver.py")
CONTEXTS = Path(__file__).resolve().parents[2] / "schemas" / "contexts"
MARKER = "chiffres-installed.json"
COMMAND_SECONDS = 60

Json = dict[str, Any]


class BovineError(Exception):
    """Something on the bovine side failed; the message carries its output."""


class BovineUnavailable(BovineError):
    """bovine-herd cannot be installed here (typically: no package index reachable)."""


class BovineCommandError(BovineError):
    """A driver command failed."""


def default_venv_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "chiffres-tests" / "bovine-venv"


def ensure_bovine_venv(directory: Path | None = None, *, timeout: float = 900) -> Path:
    """The python of a virtualenv holding bovine-herd, created on first use and reused afterwards.

    ``CHIFFRES_BOVINE_PYTHON`` names a ready python instead. A file lock lets parallel test runs share
    one virtualenv; the marker, written last, tells a finished install from an interrupted one.
    """
    given = os.environ.get("CHIFFRES_BOVINE_PYTHON")
    if given:
        return Path(given)
    venv = directory or default_venv_dir()
    python = venv / "bin" / "python"
    wanted = json.dumps(list(REQUIREMENTS))
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = venv / MARKER
        if marker.exists() and marker.read_text() == wanted and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        _run_install([sys.executable, "-m", "venv", str(venv)], timeout)
        _run_install([str(python), "-m", "pip", "install", "--no-input", "-q", *REQUIREMENTS], timeout)
        marker.write_text(wanted)
    return python


def _run_install(command: list[str], timeout: float) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.CalledProcessError as error:
        raise BovineUnavailable(
            f"bovine-herd cannot be installed: {' '.join(command)}: {error.stderr[-2000:]}"
        ) from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BovineUnavailable(f"bovine-herd cannot be installed: {' '.join(command)}: {error}") from error


def bovine_python_or_skip() -> Path:
    """For fixtures: without bovine-herd the interoperability tests cannot say anything, so they skip."""
    try:
        return ensure_bovine_venv()
    except BovineUnavailable as error:
        pytest.skip(str(error))


@dataclass(frozen=True)
class BovineUser:
    """A bovine user as its client sees it; ``secret`` is the Ed25519 key of its did:key login."""

    handle: str
    actor_id: str
    secret: str
    inbox: str
    outbox: str
    followers: str
    following: str


class BovineServer:
    """One bovine-herd process on 127.0.0.1, known to the world as ``http://localhost:PORT``."""

    def __init__(self, directory: Path, python: Path, port: int | None = None) -> None:
        self.directory = directory
        self.python = python
        self.port = port or free_port()
        self.domain = f"localhost:{self.port}"
        self.base_url = f"http://{self.domain}"
        self.log_path = directory / "bovine.log"
        self.driver_log_path = directory / "driver.log"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, directory: Path, python: Path, port: int | None = None, timeout: float = 30) -> BovineServer:
        server = cls(directory, python, port)
        server.launch()
        try:
            server.wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def launch(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        arguments = {"state": str(self.directory), "port": self.port, "contexts": str(CONTEXTS)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-I", str(DRIVER), "serve", json.dumps(arguments)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                env=_environment(),
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BovineError(f"bovine-herd on {self.port} exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/.well-known/nodeinfo", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise BovineError(f"bovine-herd on {self.port} not ready after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 10) -> int | None:
        return terminate(self.process, timeout)

    def log(self) -> str:
        """Server output, then the driver commands' output: what to print when a test fails."""
        parts = [path.read_text(errors="replace") for path in (self.log_path, self.driver_log_path) if path.exists()]
        return "\n----- driver -----\n".join(parts)

    async def create_user(self, handle: str) -> BovineUser:
        """Registers a user; keep handles unique per server, or bovine's WebFinger answers 500."""
        result = await self._drive("register", {"handle": handle})
        actor = result["actor"]
        return BovineUser(
            handle=handle,
            actor_id=actor["id"],
            secret=result["secret"],
            inbox=actor["inbox"],
            outbox=actor["outbox"],
            followers=actor["followers"],
            following=actor["following"],
        )

    async def follow(self, user: BovineUser, actor_id: str) -> str:
        """Sends a Follow of ``actor_id``; returns the Follow's id."""
        activity = {"type": "Follow", "actor": user.actor_id, "object": actor_id, "to": [actor_id]}
        return await self.send(user, activity)

    async def post_note(
        self, user: BovineUser, text: str, to: list[str] | None = None, cc: list[str] | None = None
    ) -> str:
        """Creates a Note, by default for the user's followers; returns the Create's id."""
        audience = {"to": to if to is not None else [user.followers], "cc": cc or []}
        note = {"type": "Note", "attributedTo": user.actor_id, "content": text, **audience}
        return await self.send(user, {"type": "Create", "actor": user.actor_id, "object": note, **audience})

    async def send(self, user: BovineUser, activity: Json) -> str:
        """Posts any activity to the user's outbox; bovine assigns the ids and delivers it."""
        document = {"@context": "https://www.w3.org/ns/activitystreams", **activity}
        result = await self._drive("send", {**self._login(user), "activity": document})
        return str(result["id"])

    async def accept_follows(self, user: BovineUser) -> list[str]:
        """Accepts every pending Follow of the user; returns the followers just accepted."""
        result = await self._drive("accept_follows", self._login(user))
        return [str(entry["follower"]) for entry in result["accepted"]]

    async def inbox_items(self, user: BovineUser) -> list[Json]:
        """Activities received, newest first, with ``object`` and ``actor`` embedded when bovine has them."""
        return await self._collection(user, "inbox", resolve=True)

    async def outbox_items(self, user: BovineUser) -> list[Json]:
        return await self._collection(user, "outbox", resolve=True)

    async def followers(self, user: BovineUser) -> list[str]:
        return await self._collection(user, "followers", resolve=False)

    async def following(self, user: BovineUser) -> list[str]:
        return await self._collection(user, "following", resolve=False)

    async def wait_for_inbox(self, user: BovineUser, predicate: Callable[[Json], bool], seconds: float = 20) -> Json:
        """Delivery and inbox processing are asynchronous on both sides: poll until an item matches."""
        deadline = time.monotonic() + seconds
        while True:
            items = await self.inbox_items(user)
            for item in items:
                if predicate(item):
                    return item
            if time.monotonic() > deadline:
                raise BovineError(f"no matching inbox item for {user.handle} after {seconds} s: {items}\n{self.log()}")
            await asyncio.sleep(0.3)

    async def wait_for_ids(
        self, read: Callable[[], Awaitable[list[str]]], wanted: str, seconds: float = 20
    ) -> list[str]:
        """Polls a list-of-ids reader (``lambda: server.following(user)``) until ``wanted`` shows up."""
        deadline = time.monotonic() + seconds
        while True:
            ids = await read()
            if wanted in ids:
                return ids
            if time.monotonic() > deadline:
                raise BovineError(f"{wanted} not listed after {seconds} s: {ids}\n{self.log()}")
            await asyncio.sleep(0.3)

    async def _collection(self, user: BovineUser, name: str, *, resolve: bool) -> list[Any]:
        result = await self._drive("collection", {**self._login(user), "name": name, "resolve": resolve})
        return list(result["items"])

    def _login(self, user: BovineUser) -> Json:
        return {"base": self.base_url, "secret": user.secret}

    async def _drive(self, command: str, arguments: Json) -> Json:
        payload = json.dumps({"state": str(self.directory), "base": self.base_url, **arguments})
        process = await asyncio.create_subprocess_exec(
            str(self.python),
            "-I",
            str(DRIVER),
            command,
            payload,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.directory,
            env=_environment(),
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise BovineCommandError(f"bovine {command} timed out after {COMMAND_SECONDS} s\n{self.log()}") from None
        self._record(command, stderr)
        if process.returncode != 0:
            raise BovineCommandError(f"bovine {command} failed ({process.returncode})\n{self.log()}")
        result: Json = json.loads(stdout.decode().strip().splitlines()[-1])
        return result

    def _record(self, command: str, stderr: bytes) -> None:
        with self.driver_log_path.open("ab") as log:
            log.write(f"\n===== {command} =====\n".encode() + stderr)


def _environment() -> dict[str, str]:
    """bovine's JSON-LD loader uses requests, which honours proxy variables: keep loopback direct."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    environment["NO_PROXY"] = environment["no_proxy"] = "localhost,127.0.0.1"
    return environment


def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovineServer]:
    """A bovine-herd server for a module's tests (``yield from`` it in a fixture); skips when bovine cannot install."""
    server = BovineServer.start(tmp_path_factory.mktemp("bovine"), bovine_python_or_skip())
    try:
        yield server
    finally:
        server.stop()
