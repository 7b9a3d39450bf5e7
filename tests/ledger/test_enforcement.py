"""Enforcing the reciprocity charter: a follower past their grace period who only reads is reminded once by direct
message, revoked with a Reject after the delay and given access back by a contribution; newcomers and contributors
are left alone, and a server's instance actor is judged by its server's ledger."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from actors import follows, store
from actors.actor import Actor
from fedi import keys
from fedi.database import Pool
from fedi.instance import Instance
from ledger import reciprocity
from ledger.enforcement import Enforcement
from ledger.reciprocity_policy import Policies, Policy

ZOE = "https://masto.example/users/zoe"
MASTO_ACTOR = "https://masto.example/actor"
NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Scene:
    pool: Pool
    instance: Instance
    enforcement: Enforcement
    clock: Clock
    group: Actor
    group_uri: str

    async def follower(self, actor: str, approved: datetime, *, kind: str | None = None) -> int:
        """A remote follow of the group, approved at ``approved``; ``kind`` stores the actor's document type."""
        document = {"id": f"{actor}#follow", "type": "Follow", "actor": actor, "object": self.group_uri}
        follow_id: int = await self.pool.fetchval(
            "INSERT INTO follows (activity_id, follower, followee, state, document, follower_inbox, answered_at)"
            " VALUES ($1, $2, $3, 'accepted', $4, $5, $6) RETURNING id",
            document["id"],
            actor,
            self.group_uri,
            document,
            f"{actor}/inbox",
            approved,
        )
        if kind is not None:
            await self.pool.execute(
                "INSERT INTO remote_actors (uri, domain, inbox, document) VALUES ($1, $2, $3, $4)",
                actor,
                reciprocity.domain_of(actor),
                f"{actor}/inbox",
                {"id": actor, "type": kind},
            )
        return follow_id

    async def consults(self, actor: str | None, domain: str, times: int) -> None:
        await self.pool.execute(
            "INSERT INTO reciprocity_events (group_uri, actor, domain, kind, object, at)"
            " SELECT $1, $2, $3, 'fetched', 'https://chiffres.test/objects/' || n, $4 FROM generate_series(1, $5) n",
            self.group_uri,
            actor,
            domain,
            NOW - timedelta(days=1),
            times,
        )

    async def contributes(self, actor: str, at: datetime, number: int = 1) -> None:
        async with self.pool.acquire() as connection:
            request = f"https://chiffres.test/objects/request-{number}"
            await reciprocity.answered(connection, request, self.group_uri, actor, at)

    async def tick(self, days: float = 0, **how: Any) -> list[tuple[str, str]]:
        self.clock.now = NOW + timedelta(days=days)
        return [(decision.who, decision.action) for decision in await self.enforcement.tick(**how)]

    async def sent(self, kind: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch("SELECT document FROM outbox WHERE document->>'type' = $1 ORDER BY id", kind)
        return [row["document"] for row in rows]

    async def follow_row(self, follow_id: int) -> dict[str, Any]:
        row = await self.pool.fetchrow(
            "SELECT state, reminded_at, revoked_at, revoked_reason FROM follows WHERE id = $1", follow_id
        )
        assert row is not None
        return dict(row)


@pytest.fixture
async def scene(instance: Instance) -> Scene:
    clock = Clock()
    ticking = dataclasses.replace(instance, clock=clock)
    key_pair = keys.generate()
    group = await store.create(ticking.pool, "loyers", "group", visibility="members", key_factory=lambda: key_pair)
    return Scene(ticking.pool, ticking, Enforcement(ticking), clock, group, ticking.urls.actor("loyers"))


async def test_a_reader_is_reminded_once_then_revoked_and_a_contribution_restores_access(scene: Scene) -> None:
    zoe = await scene.follower(ZOE, NOW - timedelta(days=40))
    await scene.consults(ZOE, "masto.example", 60)

    assert await scene.tick() == [(ZOE, "remind")]
    [reminder] = await scene.sent("Create")
    note = reminder["object"]
    assert (reminder["to"], note["to"], "cc" in note) == ([ZOE], [ZOE], False)
    assert note["tag"] == [{"type": "Mention", "href": ZOE, "name": "@zoe@masto.example"}]
    assert "https://chiffres.test/charter" in note["content"]
    assert "60 consultations" in note["content"]
    assert (await scene.follow_row(zoe))["reminded_at"] == NOW

    assert await scene.tick(days=1) == [(ZOE, "wait")]  # not twice, and not revoked before the delay
    assert len(await scene.sent("Create")) == 1
    assert await scene.sent("Reject") == []

    assert await scene.tick(days=14) == [(ZOE, "revoke")]
    [reject] = await scene.sent("Reject")
    assert (reject["to"], reject["object"]["id"]) == ([ZOE], f"{ZOE}#follow")
    row = await scene.follow_row(zoe)
    assert (row["state"], row["revoked_at"]) == ("rejected", NOW + timedelta(days=14))
    assert row["revoked_reason"] == "60 consultations, 0 contributions in 90 days"
    assert await scene.tick(days=15) == []  # revoked: nothing more to send

    await scene.contributes(ZOE, NOW + timedelta(days=16))
    assert await scene.tick(days=16) == [(ZOE, "restore")]
    [accept] = await scene.sent("Accept")
    assert (accept["to"], accept["object"]["id"]) == ([ZOE], f"{ZOE}#follow")
    row = await scene.follow_row(zoe)
    assert row == {"state": "accepted", "reminded_at": None, "revoked_at": None, "revoked_reason": None}
    assert await scene.tick(days=16) == []


async def test_a_new_follow_after_a_revocation_is_accepted_once_they_contribute(scene: Scene) -> None:
    old = await scene.follower(ZOE, NOW - timedelta(days=40))
    await scene.pool.execute(
        "UPDATE follows SET state = 'rejected', revoked_at = $2, revoked_reason = 'read only' WHERE id = $1",
        old,
        NOW - timedelta(days=3),
    )
    new = await scene.pool.fetchval(
        "INSERT INTO follows (activity_id, follower, followee, state, document) VALUES ($1, $2, $3, 'pending', $4)"
        " RETURNING id",
        f"{ZOE}#again",
        ZOE,
        scene.group_uri,
        {"id": f"{ZOE}#again", "type": "Follow", "actor": ZOE, "object": scene.group_uri},
    )
    assert await scene.tick() == []
    await scene.contributes(ZOE, NOW - timedelta(days=1))
    assert await scene.tick() == [(ZOE, "restore")]
    [accept] = await scene.sent("Accept")
    assert accept["object"]["id"] == f"{ZOE}#again"
    assert (await scene.follow_row(new))["state"] == "accepted"
    assert (await scene.follow_row(old))["state"] == "rejected"


async def test_newcomers_and_contributors_are_left_alone(scene: Scene) -> None:
    await scene.follower(ZOE, NOW - timedelta(days=10))  # in grace
    await scene.consults(ZOE, "masto.example", 500)
    eve = "https://other.example/users/eve"
    await scene.follower(eve, NOW - timedelta(days=200))
    await scene.consults(eve, "other.example", 100)
    await scene.contributes(eve, NOW - timedelta(days=2), 1)
    await scene.contributes(eve, NOW - timedelta(days=2), 2)  # one per 50: enough
    assert await scene.tick() == []
    assert await scene.sent("Create") == []


async def test_a_reminded_follower_who_contributes_is_cleared(scene: Scene) -> None:
    zoe = await scene.follower(ZOE, NOW - timedelta(days=40))
    await scene.consults(ZOE, "masto.example", 50)
    assert await scene.tick() == [(ZOE, "remind")]
    await scene.contributes(ZOE, NOW + timedelta(days=2))
    assert await scene.tick(days=2) == [(ZOE, "clear")]
    assert (await scene.follow_row(zoe))["reminded_at"] is None
    assert await scene.tick(days=20) == []


async def test_a_server_that_follows_is_judged_by_its_whole_ledger(scene: Scene) -> None:
    await scene.follower(MASTO_ACTOR, NOW - timedelta(days=40), kind="Application")
    await scene.consults(None, "masto.example", 30)
    await scene.consults(ZOE, "masto.example", 30)
    assert await scene.tick(dry_run=True) == [("masto.example", "remind")]
    assert await scene.sent("Create") == []  # dry: nothing sent
    assert await scene.tick() == [("masto.example", "remind")]
    [reminder] = await scene.sent("Create")
    assert reminder["to"] == [MASTO_ACTOR]


async def test_the_policy_decides_per_group(scene: Scene) -> None:
    await scene.follower(ZOE, NOW - timedelta(days=40))
    await scene.consults(ZOE, "masto.example", 10)
    assert await scene.tick(dry_run=True) == []  # 10 < 50: not behind by the defaults
    strict = Policies(groups=(("loyers", Policy(consultations_per_contribution=10)),))
    assert await scene.tick(dry_run=True, policies=strict) == [(ZOE, "remind")]
    off = Policies(groups=(("loyers", Policy(consultations_per_contribution=10, enabled=False)),))
    assert await scene.tick(policies=off) == []
    assert await scene.tick(dry_run=True, policies=strict, group="other") == []


async def test_a_local_member_who_only_reads_is_revoked_like_anyone(scene: Scene) -> None:
    urls = scene.instance.urls
    ana = await store.create(scene.pool, "ana", "person", key_factory=keys.generate)
    asked = await follows.follow(scene.pool, urls, ana, scene.group_uri, urls.inbox("loyers"), scene.clock)
    await follows.approve(scene.pool, urls, [asked.id], scene.clock, scene.group)
    await scene.pool.execute("UPDATE follows SET answered_at = $2 WHERE id = $1", asked.id, NOW - timedelta(days=31))
    await scene.consults(urls.actor("ana"), urls.domain, 50)
    assert await scene.tick() == [(urls.actor("ana"), "remind")]
    assert await scene.tick(days=14) == [(urls.actor("ana"), "revoke")]
    assert (await scene.follow_row(asked.id))["state"] == "rejected"
    [reject] = await scene.sent("Reject")
    assert reject["to"] == [urls.actor("ana")]


async def test_mastodon_s_undo_after_the_reject_keeps_the_record_and_a_new_follow_restores(scene: Scene) -> None:
    zoe = await scene.follower(ZOE, NOW - timedelta(days=40))
    await scene.consults(ZOE, "masto.example", 60)
    await scene.tick()
    assert await scene.tick(days=14) == [(ZOE, "revoke")]
    async with scene.pool.acquire() as connection:
        assert await follows.on_undo(connection, f"{ZOE}#follow", ZOE)  # Mastodon unfollows on the Reject
    row = await scene.follow_row(zoe)
    assert (row["state"], row["revoked_reason"]) == ("rejected", "60 consultations, 0 contributions in 90 days")

    await scene.contributes(ZOE, NOW + timedelta(days=15))
    assert await scene.tick(days=15) == []  # the undone Follow would reach nobody: wait for a new one
    assert await scene.sent("Accept") == []
    await scene.pool.execute(
        "INSERT INTO follows (activity_id, follower, followee, state, document) VALUES ($1, $2, $3, 'pending', $4)",
        f"{ZOE}#again",
        ZOE,
        scene.group_uri,
        {"id": f"{ZOE}#again", "type": "Follow", "actor": ZOE, "object": scene.group_uri},
    )
    assert await scene.tick(days=15) == [(ZOE, "restore")]
    [accept] = await scene.sent("Accept")
    assert accept["object"]["id"] == f"{ZOE}#again"
