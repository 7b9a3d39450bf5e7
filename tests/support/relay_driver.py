"""Runs activityrelay, unchanged, on loopback, from inside its own virtualenv.

This script runs under the python of the activityrelay virtualenv and is never imported by our test process:
activityrelay pins click, idna, pyyaml and redis to exact versions that must not meet ours. Usage::

    python -I relay_driver.py 'JSON-ARGUMENTS'

Arguments: ``state`` (a directory: config, sqlite database, log), ``port``, ``certificate`` and ``key`` (PEM),
``hosts`` (a map from host name to ``host:port``). The relay runs until SIGTERM.

activityrelay is written for the public network, where every server answers https on port 443, and two things
of it cannot meet that on loopback; the driver changes the network around it, not its code:

- Its ids are ``https://DOMAIN/…``: it serves TLS here, with the test certificate (in production a reverse proxy
  does). The instance under test trusts that certificate through ``SSL_CERT_FILE``.
- It looks up a subscriber's NodeInfo at ``https://HOSTNAME/.well-known/nodeinfo``, the host name without the
  port (aputils' ``Message.domain``): that GET is sent to ``http://HOSTNAME:PORT`` for the hosts in ``hosts``,
  which is what a TLS proxy in front of each loopback server would do. Every other request goes where the relay
  sends it (actors, keys and inboxes by their ids, which carry their port and scheme).

Everything else — its sqlite database, its database cache (no Redis), one push worker, approval off, its
checks (signature, ``Application`` actors, the subscription handshake) and its rebroadcast rules — is
activityrelay 0.3.5 as installed from PyPI.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import ssl
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def configure(state: Path, port: int) -> Path:
    """The relay's own ``relay.yaml``, as ``activityrelay setup`` would write it for this host."""
    path = state / "relay.yaml"
    settings = {
        "listen": "127.0.0.1",
        "port": port,
        "domain": f"localhost:{port}",
        "workers": 1,
        "database_type": "sqlite",
        "cache_type": "database",
        "sqlite_path": str(state / "relay.sqlite3"),
    }
    path.write_text(json.dumps(settings))  # JSON is YAML
    return path


def through_loopback(get: Any, hosts: dict[str, str]) -> Any:
    @functools.wraps(get)
    async def fetch(self: Any, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.netloc in hosts:
            url = parts._replace(scheme="http", netloc=hosts[parts.netloc]).geturl()
        return await get(self, url, *args, **kwargs)

    return fetch


def main(arguments: dict[str, Any]) -> None:
    state_dir = Path(arguments["state"])
    config = configure(state_dir, int(arguments["port"]))
    aputils: Any = importlib.import_module("aputils")
    blib: Any = importlib.import_module("blib")
    relay_state: Any = importlib.import_module("relay.state")
    http_client: Any = importlib.import_module("relay.http_client")
    logger: Any = importlib.import_module("relay.logger")

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(arguments["certificate"], arguments["key"])
    relay_state.TCPSite = functools.partial(relay_state.TCPSite, ssl_context=context)
    http_client.HttpClient._get = through_loopback(http_client.HttpClient._get, arguments["hosts"])

    state = relay_state.State(blib.File(str(config)), register_global=True)
    with state.database.session(True) as connection:
        if not connection.get_config("private-key"):
            connection.put_config("private-key", aputils.Signer.new("n/a").export())
        connection.put_config("log-level", "DEBUG")
        private_key = connection.get_config("private-key")
    logger.set_level("DEBUG")
    state.signer = aputils.Signer(private_key, state.config.keyid)
    asyncio.run(state.handle_start())


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
