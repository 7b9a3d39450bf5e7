"""A real activityrelay (PyPI ``activityrelay``) on loopback, and a subscriber that sees what it rebroadcasts.

activityrelay needs neither Redis nor a database server: it runs on sqlite with its database cache. It lives in a
virtualenv of its own (``ensure_relay_venv``), made once and reused, because it pins click, idna, pyyaml and
redis to exact versions; ``relay_driver.py`` runs it there, serving TLS with a certificate made for the test
(its ids are always ``https://``). Read that file for the two ways the network around it differs from the
public one, and why.

What activityrelay 0.3.5 does with a subscriber (``relay/views/activitypub.py``, ``relay/processors.py``)
------------------------------------------------------------------------------------------------------
- Every POST to ``/inbox`` (or ``/actor``) must carry a draft-cavage ``Signature`` that verifies with the key
  of the activity's ``actor``, which it fetches (signed) by its id: 400 without a signature, 401 when it fails.
- ``Follow``: the object is not read (Mastodon follows Public at the relay's inbox, LitePub the relay actor).
  The follower must be an ``Application`` (a Person is refused with ``Reject``), and its NodeInfo must answer
  (an exception otherwise: no answer at all). It then records the follower's ``endpoints.sharedInbox`` (else
  ``inbox``), sends ``Accept`` (object: the Follow embedded, its ``object`` the relay actor) and, unless the
  software is ``mastodon``, a Follow back of the subscriber's actor.
- Anything else from an actor whose shared inbox (or domain) is not subscribed: 401.
- ``Create`` and ``Announce``: an ``Announce`` of the object's id, from the relay actor, to every other
  subscriber. ``Update`` and ``Delete``: forwarded as they are. It does not read ``to``: whatever public or
  not reaches it goes out. Never back to the sender's host or the object's host.
- ``Undo`` of the ``Follow`` (embedded, with the Follow's id): the subscriber is dropped.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.process import InstanceProcess, free_port, terminate
from tests.support.remote_server import (
    AS2,
    PLAIN_COVERED,
    SECURITY,
    RemoteServer,
    cavage_headers,
    digest_header,
    encode,
    public_pem,
)

ACTIVITYRELAY_VERSION = "0.3.5"
REQUIREMENTS = (f"activityrelay=={ACTIVITYRELAY_VERSION}",)
DRIVER = Path(__file__).with_name("relay_driver.py")
MARKER = "chiffres-installed.json"

Json = dict[str, Any]


class RelayUnavailable(Exception):
    """activityrelay cannot be installed here (typically: no package index reachable)."""


def default_venv_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "chiffres-tests" / "activityrelay-venv"


def ensure_relay_venv(directory: Path | None = None, *, timeout: float = 900) -> Path:
    """The python of a virtualenv holding activityrelay, created on first use and reused afterwards; a file lock
    lets parallel runs share it, and the marker, written last, tells a finished install from an interrupted one."""
    given = os.environ.get("CHIFFRES_RELAY_PYTHON")
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
        for command in (
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "--no-input", "-q", *REQUIREMENTS],
        ):
            try:
                subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
            except (OSError, subprocess.SubprocessError) as error:
                detail = getattr(error, "stderr", None) or error
                raise RelayUnavailable(f"activityrelay cannot be installed: {' '.join(command)}: {detail}") from error
        marker.write_text(wanted)
    return python


def relay_python_or_skip() -> Path:
    try:
        return ensure_relay_venv()
    except RelayUnavailable as error:
        pytest.skip(str(error))


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` and 127.0.0.1: the relay serves it, the instance trusts it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "localhost.pem", directory / "localhost.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def default_port_address() -> str:
    """A loopback address (127/8) whose port 80 is free, for an instance at ``http://ADDRESS``.

    activityrelay signs ``host`` without the port (aputils' ``uri.hostname``) and looks up NodeInfo at the bare
    host name: with every server on its default port, as on the public network, both agree with the request. A
    random address keeps parallel runs apart; binding port 80 needs root (or CAP_NET_BIND_SERVICE).
    """
    chooser = random.SystemRandom()
    for _ in range(50):
        address = f"127.{chooser.randint(1, 254)}.{chooser.randint(0, 255)}.{chooser.randint(1, 254)}"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, 80))
            except OSError:
                continue
        return address
    raise RelayUnavailable("no loopback address with a free port 80 (binding port 80 needs root)")


class DefaultPortInstance(InstanceProcess):
    """An instance at ``http://ADDRESS`` — port 80, no port in its ids — for a relay that ignores ports."""

    def __init__(self, directory: Path, address: str, *, database_url: str, extra_env: dict[str, str]) -> None:
        super().__init__(
            directory, database_url=database_url, extra_env={**extra_env, "CHIFFRES_DOMAIN": address}, port=80
        )
        self.address = address
        self.domain = address
        self.base = f"http://{address}"

    def start(self) -> DefaultPortInstance:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "chiffres.cli", "serve", "--host", self.address, "--port", "80"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
            )
        return self


