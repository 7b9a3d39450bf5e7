"""A request for a figure across three servers (issue 12, acceptance 1).

A follower on bovine-herd asks our group on A for a figure with a post that mentions it and carries ``#cherche``,
as Mastodon writes such a post; the request reaches the group's followers, among them marc on B, a peer instance
of ours; marc answers with ``chiffres reply`` and a value, a unit and a link; A publishes the figure credited to
marc and linked to the request, and tells the asker. The same question asked again is answered at once with that
figure, and nothing goes to the followers. The test skips only when bovine-herd cannot be installed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from fedi.database import connect
from tests.support.bovine import PUBLIC, BovineServer, BovineUser, serving
from tests.support.cluster import Cluster
from tests.support.fleet import fleet
from tests.support.ledger_tally import agree, figure_activities, received
from tests.support.process import InstanceProcess
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

QUESTION = "Quel est le loyer médian d'un T3 à Lyon en 2026-Q2 ?"
ANSWER = "1 020 €/mois, d'après https://source.example/t3"
# Hashtag is not in the ActivityStreams context: Mastodon defines it in its own, and without it bovine's JSON-LD
# compaction turns the type into a blank node ("_:Hashtag"), which no receiver reads as a hashtag.
MASTODON_CONTEXT = ["https://www.w3.org/ns/activitystreams", {"Hashtag": "as:Hashtag"}]
HEADER = "id\tstatus\tcreated\tmeasures\tplace\tperiod\tunit\tasker\tanswer"


@pytest.fixture(scope="module")
def pair(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InstanceProcess, ...]]:
    with fleet(cluster, tmp_path_factory, ["asked", "answering"]) as running:
        yield running["asked"], running["answering"]


@pytest.fixture(scope="module")
def bovine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BovineServer]:
    yield from serving(tmp_path_factory)


def _requests(instance: InstanceProcess, group: str) -> list[dict[str, str]]:
    """The group's requests by column, as ``request list`` prints them, the asker by its URL (``--json`` keeps it)."""
    assert instance.cli("request", "list", group).stdout.splitlines()[0] == HEADER
    rows = json.loads(instance.cli("request", "list", group, "--json").stdout)
    cells = [{key: "-" if value is None else str(value) for key, value in row.items()} for row in rows]
    return [{**row, "asker": row["asker_url"]} for row in cells]


def _notes_received(instance: InstanceProcess, name: str) -> list[dict[str, Any]]:
    """The Notes of the Creates an actor of ours received, newest first."""
    output = instance.cli("inbox", "--as", name, "--json", "--limit", "100").stdout
    activities = [row["activity"] for row in json.loads(output)]
    return [a["object"] for a in activities if a.get("type") == "Create" and isinstance(a.get("object"), dict)]


def _figure_note(instance: InstanceProcess, uri: str) -> dict[str, Any]:
    note: dict[str, Any] = json.loads(instance.cli("figure", "show", uri, "--json").stdout)
    return note


async def _request(instance: InstanceProcess, request_id: str) -> tuple[str, str]:
    """A request's URI, and the post that asked it."""
    connection = await connect(instance.env["CHIFFRES_DATABASE_URL"])
    try:
        row = await connection.fetchrow("SELECT uri, asker_note FROM requests WHERE id = $1", int(request_id))
    finally:
        await connection.close()
    assert row is not None
    return row["uri"], row["asker_note"]


async def _requests_sent(instance: InstanceProcess) -> int:
    """The request Notes the instance sent (Creates; the Updates restating them are not new requests)."""
    connection = await connect(instance.env["CHIFFRES_DATABASE_URL"])
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE document->>'type' = 'Create' AND document->'object' ? 'request'"
        )
    finally:
        await connection.close()
    return count


async def _ask(bovine: BovineServer, user: BovineUser, group: str) -> str:
    """A post as Mastodon sends it: public, the group in ``cc``, a Mention of it and a Hashtag in ``tag``."""
    handle = f"@loyers@{group.split('/')[2]}"
    content = (
        f'<p><span class="h-card"><a href="{group}" class="u-url mention">@<span>loyers</span></a></span>'
        f' {QUESTION} <a href="{bovine.base_url}/tags/cherche" class="mention hashtag" rel="tag">'
        "#<span>cherche</span></a></p>"
    )
    tags = [
        {"type": "Mention", "href": group, "name": handle},
        {"type": "Hashtag", "href": f"{bovine.base_url}/tags/cherche", "name": "#cherche"},
    ]
    audience = {"to": [PUBLIC], "cc": [user.followers, group]}
    note = {"type": "Note", "attributedTo": user.actor_id, "content": content, "tag": tags, **audience}
    create = {"@context": MASTODON_CONTEXT, "type": "Create", "actor": user.actor_id, "object": note, **audience}
    return await bovine.send(user, create)


