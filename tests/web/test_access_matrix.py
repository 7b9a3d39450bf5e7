"""Who reads what of a group, cell by cell: every reader against every address that can show a figure of the group,
a list or a collection about it, for a ``members`` group and for a ``public`` one (DESIGN.md, "Access: the
reciprocity charter").

The figure's value is 790.12 in its first version and 812.37 now (with its consensus); a denied answer holds
neither in any written form, and an answer that depends on who asks is private to its reader.

Readers. Remote ones sign their requests with their own key; local persons read the API with their bearer token
and the ActivityPub and HTML addresses with a signature by their own key, the only identity those addresses know
(there is no web sign-in yet, so a member's browser without a signature is the anonymous reader).

======================  ==================================================================================
anonymous               no credentials
stranger                https://stranger.example/users/sam: signed, follows nothing
pending                 https://pending.example/users/pat: their follow waits for approval
approved                https://follows.example/users/alice: approved follower
revoked                 https://revoked.example/users/rob: approved, then revoked by the reciprocity charter
                        (rejected, ``revoked_at`` set, then undone by their server as Mastodon does)
server_with             https://follows.example/actor: the instance actor of alice's server
server_pending          https://pending.example/actor: its server's only follower is pending
server_revoked          https://revoked.example/actor: its server's only follower was revoked
member                  local person marie, approved member, author of the figure
non_member              local person paul, follows nothing
moderator               local person modo, moderator of the group but not a member
======================  ==================================================================================

Each table has three blocks of columns: the figure over ActivityPub (the object, its Create, the Update of its
second version, the Update carrying its consensus) and its HTML page; the JSON API; the home page, the group
(document, profile page, a hashtag's page) and its collections.

Cells: ``V`` 200 showing the value; ``200`` 200 without any value; ``T`` 403 with the figure's teaser (what it
measures, where, when, the source's name and a "Demander l'accès" link to the group) and no value; ``401``/``403``/
``404`` that refusal, without any value. A members-only figure is refused with 404 to a fediverse server and in the
API (a figure one may not see is not there) and with its teaser to a browser (the link in a Mastodon post must lead
somewhere); the API answers 403 where it already did for a whole group (its requests), the followers collection 403
for its pages and the synchronisation list 401 to an unsigned reader.

Choices where the rule left room, each the denying one:

- the domain rule (any actor of a server with an approved follower reads for it) is for ActivityPub fetches, which
  Mastodon makes as its instance actor; the API and pages show a members-only figure to the approved follower
  themselves, so ``server_with`` is refused there;
- our own domain is not a remote server: a local person reads a members-only figure only as an approved follower
  themselves, never because another local person is one, and asks for no synchronisation list;
- a moderator answers join requests (the pending list) but reads figures only as a member.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from actors import follows, membership, store, tokens
from actors.actor import Actor, Visibility
from chiffres.app import Federation
from fedi import keys
from fedi.instance import Instance
from figures.claims import ClaimedValue
from ledger import claims
from ledger.consensus import ConsensusJob
from ledger.publication import Publisher
from tests.actors.test_access import is_private_to_its_reader
from tests.actors.test_access_by_server import reader
from tests.web.test_api import Ticking, join, rent, signed_get

#: Every written form of the figure's values: JSON and CSV (point), French text (comma).
SECRETS: Final = ("812.37", "812,37", "790.12", "790,12")
ALICE: Final = "https://follows.example/users/alice"
PAT: Final = "https://pending.example/users/pat"
ROB: Final = "https://revoked.example/users/rob"

MEMBERS: Final = """
reader          figure create update consensus page
anonymous       404    404    404    404       T
stranger        404    404    404    404       T
pending         404    404    404    404       T
approved        V      V      V      V         V
revoked         404    404    404    404       T
server_with     V      V      V      V         V
server_pending  404    404    404    404       T
server_revoked  404    404    404    404       T
member          V      V      V      V         V
non_member      404    404    404    404       T
moderator       404    404    404    404       T

