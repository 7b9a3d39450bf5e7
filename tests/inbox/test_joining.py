"""Joining a group per its policy, through the inbox: open groups accept, charter groups wait for the phrase,
admin groups wait for a moderator.

Follows and replies are delivered signed by a remote server on loopback, as Mastodon sends them; what the group
answers is read from the outbox and, once flushed, from what the remote server received.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from actors import membership, store
from actors.actor import Actor
from fedi.normalise import Node, normalise_object
from ledger import charter, joining, reciprocity
from ledger.joining import AskAgain, _invitation, contains_phrase, on_note
from ledger.reciprocity import CHARTER_AGAIN
from tests.inbox.conftest import JSON, World
from tests.support.remote_server import AS2, RemoteActor, RemoteServer


async def _group(world: World, policy: membership.Policy | None) -> Actor:
    group = await store.get(world.pool, "loyers")
    await membership.set_policy(world.pool, group, policy)
    return group


async def _follow(world: World, sender: RemoteActor, number: int = 1) -> JSON:
    follow: JSON = {"@context": AS2, "id": f"{sender.id}/follows/{number}", "type": "Follow", "actor": sender.id}
    follow["object"] = world.group
    response = await world.deliver(sender, follow, "/actors/loyers/inbox")
    assert response.status_code == 202, response.text
    return follow


async def _reply(world: World, sender: RemoteActor, text: str, *, in_reply_to: str | None, number: int = 1) -> None:
    """A direct reply as Mastodon sends one: to the group alone, mentioning it."""
    note: JSON = {
        "id": f"{sender.id}/statuses/{number}",
        "type": "Note",
        "attributedTo": sender.id,
        "content": f'<p><span class="h-card"><a href="{world.group}" class="u-url mention">@<span>loyers</span></a>'
        f"</span> {text}</p>",
        "to": [world.group],
        "tag": [{"type": "Mention", "href": world.group, "name": "@loyers@chiffres.test"}],
    }
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    create: JSON = {"@context": AS2, "id": f"{note['id']}/activity", "type": "Create", "actor": sender.id}
    create |= {"object": note, "to": [world.group]}
    response = await world.deliver(sender, create, "/actors/loyers/inbox")
    assert response.status_code == 202, response.text


async def _sent(world: World, kind: str) -> list[dict[str, Any]]:
    rows = await world.pool.fetch("SELECT document FROM outbox WHERE document->>'type' = $1 ORDER BY id", kind)
    return [row["document"] for row in rows]


async def _state(world: World, follower: str) -> tuple[str, bool, str | None]:
    row = await world.pool.fetchrow(
        "SELECT state, answered_at IS NOT NULL AS answered, charter_version FROM follows WHERE follower = $1",
        follower,
    )
    assert row is not None
    return row["state"], row["answered"], row["charter_version"]


def test_the_phrase_is_found_whatever_its_case_and_apostrophe() -> None:
    phrases = charter.ACCEPT_PHRASES.values()
    for said in ("J'ACCEPTE", "j’accepte la charte", "Bon, je dis : J‘Accepte !", "i  accept", "I ACCEPT."):
        assert contains_phrase(said, phrases), said
    for said in ("J ACCEPTE", "je n'accepte pas", "I do not accept", ""):
        assert not contains_phrase(said, phrases), said


async def test_an_open_group_accepts_at_once(world: World, remote: RemoteServer) -> None:
    await _group(world, None)  # public, hence open by default
    john = remote.actor("john")
    follow = await _follow(world, john)
    assert await world.process() == ["accepted"]
    [accept] = await _sent(world, "Accept")
    assert (accept["actor"], accept["object"]["id"], accept["to"]) == (world.group, follow["id"], [john.id])
    assert await _state(world, john.id) == ("accepted", True, None)
    assert [c for c in await _sent(world, "Create") if "cc" not in c] == [], "no direct message: nothing to do"
    actor = (await world.client.get("/actors/loyers", headers={"Accept": "application/activity+json"})).json()
    assert actor["manuallyApprovesFollowers"] is False


async def test_a_charter_group_sends_the_charter_and_waits(world: World, remote: RemoteServer) -> None:
    await _group(world, "charter")
    john = remote.actor("john")
    await _follow(world, john)
    assert await world.process() == ["pending: charter sent"]
    assert await _sent(world, "Accept") == []
    assert await _state(world, john.id) == ("pending", False, None)
    [create] = [c for c in await _sent(world, "Create") if c["object"].get("to") == [john.id]]
    note = create["object"]
    assert (create["to"], "cc" not in create, "cc" not in note) == ([john.id], True, True)
    assert note["attributedTo"] == world.group
    assert note["tag"] == [{"type": "Mention", "href": john.id, "name": f"@john@{remote.host}"}]
    assert (
        f'<span class="h-card"><a href="{john.id}" class="u-url mention">@<span>john</span></a></span>'
        in (note["content"])
    )
    assert 'href="https://chiffres.test/charter"' in note["content"]
    assert "J'ACCEPTE" in note["content"]
    assert "I ACCEPT" in note["content"]
    await world.flush()
    [delivered] = remote.received("POST", "/users/john/inbox")
    assert delivered.json()["object"]["id"] == note["id"]
    fetched = await world.client.get(note["id"], headers={"Accept": "application/activity+json"})
    assert fetched.status_code == 404, "a direct message is not for strangers"


async def _invited(world: World, john: RemoteActor) -> tuple[str, str]:
    await _group(world, "charter")
    follow = await _follow(world, john)
    await world.process()
    [create] = [c for c in await _sent(world, "Create") if c["object"].get("to") == [john.id]]
    return str(follow["id"]), str(create["object"]["id"])


async def test_a_reply_with_the_phrase_approves(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    follow_id, invitation = await _invited(world, john)
    await _reply(world, john, "J’accepte", in_reply_to=invitation)
    version = charter.load(world.fed.instance.settings.data_dir).version
    assert await world.process() == [f"stored; joined loyers: charter {version} accepted"]
    [accept] = await _sent(world, "Accept")
    assert (accept["actor"], accept["object"]["id"], accept["to"]) == (world.group, follow_id, [john.id])
    assert await _state(world, john.id) == ("accepted", True, version)


async def test_a_direct_message_with_the_phrase_approves_too(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    await _invited(world, john)
    await _reply(world, john, "i accept", in_reply_to=None)
    assert (await world.process())[0].startswith("stored; joined loyers")
    assert (await _state(world, john.id))[0] == "accepted"


async def test_a_reply_without_the_phrase_does_nothing(world: World, remote: RemoteServer) -> None:
    john = remote.actor("john")
    _, invitation = await _invited(world, john)
    await _reply(world, john, "Qu'est-ce que la charte ?", in_reply_to=invitation)
    assert await world.process() == ["stored; not joined: no acceptance phrase in the reply to loyers"]
    assert await _sent(world, "Accept") == []
    assert await _state(world, john.id) == ("pending", False, None)


async def test_the_phrase_from_someone_not_waiting_does_nothing(world: World, remote: RemoteServer) -> None:
    john, eve = remote.actor("john"), remote.actor("eve")
    _, invitation = await _invited(world, john)
    await _reply(world, eve, "J'ACCEPTE", in_reply_to=invitation)
    assert await world.process() == ["stored"]
    assert await _sent(world, "Accept") == []
    assert await _state(world, john.id) == ("pending", False, None)
    assert await world.pool.fetchval("SELECT count(*) FROM follows WHERE follower = $1", eve.id) == 0


async def test_an_admin_group_notifies_its_moderators_and_ignores_the_phrase(
    world: World, remote: RemoteServer
) -> None:
    group = await _group(world, "admin")
    marie = await store.get(world.pool, "marie")
    assert await membership.add_moderator(world.pool, group, marie)
    john = remote.actor("john")
    follow = await _follow(world, john)
    assert await world.process() == ["pending: 1 moderator(s) notified"]
    creates = await _sent(world, "Create")
    to_john = [c["object"] for c in creates if c["object"].get("to") == [john.id]]
    to_marie = [c["object"] for c in creates if c["object"].get("to") == [world.member]]
    assert len(to_john) == 1
    assert "modérateur" in to_john[0]["content"]
    assert len(to_marie) == 1
    row_id = await world.pool.fetchval("SELECT id FROM follows WHERE activity_id = $1", follow["id"])
    assert f"n° {row_id}" in to_marie[0]["content"]
    assert john.id in to_marie[0]["content"]
    assert to_marie[0]["tag"] == [{"type": "Mention", "href": world.member, "name": "@marie@chiffres.test"}]
    await _reply(world, john, "J'ACCEPTE", in_reply_to=to_john[0]["id"])
    assert await world.process() == ["stored; not joined: loyers's moderators approve its followers, not the phrase"]
    assert await _state(world, john.id) == ("pending", False, None)
    pending = await membership.pending_for(world.pool, world.urls, group)
    assert [(p.id, p.follower) for p in pending] == [(row_id, john.id)]


async def test_a_follow_sent_again_while_waiting_brings_no_second_message(world: World, remote: RemoteServer) -> None:
    """A second click on "follow", or a server's retry with a new id, must not welcome anyone twice."""
    await _group(world, "charter")
    john = remote.actor("john")
    await _follow(world, john)
    await _follow(world, john, number=2)
    assert await world.process() == ["pending: charter sent", "pending: already told what to do"]
    assert len([c for c in await _sent(world, "Create") if c["object"].get("to") == [john.id]]) == 1


