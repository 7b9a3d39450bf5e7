"""A malicious instance, its keys in hand, against two honest instances of ours: nothing it tries takes hold.

A and B are ``chiffres serve`` processes; M is a server on loopback whose every key the test holds, so it can
sign whatever it likes. The honest side does what members do: A's group ``loyers`` (members only) has ana, B's
bea is an approved member, A and B are peers, ana publishes a figure, bea endorses it; ana also follows M's
group, which publishes a figure of its own. A's admin even made M a peer. Then M tries, in one burst:

1. an unsigned Delete of bea (to A) and of ana (to B), signed with a key id under the actor that answers 404;
3. to be sent a summary of the members-only figure, as a peer with no member in the group;
4. a relayed ``Announce(Like)`` of its own figure attributed to eight invented domains and to ana, dated 2099;
6. a Note naming A's group as its ``audience``, to be filed under it and relayed to its members;
7. an Update and a Delete of its group's figure by another account of its host;
8. a Like whose id is ana's publication claim reference, and a Like whose id lives on A's host.

Afterwards A's and B's follows, figures, counted claims and consensus are exactly what they were before the burst.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fedi.normalise import PUBLIC
from figures.figure import build_figure
from figures.note import note_object
from tests.support.cluster import Cluster
from tests.support.fleet import endorsed_between_peers, fleet
from tests.support.process import InstanceProcess
from tests.support.remote_server import RemoteActor, RemoteServer, cavage_headers, digest_header, encode, public_pem
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

AS2 = "https://www.w3.org/ns/activitystreams"
JSON = dict[str, Any]

_SNAPSHOT = {
    "follows": "SELECT follower, followee, state FROM follows ORDER BY follower, followee",
    "figures": "SELECT uri, origin, author, group_uri, audience, version, value::text, deleted_at IS NULL AS live"
    " FROM figures ORDER BY uri",
    "claims": "SELECT figure_uri, actor, domain, kind, value::text, withdrawn_at IS NULL AS live FROM claims"
    " WHERE authenticity <> 'unverified' ORDER BY figure_uri, actor, kind",
    "consensus": "SELECT figure_uri, value, status, domains, contributors FROM consensus ORDER BY figure_uri",
    "gone": "SELECT uri FROM remote_actors WHERE gone_at IS NOT NULL ORDER BY uri",
}


@pytest.fixture(scope="module")
def honest(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, InstanceProcess]]:
    with fleet(cluster, tmp_path_factory, ["honesta", "honestb"]) as running:
        yield {"a": running["honesta"], "b": running["honestb"]}


@pytest.fixture(scope="module")
def malicious() -> Iterator[RemoteServer]:
    server = RemoteServer().start()
    yield server
    server.stop()


def _snapshot(instance: InstanceProcess) -> dict[str, list[tuple[object, ...]]]:
    return {name: instance.rows(sql) for name, sql in _SNAPSHOT.items()}


def _settled(instance: InstanceProcess) -> bool:
    [(pending,)] = instance.rows(
        "SELECT (SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL)"
        " + (SELECT count(*) FROM deliveries WHERE state = 'pending')"
        " + (SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL)",
    )
    return pending == 0


def _post(actor: RemoteActor, url: str, document: JSON, *, key_id: str | None = None) -> int:
    body = encode(document)
    if key_id is None:
        headers = actor.sign(url, body)
    else:
        headers = cavage_headers(
            "POST", url, key_id=key_id, private_key=actor.private_key, body=body, digest=digest_header(body)
        )
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code


def _figure_note(author: str, note_id: str, value: str, version: int = 1) -> JSON:
    figure = build_figure(
        {
            "value": value,
            "unit": "€/mois",
            "measures": "loyer médian T3",
            "place": "Lyon",
            "period": "2026-Q2",
            "source": "https://observatoire.example/loyers",
        }
    )
    note = note_object(
        figure,
        note_id=note_id,
        author=author,
        url=note_id,
        to=[PUBLIC],
        cc=[],
        published=datetime(2026, 5, 2, 9, 30, tzinfo=UTC),
        updated=None,
        default_language="fr",
        status_line=None,
        tag_url=lambda tag: f"{note_id}/tags/{tag}",
    )
    note["figure"]["version"] = version
    return note


def _accept_follows_of(m: RemoteServer, actor: RemoteActor, inbox: str) -> None:
    """M answers the follows its actor received, as any server would (the test holds its key)."""
    for number, received in enumerate(m.received("POST", f"/users/{actor.name}/inbox")):
        follow = received.json()
        if follow.get("type") == "Follow":
            accept = {"@context": AS2, "id": f"{actor.id}/accepts/{number}", "type": "Accept", "actor": actor.id}
            assert _post(actor, inbox, accept | {"object": follow}) == 202


def _diagnosis(a: InstanceProcess, b: InstanceProcess) -> str:
    return f"{a.diagnosis()}\n{b.diagnosis()}"


def _setup(a: InstanceProcess, b: InstanceProcess, m: RemoteServer) -> tuple[str, str]:
    """The honest state: a members-only group on A with ana and bea, a figure endorsed by bea, peers, M's figure."""
    figure = endorsed_between_peers(a, b)

    # M: an instance actor A's admin made a peer, a group ana follows, and the figure that group publishes.
    instance = m.actor("instance")
    m.publish("/actor", instance.document() | {"id": f"{m.base}/actor", "type": "Application"})
    mgroup = m.actor("mgroup")
    a.cli("follow", "--as", "ana", mgroup.id)
    eventually(lambda: m.received("POST", "/users/mgroup/inbox"), what="ana's follow at M")
    _accept_follows_of(m, mgroup, f"{a.base}/actors/ana/inbox")
    eventually(lambda: "accepted" in a.cli("follows", "list", "--as", "ana").stdout, what="ana following M")
    mfigure_id = f"{m.base}/objects/mfigure"
    create = {
        "@context": AS2,
        "id": f"{mgroup.id}/activities/create-mfigure",
        "type": "Create",
        "actor": mgroup.id,
        "object": _figure_note(mgroup.id, mfigure_id, "900"),
        "to": [PUBLIC, mgroup.followers],
    }
    assert _post(mgroup, f"{a.base}/inbox", create) == 202
    eventually(
        lambda: a.cli("figure", "show", mfigure_id, check=False).returncode == 0,
        what="M's figure stored on A",
        explain=lambda: _diagnosis(a, b),
    )
    eventually(lambda: _settled(a) and _settled(b), what="A and B at rest", explain=lambda: _diagnosis(a, b))
    eventually(lambda: a.rows("SELECT 1 FROM consensus"), what="A's consensus", explain=lambda: _diagnosis(a, b))
    return figure, mfigure_id


