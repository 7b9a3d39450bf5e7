"""No delivery is lost when a worker is killed with ``kill -9`` in the middle of a fan-out."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest

from fedi.database import connect
from tests.support.cluster import Cluster
from tests.support.process import InstanceProcess
from tests.support.receiver import Receiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
FOLLOWERS = 150


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(delay=0.05).start()
    yield running
    running.stop()


async def _add_followers(url: str, group: str, receiver: Receiver) -> None:
    connection = await connect(url)
    try:
        await connection.executemany(
            "INSERT INTO follows (activity_id, follower, followee, state, follower_inbox)"
            " VALUES ($1, $2, $3, 'accepted', $4)",
            [
                (
                    f"http://127.0.0.1:{receiver.port}/follows/{n}",
                    f"http://127.0.0.1:{receiver.port}/users/{n}",
                    group,
                    receiver.inbox(str(n)),
                )
                for n in range(FOLLOWERS)
            ],
        )
    finally:
        await connection.close()


def test_kill_9_during_fan_out_loses_no_delivery(
    cluster: Cluster, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> None:
    name = asyncio.run(cluster.create_database())
    url = cluster.url(name)
    instance = InstanceProcess(tmp_path_factory.mktemp("durable"), database_url=url).start()
    worker: InstanceProcess | None = None
    try:
        instance.wait_ready()
        instance.cli("actor", "create", "loyers", "--group")
        asyncio.run(_add_followers(url, f"{instance.base}/actors/loyers", receiver))
        instance.cli("note", "--as", "loyers", "Loyer médian : 812 €/mois")
        eventually(lambda: receiver.distinct() >= 10, what="the fan-out to start")
        assert instance.process is not None
        instance.process.send_signal(signal.SIGKILL)
        instance.process.wait(10)
        killed_at = receiver.distinct()
        assert killed_at < FOLLOWERS, "the kill came too late to test anything"

        worker = InstanceProcess(instance.directory, database_url=url, port=instance.port)
        worker.start()
        worker.wait_ready()
        eventually(lambda: receiver.distinct() == FOLLOWERS, timeout=90, what="every follower's delivery")
        assert set(receiver.received) == {str(n) for n in range(FOLLOWERS)}
    finally:
        if worker is not None:
            worker.stop()
        instance.stop()
        asyncio.run(cluster.drop_database(name))
