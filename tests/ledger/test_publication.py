"""A figure published into a group is the group's on the wire and its member's in the ledger.

The group sends every Create, Update and Delete of the figure and is the Note's ``attributedTo`` (strict receivers
refuse anything else); the member is credited in the figure object, as a Mention and in the text, and keeps the
figure and its publish claim. A figure first sent attributed to its member is created again by its next Update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from actors import follows, store
from actors.actor import Actor
from consensus.vocabulary import Consensus, Status
from fedi import keys
from fedi.instance import Instance
from ledger.publication import Publisher

JSON = dict[str, Any]
RENT = {
    "value": "812",
    "unit": "€/mois",
    "measures": "loyer médian d'un T2",
    "place": "Lyon",
    "period": "2026-Q2",
    "source": "https://observatoire.example/loyers",
}


class Ticking:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Parties:
    publisher: Publisher
    group: Actor
    ana: Actor
    group_id: str
    ana_id: str
    clock: Ticking


@pytest.fixture
async def parties(instance: Instance, key_pair: keys.KeyPair) -> Parties:
    pool, urls, clock = instance.pool, instance.urls, Ticking()
    group = await store.create(pool, "loyers", "group", visibility="members", key_factory=lambda: key_pair)
    ana = await store.create(pool, "ana", "person", key_factory=lambda: key_pair)
    asked = await follows.follow(pool, urls, ana, urls.actor("loyers"), urls.inbox("loyers"), clock)
    await follows.approve(pool, urls, [asked.id], clock, group)
    return Parties(Publisher(pool, urls, clock, "fr"), group, ana, urls.actor("loyers"), urls.actor("ana"), clock)


async def sent(instance: Instance, figure: str, after: int = 0) -> list[JSON]:
    """The activities the instance sent about ``figure``, oldest first, past the ``after`` first ones."""
    rows = await instance.pool.fetch(
        "SELECT document FROM outbox WHERE document->'object'->>'id' = $1 OR document->>'object' = $1 ORDER BY id",
        figure,
    )
    return [row["document"] for row in rows][after:]


def consensus(figure: str, moment: datetime) -> Consensus:
    return Consensus(figure, 845.0, 830.0, 860.0, Status.CORRECTED, 0.8, 5.0, 5, 3, moment, moment)


async def test_the_group_sends_every_activity_of_a_figure_and_is_its_attributed_to(
    instance: Instance, parties: Parties
) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    await parties.publisher.update(published.uri, {"value": "830"}, parties.ana)
    await parties.publisher.publish_consensus(published.uri, consensus(published.uri, parties.clock()))
    await parties.publisher.delete(published.uri, parties.ana)

    activities = await sent(instance, published.uri)
    assert [activity["type"] for activity in activities] == ["Create", "Update", "Update", "Delete"]
    assert {activity["actor"] for activity in activities} == {parties.group_id}
    for activity in activities[:3]:
        note = activity["object"]
        assert note["attributedTo"] == parties.group_id
        assert note["figure"]["contributor"] == parties.ana_id
        assert {"type": "Mention", "href": parties.ana_id, "name": f"@ana@{instance.urls.domain}"} in note["tag"]
        assert f'<a href="{parties.ana_id}" class="u-url mention">@<span>ana</span></a>' in note["content"]
        assert "Publié par" in note["content"]
    assert activities[1]["object"]["figure"]["value"] == "830"
    assert "consensus" in activities[2]["object"]
    assert activities[3]["object"] == {"id": published.uri, "type": "Tombstone"}
    served = await instance.pool.fetchval("SELECT document FROM local_objects WHERE uri = $1", published.uri)
    assert served["attributedTo"] == parties.group_id


async def test_the_figure_and_its_publish_claims_stay_the_members(instance: Instance, parties: Parties) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    revised = await parties.publisher.update(published.uri, {"value": "830"}, parties.ana)
    assert (revised.author, revised.group_uri) == (parties.ana_id, parties.group_id)
    claimants = await instance.pool.fetch(
        "SELECT actor FROM claims WHERE figure_uri = $1 AND kind = 'publish' ORDER BY id", published.uri
    )
    assert [row["actor"] for row in claimants] == [parties.ana_id, parties.ana_id]


async def test_a_figure_first_sent_attributed_to_its_member_is_created_again_by_its_next_update(
    instance: Instance, parties: Parties
) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    # What the instance stored for figures published before the group became their attributedTo.
    await instance.pool.execute(
        "UPDATE figures SET note = jsonb_set(note, '{attributedTo}', to_jsonb($2::text)) WHERE uri = $1",
        published.uri,
        parties.ana_id,
    )
    await parties.publisher.update(published.uri, {"value": "830"}, parties.ana)
    again = await sent(instance, published.uri, after=1)
    assert [activity["type"] for activity in again] == ["Create", "Update"]
    assert {activity["actor"] for activity in again} == {parties.group_id}
    assert {activity["object"]["attributedTo"] for activity in again} == {parties.group_id}
    assert again[0]["object"] == again[1]["object"]
    assert again[0]["object"]["figure"]["version"] == 2

    await parties.publisher.publish_consensus(published.uri, consensus(published.uri, parties.clock()))
    assert [activity["type"] for activity in await sent(instance, published.uri, after=3)] == ["Update"]


async def test_a_consensus_update_of_such_a_figure_creates_it_again_too(instance: Instance, parties: Parties) -> None:
    published = await parties.publisher.publish(parties.ana, parties.group, RENT, "fr")
    await instance.pool.execute(
        "UPDATE figures SET note = jsonb_set(note, '{attributedTo}', to_jsonb($2::text)) WHERE uri = $1",
        published.uri,
        parties.ana_id,
    )
    await parties.publisher.publish_consensus(published.uri, consensus(published.uri, parties.clock()))
    again = await sent(instance, published.uri, after=1)
    assert [activity["type"] for activity in again] == ["Create", "Update"]
    assert all("consensus" in activity["object"] for activity in again)


async def test_edits_within_one_second_still_read_newer_on_the_wire(instance: Instance, parties: Parties) -> None:
    """Receivers apply an Update only when its ``updated`` is newer, in the wire's whole seconds: a figure published,
    corrected and given its consensus within the same second must still reach them three times."""
    frozen = datetime(2026, 5, 1, 9, 0, 0, 250_000, tzinfo=UTC)
    publisher = Publisher(instance.pool, instance.urls, lambda: frozen, "fr")
    published = await publisher.publish(parties.ana, parties.group, RENT, "fr")
    await publisher.update(published.uri, {"value": "830"}, parties.ana)
    await publisher.publish_consensus(published.uri, consensus(published.uri, frozen))
    await publisher.publish_consensus(published.uri, consensus(published.uri, frozen))
    notes = [activity["object"] for activity in await sent(instance, published.uri)]
    stamps = [notes[0]["published"], *(note["updated"] for note in notes[1:])]
    assert stamps == ["2026-05-01T09:00:00Z", "2026-05-01T09:00:01Z", "2026-05-01T09:00:02Z", "2026-05-01T09:00:03Z"]
    # the next edit, made later in real time, follows the clock again
    later = frozen + timedelta(minutes=5)
    await Publisher(instance.pool, instance.urls, lambda: later, "fr").update(
        published.uri, {"value": "835"}, parties.ana
    )
    assert (await sent(instance, published.uri))[-1]["object"]["updated"] == "2026-05-01T09:05:00Z"
