"""What a Mastodon-family user sees of a group's figure: every change of it, accepted by a strict receiver.

Three instances of ours run the consensus of ``test_consensus``: A's group publishes a member's figure, B and C
endorse and correct it. The group's followers include a strict receiver (``tests.support.strict_receiver``, the
checks Takahē applies) and a bovine-herd user. The strict receiver must show the figure's Create, its version
Update, the consensus Update and its Delete, and refuse nothing; bovine must receive them all.

A second test starts from a figure sent before the group was its figures' ``attributedTo`` (its stored Note still
names the member, as the instance wrote it then): its next Update must reach a strict receiver too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import asyncpg
import pytest

from tests.support.bovine import BovineServer, bovine_python_or_skip
from tests.support.cluster import Cluster
from tests.support.fleet import fleet, join, publish_figure
from tests.support.process import InstanceProcess
from tests.support.strict_receiver import StrictReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trio(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, InstanceProcess]]:
    """A's members-only group ``loyers`` with its member ana; members on B and C following it."""
    with fleet(cluster, tmp_path_factory, ["mta", "mtb", "mtc"]) as running:
        a, b, c = running["mta"], running["mtb"], running["mtc"]
        a.cli("actor", "create", "loyers", "--group", "--visibility", "members")
        a.cli("actor", "create", "ana")
        join(a, "ana", "loyers")
        for side, names in ((b, ("bea", "bruno")), (c, ("cyril", "chloe", "camille"))):
            for name in names:
                side.cli("actor", "create", name)
                side.cli("follow", "--as", name, f"loyers@{a.domain}")
        eventually(lambda: len(_pending(a)) == 5, what="the five follow requests")
        a.cli("follows", "approve", "--all")
        a.cli("trust", "set", b.domain, "0.8")
        a.cli("trust", "set", c.domain, "0.8")
        yield {"a": a, "b": b, "c": c}


@pytest.fixture(scope="module")
def strict() -> Iterator[StrictReceiver]:
    started = StrictReceiver().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def bovine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovineServer]:
    server = BovineServer.start(tmp_path_factory.mktemp("bovine"), bovine_python_or_skip())
    try:
        yield server
    finally:
        server.stop()


def _pending(instance: InstanceProcess) -> list[str]:
    rows = json.loads(instance.cli("follows", "list", "--pending", "--json").stdout)
    return [f"{row['id']}\t{row['follower_url']}\t{row['state']}\t{row['followee_url']}" for row in rows]


def follow_and_approve(receiver: StrictReceiver, instance: InstanceProcess, group: str) -> None:
    """The receiver's user follows the group by its handle, the admin approves, the Accept arrives."""
    receiver.follow(f"@{group}@{instance.domain}")
    eventually(lambda: any(receiver.user_id in line for line in _pending(instance)), what="the strict follow")
    instance.cli("follows", "approve", "--all")
    actor = f"{instance.base}/actors/{group}"
    eventually(lambda: receiver.following().get(actor) == "accepted", what="the group's Accept")


def _corrected(instance: InstanceProcess, figure: str) -> bool:
    result = instance.cli("consensus", "show", figure, check=False)
    return result.returncode == 0 and result.stdout.startswith("corrected")


def _knows(instance: InstanceProcess, figure: str) -> bool:
    return instance.cli("figure", "show", figure, check=False).returncode == 0


def _kinds_about(items: list[dict[str, Any]], figure: str) -> list[str]:
    """The types of the activities bovine received about ``figure``, whatever shape its store gives them."""
    found = []
    for item in items:
        obj = item.get("object")
        target = obj.get("id") if isinstance(obj, dict) else obj
        if target == figure:
            found.append(str(item.get("type")))
    return sorted(found)


