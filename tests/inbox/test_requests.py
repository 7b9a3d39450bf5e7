"""Requests from Mastodon: a follower's post that mentions the group with ``#cherche`` asks for a figure; another
follower's reply to the group's request, with a value and a source, answers it and becomes a figure credited to
them. Posts are delivered signed by a remote server on loopback, as Mastodon sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actors import follows, store
from consensus.vocabulary import Consensus, Status
from fedi.normalise import PUBLIC
from figures.figure import build_figure
from figures.note import Contributor, note_object
from ledger import pinned
from ledger.publication import Publisher
from ledger.requests import REQUESTS_PER_DAY
from tests.inbox.conftest import JSON, World
from tests.support.remote_server import AS2, RemoteActor, RemoteServer

ASKED = "loyer médian d'un T2 à Lyon, 2026-Q2"
ELSEWHERE = "https://elsewhere.example/users/eve"


async def member(world: World, sender: RemoteActor) -> None:
    """``sender`` follows the group and the group approves them."""
    follow: JSON = {"@context": AS2, "id": f"{sender.id}/follows/1", "type": "Follow", "actor": sender.id}
    follow["object"] = world.group
    assert (await world.deliver(sender, follow, "/actors/loyers/inbox")).status_code == 202
    await world.process()
    group = await store.get(world.pool, "loyers")
    pending = await follows.pending_ids(world.pool, world.urls, group)
    if pending:
        await follows.approve(world.pool, world.urls, pending, world.fed.instance.clock, group)
    state = await world.pool.fetchval("SELECT state FROM follows WHERE follower = $1", sender.id)
    assert state == "accepted"


async def post(
    world: World,
    sender: RemoteActor,
    number: int,
    text: str,
    *,
    tags: tuple[str, ...] = (),
    reply_to: str | None = None,
) -> list[str]:
    """A post mentioning the group, as Mastodon sends it; the inbox's outcome."""
    mention = f'<span class="h-card"><a href="{world.group}" class="u-url mention">@<span>loyers</span></a></span>'
    hashtags = " ".join(
        f'<a href="https://m.example/tags/{tag}" class="mention hashtag">#<span>{tag}</span></a>' for tag in tags
    )
    note: JSON = {
        "id": f"{sender.id}/statuses/{number}",
        "type": "Note",
        "attributedTo": sender.id,
        "content": f"<p>{mention} {hashtags} {text}</p>",
        "contentMap": {"fr": f"<p>{mention} {hashtags} {text}</p>"},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [world.group, sender.followers],
        "tag": [
            {"type": "Mention", "href": world.group, "name": "@loyers@chiffres.test"},
            *({"type": "Hashtag", "href": f"https://m.example/tags/{tag}", "name": f"#{tag}"} for tag in tags),
        ],
    }
    if reply_to is not None:
        note["inReplyTo"] = reply_to
    create = {"@context": AS2, "id": f"{note['id']}/activity", "type": "Create", "actor": sender.id, "object": note}
    create |= {"to": note["to"], "cc": note["cc"]}  # as Mastodon addresses the Create
    assert (await world.deliver(sender, create, "/actors/loyers/inbox")).status_code == 202
    return await world.process()


async def row(world: World, query: str) -> Any:
    found = await world.pool.fetchrow(query)
    assert found is not None
    return found


async def notes(world: World) -> list[dict[str, Any]]:
    rows = await world.pool.fetch(
        "SELECT document->'object' AS note FROM outbox WHERE document->'object'->>'type' = 'Note' ORDER BY id"
    )
    return [row["note"] for row in rows]


