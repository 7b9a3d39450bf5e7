"""The address guard: which addresses are private, one resolution per connection, and what a peer is told.

The rebinding test needs a permitted address and a forbidden one that are both reachable on loopback: the guard is
told to permit ``127.0.0.2`` (as an admin's ``CHIFFRES_ALLOWED_PRIVATE_ADDRESSES`` would), which stands for a
public address, and ``127.0.0.1`` stays forbidden. The host is ``localhost``, which the system resolves to
``127.0.0.1``: a client that resolves again after the guard's check lands on the forbidden server.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from fedi.addresses import AddressGuard, ForbiddenAddress, IPAddress, Unresolvable, is_public
from fedi.fetch import Fetcher, FetchError, Signer, default_client
from tests.support.drip import DripServer
from tests.support.remote_server import RemoteActor, encode, new_key

LOOPBACK = ipaddress.ip_address("127.0.0.1")
PERMITTED = ipaddress.ip_address("127.0.0.2")


def clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer("https://chiffres.test/actor#main-key", new_key())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",  # IPv4-compatible, deprecated: never a peer's address
        "::10.0.0.1",
        "::8.8.8.8",
        "::ffff:0:127.0.0.1",  # IPv4-translated (SIIT)
        "64:ff9b::127.0.0.1",  # NAT64 well-known prefix, in front of loopback
        "64:ff9b::10.0.0.1",
        "64:ff9b::192.168.1.1",
        "64:ff9b::169.254.169.254",
        "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215)
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of the cloud metadata address
        "fe80::1",
        "fc00::1",
        "ff02::1",
    ],
)
def test_addresses_inside_the_network_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:1.1.1.1"]
)
def test_public_addresses_and_their_public_embeddings_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_an_allowed_network_permits_the_ipv4_inside_an_ipv6_form() -> None:
    guard = AddressGuard([ipaddress.ip_network("10.0.0.0/8")])
    assert guard.permits(ipaddress.ip_address("64:ff9b::10.0.0.1"))
    assert not guard.permits(ipaddress.ip_address("64:ff9b::192.168.0.1"))


async def test_a_refusal_keeps_the_address_in_its_detail_not_in_its_message() -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.9.8.7")]

    guard = AddressGuard(resolver=resolver)
    with pytest.raises(ForbiddenAddress) as refused:
        await guard.resolve("mixed.example", 443)
    assert str(refused.value) == "address not allowed"
    assert "10.9.8.7" in refused.value.detail


async def test_a_name_that_does_not_resolve_is_unresolvable_not_forbidden() -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(Unresolvable) as failed:
        await AddressGuard(resolver=resolver).resolve("nowhere.example", 443)
    assert not failed.value.temporary


@pytest.fixture
async def twin_servers() -> AsyncIterator[tuple[DripServer, DripServer]]:
    """An honest server on the permitted address and one on loopback, on the same port."""
    for _ in range(20):
        async with DripServer(host=str(PERMITTED), interval=0) as permitted:
            try:
                async with DripServer(host=str(LOOPBACK), port=permitted.port, interval=0) as loopback:
                    yield permitted, loopback
                    return
            except OSError:
                continue
    pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")


class Rebinding:
    """A resolver that answers the permitted address once and loopback ever after (a DNS rebinding attack)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._answers = itertools.chain([[PERMITTED]], itertools.repeat([LOOPBACK]))

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return next(self._answers)


def rebinding_guard(resolver: Rebinding) -> AddressGuard:
    return AddressGuard([ipaddress.ip_network("127.0.0.2/32")], resolver=resolver)


async def test_the_connection_goes_to_the_address_the_guard_checked(
    twin_servers: tuple[DripServer, DripServer], signer: Signer
) -> None:
    permitted, loopback = twin_servers
    resolver = Rebinding()
    guard = rebinding_guard(resolver)
    client = default_client(guard)
    try:
        document = await Fetcher(client, guard, clock).get_json(permitted.url("/note", host="localhost"), signer)
    finally:
        await client.aclose()
    assert document["content"] == "drip"
    assert loopback.accepted == 0
    assert permitted.accepted == 1
    assert resolver.asked == ["localhost"]


async def test_each_new_connection_is_checked_against_the_answer_it_uses(
    twin_servers: tuple[DripServer, DripServer], signer: Signer
) -> None:
    """Once the name answers loopback, the next connection is refused: no answer is trusted from an earlier one."""
    permitted, loopback = twin_servers
    resolver = Rebinding()
    guard = rebinding_guard(resolver)
    for path, allowed in (("/first", True), ("/second", False)):
        client = default_client(guard)
        try:
            if allowed:
                await Fetcher(client, guard, clock).get_json(permitted.url(path, host="localhost"), signer)
                continue
            with pytest.raises(FetchError) as refused:
                await Fetcher(client, guard, clock).get_json(permitted.url(path, host="localhost"), signer)
        finally:
            await client.aclose()
    assert str(refused.value).endswith("address not allowed")
    assert not refused.value.temporary
    assert loopback.accepted == 0


async def test_the_inbox_refuses_a_key_on_a_private_host_without_naming_its_address(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """``localhost`` resolves to loopback, which a production instance may not reach; the peer learns only that."""
    eve = RemoteActor("https://localhost:9", "eve", "mastodon", new_key())
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{eve.id}/likes/1",
        "type": "Like",
        "actor": eve.id,
        "object": "https://chiffres.test/objects/0b0e5e2c-3f5d-4d4b-9b8e-1f1d1c1b1a19",
    }
    body = encode(activity)
    with caplog.at_level(logging.INFO, logger="fedi"):
        response = await client.post("/inbox", content=body, headers=eve.sign("https://chiffres.test/inbox", body))
    assert response.status_code == 401
    assert "address not allowed" in response.text
    assert "127.0.0.1" not in response.text
    assert "127.0.0.1" in caplog.text
