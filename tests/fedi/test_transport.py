"""The guarded transport dials the address the guard resolved, while TLS and HTTP still speak to the name.

``peer.test`` resolves nowhere but through the guard's resolver, so reaching the server at all proves the connection
used the guard's answer; the server then sees the name in SNI and in ``Host``, and the client verified a
certificate issued to that name, not to ``127.0.0.1``.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fedi.addresses import AddressGuard, IPAddress
from fedi.fetch import Fetcher, FetchError, Signer, default_client
from fedi.instance import utc_now
from tests.support.remote_server import closed_port, new_key

NAME = "peer.test"


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``peer.test``, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    made = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "peer.pem", directory / "peer.key"
    cert_path.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class TlsPeer:
    port: int
    server_names: list[str | None] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
async def tls_peer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TlsPeer]:
    cert_path, key_path = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # the client trusts this certificate only
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    peer = TlsPeer(0)

    def record(connection: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        peer.server_names.append(name)

    context.sni_callback = record

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        peer.hosts += [line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("host:")]
        body = b'{"type":"Note","content":"over TLS"}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    peer.port = server.sockets[0].getsockname()[1]
    yield peer
    server.close()
    await server.wait_closed()


async def to_loopback(host: str, port: int) -> list[IPAddress]:
    return [ipaddress.ip_address("127.0.0.1")]


async def test_tls_and_host_keep_the_name_while_the_socket_goes_to_the_checked_address(tls_peer: TlsPeer) -> None:
    guard = AddressGuard(allow_private=True, resolver=to_loopback)
    client = default_client(guard)
    signer = Signer("https://chiffres.test/actor#main-key", new_key())
    try:
        document = await Fetcher(client, guard, utc_now).get_json(f"https://{NAME}:{tls_peer.port}/note", signer)
    finally:
        await client.aclose()
    assert document["content"] == "over TLS"
    assert tls_peer.server_names == [NAME]
    assert tls_peer.hosts == [f"{NAME}:{tls_peer.port}"]


async def test_a_refused_connection_is_a_temporary_failure() -> None:
    guard = AddressGuard(allow_private=True, resolver=to_loopback)
    client = default_client(guard)
    signer = Signer("https://chiffres.test/actor#main-key", new_key())
    try:
        with pytest.raises(FetchError) as failed:
            await Fetcher(client, guard, utc_now).get_json(f"http://{NAME}:{closed_port()}/note", signer)
    finally:
        await client.aclose()
    assert failed.value.temporary
    assert "ConnectError" in str(failed.value)


@dataclass
class ClosingPeer:
    """An inbox that answers the first request of each connection and closes the connection, unanswered, on the
    second: what a server does when its keep-alive timeout runs out just as a kept connection is reused."""

    port: int = 0
    connections: int = 0
    answered: int = 0
    dropped: int = 0


@pytest.fixture
async def closing_peer() -> AsyncIterator[ClosingPeer]:
    peer = ClosingPeer()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                if served:
                    peer.dropped += 1
                    return
                served += 1
                peer.answered += 1
                writer.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    peer.port = server.sockets[0].getsockname()[1]
    yield peer
    server.close()
    await server.wait_closed()


async def test_a_kept_connection_the_peer_closed_is_replaced_at_once(closing_peer: ClosingPeer) -> None:
    guard = AddressGuard(allow_private=True, resolver=to_loopback)
    client = default_client(guard)
    fetcher = Fetcher(client, guard, utc_now)
    signer = Signer("https://chiffres.test/actor#main-key", new_key())
    inbox = f"http://{NAME}:{closing_peer.port}/inbox"
    try:
        statuses = [(await fetcher.post(inbox, b'{"type":"Like"}', signer)).status_code for _ in range(3)]
    finally:
        await client.aclose()
    assert statuses == [202, 202, 202]
    assert closing_peer.answered == 3
    assert closing_peer.dropped == 2  # the second and third POSTs first went to a connection the peer then closed
    assert closing_peer.connections == 3


async def test_a_peer_that_drops_every_request_still_fails() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    guard = AddressGuard(allow_private=True, resolver=to_loopback)
    client = default_client(guard)
    signer = Signer("https://chiffres.test/actor#main-key", new_key())
    try:
        with pytest.raises(FetchError) as failed:
            await Fetcher(client, guard, utc_now).post(f"http://{NAME}:{port}/inbox", b"{}", signer)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert failed.value.temporary