async def test_a_follower_asks_and_another_answers_by_replying(world: World, remote: RemoteServer) -> None:
    alice, bob = remote.actor("alice"), remote.actor("bob")
    await member(world, alice)
    await member(world, bob)

    [outcome] = await post(world, alice, 1, ASKED, tags=("cherche",))
    assert outcome.endswith("sent to the followers of loyers"), outcome
    request = await row(world, "SELECT * FROM requests")
    assert (request["asker"], request["asker_note"]) == (alice.id, f"{alice.id}/statuses/1")
    assert (request["measures"], request["place"], request["period"]) == (
        "loyer médian d'un T2",
        "Lyon",
        "2026-04/2026-06",
    )
    [asking] = [note for note in await notes(world) if note["id"] == request["uri"]]
    assert (asking["attributedTo"], asking["inReplyTo"]) == (world.group, f"{alice.id}/statuses/1")
    [mention] = asking["tag"]
    assert mention["href"] == alice.id
    assert mention["name"].startswith("@alice@")
    assert alice.id in asking["cc"]

    [outcome] = await post(world, bob, 2, "Pas de source", reply_to=request["uri"])
    assert "no answer" in outcome, outcome
    [outcome] = await post(world, bob, 3, "812 €/mois https://observatoire.example/loyers", reply_to=request["uri"])
    assert "answered by" in outcome, outcome
    figure = await row(world, "SELECT uri, author, group_uri, note FROM figures")
    assert (figure["author"], figure["group_uri"]) == (bob.id, world.group)
    assert figure["note"]["figure"]["answers"] == request["uri"]
    assert figure["note"]["figure"]["contributor"] == bob.id
    assert figure["note"]["figure"]["value"] == "812"
    answered = await row(world, "SELECT status, answer_uri FROM requests")
    assert tuple(answered) == ("answered", figure["uri"])
    told = [note for note in await notes(world) if note.get("inReplyTo") == request["uri"]]
    assert len(told) == 1
    assert told[0]["tag"][0]["href"] == alice.id

    # A figure credited to a follower from elsewhere takes its consensus like any other.
    instance = world.fed.instance
    publisher = Publisher(instance.pool, instance.urls, instance.clock, "fr")
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    verdict = Consensus(figure["uri"], 815.0, 800.0, 830.0, Status.CONFIRMED, 0.9, 3.0, 3, 2, moment, moment)
    await publisher.publish_consensus(figure["uri"], verdict)
    update = [note for note in await notes(world) if note["id"] == figure["uri"]][-1]
    assert "consensus" in update
    assert update["figure"]["contributor"] == bob.id
    assert update["figure"]["answers"] == request["uri"]
    assert update["tag"][0]["name"].startswith("@bob@")


async def test_posts_that_ask_for_nothing_we_can_answer_are_only_stored(world: World, remote: RemoteServer) -> None:
    alice, zoe = remote.actor("alice"), remote.actor("zoe")
    await member(world, alice)
    assert await post(world, alice, 1, "loyer médian à Lyon") == ["stored"]
    [outcome] = await post(world, alice, 2, "loyer médian, bientôt", tags=("cherche",))
    assert "no request" in outcome, outcome
    [outcome] = await post(world, zoe, 3, ASKED, tags=("wanted",))
    assert "no request" in outcome, outcome
    assert "only members ask" in outcome
    assert await world.pool.fetchval("SELECT count(*) FROM requests") == 0


def _answering_figure(
    world: World, sender: RemoteActor, number: int, request_uri: str, value: str, unit: str, credits: str
) -> JSON:
    """A reply carrying our ``figure`` object, as a peer instance of ours sends it: its group publishes the figure
    and credits the member who found it."""
    figure = build_figure(
        {
            "value": value,
            "unit": unit,
            "measures": "loyer médian T2",
            "place": "Lyon",
            "period": "2026-Q2",
            "source": "https://observatoire.example/loyers",
        }
    )
    note = note_object(
        figure,
        note_id=f"{sender.id}/figures/{number}",
        author=sender.id,
        url=f"{sender.id}/figures/{number}",
        to=[PUBLIC],
        cc=[world.group],
        published=datetime(2026, 6, 1, tzinfo=UTC),
        updated=None,
        default_language="fr",
        status_line=None,
        tag_url=lambda tag: f"https://m.example/tags/{tag}",
        contributor=Contributor(credits, credits.rsplit("/", 1)[-1], credits.split("/")[2]),
    )
    note["inReplyTo"] = request_uri
    return {"@context": AS2, "id": f"{note['id']}/activity", "type": "Create", "actor": sender.id, "object": note}


async def test_a_peer_answers_with_a_figure_credited_to_its_member(world: World, remote: RemoteServer) -> None:
    alice, bob, peer_group = remote.actor("alice"), remote.actor("bob"), remote.actor("entraide")
    await member(world, alice)
    await member(world, bob)
    [outcome] = await post(world, alice, 1, f"{ASKED}, unité : €/mois", tags=("cherche",))
    request = await row(world, "SELECT uri, unit FROM requests")
    assert request["unit"] == "EUR/month"

    # Another measure altogether: not an answer, and the request stays open.
    degrees = _answering_figure(world, peer_group, 1, request["uri"], "21", "°C", credits=bob.id)
    assert (await world.deliver(peer_group, degrees, "/actors/loyers/inbox")).status_code == 202
    [outcome] = await world.process()
    assert "no answer: the figure is in" in outcome, outcome
    assert await world.pool.fetchval("SELECT status FROM requests") == "open"

    # A yearly rent answers a monthly question once converted; the peer's group speaks for bob, of its own host.
    yearly = _answering_figure(world, peer_group, 2, request["uri"], "9744", "€/an", credits=bob.id)
    assert (await world.deliver(peer_group, yearly, "/actors/loyers/inbox")).status_code == 202
    [outcome] = await world.process()
    assert "answered by" in outcome, outcome
    figure = await row(world, "SELECT author, group_uri, value, note FROM figures WHERE group_uri IS NOT NULL")
    assert (figure["author"], figure["group_uri"]) == (bob.id, world.group)
    assert figure["value"] == 812
    assert figure["note"]["figure"]["answers"] == request["uri"]
    assert figure["note"]["figure"]["unit"]["code"] == "EUR/month"


