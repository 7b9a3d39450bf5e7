"""Enforcing the reciprocity charter: a reminder to followers who read without contributing, then a Reject.

Each tick looks at every accepted follow of every group, members and remote followers alike, over the window of
the group's policy (:mod:`ledger.reciprocity_policy`). A follower that is a server's instance actor (Mastodon's
fetches and deliveries go to it for all its users) is judged by its server's whole ledger, the domain: that is how
a peer instance that only consumes is limited the same way as a person.

- below the threshold, past the grace period and not reminded: the group sends the follower a direct message (the
  shape of :func:`ledger.joining.direct`) with the counts, the charter's link and what to do; ``reminded_at`` is set;
- reminded at least ``reminder_days`` ago and still below: the follow is rejected through
  :func:`actors.follows.answer_on`, the path an admin's ``chiffres follows reject`` takes, so the state, the
  followers collection and its FEP-8fcf digest agree; ``revoked_at`` and ``revoked_reason`` say when and why;
- reminded and back above the threshold: ``reminded_at`` is cleared, so a later lapse starts with a new reminder.

Restoration is checked here, in the tick, rather than hooked where the ledger records a contribution: contributions
are recorded inside the inbox's, the publisher's and the requests' transactions, and an Accept sent from each of
them would make every contribution path depend on enforcement, and a replayed claim risk a second Accept. The tick
is the one place that decides, idempotently; access comes back within an hour (the loop's interval), or at once
with ``chiffres reciprocity check``. A follower revoked for reciprocity who contributed to the group since gets
their stored Follow accepted again; when they have followed again meanwhile (Mastodon unfollows on a Reject, so a
new Follow is how its users come back), that new request is accepted instead — a new request in good standing; a
revoked Follow its author undid is never accepted again, as it would reach nobody. Restoration runs even for a
group whose policy says ``enabled = false``: turning enforcement off must not keep anyone out who contributed.

A follower whose follow stands revoked gets no grace period when they follow again: grace is for newcomers, and
following again must not reset it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from asyncpg import Record

from actors import follows, store
from actors.actor import Actor
from actors.follows import FollowError
from fedi.database import Connection
from fedi.instance import Instance
from fedi.schedule import Lease, every
from figures.html import Html, escape, link, paragraph
from ledger import charter, joining, reciprocity, reciprocity_policy
from ledger.reciprocity_policy import Policies, Policy, PolicyError

__all__ = ["INTERVAL", "Decision", "Enforcement"]

logger = logging.getLogger(__name__)

#: How often the worker's loop ticks, in seconds.
INTERVAL: Final = 3600.0

Action = Literal["remind", "wait", "revoke", "clear", "restore"]
#: What a tick changes; ``wait`` (reminded, the delay not over) is only reported.
ACTIONS: Final = ("remind", "revoke", "clear", "restore")


@dataclass(frozen=True)
class Decision:
    """What a tick does (or, dry, would do) about one follow, and the counts it judged by."""

    group: str
    follow_id: int
    follower: str
    who: str
    consultations: int
    contributions: int
    action: Action

    def reason(self, policy: Policy) -> str:
        return f"{self.consultations} consultations, {self.contributions} contributions in {policy.window_days} days"


class Enforcement:
    """The policy applied to every group's follows; ``run`` is the worker's hourly loop."""

    def __init__(self, instance: Instance, interval: float = INTERVAL) -> None:
        self._instance = instance
        self._interval = interval
        self._policies = Policies()

    def policies(self) -> Policies:
        """The policy file as it is now; when it is wrong, the last good one (the defaults at first), logged."""
        try:
            self._policies = reciprocity_policy.load(self._instance.settings.data_dir)
        except PolicyError as error:
            logger.error("reciprocity policy not reloaded, the previous one stays: %s", error)
        return self._policies

    async def run(self, stopping: asyncio.Event) -> None:
        await every(self._interval, stopping, self.tick, lease=Lease(self._instance.pool, "charter enforcement"))

    async def tick(
        self,
        now: datetime | None = None,
        *,
        group: str | None = None,
        dry_run: bool = False,
        policies: Policies | None = None,
    ) -> list[Decision]:
        """Judge every group (or one) at ``now``; apply the decisions unless ``dry_run``."""
        moment = now or self._instance.clock()
        chosen = policies or self.policies()
        # A charter edited while the instance runs is the one members are asked to accept from now on.
        await joining.serving(self._instance.pool, charter.load(self._instance.settings.data_dir).version)
        decisions: list[Decision] = []
        for found in await store.listing(self._instance.pool):
            if found.kind == "group" and group in (None, found.name):
                decisions += await self._group(found, chosen.of(found.name), moment, dry_run)
        return decisions

    async def _group(self, group: Actor, policy: Policy, now: datetime, dry_run: bool) -> list[Decision]:
        pool, group_uri = self._instance.pool, store.uri_of(self._instance.urls, group)
        decisions = await self._restorations(group, group_uri, policy, now)
        if policy.enabled:
            rows = await pool.fetch(_ACCEPTED, group_uri, self._instance.urls.instance_actor())
            for row in rows:
                decision = await self._judge(group, group_uri, policy, row, now)
                if decision is not None:
                    decisions.append(decision)
        for decision in decisions if not dry_run else []:
            if decision.action in ACTIONS:
                try:
                    await self._apply(group, policy, decision, now)
                except FollowError as error:  # one follow that cannot be answered must not stop the others
                    logger.warning(
                        "reciprocity: %s of follow %d not done: %s", decision.action, decision.follow_id, error
                    )
        return decisions

    async def _judge(self, group: Actor, group_uri: str, policy: Policy, row: Record, now: datetime) -> Decision | None:
        since = row["answered_at"] or row["created_at"]
        if not row["revoked_before"] and since > now - timedelta(days=policy.grace_days):
            return None
        who = reciprocity.domain_of(row["follower"]) if row["instance"] else row["follower"]
        contributions, consultations = await self._tally(group_uri, who, now, policy)
        reminded: datetime | None = row["reminded_at"]
        action: Action
        if not policy.below(contributions, consultations):
            if reminded is None:
                return None
            action = "clear"
        elif reminded is None:
            action = "remind"
        else:
            action = "revoke" if reminded <= now - timedelta(days=policy.reminder_days) else "wait"
        return Decision(group.name, row["id"], row["follower"], who, consultations, contributions, action)

    async def _tally(self, group_uri: str, who: str, now: datetime, policy: Policy) -> tuple[int, int]:
        found = await self._ledger(group_uri, who, now, policy)
        return (found.contributions, found.consultations) if found else (0, 0)

    async def _ledger(self, group_uri: str, who: str, now: datetime, policy: Policy) -> reciprocity.Tally | None:
        found = await reciprocity.show(self._instance.pool, who, now, policy.window_days)
        return next((tally for tally in found if tally.group_uri == group_uri), None)

    async def _restorations(self, group: Actor, group_uri: str, policy: Policy, now: datetime) -> list[Decision]:
        """Follows revoked for reciprocity whose follower contributed to the group since."""
        decisions = []
        for row in await self._instance.pool.fetch(_REVOKED, group_uri, self._instance.urls.instance_actor()):
            who = reciprocity.domain_of(row["follower"]) if row["instance"] else row["follower"]
            if row["undone"] and row["live"] is None:
                continue  # accepting a Follow its author undid would reach nobody: they follow again first
            last = await self._ledger(group_uri, who, now, policy)
            if last is not None and last.last_contribution is not None and last.last_contribution >= row["revoked_at"]:
                decisions.append(
                    Decision(
                        group.name, row["id"], row["follower"], who, last.consultations, last.contributions, "restore"
                    )
                )
        return decisions

    async def _apply(self, group: Actor, policy: Policy, decision: Decision, now: datetime) -> None:
        instance = self._instance
        async with instance.pool.acquire() as connection, connection.transaction():
            if decision.action == "remind":
                await self._remind(connection, group, policy, decision)
                await connection.execute("UPDATE follows SET reminded_at = $2 WHERE id = $1", decision.follow_id, now)
            elif decision.action == "clear":
                await connection.execute("UPDATE follows SET reminded_at = NULL WHERE id = $1", decision.follow_id)
            elif decision.action == "revoke":
                await follows.answer_on(connection, instance.urls, decision.follow_id, "Reject", instance.clock)
                await connection.execute(
                    "UPDATE follows SET revoked_at = $2, revoked_reason = $3 WHERE id = $1",
                    decision.follow_id,
                    now,
                    decision.reason(policy),
                )
            else:
                await self._restore(connection, decision)
        logger.info(
            "reciprocity: %s %s in %s (follow %d): %s",
            decision.action,
            decision.follower,
            group.name,
            decision.follow_id,
            decision.reason(policy),
        )

    async def _restore(self, connection: Connection, decision: Decision) -> None:
        """Accept the follower's new request if they made one, else their revoked follow itself."""
        urls, clock = self._instance.urls, self._instance.clock
        revoked = await connection.fetchrow(
            "UPDATE follows SET revoked_at = NULL, revoked_reason = NULL, reminded_at = NULL WHERE id = $1"
            " RETURNING follower, followee",
            decision.follow_id,
        )
        assert revoked is not None
        live = await connection.fetchrow(
            "SELECT id, state FROM follows WHERE follower = $1 AND followee = $2 AND state <> 'rejected'",
            revoked["follower"],
            revoked["followee"],
        )
        if live is None:
            await follows.answer_on(connection, urls, decision.follow_id, "Accept", clock, reinstate=True)
        elif live["state"] == "pending":
            await follows.answer_on(connection, urls, live["id"], "Accept", clock)

    async def _remind(self, connection: Connection, group: Actor, policy: Policy, decision: Decision) -> None:
        instance = self._instance
        handle = await joining.handle_of(connection, instance, decision.follower)
        await joining.direct(
            connection, instance, group, decision.follower, handle, _reminder(instance, group, policy, decision)
        )