async def test_a_strict_receiver_shows_every_change_of_a_figure_and_refuses_none(
    trio: dict[str, InstanceProcess], strict: StrictReceiver, bovine: BovineServer
) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    group = f"{a.base}/actors/loyers"
    await asyncio.to_thread(follow_and_approve, strict, a, "loyers")
    user = await bovine.create_user("milou")
    await bovine.follow(user, group)
    await asyncio.to_thread(
        eventually, lambda: any(user.actor_id in line for line in _pending(a)), what="bovine's follow"
    )
    a.cli("follows", "approve", "--all")
    await bovine.wait_for_ids(lambda: bovine.following(user), group)

    figure = publish_figure(a, "ana", "loyers")
    post = await asyncio.to_thread(eventually, lambda: strict.timeline().get(figure), what="the figure's Create")
    assert post is not None
    assert (post.author, post.visibility) == (group, "followers")
    assert "812\u00a0€/mois — loyer médian d'un T2" in post.text
    assert "Publié par @ana" in post.text
    assert post.mentions == [(f"{a.base}/actors/ana", f"@ana@{a.domain}")]
    assert strict.fetch(figure).status == 200, "a member's server fetches the followers-only figure as itself"

    a.cli("figure", "update", figure, "--method", "Médiane des annonces")
    await asyncio.to_thread(
        eventually, lambda: "Médiane des annonces" in strict.timeline()[figure].text, what="the version Update"
    )

    for side, member in ((b, "bea"), (c, "cyril")):
        await asyncio.to_thread(eventually, partial(_knows, side, figure), what="the figure reaching B and C")
        side.cli("like", "--as", member, figure)
    for side, member in ((c, "chloe"), (c, "camille"), (b, "bruno")):
        side.cli("reply", "--as", member, figure, "plutôt 905 €/mois", "--value", "905")
    await asyncio.to_thread(eventually, partial(_corrected, a, figure), timeout=60, what="A's consensus corrected")
    shown = await asyncio.to_thread(
        eventually, lambda: "⚠ corrigé" in strict.timeline()[figure].text and strict.timeline()[figure], timeout=30
    )
    assert shown
    assert len(shown.edits) >= 2, "the version Update and at least one consensus Update"

    a.cli("figure", "delete", figure)
    await asyncio.to_thread(eventually, lambda: strict.timeline()[figure].deleted, what="the Delete")
    assert strict.refusals() == []
    assert strict.software()[a.domain] == "chiffres-ensemble"

    async def received() -> list[str]:
        return _kinds_about(await bovine.inbox_items(user), figure)

    kinds: list[str] = []
    for _ in range(60):
        kinds = await received()
        if "Delete" in kinds:
            break
        await asyncio.sleep(0.5)
    assert {"Create", "Delete"} <= set(kinds), kinds
    assert kinds.count("Update") >= 2, kinds


async def _as_sent_before(instance: InstanceProcess, figure: str) -> None:
    """Put back what the instance stored for a figure before its group became the figures' ``attributedTo``."""
    connection = await asyncpg.connect(instance.env["CHIFFRES_DATABASE_URL"])
    try:
        author = await connection.fetchval("SELECT author FROM figures WHERE uri = $1", figure)
        older = json.dumps(author)
        await connection.execute(
            "UPDATE figures SET note = jsonb_set(note, '{attributedTo}', $2::jsonb) WHERE uri = $1", figure, older
        )
        await connection.execute(
            "UPDATE local_objects SET document = jsonb_set(document, '{attributedTo}', $2::jsonb) WHERE uri = $1",
            figure,
            older,
        )
    finally:
        await connection.close()


def test_a_figure_sent_before_the_group_was_its_author_reaches_a_strict_receiver_with_its_next_update(
    trio: dict[str, InstanceProcess],
) -> None:
    a = trio["a"]
    figure = publish_figure(a, "ana", "loyers", value="790", place="Villeurbanne")
    asyncio.run(_as_sent_before(a, figure))
    late = StrictReceiver("tom").start()
    try:
        follow_and_approve(late, a, "loyers")
        a.cli("figure", "update", figure, "--value", "795")
        post = eventually(lambda: late.timeline().get(figure), what="the figure reaching the late follower")
        assert post is not None
        assert "795" in post.text
        assert "Publié par @ana" in post.text
        eventually(lambda: len(late.events()) >= 3, what="the Accept, the Create and the Update")
        assert late.refusals() == []
    finally:
        late.stop()
