"""Acceptance 3 of issue 10: a real activityrelay (PyPI, 0.3.5) on loopback.

Instance A subscribes with ``chiffres relay add`` and the relay accepts its instance actor. A second subscriber of
the relay (a Mastodon-like instance actor on a fake server) sees what the relay rebroadcasts: the public figure
(``Announce`` of its id), its consensus ``Update`` and its ``Delete`` (forwarded as they are). The members-only
figure never reaches the relay, and neither does a consensus summary, although A does send summaries to its peer
B. Skips only when activityrelay cannot be installed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.fleet import join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.relay import (
    DefaultPortInstance,
    RelayServer,
    RelayUnavailable,
    Subscriber,
    default_port_address,
    make_certificate,
    relay_python_or_skip,
)
from tests.support.remote_server import RemoteServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@dataclass
class Setting:
    a: InstanceProcess
    b: InstanceProcess
    relay: RelayServer
    subscriber: Subscriber


@pytest.fixture(scope="module")
def setting(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setting]:
    python = relay_python_or_skip()
    root = tmp_path_factory.mktemp("relay")
    certificate, key = make_certificate(root / "tls")
    server = RemoteServer().start()
    subscriber = Subscriber(server)
    subscriber.publish()
    try:
        address = default_port_address()
    except RelayUnavailable as error:
        server.stop()
        pytest.skip(str(error))
    names = [asyncio.run(cluster.create_database()) for _ in "ab"]
    relay = RelayServer(root / "relay", python, certificate, key, {address: address, "127.0.0.1": server.host})
    env = {"SSL_CERT_FILE": str(certificate)}
    a = DefaultPortInstance(root / "a", address, database_url=cluster.url(names[0]), extra_env=env)
    b = InstanceProcess(root / "b", database_url=cluster.url(names[1]), extra_env=env)
    try:
        relay.start()
        for instance in (a, b):
            instance.start()
        for instance in (a, b):
            instance.wait_ready()
        yield Setting(a, b, relay, subscriber)
    finally:
        for instance in (a, b):
            instance.stop()
        relay.stop()
        server.stop()
        for name in names:
            asyncio.run(cluster.drop_database(name))


async def _to_relay(url: str, inbox: str) -> list[str]:
    """Every activity A scheduled for the relay's inbox, as JSON text."""
    connection = await connect(url)
    try:
        rows = await connection.fetch(
            "SELECT o.document::text AS document FROM deliveries d JOIN outbox o ON o.activity_id = d.activity_id"
            " WHERE d.inbox = $1 ORDER BY d.id",
            inbox,
        )
    finally:
        await connection.close()
    return [row["document"] for row in rows]


async def _summaries_sent(url: str) -> int:
    connection = await connect(url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM deliveries d JOIN outbox o ON o.activity_id = d.activity_id"
            " WHERE o.document->'object'->>'type' = 'ConsensusSummary'"
        )
    finally:
        await connection.close()
    return count


def _is_summary(document: dict[str, object]) -> bool:
    inner = document.get("object")
    kind = inner.get("type") if isinstance(inner, dict) else None
    return kind == "ConsensusSummary" or (isinstance(kind, list) and "ConsensusSummary" in kind)


def _peers(a: InstanceProcess, b: InstanceProcess) -> None:
    a.cli("peer", "add", b.domain)
    eventually(lambda: "follows us\tpending" in b.cli("peer", "list").stdout, what="A's request on B")
    b.cli("peer", "add", a.domain)
    for side in (a, b):
        eventually(
            lambda side=side: side.cli("peer", "list").stdout.count("accepted") == 2,  # type: ignore[misc]
            what="peering both ways",
        )