reader          get versions list search csv jsonl requests
anonymous       404 404      200  200    200 200   403
stranger        404 404      200  200    200 200   403
pending         404 404      200  200    200 200   403
approved        V   V        V    V      V   V     200
revoked         404 404      200  200    200 200   403
server_with     404 404      200  200    200 200   403
server_pending  404 404      200  200    200 200   403
server_revoked  404 404      200  200    200 200   403
member          V   V        V    V      V   V     200
non_member      404 404      200  200    200 200   403
moderator       404 404      200  200    200 200   403

reader          home actor profile tag outbox followers followers_page pending sync
anonymous       200  200   200     200 200    200       403            403     401
stranger        200  200   200     200 200    200       403            403     200
pending         200  200   200     200 200    200       403            403     200
approved        200  200   200     200 200    200       403            403     200
revoked         200  200   200     200 200    200       403            403     200
server_with     200  200   200     200 200    200       403            403     200
server_pending  200  200   200     200 200    200       403            403     200
server_revoked  200  200   200     200 200    200       403            403     200
member          200  200   200     200 200    200       403            403     403
non_member      200  200   200     200 200    200       403            403     403
moderator       200  200   200     200 200    200       403            200     403
"""

PUBLIC: Final = """
reader          figure create update consensus page
anonymous       V      V      V      V         V
stranger        V      V      V      V         V
pending         V      V      V      V         V
approved        V      V      V      V         V
revoked         V      V      V      V         V
server_with     V      V      V      V         V
server_pending  V      V      V      V         V
server_revoked  V      V      V      V         V
member          V      V      V      V         V
non_member      V      V      V      V         V
moderator       V      V      V      V         V

reader          get versions list search csv jsonl requests
anonymous       V   V        V    V      V   V     200
stranger        V   V        V    V      V   V     200
pending         V   V        V    V      V   V     200
approved        V   V        V    V      V   V     200
revoked         V   V        V    V      V   V     200
server_with     V   V        V    V      V   V     200
server_pending  V   V        V    V      V   V     200
server_revoked  V   V        V    V      V   V     200
member          V   V        V    V      V   V     200
non_member      V   V        V    V      V   V     200
moderator       V   V        V    V      V   V     200

reader          home actor profile tag outbox followers followers_page pending sync
anonymous       V    200   V       V   V      200       200            403     401
stranger        V    200   V       V   V      200       200            403     200
pending         V    200   V       V   V      200       200            403     200
approved        V    200   V       V   V      200       200            403     200
revoked         V    200   V       V   V      200       200            403     200
server_with     V    200   V       V   V      200       200            403     200
server_pending  V    200   V       V   V      200       200            403     200
server_revoked  V    200   V       V   V      200       200            403     200
member          V    200   V       V   V      200       200            403     403
non_member      V    200   V       V   V      200       200            403     403
moderator       V    200   V       V   V      200       200            200     403
"""

#: What a refused browser reads of a members-only figure: what it measures, where, and the way in.
TEASER: Final = (
    "loyer médian",
    "Paris 11e",
    "1er trimestre 2026",
    "Demander l'accès",
    'href="https://chiffres.test/actors/entraide"',
)

#: How each column is asked for: ActivityPub (signed by the reader), an HTML page, or the API (token or signature).
AP: Final = {"Accept": "application/activity+json"}
HTML: Final = {"Accept": "text/html"}
#: Columns whose answer depends on who asks: private to its reader whatever the group.
ALWAYS_PRIVATE: Final = {"pending", "sync", "get", "versions", "list", "search", "csv", "jsonl", "requests"}
#: Columns holding the figure itself: private to its reader when the group is members-only.
FIGURE_COLUMNS: Final = {"figure", "create", "update", "consensus", "page"}


def table(text: str) -> dict[tuple[str, str], str]:
    """The expected cell of each (reader, column), read from the blocks of a table as printed above."""
    cells: dict[tuple[str, str], str] = {}
    for block in text.strip().split("\n\n"):
        header, *rows = (line.split() for line in block.strip().splitlines())
        for row in rows:
            cells |= {(row[0], column): cell for column, cell in zip(header[1:], row[1:], strict=True)}
    return cells


@dataclass(frozen=True)
class Reader:
    uri: str | None = None
    key: rsa.RSAPrivateKey | None = None
    token: str | None = None

    def signed(self, path: str) -> dict[str, str]:
        if self.uri is None or self.key is None:
            return {}
        return signed_get(path, f"{self.uri}#main-key", self.key)

    def api(self, path: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else self.signed(path)


@dataclass
class Scene:
    readers: dict[str, Reader]
    paths: dict[str, tuple[str, dict[str, str]]]
    visibility: Visibility
    failures: list[str] = field(default_factory=list)


async def _remote_follow(instance: Instance, follower: str, group: Actor) -> int:
    request = {
        "id": f"{follower}/follows/1",
        "type": "Follow",
        "actor": follower,
        "object": instance.urls.actor(group.name),
    }
    follow_id: int = await instance.pool.fetchval(
        "INSERT INTO follows (activity_id, follower, followee, state, document) VALUES ($1, $2, $3, 'pending', $4)"
        " RETURNING id",
        request["id"],
        follower,
        request["object"],
        request,
    )
    return follow_id


async def _revoke(instance: Instance, follow_id: int) -> None:
    """As enforcement does (``ledger.enforcement``): a Reject, the reason kept; then the follower's server undoes."""
    async with instance.pool.acquire() as connection, connection.transaction():
        follow = await follows.answer_on(connection, instance.urls, follow_id, "Reject", instance.clock)
        await connection.execute(
            "UPDATE follows SET revoked_at = now(), revoked_reason = 'read only' WHERE id = $1", follow_id
        )
        await follows.on_undo(connection, follow.activity_id, follow.follower)


