"""Requests for figures: asked by a member, shared by the group, answered by another member as a figure of the group
linked to the request, the asker told by a reply that mentions them; a figure already held answers at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

import schemas
from actors import store
from actors.actor import Actor
from fedi import keys
from fedi.instance import Instance
from figures.html import violations
from figures.note import Contributor
from ledger.publication import NotAMember, Publisher
from ledger.requests import RequestError, Requests, wanted
from tests.ledger.members import group_with_members
from tests.ledger.test_publication import RENT, Ticking
from tests.test_jsonld_documents import faults

JSON = dict[str, Any]
ANSWER = {"value": "812", "unit": "€/mois", "source": "https://observatoire.example/loyers"}


@dataclass
class Parties:
    requests: Requests
    publisher: Publisher
    group: Actor
    ana: Actor
    bob: Actor
    asker: Contributor
    group_id: str
    clock: Ticking


@pytest.fixture
async def parties(instance: Instance, key_pair: keys.KeyPair) -> Parties:
    pool, urls, clock = instance.pool, instance.urls, Ticking()
    group, members = await group_with_members(instance, key_pair, clock, ("ana", "bob"))
    publisher = Publisher(pool, urls, clock, "fr")
    asker = Contributor(urls.actor("ana"), "ana", urls.domain)
    ana, bob = members
    return Parties(
        Requests(pool, urls, clock, "fr", publisher), publisher, group, ana, bob, asker, urls.actor("loyers"), clock
    )


async def outbox(instance: Instance) -> list[JSON]:
    """The Notes' activities the instance sent, oldest first (the members' follows are left out)."""
    rows = await instance.pool.fetch(
        "SELECT document FROM outbox WHERE document->'object'->>'type' = 'Note' ORDER BY id"
    )
    return [row["document"] for row in rows]


def valid_request(note: JSON) -> None:
    schema = schemas.load_json("request.schema.json")
    jsonschema.validators.validator_for(schema)(schema).validate(note["request"])


async def test_a_request_is_sent_by_the_group_to_its_followers_and_mentions_the_asker(
    instance: Instance, parties: Parties
) -> None:
    what = wanted("loyer médian d'un T2", "Lyon", "2026-Q2", "€/mois")
    request, answered = await parties.requests.ask(parties.asker, parties.group, what)
    assert answered is None
    assert (request.status, request.period, request.unit) == ("open", "2026-04/2026-06", "EUR/month")
    [create] = await outbox(instance)
    note = create["object"]
    assert (create["type"], create["actor"], note["attributedTo"]) == ("Create", parties.group_id, parties.group_id)
    assert note["id"] == request.uri
    assert note["to"] == [instance.urls.followers("loyers")]
    assert parties.asker.id in note["cc"]
    assert note["tag"] == [{"type": "Mention", "href": parties.asker.id, "name": f"@ana@{instance.urls.domain}"}]
    assert "cherche un chiffre" in note["content"]
    assert "2e trimestre 2026" in note["content"]
    assert "is looking for a figure" in note["contentMap"]["en"]
    assert violations(note["content"]) == []
    assert note["request"]["status"] == "open"
    assert note["request"]["unit"]["code"] == "EUR/month"
    valid_request(note)
    assert faults(note) == [], "a JSON-LD reader sees every term"


async def test_an_answer_becomes_a_figure_credited_to_who_answered_and_tells_the_asker(
    instance: Instance, parties: Parties
) -> None:
    request, _ = await parties.requests.ask(
        parties.asker, parties.group, wanted("loyer médian d'un T2", "Lyon", "2026-Q2")
    )
    answered, figure = await parties.requests.answer(str(request.id), parties.bob, ANSWER, "fr")
    assert (answered.status, answered.answer_uri) == ("answered", figure.uri)
    assert figure.author == instance.urls.actor("bob")
    assert (figure.figure.measures, figure.figure.place.name, figure.figure.period.text) == (
        "loyer médian d'un T2",
        "Lyon",
        "2026-04/2026-06",
    )
    assert figure.note["figure"]["answers"] == request.uri
    kinds = [(document["type"], document["object"]["id"]) for document in await outbox(instance)]
    assert kinds[0] == ("Create", request.uri)
    assert ("Create", figure.uri) in kinds
    assert ("Update", request.uri) in kinds
    documents = await outbox(instance)
    reply = next(d["object"] for d in documents if d["object"].get("inReplyTo") == request.uri)
    assert reply["attributedTo"] == parties.group_id
    assert parties.asker.id in reply["cc"]
    assert {"type": "Mention", "href": parties.asker.id, "name": f"@ana@{instance.urls.domain}"} in reply["tag"]
    assert "812" in reply["content"]
    assert figure.uri in reply["content"]
    update = next(d["object"] for d in documents if d["type"] == "Update" and d["object"]["id"] == request.uri)
    assert (update["request"]["status"], update["request"]["answeredBy"]) == ("answered", figure.uri)
    valid_request(update)
    assert faults(update) == []
    assert faults(reply) == []
    assert faults(figure.note) == []
    with pytest.raises(RequestError, match="answered, not open"):
        await parties.requests.answer(request.uri, parties.bob, ANSWER, "fr")
    # The link survives the figure's next version.
    revised = await parties.publisher.update(figure.uri, {"value": "815"}, parties.bob)
    assert revised.note["figure"]["answers"] == request.uri


async def test_a_figure_already_held_answers_at_once_and_nothing_goes_to_the_followers(
    instance: Instance, parties: Parties
) -> None:
    held = await parties.publisher.publish(parties.bob, parties.group, RENT, "fr")
    before = len(await outbox(instance))
    what = wanted("Loyer  médian d'un T2", "lyon", "2026-04/2026-06")
    request, answered = await parties.requests.ask(parties.asker, parties.group, what)
    assert answered is not None
    assert answered.uri == held.uri
    assert (request.status, request.answer_uri) == ("answered", held.uri)
    [reply] = [document["object"] for document in (await outbox(instance))[before:]]
    assert (reply["to"], reply["cc"]) == ([parties.asker.id], [])
    assert held.uri in reply["content"]
    # Another period is another figure: it is asked for.
    _, none = await parties.requests.ask(parties.asker, parties.group, wanted("loyer médian d'un T2", "Lyon", "2026"))
    assert none is None


async def test_requests_are_closed_and_listed_open_stale_answered_or_closed(
    instance: Instance, parties: Parties
) -> None:
    ask = parties.requests.ask
    old, _ = await ask(parties.asker, parties.group, wanted("prix du pain", "Lyon", "2026"))
    parties.clock.now += timedelta(days=31)
    fresh, _ = await ask(parties.asker, parties.group, wanted("prix du lait", "Lyon", "2026"))
    closing, _ = await ask(parties.asker, parties.group, wanted("prix du beurre", "Lyon", "2026"))
    closed = await parties.requests.close(closing.uri)
    assert closed.status == "closed"
    assert closed.closed_at is not None
    with pytest.raises(RequestError, match="closed, not open"):
        await parties.requests.close(str(closing.id))
    listing = parties.requests.listing
    group = parties.group_id
    assert [r.id for r in await listing(group)] == [closing.id, fresh.id, old.id]
    assert [r.id for r in await listing(group, "open")] == [fresh.id]
    assert [r.id for r in await listing(group, "stale")] == [old.id]
    assert [r.id for r in await listing(group, "closed")] == [closing.id]
    assert await listing(group, "answered") == []
    assert old.state(parties.clock()) == "stale"
    update = (await outbox(instance))[-1]["object"]
    assert (update["id"], update["request"]["status"]) == (closing.uri, "closed")
    with pytest.raises(RequestError, match="not a request status"):
        await listing(group, "pending")


async def test_only_members_ask_and_answer_and_bad_input_is_refused(instance: Instance, parties: Parties) -> None:
    stranger = await store.create(instance.pool, "zoe", "person")
    outsider = Contributor(instance.urls.actor("zoe"), "zoe", instance.urls.domain)
    with pytest.raises(RequestError, match="only members ask"):
        await parties.requests.ask(outsider, parties.group, wanted("prix du pain", "Lyon", "2026"))
    request, _ = await parties.requests.ask(parties.asker, parties.group, wanted("prix du pain", "Lyon", "2026"))
    with pytest.raises(NotAMember):
        await parties.requests.answer(request.uri, stranger, ANSWER, "fr")
    assert (await parties.requests.get(request.uri)).status == "open"
    with pytest.raises(RequestError, match="period") as refused:
        wanted(" ", "Lyon", "juin", "€/mois")
    assert "measures: required" in str(refused.value)
    with pytest.raises(RequestError, match="no request 999"):
        await parties.requests.get("999")
    with pytest.raises(RequestError, match="not a group"):
        await parties.requests.ask(parties.asker, parties.ana, wanted("prix du pain", "Lyon", "2026"))


async def test_a_post_delivered_twice_asks_once(instance: Instance, parties: Parties) -> None:
    what = wanted("prix du pain", "Lyon", "2026")
    post = "https://mastodon.example/users/ana/statuses/1"
    first, _ = await parties.requests.ask(parties.asker, parties.group, what, asker_note=post)
    again, _ = await parties.requests.ask(parties.asker, parties.group, what, asker_note=post)
    assert first == again
    [create] = await outbox(instance)
    assert create["object"]["inReplyTo"] == post
