"""A TLS front on loopback, standing before an instance as Caddy does in ``deploy/Caddyfile``.

Clients that check a server the way a public one is reached (FediTest builds ``https://HOST/.well-known/…`` and
checks the certificate) need https with a certificate they trust. :class:`Authority` makes a throwaway CA and a
certificate for ``localhost`` signed by it (point ``SSL_CERT_FILE`` at :attr:`Authority.ca_file` to trust it);
:class:`TlsFront` terminates TLS on one port and forwards the bytes to the instance, ``Host`` untouched. Plain
http on the same port gets the redirect to https that Caddy gives on port 80, so that ``http://HOST:PORT`` means
here what ``http://HOST`` means in production. Like :class:`tests.support.proxy.DatabaseProxy` it runs its own
event loop in a thread, so sync tests can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.process import free_port

_TLS_HANDSHAKE = 0x16  # the first byte of every TLS record that opens a connection
_LIMIT = 64 * 1024


class Authority:
    """A certificate authority made for one test session, and a certificate for ``localhost`` it signed."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ChiffresEnsemble test CA")])
        ca = (
            self._builder(ca_name, ca_name, ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        leaf = (
            self._builder(leaf_name, ca_name, key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = directory / "ca.pem"
        self.cert_file = directory / "localhost.pem"
        self.key_file = directory / "localhost.key"
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    @staticmethod
    def _builder(
        subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime.datetime
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


class TlsFront:
    """``https://localhost:<port>`` in front of ``http://127.0.0.1:<upstream>``."""

    def __init__(self, upstream: int, authority: Authority) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._context = authority.server_context()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listener: socket.socket | None = None

    @property
    def host(self) -> str:
        return f"localhost:{self.port}"

    def start(self) -> TlsFront:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        listener.setblocking(False)
        self._listener = listener
        self._thread.start()
        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self._accept(listener)))
        return self

    def stop(self) -> None:
        """Cancel every connection, then end the loop and its thread."""
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()
        if self._listener is not None:
            self._listener.close()

    async def _cancel_all(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        connections: set[asyncio.Task[None]] = set()
        while True:
            connection, _ = await loop.sock_accept(listener)
            task = loop.create_task(self._handle(connection))
            connections.add(task)
            task.add_done_callback(connections.discard)

    async def _handle(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            first = await asyncio.wait_for(loop.run_in_executor(None, _peek, connection), timeout=10)
            reader = asyncio.StreamReader(limit=_LIMIT)
            protocol = asyncio.StreamReaderProtocol(reader)
            context = self._context if first == _TLS_HANDSHAKE else None
            transport, _ = await loop.connect_accepted_socket(lambda: protocol, connection, ssl=context)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        except (OSError, TimeoutError, ssl.SSLError):
            connection.close()
            return
        if context is None:
            await self._redirect(reader, writer)
        else:
            await self._forward(reader, writer)

    async def _redirect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
            location = f"https://{self.host}{target}"
            writer.write(
                f"HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode("latin-1")
            )
            await writer.drain()
        writer.close()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


def _peek(connection: socket.socket) -> int:
    """The first byte the client sent, left in the socket for whoever reads it next."""
    connection.setblocking(True)
    connection.settimeout(10)
    try:
        data = connection.recv(1, socket.MSG_PEEK)
    finally:
        connection.setblocking(False)
    return data[0] if data else -1


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(_LIMIT):
            sink.write(chunk)
            await sink.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(OSError, ssl.SSLError, RuntimeError):
            sink.close()
