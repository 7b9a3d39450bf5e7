"""The domain and mode an instance mints its ids under: recorded at first start, and never silently changed.

An id is ``scheme://domain/…``: the scheme follows the mode (http in development, https in production) and the
domain is the one recorded when the database first met an instance. Every id already sent to a peer names that
pair, so any process — ``serve``, a worker, a command — that would mint ids under another one is refused before
it changes anything (:func:`settle`), with one line that says what the database belongs to.

Two things are not refusals. A command without ``CHIFFRES_DEV`` beside a development trial (``make serve`` in one
terminal, ``chiffres actor create`` in another) works in development mode, since that is what its ids are. And
in development a server may come back on another port of the same loopback host (``make serve PORT=8001``): the
record follows it, because a trial on localhost has no peers whose copies would break. In production neither
the domain nor the mode ever moves; moving a trial to a public domain means a new data directory (README).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from fedi.config import ConfigError
from fedi.database import Connection

DEV_DOMAIN = "localhost:8000"  # where `make serve` listens


@dataclass(frozen=True)
class Identity:
    domain: str
    dev: bool

    @property
    def base(self) -> str:
        return f"{'http' if self.dev else 'https'}://{self.domain}"


def settle(recorded: Identity | None, domain: str | None, dev: bool, *, serving: bool) -> Identity:
    """The identity a process runs under, given the recorded one and what its settings ask for.

    Raises :class:`ConfigError` when the settings would mint ids the recorded instance never had.
    """
    if recorded is None:
        if domain is None and not dev:
            raise ConfigError("CHIFFRES_DOMAIN: not set, and no instance has run on this database yet")
        return Identity(domain or DEV_DOMAIN, dev)
    if dev and not recorded.dev:
        raise ConfigError(
            f"CHIFFRES_DEV: this database belongs to the public instance {recorded.base}; development mode"
            " would mint http ids for it (unset CHIFFRES_DEV)"
        )
    if serving and recorded.dev and not dev:
        raise ConfigError(
            f"CHIFFRES_DEV: this database holds the development trial {recorded.base}, whose ids cannot become"
            " public ones; serve the public instance from a new data directory (see the README)"
        )
    if domain is None or domain == recorded.domain:
        return recorded
    if serving and recorded.dev and _port_moved(recorded.domain, domain):
        return Identity(domain, dev=True)
    raise ConfigError(
        f"CHIFFRES_DOMAIN: this database was created for {recorded.domain!r}; ids cannot move to {domain!r}"
    )


def _port_moved(recorded: str, wanted: str) -> bool:
    """The same loopback host on another port: the only move a development trial may make."""
    host, _, _ = recorded.partition(":")
    return wanted.partition(":")[0] == host and _loopback(host)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def read(connection: Connection, *, unrecorded_dev: bool) -> Identity | None:
    """The recorded identity, or None on a database no instance has run on (not even migrated yet).

    A domain with a port can only have been recorded in development (ports are refused otherwise), so it is a
    development trial even where an earlier version wrongly recorded production mode for it. Where a command ran
    first under an earlier version, the domain was recorded without a mode: ``unrecorded_dev`` stands for it.
    """
    if await connection.fetchval("SELECT to_regclass('instance_settings')") is None:
        return None
    rows = await connection.fetch("SELECT key, value FROM instance_settings WHERE key IN ('domain', 'dev')")
    values = {row["key"]: row["value"] for row in rows}
    domain = values.get("domain")
    if domain is None:
        return None
    dev = values["dev"] == "1" if "dev" in values else unrecorded_dev
    return Identity(domain, dev or ":" in domain)


async def record(connection: Connection, identity: Identity) -> None:
    """Record both halves at once: a domain without its mode is what broke commands after a refused start."""
    async with connection.transaction():
        await connection.executemany(
            "INSERT INTO instance_settings (key, value) VALUES ($1, $2)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [("domain", identity.domain), ("dev", "1" if identity.dev else "0")],
        )
