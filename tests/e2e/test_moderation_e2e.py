"""Domain blocks on a running instance, set with its command line while it serves: a suspended domain's signed
POST is refused with 403 before its key is fetched, and a silenced domain's like is kept but moves no consensus,
while a like from a domain left alone does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.remote_server import RemoteActor, RemoteServer, encode
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

AS2 = "https://www.w3.org/ns/activitystreams"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RemoteServer, RemoteServer, RemoteServer]]:
    started = (RemoteServer().start(), RemoteServer().start(), RemoteServer().start())
    yield started
    for server in started:
        server.stop()


def _like(instance: InstanceProcess, actor: RemoteActor, target: str, number: int) -> int:
    document = {"@context": AS2, "id": f"{actor.id}/likes/{number}", "type": "Like", "actor": actor.id}
    body = encode(document | {"object": target})
    url = f"{instance.base}/inbox"
    return httpx.post(url, content=body, headers=actor.sign(url, body), timeout=10).status_code


def _consensus(instance: InstanceProcess, figure: str) -> tuple[int, int] | None:
    """How many contributors and domains the figure's consensus counts, once it is computed."""
    rows = instance.rows(f"SELECT contributors, domains FROM consensus WHERE figure_uri = '{figure}'")
    return (int(str(rows[0][0])), int(str(rows[0][1]))) if rows else None


def _settled(instance: InstanceProcess) -> bool:
    [(waiting,)] = instance.rows(
        "SELECT (SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL)"
        " + (SELECT count(*) FROM consensus_pending)",
    )
    return waiting == 0


def test_a_suspended_domain_is_refused_and_a_silenced_one_moves_no_consensus(
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    servers: tuple[RemoteServer, RemoteServer, RemoteServer],
) -> None:
    spam, quiet, honest = servers
    with fleet(cluster, tmp_path_factory, ["moderated"]) as running:
        a = running["moderated"]
        a.cli("actor", "create", "loyers", "--group", "--visibility", "public")
        a.cli("actor", "create", "ana")
        join(a, "ana", "loyers")
        figure = publish_figure(a, "ana", "loyers")
        alone = eventually(lambda: _consensus(a, figure), what="the consensus of ana's figure")
        assert alone is not None

        a.cli("domain", "block", spam.host, "--severity", "suspend", "--reason", "spam")
        a.cli("domain", "block", quiet.host, "--severity", "silence")
        listed = a.cli("domain", "list").stdout.splitlines()
        assert listed[0] == "domain\tseverity\tsince\treason"
        assert sorted(line.split("\t")[1] for line in listed[1:]) == ["silence", "suspend"]

        # The server reads the blocks again within seconds: a harmless like of nothing, until it is refused.
        mallory = spam.actor("mallory")
        eventually(lambda: _like(a, mallory, f"{a.base}/objects/none", 0) == 403, what="the suspension served")
        fetched = len(spam.received("GET"))
        assert _like(a, mallory, figure, 1) == 403
        assert len(spam.received("GET")) == fetched  # refused before its key was looked for
        assert a.rows(f"SELECT count(*) FROM claims WHERE domain = '{spam.host}'") == [(0,)]

        quinn = quiet.actor("quinn")
        assert _like(a, quinn, figure, 1) == 202
        eventually(lambda: a.rows(f"SELECT count(*) FROM claims WHERE actor = '{quinn.id}'") == [(1,)])
        eventually(lambda: _settled(a), what="the silenced like processed")
        assert _consensus(a, figure) == alone

        hana = honest.actor("hana")
        assert _like(a, hana, figure, 1) == 202
        eventually(lambda: _consensus(a, figure) != alone, what="the honest like counted")
        eventually(lambda: _settled(a), what="the honest like processed")
        # hana's like counts; quinn's still weighs nothing
        assert _consensus(a, figure) == (alone[0] + 1, alone[1] + 1)
