"""Outbound requests may only reach public addresses, checked on the very address a connection is made to.

A peer names URLs we then fetch (its key, its actor, its inbox); without this guard it could make the instance
probe its own network (SSRF). Loopback, private, link-local and other special ranges are refused unless listed in
``CHIFFRES_ALLOWED_PRIVATE_ADDRESSES`` (as Mastodon's ALLOWED_PRIVATE_ADDRESSES) or in development mode, where
every test instance lives on loopback.

IPv6 has several ways of carrying an IPv4 address (mapped, translated, NAT64, 6to4); each is judged by the IPv4
address inside, since that is where the packets end up. The deprecated IPv4-compatible block ``::/96`` and the
local-use NAT64 block ``64:ff9b:1::/48`` are refused outright: no peer lives there.

:meth:`AddressGuard.resolve` is the only resolution a connection makes (``fedi/transport.py`` dials the addresses it
returns), so a name cannot answer a public address to the check and a private one to the connection. What a name
resolved to is kept in ``ForbiddenAddress.detail`` for the log; a peer is only ever told "address not allowed".
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

_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_TEMPORARY_DNS = {socket.EAI_AGAIN}


class ForbiddenAddress(Exception):
    """The URL may not be reached. ``str()`` is what a peer may read; ``detail`` (the name and what it resolved
    to) is for the log only, since it maps the instance's network for whoever asked."""

    def __init__(self, detail: str, reason: str = "address not allowed") -> None:
        super().__init__(reason)
        self.detail = detail


class Unresolvable(Exception):
    """The name has no address now; ``temporary`` when the resolver may answer later (EAI_AGAIN)."""

    def __init__(self, host: str, *, temporary: bool = False) -> None:
        super().__init__(f"cannot resolve {host}")
        self.temporary = temporary


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, NAT64 or 6to4), where packets really go."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _TRANSLATED or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and (address in _COMPATIBLE or address in _LOCAL_NAT64):
        return False
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
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
        inner = embedded_ipv4(address)
        return any(candidate in network for network in self._allowed for candidate in (address, inner) if candidate)

    def check_url(self, url: str) -> None:
        """Refuse what no connection should be tried for: odd schemes, no host, a literal address not permitted.

        Names are not resolved here; the connection resolves them once, through :meth:`resolve`."""
        try:
            parts = urlsplit(url)
            _ = parts.port  # a port out of range raises ValueError here, not later in the client
        except ValueError:
            raise ForbiddenAddress(f"not a usable URL: {url!r}", "not a usable URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ForbiddenAddress(f"not an http(s) URL: {url!r}", "not an http(s) URL")
        literal = _literal(parts.hostname)
        if literal is not None and not self.permits(literal):
            raise ForbiddenAddress(f"{url!r} names {literal}, which is not public")

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``, each one permitted; else :class:`ForbiddenAddress` or :class:`Unresolvable`.

        One forbidden address refuses them all: a name that mixes public and private answers is not a peer's."""
        literal = _literal(host)
        try:
            addresses = [literal] if literal is not None else await self._resolver(host, port)
        except socket.gaierror as error:
            raise Unresolvable(host, temporary=error.errno in _TEMPORARY_DNS) from None
        except OSError:
            raise Unresolvable(host, temporary=True) from None
        if not addresses:
            raise Unresolvable(host)
        for address in addresses:
            if not self.permits(address):
                raise ForbiddenAddress(f"{host} resolves to {address}, which is not public")
        return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
