"""Several instances at once, each on its own database of the session cluster, stopped and dropped together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence

import pytest

from tests.support.cluster import Cluster
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

FIGURE = {
    "--value": "812",
    "--unit": "€/mois",
    "--measures": "loyer médian d'un T2",
    "--source": "https://observatoire.example/loyers",
    "--place": "Lyon",
    "--period": "2026-Q2",
}


@contextlib.contextmanager
def fleet(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory, labels: Sequence[str]
) -> Iterator[dict[str, InstanceProcess]]:
    names = [asyncio.run(cluster.create_database()) for _ in labels]
    instances = {
        label: InstanceProcess(tmp_path_factory.mktemp(label), database_url=cluster.url(name)).start()
        for label, name in zip(labels, names, strict=True)
    }
    try:
        for running in instances.values():
            running.wait_ready()
        yield instances
    finally:
        for running in instances.values():
            running.stop()
        for name in names:
            asyncio.run(cluster.drop_database(name))


def join(instance: InstanceProcess, member: str, group: str) -> None:
    """Make a local person a member of a local group as an admin does: the person follows, the group approves."""
    follow_id = instance.cli("follow", "--as", member, group).stdout.split("\t")[0]
    instance.cli("follows", "approve", follow_id, "--as", group)


def publish_figure(instance: InstanceProcess, author: str, group: str, **changes: str) -> str:
    """Publish a figure with the CLI (a rent in Lyon unless told otherwise); returns its id."""
    options = FIGURE | {f"--{key.replace('_', '-')}": value for key, value in changes.items()}
    arguments = [part for pair in options.items() for part in pair]
    return instance.cli("figure", "publish", "--as", author, "--group", group, *arguments).stdout.strip()


def endorsed_between_peers(a: InstanceProcess, b: InstanceProcess) -> str:
    """A members-only group ``loyers`` on A with ana, B's bea an approved member, A and B peers, a figure ana
    published that bea endorsed; returns the figure's id."""

    def both() -> str:
        return f"{a.diagnosis()}\n{b.diagnosis()}"

    a.cli("actor", "create", "loyers", "--group", "--visibility", "members")
    a.cli("actor", "create", "ana")
    b.cli("actor", "create", "bea")
    join(a, "ana", "loyers")
    b.cli("follow", "--as", "bea", f"loyers@{a.domain}")
    eventually(lambda: "pending" in a.cli("follows", "list", "--pending").stdout, what="bea's request", explain=both)
    a.cli("follows", "approve", "--all", "--as", "loyers")
    eventually(
        lambda: "accepted" in b.cli("follows", "list", "--as", "bea").stdout, what="bea's approval", explain=both
    )
    a.cli("peer", "add", b.domain)
    b.cli("peer", "add", a.domain)
    figure = publish_figure(a, "ana", "loyers")
    eventually(
        lambda: b.cli("figure", "show", figure, check=False).returncode == 0, what="the figure on B", explain=both
    )
    b.cli("like", "--as", "bea", figure)
    return figure