#: Accepted follows of a group, whether the follower is a server's instance actor, and whether a follow of the same
#: pair was revoked before (then there is no grace). The instance's own actor is never judged.
_ACCEPTED: Final = (
    "SELECT f.id, f.follower, f.created_at, f.answered_at, f.reminded_at,"
    " coalesce(r.document->>'type' IN ('Application', 'Service'), false) AS instance,"
    " EXISTS (SELECT 1 FROM follows o WHERE o.follower = f.follower AND o.followee = f.followee AND o.id <> f.id"
    " AND (o.revoked_at IS NOT NULL OR o.revoked_reason IS NOT NULL)) AS revoked_before"
    " FROM follows f LEFT JOIN remote_actors r ON r.uri = f.follower"
    " WHERE f.followee = $1 AND f.state = 'accepted' AND f.follower <> $2 ORDER BY f.id"
)
#: Follows of a group revoked for reciprocity, whether the follower undid them (Mastodon does, on our Reject) and the
#: state of the pair's live follow, when they followed again.
_REVOKED: Final = (
    "SELECT f.id, f.follower, f.revoked_at, f.undone_at IS NOT NULL AS undone,"
    " (SELECT l.state FROM follows l WHERE l.follower = f.follower AND l.followee = f.followee"
    " AND l.state <> 'rejected') AS live,"
    " coalesce(r.document->>'type' IN ('Application', 'Service'), false) AS instance"
    " FROM follows f LEFT JOIN remote_actors r ON r.uri = f.follower"
    " WHERE f.followee = $1 AND f.state = 'rejected' AND f.revoked_at IS NOT NULL AND f.follower <> $2 ORDER BY f.id"
)