async def test_an_instance_chooses_its_own_phrase(world: World, remote: RemoteServer) -> None:
    """``CHIFFRES_ACCEPT_PHRASE``: the invitation names the instance's phrase, and only it approves."""
    base = world.fed.instance
    instance = replace(base, settings=replace(base.settings, accept_phrase="OUI À LA CHARTE"))
    group = await _group(world, "charter")
    invitation = _invitation(instance, group)
    assert "OUI À LA CHARTE" in invitation["fr"]
    assert "J'ACCEPTE" not in invitation["fr"]
    john = remote.actor("john")
    _, invited = await _invited(world, john)

    def reply(text: str) -> Node:
        note = {"id": f"{john.id}/statuses/{len(text)}", "type": "Note", "attributedTo": john.id}
        return normalise_object(note | {"content": f"<p>{text}</p>", "inReplyTo": invited, "to": [world.group]})

    async with world.pool.acquire() as connection:
        refused = await on_note(connection, instance, john.id, reply("J'ACCEPTE"))
        assert refused == "not joined: no acceptance phrase in the reply to loyers"
        joined = await on_note(connection, instance, john.id, reply("oui à la charte !"))
    assert joined is not None
    assert joined.startswith("joined loyers")
    assert (await _state(world, john.id))[0] == "accepted"