def _burst(a: InstanceProcess, b: InstanceProcess, m: RemoteServer, figure: str, mfigure: str) -> None:
    mallory, mgroup, intruder = m.actor("mallory"), m.actor("mgroup"), m.actor("intruder")
    ana, bea = f"{a.base}/actors/ana", f"{b.base}/actors/bea"
    statuses: list[int] = []

    # 1. Deletes of live actors, signed with keys that answer 404.
    for target, victim in ((a, bea), (b, ana)):
        delete = {"@context": AS2, "id": f"{victim}#delete", "type": "Delete", "actor": victim, "object": victim}
        statuses.append(_post(mallory, f"{target.base}/inbox", delete, key_id=f"{victim}/no-such-key"))
    assert statuses == [401, 401]

    # 4. Relayed likes of M's figure from invented domains and from ana, dated 2099.
    for number, inner_actor in enumerate([*(f"https://invented{i}.example/users/x" for i in range(8)), ana]):
        like = {
            "@context": AS2,
            "id": f"{inner_actor}/likes/{number}",
            "type": "Like",
            "actor": inner_actor,
            "object": mfigure,
            "published": "2099-01-01T00:00:00Z",
        }
        announce = {
            "@context": AS2,
            "id": f"{mgroup.id}/relays/{number}",
            "type": "Announce",
            "actor": mgroup.id,
            "object": like,
            "to": [mgroup.followers],
            "published": "2099-01-01T00:00:00Z",
        }
        _post(mgroup, f"{a.base}/inbox", announce)

    # 6. A Note that names A's group as its audience.
    injected = _figure_note(mallory.id, f"{m.base}/objects/injected", "1")
    injected["audience"] = f"{a.base}/actors/loyers"
    injected["to"] = [f"{a.base}/actors/loyers", PUBLIC]
    create = {
        "@context": AS2,
        "id": f"{mallory.id}/activities/inject",
        "type": "Create",
        "actor": mallory.id,
        "object": injected,
        "to": [f"{a.base}/actors/loyers", PUBLIC],
    }
    _post(mallory, f"{a.base}/inbox", create)

    # 7. Another account of M's host edits and deletes M's group's figure.
    forged = _figure_note(mgroup.id, mfigure, "1", version=2)
    forged["updated"] = "2026-06-01T00:00:00Z"
    for kind, obj in (("Update", forged), ("Delete", mfigure)):
        activity = {"@context": AS2, "id": f"{intruder.id}/{kind}", "type": kind, "actor": intruder.id}
        _post(intruder, f"{a.base}/inbox", activity | {"object": obj, "to": [PUBLIC]})

    # 8. A Like squatting ana's publication claim reference, and one whose id lives on A's host.
    for like_id in (f"{figure}#v1", f"{a.base}/activities/squatted"):
        like = {"@context": AS2, "id": like_id, "type": "Like", "actor": mallory.id, "object": figure}
        _post(mallory, f"{a.base}/inbox", like)

    # A batch recomputation makes A share its summaries again, now that M is a peer (3 is checked afterwards).
    a.cli("consensus", "recompute")