def _reminder(instance: Instance, group: Actor, policy: Policy, decision: Decision) -> Mapping[str, Html]:
    address = instance.urls.charter()
    name = escape(group.display_name or group.name)
    counts = decision.consultations, decision.contributions, policy.window_days
    ratio, delay = policy.consultations_per_contribution, policy.reminder_days
    return {
        "fr": paragraph(
            escape("Rappel de la charte de réciprocité de "),
            name,
            escape(" ("),
            link(address, address),
            escape(
                f") : {counts[0]} consultations et {counts[1]} contributions en {counts[2]} jours, quand la charte"
                f" demande au moins une contribution pour {ratio} consultations. Publiez un chiffre, approuvez-en"
                f" ou corrigez-en un, ou répondez à une demande : sans contribution d'ici {delay} jours, l'accès"
                " sera retiré (une contribution le rendra)."
            ),
        ),
        "en": paragraph(
            escape("A reminder of the reciprocity charter of "),
            name,
            escape(" ("),
            link(address, address),
            escape(
                f"): {counts[0]} consultations and {counts[1]} contributions in {counts[2]} days, where the charter"
                f" asks for at least one contribution per {ratio} consultations. Publish a figure, endorse or"
                f" correct one, or answer a request: without a contribution within {delay} days, access will be"
                " withdrawn (a contribution gives it back)."
            ),
        ),
    }