def test_public_figures_reach_the_relay_members_only_ones_and_summaries_never(setting: Setting) -> None:
    a, b, relay, subscriber = setting.a, setting.b, setting.relay, setting.subscriber
    assert subscriber.subscribe(relay).status_code == 202
    eventually(lambda: any(item["type"] == "Accept" for item in subscriber.received()), what="the relay's Accept")

    added = a.cli("relay", "add", relay.inbox).stdout
    assert added.strip() == f"{relay.inbox}\tpending"
    eventually(lambda: "\taccepted\t" in a.cli("relay", "list").stdout, what="the relay accepting A")
    assert a.cli("relay", "list").stdout.splitlines()[1:] == [f"{relay.inbox}\taccepted\t{relay.actor}"]
    assert f"{a.base}/actor" in relay.subscribers()

    a.cli("actor", "create", "loyers", "--group", "--visibility", "public")
    a.cli("actor", "create", "entraide", "--group", "--visibility", "members")
    a.cli("actor", "create", "ana")
    join(a, "ana", "loyers")
    join(a, "ana", "entraide")
    b.cli("actor", "create", "bea")
    b.cli("follow", "--as", "bea", f"loyers@{a.domain}")
    bea = f"@bea@{b.domain}\taccepted"  # a public group's follows are open
    eventually(lambda: bea in a.cli("follows", "list").stdout, what="bea's follow accepted")
    _peers(a, b)

    hidden = publish_figure(a, "ana", "entraide", value="640")
    public = publish_figure(a, "ana", "loyers")
    eventually(
        lambda: any(item["type"] == "Announce" and item["object"] == public for item in subscriber.received()),
        what="the relay's Announce of the public figure",
    )

    # A claim from the peer: the consensus is recomputed and A sends its summary to B — to B alone.
    eventually(lambda: b.cli("figure", "show", public, check=False).returncode == 0, what="the figure on B")
    b.cli("like", "--as", "bea", public)
    url = a.env["CHIFFRES_DATABASE_URL"]
    eventually(lambda: asyncio.run(_summaries_sent(url)) > 0, what="A's summary to its peer B")

    a.cli("figure", "update", public, "--as", "ana", "--value", "815")
    eventually(
        lambda: any(
            item["type"] == "Update" and isinstance(item["object"], dict) and item["object"].get("id") == public
            for item in subscriber.received()
        ),
        what="the figure's Update forwarded by the relay",
    )

    a.cli("figure", "delete", public, "--as", "ana")
    eventually(
        lambda: any(item["type"] == "Delete" for item in subscriber.received()),
        what="the Delete forwarded by the relay",
    )

    sent = [json.loads(document) for document in asyncio.run(_to_relay(url, relay.inbox))]
    assert sorted({document["type"] for document in sent}) == ["Create", "Delete", "Follow", "Update"]
    for document in (*sent, *subscriber.received()):
        assert hidden not in json.dumps(document), "a members-only figure reached the relay"
        assert not _is_summary(document), "a consensus summary reached the relay"


def test_a_relay_address_that_is_not_a_url_is_one_line_and_an_error(setting: Setting) -> None:
    refused = setting.a.cli("relay", "add", "relay.example", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().count("\n") == 0
    assert "not a relay address" in refused.stderr
    unknown = setting.a.cli("relay", "remove", "https://nowhere.example/inbox", check=False)
    assert unknown.returncode == 1
    assert "no relay subscription" in unknown.stderr


def test_leaving_the_relay(setting: Setting) -> None:
    a, relay = setting.a, setting.relay
    if "accepted" not in a.cli("relay", "list").stdout:
        a.cli("relay", "add", relay.inbox)
        eventually(lambda: "accepted" in a.cli("relay", "list").stdout, what="the relay accepting A")
    assert f"{a.base}/actor" in relay.subscribers()
    assert a.cli("relay", "remove", relay.inbox).stdout.strip() == f"{relay.inbox}\tremoved"
    assert a.cli("relay", "list").stdout.splitlines()[1:] == []
    eventually(lambda: f"{a.base}/actor" not in relay.subscribers(), what="the relay dropping A")