def _peer_with(a: InstanceProcess, m: RemoteServer) -> None:
    """A's admin makes M a peer: M answers A's follow and follows back, which A accepts from a peer."""
    key = m.key("instance")
    actor, key_id = f"{m.base}/actor", f"{m.base}/actor#main-key"
    document = {
        "@context": [AS2, "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Application",
        "preferredUsername": "instance",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": public_pem(key)},
    }
    m.publish("/actor", document)
    signer = RemoteActor(m.base, "instance", "mastodon", key)
    a.cli("peer", "add", m.host)
    follow = eventually(lambda: m.received("POST", "/actor/inbox"), what="A's follow at M")[0].json()
    accept = {"@context": AS2, "id": f"{actor}/accepts/1", "type": "Accept", "actor": actor, "object": follow}
    assert _post(signer, f"{a.base}/actor/inbox", accept, key_id=key_id) == 202
    eventually(
        lambda: "we follow\taccepted" in a.cli("peer", "list").stdout,
        what="M accepting A",
        explain=a.diagnosis,
    )
    follow_back = {"@context": AS2, "id": f"{actor}/follows/1", "type": "Follow", "actor": actor}
    assert _post(signer, f"{a.base}/actor/inbox", follow_back | {"object": f"{a.base}/actor"}, key_id=key_id) == 202
    eventually(
        lambda: "follows us\taccepted" in a.cli("peer", "list").stdout,
        what="A accepting M",
        explain=a.diagnosis,
    )


def _ours(
    snapshot: dict[str, list[tuple[object, ...]]], m: RemoteServer, mfigure: str
) -> dict[str, list[tuple[object, ...]]]:
    """What belongs to the honest side, and M's figure: M may store new things of its own, not touch ours."""
    host = m.host

    def kept(row: tuple[object, ...], uri_column: int) -> bool:
        uri = str(row[uri_column])
        return uri == mfigure or host not in uri

    return {
        "follows": snapshot["follows"],
        "gone": snapshot["gone"],
        "figures": [row for row in snapshot["figures"] if kept(row, 0)],
        "claims": [row for row in snapshot["claims"] if kept(row, 0)],
        "consensus": [row for row in snapshot["consensus"] if kept(row, 0)],
    }


def _summaries_received(m: RemoteServer) -> list[object]:
    found = []
    for item in m.received("POST"):
        document = json.loads(item.body or b"{}")
        obj = document.get("object") if isinstance(document, dict) else None
        if isinstance(obj, dict) and obj.get("type") == "ConsensusSummary":
            found.append(document)
    return found


def test_a_malicious_instance_changes_nothing_on_honest_ones(
    honest: dict[str, InstanceProcess], malicious: RemoteServer
) -> None:
    a, b, m = honest["a"], honest["b"], malicious
    figure, mfigure = _setup(a, b, m)
    _peer_with(a, m)
    a.cli("consensus", "recompute")
    eventually(
        lambda: _settled(a) and _settled(b),
        what="A and B at rest after peering with M",
        explain=lambda: _diagnosis(a, b),
    )
    before = _ours(_snapshot(a), m, mfigure), _ours(_snapshot(b), m, mfigure)
    assert any(row[0] == figure for row in before[0]["consensus"]), "A computed a consensus of ana's figure"

    _burst(a, b, m, figure, mfigure)
    eventually(
        lambda: _settled(a) and _settled(b),
        timeout=60,
        what="A and B at rest after the burst",
        explain=lambda: _diagnosis(a, b),
    )
    after = _ours(_snapshot(a), m, mfigure), _ours(_snapshot(b), m, mfigure)
    for side, (was, now) in zip("AB", zip(before, after, strict=True), strict=True):
        for name in was:
            assert now[name] == was[name], f"{side}: {name} changed"
    assert _summaries_received(m) == [], "a members-only figure's summary reached a peer with no member in its group"
    relayed_by_group = a.rows(
        "SELECT count(*) FROM outbox o JOIN actors g ON g.id = o.actor_id WHERE g.name = 'loyers'"
        " AND o.document::text LIKE '%injected%'",
    )
    assert relayed_by_group == [(0,)]