async def _local(instance: Instance, person: Actor) -> Reader:
    pem = (await store.signing_keys(instance.pool, person.id)).rsa_private_pem
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return Reader(instance.urls.actor(person.name), key, await tokens.create_token(instance.pool, person.id))


async def _activity(instance: Instance, group: Actor, kind: str, uri: str, consensus: bool) -> str:
    found: str = await instance.pool.fetchval(
        "SELECT activity_id FROM outbox WHERE actor_id = $1 AND document->>'type' = $2"
        " AND document->'object'->>'id' = $3 AND (document->'object' ? 'consensus') = $4 ORDER BY id LIMIT 1",
        group.id,
        kind,
        uri,
        consensus,
    )
    assert found, (kind, consensus)
    return found.removeprefix(instance.urls.base)


async def scene(fed: Federation, visibility: Visibility) -> Scene:
    """The group ``entraide``, its readers, and one figure marie published, changed, and that has a consensus."""
    instance = fed.instance
    pool, urls, clock, pair = instance.pool, instance.urls, Ticking(), keys.generate()

    async def person(name: str) -> Actor:
        return await store.create(pool, name, "person", key_factory=lambda: pair)

    group = await store.create(pool, "entraide", "group", visibility=visibility, key_factory=lambda: pair)
    marie, paul, modo = await person("marie"), await person("paul"), await person("modo")
    await join(pool, urls, marie, group, clock)
    await membership.add_moderator(pool, group, modo)
    approved = await _remote_follow(instance, ALICE, group)
    await _remote_follow(instance, PAT, group)
    revoked = await _remote_follow(instance, ROB, group)
    await follows.approve(pool, urls, [approved, revoked], clock, group)
    await _revoke(instance, revoked)

    publisher = Publisher(pool, urls, clock, "fr")
    first = await publisher.publish(marie, group, rent(value="790.12"), "fr")
    await publisher.update(first.uri, {"value": "812.37"}, marie)
    for claimant in (f"https://{host}.example/actors/{host}" for host in ("b", "c", "d", "e", "f")):
        async with pool.acquire() as connection:
            agreed = ClaimedValue("correct", Decimal("812.37"), parsed=True)
            await claims.record(
                connection, first.uri, claimant, claimant.split("/")[2], agreed, f"{claimant}/n/1", clock()
            )
    await ConsensusJob(pool, urls, clock, publisher).recompute(first.uri)

    remote = {
        "stranger": "https://stranger.example/users/sam",
        "pending": PAT,
        "approved": ALICE,
        "revoked": ROB,
        "server_with": "https://follows.example/actor",
        "server_pending": "https://pending.example/actor",
        "server_revoked": "https://revoked.example/actor",
    }
    readers = {"anonymous": Reader()}
    for name, uri in remote.items():
        readers[name] = Reader(uri, await reader(fed, uri, "Application" if uri.endswith("/actor") else "Person"))
    for name, local in (("member", marie), ("non_member", paul), ("moderator", modo)):
        readers[name] = await _local(instance, local)

    note = first.uri.removeprefix(urls.base)
    api = f"/api/v1/figures/{first.id}"
    paths = {
        "home": ("/", HTML),
        "actor": ("/actors/entraide", AP),
        "profile": ("/actors/entraide", HTML),
        "figure": (note, AP),
        "create": (await _activity(instance, group, "Create", first.uri, False), AP),
        "update": (await _activity(instance, group, "Update", first.uri, False), AP),
        "consensus": (await _activity(instance, group, "Update", first.uri, True), AP),
        "page": (note, HTML),
        "outbox": ("/actors/entraide/outbox?page=1", AP),
        "followers": ("/actors/entraide/followers", AP),
        "followers_page": ("/actors/entraide/followers?page=1", AP),
        "pending": ("/actors/entraide/pending_followers?page=1", AP),
        "sync": ("/actors/entraide/followers_synchronization", AP),
        "tag": ("/tags/loyers", HTML),
        "get": (api, {}),
        "versions": (f"{api}/versions", {}),
        "list": ("/api/v1/figures", {}),
        "search": ("/api/v1/figures?q=loyer", {}),
        "csv": ("/api/v1/figures.csv", {}),
        "jsonl": ("/api/v1/figures.jsonl", {}),
        "requests": ("/api/v1/groups/entraide/requests", {}),
    }
    return Scene(readers, paths, visibility)


