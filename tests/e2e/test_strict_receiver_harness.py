"""The strict receiver itself: each check INTEROP.md lists for strict receivers refuses what it should, and lets
through what Mastodon and Takahē let through, so that its silence in the federation tests means something.

Senders are accounts of ``RemoteServer``s on loopback, signing as Mastodon signs.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.remote_server import (
    AS2,
    RemoteActor,
    RemoteServer,
    cavage_headers,
    digest_header,
    encode,
    now,
)
from tests.support.strict_receiver import NODEINFO_20, StrictReceiver
from tests.support.waiting import eventually

JSON = dict[str, Any]
PUBLIC = AS2 + "#Public"


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RemoteServer, RemoteServer]]:
    first, second = RemoteServer().start(), RemoteServer().start()
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def remote(servers: tuple[RemoteServer, RemoteServer]) -> RemoteServer:
    servers[0].reset()
    return servers[0]


@pytest.fixture
def receiver() -> Iterator[StrictReceiver]:
    started = StrictReceiver().start()
    yield started
    started.stop()


def send(receiver: StrictReceiver, sender: RemoteActor, activity: JSON, **forced: Any) -> httpx.Response:
    """POST ``activity`` to the receiver's shared inbox, signed by ``sender`` (``forced`` lies go to the signer)."""
    url = f"{receiver.base}/inbox"
    body = encode(activity)
    if forced:
        headers = cavage_headers("POST", url, key_id=sender.key_id, private_key=sender.private_key, body=body, **forced)
    else:
        headers = sender.sign(url, body)
    return httpx.post(url, content=body, headers=headers)


def note(author: RemoteActor, content: str = "<p>Bonjour</p>", **fields: Any) -> JSON:
    return {
        "id": f"{author.base}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": author.id,
        "content": content,
        "published": "2026-05-01T08:00:00Z",
        "to": [PUBLIC],
        "cc": [author.followers],
        **fields,
    }


def activity(kind: str, actor: RemoteActor, obj: object, **fields: Any) -> JSON:
    made: JSON = {"@context": AS2, "id": f"{actor.base}/activities/{uuid.uuid4()}", "type": kind, "actor": actor.id}
    return made | {"object": obj, "to": [PUBLIC], **fields}


def followed(receiver: StrictReceiver, actor: RemoteActor) -> None:
    """The receiver's user follows ``actor`` and ``actor`` accepts."""
    follow_id = receiver.follow(actor.id)
    send(receiver, actor, activity("Accept", actor, follow_id, to=[receiver.user_id]))
    eventually(lambda: receiver.following().get(actor.id) == "accepted", what="the Accept")


def outcome(receiver: StrictReceiver, activity_id: str) -> str:
    found = eventually(
        lambda: [event.outcome for event in receiver.events() if event.activity == activity_id], what=activity_id
    )
    return found[0]