def _mentions(item: dict[str, Any], actor_id: str) -> bool:
    """bovine compacts what it stores: a single tag arrives as an object, not a list of one."""
    tags = item.get("tag")
    listed = tags if isinstance(tags, list) else [tags]
    return any(isinstance(tag, dict) and tag.get("type") == "Mention" and tag.get("href") == actor_id for tag in listed)


async def test_a_bovine_follower_asks_a_member_elsewhere_answers_and_the_next_asker_is_answered_at_once(
    pair: tuple[InstanceProcess, ...], bovine: BovineServer
) -> None:
    a, b = pair
    group = f"{a.base}/actors/loyers"
    marc = f"{b.base}/actors/marc"
    a.cli("actor", "create", "loyers", "--group", "--visibility", "public")
    b.cli("actor", "create", "marc")
    a.cli("peer", "add", b.domain)
    b.cli("peer", "add", a.domain)
    b.cli("follow", "--as", "marc", f"loyers@{a.domain}")
    user = await bovine.create_user("amelie")
    await bovine.follow(user, group)
    # A public group accepts follows as they arrive.
    await bovine.wait_for_ids(lambda: bovine.following(user), group)
    await asyncio.to_thread(
        eventually, lambda: "accepted" in b.cli("follows", "list", "--as", "marc").stdout, what="marc's follow"
    )
    for side in (a, b):
        await asyncio.to_thread(
            eventually, lambda side=side: side.cli("peer", "list").stdout.count("accepted") == 2, what="peering"
        )

    await _ask(bovine, user, group)
    [request] = await asyncio.to_thread(eventually, lambda: _requests(a, "loyers"), what="the request on A")
    assert (request["status"], request["place"], request["asker"]) == ("open", "Lyon", user.actor_id)
    assert request["period"] == "2026-04/2026-06"
    shared = await asyncio.to_thread(
        eventually,
        lambda: [n for n in _notes_received(b, "marc") if isinstance(n.get("request"), dict)],
        what="the request Note in marc's inbox on B",
    )
    note = shared[0]
    assert note["attributedTo"] == group
    assert note["request"]["status"] == "open"

    # A request is no figure: a member of B answers it with a plain reply, which A reads.
    refused = b.cli("reply", "--as", "marc", note["id"], "oups", "--value", "1020", check=False)
    assert refused.returncode != 0
    assert "--value corrects a figure" in refused.stderr
    b.cli("reply", "--as", "marc", note["id"], ANSWER)
    answered = await asyncio.to_thread(
        eventually,
        lambda: [r for r in _requests(a, "loyers") if r["status"] == "answered"],
        what="the request answered on A",
    )
    figure_uri = answered[0]["answer"]
    figure = _figure_note(a, figure_uri)["figure"]
    assert figure["answers"] == note["id"] == (await _request(a, request["id"]))[0]
    assert figure["contributor"] == marc
    assert (figure["value"], figure["unit"]["code"], figure["source"]["url"]) == (
        "1020",
        "EUR/month",
        "https://source.example/t3",
    )

    def tells_the_asker(item: dict[str, Any]) -> bool:
        obj = item.get("object")
        return isinstance(obj, dict) and figure_uri in str(obj.get("content")) and _mentions(obj, user.actor_id)

    told = await bovine.wait_for_inbox(user, tells_the_asker)
    assert told["object"]["inReplyTo"] == note["id"]

    await _ask(bovine, user, group)
    again = await asyncio.to_thread(
        eventually,
        lambda: [r for r in _requests(a, "loyers") if r["id"] != request["id"]],
        what="the second request on A",
    )
    assert (again[0]["status"], again[0]["answer"]) == ("answered", figure_uri)
    _, second_post = await _request(a, again[0]["id"])
    at_once = await bovine.wait_for_inbox(
        user, lambda item: tells_the_asker(item) and item["object"].get("inReplyTo") == second_post
    )
    assert at_once["object"]["to"] in (user.actor_id, [user.actor_id]), "only the asker hears of it"
    assert await _requests_sent(a) == 1, "the second request must not go to the followers"

    # The ledger against the activities exchanged (issue 12, acceptance 4): marc answered once, with a figure and
    # a source new to the group; the figure went to the group's followers, amelie and marc, and marc's own figure
    # coming back to him is no consultation.
    await asyncio.to_thread(
        eventually, lambda: figure_activities(received(b, "marc"), group, {figure_uri}), what="the figure on B"
    )

    async def exchanged() -> dict[str, Counter[str]]:
        return {
            marc: Counter(answered=1, published=1, source=1),
            user.actor_id: Counter(delivered=figure_activities(await bovine.inbox_items(user), group, {figure_uri})),
        }

    ledger = await agree(a, "loyers", exchanged)
    assert ledger[user.actor_id] == {"delivered": 1}