async def test_a_figure_may_credit_only_a_member_of_its_senders_host(world: World, remote: RemoteServer) -> None:
    """A peer that credits someone elsewhere answers in its own name, and it follows nothing here: refused."""
    alice = remote.actor("alice")
    await member(world, alice)
    [_] = await post(world, alice, 1, ASKED, tags=("cherche",))
    request = await row(world, "SELECT uri FROM requests")
    lying = remote.actor("liar")
    forged = _answering_figure(world, lying, 1, request["uri"], "812", "€/mois", credits=ELSEWHERE)
    assert (await world.deliver(lying, forged, "/actors/loyers/inbox")).status_code == 202
    [outcome] = await world.process()
    assert "no answer" in outcome, outcome
    assert "liar" in outcome, outcome
    assert await world.pool.fetchval("SELECT status FROM requests") == "open"


async def test_a_reply_to_the_pinned_ask_here_post_asks_without_a_hashtag(world: World, remote: RemoteServer) -> None:
    alice, zoe = remote.actor("alice"), remote.actor("zoe")
    await member(world, alice)
    instance = world.fed.instance
    group = await store.get(world.pool, "loyers")
    uri, made = await pinned.pin_ask_here(instance.pool, instance.urls, instance.clock, group)
    assert made
    assert await pinned.pin_ask_here(instance.pool, instance.urls, instance.clock, group) == (uri, False)
    adds = await world.pool.fetch("SELECT document FROM outbox WHERE document->>'type' = 'Add'")
    assert [add["document"]["target"] for add in adds] == [world.urls.featured("loyers")]
    assert adds[0]["document"]["object"] == uri

    # Mastodon reads the pinned posts from the group's featured collection, each in full.
    response = await world.client.get("/actors/loyers/featured", headers={"Accept": "application/activity+json"})
    featured = response.json()
    assert (featured["type"], featured["totalItems"]) == ("OrderedCollection", 1)
    [post_pinned] = featured["orderedItems"]
    assert (post_pinned["id"], post_pinned["attributedTo"]) == (uri, world.group)
    assert "Vous cherchez un chiffre" in post_pinned["contentMap"]["fr"]
    assert "Looking for a figure" in post_pinned["contentMap"]["en"]

    [outcome] = await post(world, zoe, 1, ASKED, reply_to=uri)
    assert "only members ask" in outcome, outcome
    [outcome] = await post(world, alice, 2, "Merci, c'est pratique !", reply_to=uri)
    assert outcome.startswith("stored; no request"), outcome
    [outcome] = await post(world, alice, 3, ASKED, reply_to=uri)
    assert outcome.endswith("sent to the followers of loyers"), outcome
    request = await row(world, "SELECT asker, asker_note, place FROM requests")
    assert tuple(request) == (alice.id, f"{alice.id}/statuses/3", "Lyon")


async def test_a_follower_cannot_flood_the_group_with_requests(world: World, remote: RemoteServer) -> None:
    """Each request goes to every follower: past ``REQUESTS_PER_DAY`` in a day, an asker's posts are stored and
    ask nothing; someone else still asks."""
    alice, bob = remote.actor("alice"), remote.actor("bob")
    await member(world, alice)
    await member(world, bob)
    outcomes = []
    for number in range(REQUESTS_PER_DAY + 2):
        [outcome] = await post(
            world, alice, number, f"loyer médian d'un T2 à Ville{number}, 2026-Q2", tags=("cherche",)
        )
        outcomes.append(outcome)
    sent = [outcome for outcome in outcomes if outcome.endswith("sent to the followers of loyers")]
    refused = [outcome for outcome in outcomes if "the most a day allows" in outcome]
    assert (len(sent), len(refused)) == (REQUESTS_PER_DAY, 2), outcomes
    asked = await world.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE document->>'type' = 'Create' AND document->'object' ? 'request'"
    )
    assert asked == REQUESTS_PER_DAY
    [outcome] = await post(world, bob, 100, ASKED, tags=("cherche",))
    assert outcome.endswith("sent to the followers of loyers"), outcome