def test_a_follow_goes_by_webfinger_signed_by_the_user_and_only_the_followed_actor_settles_it(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    gina, intruder = remote.actor("gina"), remote.actor("intruder")
    account = f"gina@{remote.host}"
    link = {"rel": "self", "type": "application/activity+json", "href": gina.id}
    remote.publish(
        "/.well-known/webfinger", {"subject": f"acct:{account}", "links": [link]}, content_type="application/jrd+json"
    )
    follow_id = receiver.follow(f"@{account}")
    assert receiver.following() == {gina.id: "pending"}
    [delivered] = remote.received("POST", "/users/gina/inbox")
    assert delivered.json() == {
        "@context": AS2,
        "id": follow_id,
        "type": "Follow",
        "actor": receiver.user_id,
        "object": gina.id,
    }
    assert f'keyId="{receiver.user_id}#main-key"' in delivered.headers["signature"]

    forged = activity("Accept", intruder, follow_id)
    assert send(receiver, intruder, forged).status_code == 202
    assert outcome(receiver, forged["id"]).startswith(f"refused: {intruder.id} answers the follow of {gina.id}")
    accept = activity("Accept", gina, {"type": "Follow", "actor": receiver.user_id, "object": gina.id})
    send(receiver, gina, accept)
    assert outcome(receiver, accept["id"]) == "accepted"
    assert receiver.following() == {gina.id: "accepted"}


def test_a_post_is_shown_as_mastodon_sanitises_it(receiver: StrictReceiver, remote: RemoteServer) -> None:
    gina = remote.actor("gina")
    followed(receiver, gina)
    markup = (
        "<h1>Titre</h1><p class='evil mention'>Voir <a href='javascript:alert(1)'>ceci</a>, "
        "<a href='/relative'>cela</a> et <a href='https://example.org/' rel='me' onclick='x()'>là</a>"
        "<script>alert(1)</script></p><table><tr><td>1</td><td>2</td></tr></table><img src='x.png'>"
    )
    create = activity("Create", gina, note(gina, markup))
    assert send(receiver, gina, create).status_code == 202
    assert outcome(receiver, create["id"]) == "shown"
    [post] = receiver.timeline().values()
    assert post.html == (
        '<p><strong>Titre</strong></p><p class="mention">Voir ceci, cela et '
        '<a href="https://example.org/" rel="nofollow noopener" target="_blank">là</a></p>12'
    )
    assert (post.author, post.visibility, post.edits, post.deleted) == (gina.id, "public", [], False)


def test_an_activity_by_another_actor_than_its_objects_attributed_to_is_refused(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    group, member = remote.actor("cercle"), remote.actor("ana")
    followed(receiver, group)
    by_member = note(member)
    create = activity("Create", group, by_member)
    send(receiver, group, create)
    assert outcome(receiver, create["id"]) == (
        f"refused: Create by {group.id} of {by_member['id']} attributed to {member.id}"
    )
    assert receiver.timeline() == {}

    own = note(group)
    send(receiver, group, activity("Create", group, own))
    eventually(lambda: own["id"] in receiver.timeline(), what="the group's own post")
    update = activity("Update", group, own | {"attributedTo": member.id, "updated": "2026-05-02T08:00:00Z"})
    send(receiver, group, update)
    assert outcome(receiver, update["id"]).startswith(f"refused: Update by {group.id}")
    delete = activity("Delete", group, {"id": own["id"], "type": "Note", "attributedTo": member.id})
    send(receiver, group, delete)
    assert outcome(receiver, delete["id"]).startswith(f"refused: Delete by {group.id}")
    assert not receiver.timeline()[own["id"]].deleted
    assert len(receiver.refusals()) == 3


def test_edits_need_a_newer_updated_and_only_the_author_deletes(receiver: StrictReceiver, remote: RemoteServer) -> None:
    gina, other = remote.actor("gina"), remote.actor("other")
    followed(receiver, gina)
    posted = note(gina, "<p>812 €</p>")
    send(receiver, gina, activity("Create", gina, posted))
    eventually(lambda: posted["id"] in receiver.timeline(), what="the post")
    stale = activity("Update", gina, posted | {"content": "<p>1 €</p>", "updated": "2026-04-01T08:00:00Z"})
    send(receiver, gina, stale)
    assert outcome(receiver, stale["id"]) == "ignored: not newer"
    edit = activity("Update", gina, posted | {"content": "<p>845 €</p>", "updated": "2026-05-02T08:00:00Z"})
    send(receiver, gina, edit)
    assert outcome(receiver, edit["id"]) == "edited"
    assert (receiver.timeline()[posted["id"]].html, receiver.timeline()[posted["id"]].edits) == (
        "<p>845 €</p>",
        ["<p>812 €</p>"],
    )

    theft = activity("Delete", other, posted["id"])
    send(receiver, other, theft)
    assert outcome(receiver, theft["id"]) == f"refused: {other.id} deletes {posted['id']}, which {gina.id} posted"
    delete = activity("Delete", gina, {"id": posted["id"], "type": "Tombstone"})
    send(receiver, gina, delete)
    assert outcome(receiver, delete["id"]) == "deleted"
    assert receiver.timeline()[posted["id"]].deleted
    again = activity("Create", gina, posted)
    send(receiver, gina, again)
    assert outcome(receiver, again["id"]) == f"refused: {posted['id']} was deleted: its id is dead"


def test_followers_only_posts_need_the_followers_collection_in_to(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    gina = remote.actor("gina")
    followed(receiver, gina)
    in_cc = note(gina, to=[], cc=[gina.followers])
    wrong = activity("Create", gina, in_cc, to=[], cc=[gina.followers])
    send(receiver, gina, wrong)
    assert outcome(receiver, wrong["id"]) == (
        f"refused: {in_cc['id']} puts the followers collection in cc: Mastodon reads only to"
    )
    in_to = note(gina, to=[gina.followers], cc=[])
    right = activity("Create", gina, in_to, to=[gina.followers])
    send(receiver, gina, right)
    assert outcome(receiver, right["id"]) == "shown"
    assert receiver.timeline()[in_to["id"]].visibility == "followers"


def test_a_post_from_no_one_followed_must_be_addressed_to_someone_here(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    stranger = remote.actor("stranger")
    unasked = activity("Create", stranger, note(stranger))
    send(receiver, stranger, unasked)
    assert outcome(receiver, unasked["id"]).endswith("comes from no one followed here and is addressed to no one here")
    direct = note(stranger, to=[receiver.user_id], cc=[])
    message = activity("Create", stranger, direct, to=[receiver.user_id])
    send(receiver, stranger, message)
    assert outcome(receiver, message["id"]) == "shown"
    assert receiver.timeline()[direct["id"]].visibility == "direct"


def test_inbox_posts_must_be_signed_by_their_actor_over_the_body_they_carry(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    gina, other = remote.actor("gina"), remote.actor("other")
    create = activity("Create", gina, note(gina))
    url, body = f"{receiver.base}/inbox", encode(create)
    unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/activity+json"})
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "unsigned request")
    assert send(receiver, gina, create, digest="SHA-256=AAAA").status_code == 401
    lower_case = digest_header(body, "sha-256")  # what bovine writes, which Takahē's comparison refuses
    assert send(receiver, gina, create, digest=lower_case).status_code == 401
    assert send(receiver, gina, create, moment=now().replace(year=2020)).status_code == 401
    assert send(receiver, other, create).json()["error"] == f"signed by {other.id}, not by the actor {gina.id}"
    assert send(receiver, gina, create, content_type="application/json").status_code == 415
    assert send(receiver, gina, create, covered=("(request-target)", "host", "date")).status_code == 401
    assert [event.outcome.split(":")[0] for event in receiver.refusals()] == ["refused"] * 7
    assert receiver.timeline() == {}


def test_nodeinfo_is_found_by_the_2_0_schema_only(
    receiver: StrictReceiver, servers: tuple[RemoteServer, RemoteServer]
) -> None:
    newer, older = servers
    newer.reset()
    older.reset()
    schema_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
    newer.publish("/.well-known/nodeinfo", {"links": [{"rel": schema_21, "href": f"{newer.base}/nodeinfo/2.1"}]})
    newer.publish("/nodeinfo/2.1", {"version": "2.1", "software": {"name": "modern"}})
    older.publish("/.well-known/nodeinfo", {"links": [{"rel": NODEINFO_20, "href": f"{older.base}/ni"}]})
    older.publish("/ni", {"version": "2.0", "software": {"name": "classic"}})
    for server in servers:
        sender = server.actor("gina")
        send(receiver, sender, activity("Like", sender, f"{server.base}/notes/1"))
    found = eventually(lambda: len(receiver.software()) == 2 and receiver.software(), what="both discoveries")
    assert found == {newer.host: "unknown", older.host: "classic"}


def test_objects_named_by_id_are_fetched_signed_as_the_instance_actor(
    receiver: StrictReceiver, remote: RemoteServer
) -> None:
    gina = remote.actor("gina")
    followed(receiver, gina)
    shared = note(gina, to=[gina.followers], cc=[])
    remote.publish(shared["id"].removeprefix(remote.base), shared)
    boost = activity("Announce", gina, shared["id"])
    send(receiver, gina, boost)
    assert outcome(receiver, boost["id"]) == "boost shown"
    path = shared["id"].removeprefix(remote.base)
    [fetch] = remote.received("GET", path)
    instance_actor = httpx.get(receiver.instance_actor_id).json()
    assert instance_actor["type"] == "Application"
    params = dict(part.split("=", 1) for part in fetch.headers["signature"].split(","))
    assert params["keyId"] == f'"{instance_actor["publicKey"]["id"]}"'
    signed = (
        f"(request-target): get {path}\nhost: {fetch.headers['host']}\ndate: {fetch.headers['date']}\n"
        f"accept: {fetch.headers['accept']}"
    )
    key = serialization.load_pem_public_key(instance_actor["publicKey"]["publicKeyPem"].encode())
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(base64.b64decode(params["signature"].strip('"')), signed.encode(), padding.PKCS1v15(), hashes.SHA256())

    assert receiver.fetch(f"{remote.base}/missing").status == 404
    remote.publish("/elsewhere", shared)
    assert receiver.fetch(f"{remote.base}/elsewhere").status == 422, "a document whose id is not its URL is refused"
