"""Outbound requests may only reach public addresses, checked after DNS resolution.

A peer names URLs we then fetch (its key, its actor, its inbox); without this guard it could make the instance
probe its own network (SSRF). Loopback, private, link-local and other special ranges are refused unless listed in
``CHIFFRES_ALLOWED_PRIVATE_ADDRESSES`` (as Mastodon's ALLOWED_PRIVATE_ADDRESSES) or in development mode, where
every test instance lives on loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from fedi.config import Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class ForbiddenAddress(Exception):
    """The URL's host resolves to an address outbound requests may not reach."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


class AddressGuard:
    def __init__(
        self, allowed: Sequence[Network] = (), *, allow_private: bool = False, resolver: Resolver = system_resolver
    ) -> None:
        self._allowed = tuple(allowed)
        self._allow_private = allow_private
        self._resolver = resolver

    def permits(self, address: IPAddress) -> bool:
        if self._allow_private or is_public(address):
            return True
        return any(address in network for network in self._allowed)

    async def check(self, url: str) -> None:
        """Raise :class:`ForbiddenAddress` unless every address of the URL's host may be reached."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise ForbiddenAddress(f"not a usable URL: {url!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ForbiddenAddress(f"not an http(s) URL: {url!r}")
        try:
            literal: IPAddress | None = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        try:
            addresses = [literal] if literal else await self._resolver(parts.hostname, port)
        except OSError as error:
            raise ForbiddenAddress(f"cannot resolve {parts.hostname}: {error}") from None
        if not addresses:
            raise ForbiddenAddress(f"{parts.hostname} has no address")
        for address in addresses:
            if not self.permits(address):
                raise ForbiddenAddress(f"{parts.hostname} resolves to {address}, which is not public")