class RelayServer:
    """activityrelay at ``https://localhost:PORT``; its inbox is what ``chiffres relay add`` is given."""

    def __init__(self, directory: Path, python: Path, certificate: Path, key: Path, hosts: dict[str, str]) -> None:
        self.directory = directory
        self.python = python
        self.certificate = certificate
        self.key = key
        self.hosts = hosts
        self.port = free_port()
        self.base = f"https://localhost:{self.port}"
        self.inbox = f"{self.base}/inbox"
        self.actor = f"{self.base}/actor"
        self.log_path = directory / "relay.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> RelayServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        arguments = {
            "state": str(self.directory),
            "port": self.port,
            "certificate": str(self.certificate),
            "key": str(self.key),
            "hosts": self.hosts,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-I", str(DRIVER), json.dumps(arguments)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"activityrelay exited:\n{self.log()}")
            try:
                if httpx.get(self.actor, verify=str(self.certificate), timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"activityrelay not ready after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 10) -> int | None:
        return terminate(self.process, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def subscribers(self) -> list[str]:
        """The actors the relay counts as subscribed, read from its own database."""
        with contextlib.closing(sqlite3.connect(self.directory / "relay.sqlite3")) as database:
            rows = database.execute("SELECT actor FROM inboxes WHERE accepted ORDER BY actor").fetchall()
        return [str(row[0]) for row in rows]


class Subscriber:
    """Another instance subscribed to the relay, on a :class:`RemoteServer`: what the relay rebroadcasts reaches it.

    activityrelay accepts only ``Application`` actors and needs the subscriber's NodeInfo; it says ``mastodon``,
    so that the relay does not follow it back.
    """

    def __init__(self, server: RemoteServer) -> None:
        self.server = server
        self.key = server.key("relay-subscriber")
        self.id = f"{server.base}/actor"
        self.inbox = f"{server.base}/inbox"

    def publish(self) -> None:
        self.server.publish(
            "/actor",
            {
                "@context": [AS2, SECURITY],
                "id": self.id,
                "type": "Application",
                "preferredUsername": self.server.host,
                "inbox": self.inbox,
                "outbox": f"{self.id}/outbox",
                "endpoints": {"sharedInbox": self.inbox},
                "publicKey": {"id": f"{self.id}#main-key", "owner": self.id, "publicKeyPem": public_pem(self.key)},
            },
        )
        nodeinfo = f"{self.server.base}/nodeinfo/2.0"
        self.server.publish(
            "/.well-known/nodeinfo",
            {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": nodeinfo}]},
            content_type="application/json",
        )
        self.server.publish(
            "/nodeinfo/2.0",
            {
                "version": "2.0",
                "software": {"name": "mastodon", "version": "4.3.0"},
                "protocols": ["activitypub"],
                "services": {"inbound": [], "outbound": []},
                "openRegistrations": False,
                "usage": {"users": {"total": 1}, "localPosts": 0},
                "metadata": {},
            },
            content_type="application/json",
        )

    def subscribe(self, relay: RelayServer) -> httpx.Response:
        """Mastodon's relay Follow: of Public, POSTed to the relay's inbox, signed by the instance actor."""
        follow = {
            "@context": AS2,
            "id": f"{self.server.base}/follows/{uuid.uuid4()}",
            "type": "Follow",
            "actor": self.id,
            "object": "https://www.w3.org/ns/activitystreams#Public",
        }
        body = encode(follow)
        headers = cavage_headers(
            "POST",
            relay.inbox,
            key_id=f"{self.id}#main-key",
            private_key=self.key,
            body=body,
            covered=PLAIN_COVERED,
            digest=digest_header(body),
        )
        return httpx.post(relay.inbox, content=body, headers=headers, verify=str(relay.certificate), timeout=20)

    def received(self) -> list[Json]:
        """What reached the subscriber's inbox, oldest first."""
        found: list[Json] = []
        for item in self.server.received("POST", "/inbox"):
            document = item.json()
            if isinstance(document, dict):
                found.append(document)
        return found