async def test_a_changed_charter_is_asked_again_at_the_next_contribution(world: World, remote: RemoteServer) -> None:
    instance = world.fed.instance
    john = remote.actor("john")
    _, invitation = await _invited(world, john)
    await _reply(world, john, "J'accepte", in_reply_to=invitation)
    await world.process()
    first = charter.load(instance.settings.data_dir).version
    await joining.serving(world.pool, first)

    async def contribute(number: int) -> None:
        async with world.pool.acquire() as connection:
            await reciprocity.answered(connection, f"{world.group}/requests/{number}", world.group, john.id, at)

    async def asked() -> list[Any]:
        return list(await world.pool.fetch("SELECT payload FROM pgqueuer WHERE entrypoint = $1", CHARTER_AGAIN))

    at = instance.clock()
    await contribute(1)
    assert await asked() == [], "the charter did not change: nothing to ask"

    (instance.settings.data_dir / "charter.md").write_text("# Charte\n\nContribuez chaque mois.\n", encoding="utf-8")
    second = charter.load(instance.settings.data_dir).version
    assert second != first
    await joining.serving(world.pool, second)
    await contribute(2)
    await contribute(3)
    [job] = await asked()
    assert (await _state(world, john.id))[2] == first, "still the version he accepted"

    await AskAgain(instance)(json.loads(job["payload"]))
    [message] = [c["object"] for c in await _sent(world, "Create") if second in c["object"]["content"]]
    assert message["to"] == [john.id]
    assert 'href="https://chiffres.test/charter"' in message["content"]

    await _reply(world, john, "Bien lu, j’accepte", in_reply_to=message["id"], number=2)
    assert await world.process() == [f"stored; charter {second} accepted again for loyers"]
    assert (await _state(world, john.id))[2] == second
    await contribute(4)
    assert len(await asked()) == 1, "accepted: nothing more to ask"