async def check(client: httpx.AsyncClient, found: Scene, name: str, column: str, expected: str) -> None:
    """One cell; what is wrong with it goes to ``found.failures``, so that one run shows every wrong cell."""
    path, accept = found.paths[column]
    who = found.readers[name]
    headers = {**accept, **(who.api(path) if path.startswith("/api/") else who.signed(path))}
    response = await client.get(path, headers=headers)
    body = response.text
    wrong = []
    status = {"V": 200, "T": 403}.get(expected) or int(expected)
    if response.status_code != status:
        wrong.append(f"status {response.status_code}")
    if expected == "T" and not all(part in html.unescape(body) for part in TEASER):
        missing = [part for part in TEASER if part not in html.unescape(body)]
        wrong.append(f"no teaser: {missing} missing")
    shown = [secret for secret in SECRETS if secret in body]
    if expected == "V" and not shown:
        wrong.append("no value shown")
    if expected != "V" and shown:
        wrong.append(f"leaks {shown}")
    private = column in ALWAYS_PRIVATE or (column in FIGURE_COLUMNS and found.visibility == "members")
    if private and not is_private_to_its_reader(response):
        wrong.append(f"not private: {response.headers.get('cache-control')!r}, vary {response.headers.get('vary')!r}")
    for hidden, seen_by in ((ALICE, {"approved", "server_with"}), (PAT, {"moderator"}), (ROB, set())):
        lists_members = found.visibility == "public" and column == "followers_page" and hidden == ALICE
        if hidden in body and name not in seen_by and not lists_members:
            wrong.append(f"names {hidden}")
    if wrong:
        found.failures.append(f"{name} × {column}: expected {expected}, " + "; ".join(wrong))


@pytest.mark.parametrize(("visibility", "expected"), [("members", MEMBERS), ("public", PUBLIC)])
async def test_every_reader_gets_every_cell_as_specified(
    fed: Federation, client: httpx.AsyncClient, visibility: Visibility, expected: str
) -> None:
    found = await scene(fed, visibility)
    cells = table(expected)
    assert {name for name, _ in cells} == set(found.readers)
    assert {column for _, column in cells} == set(found.paths)
    for (name, column), cell in cells.items():
        await check(client, found, name, column, cell)
    assert not found.failures, "\n".join(found.failures)
