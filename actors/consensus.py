"""The consensus this instance computes for a figure from the claims it holds, and its publication.

The job takes the latest claim of every actor, this instance's trust in each domain, and the previous result (for
hysteresis), and stores the new consensus. For a figure published here it sends an ``Update`` only when the
status changes or the value leaves the interval last published — never a storm of updates.
"""

from __future__ import annotations

import logging

from actors.claims import CONSENSUS, DEFAULT_NEW_TRUST, trust_levels
from actors.publication import Publisher
from fedi.database import Pool
from fedi.types import JSON, Clock
from fedi.urls import Urls
from figures.consensus import Claim, Consensus, Kind, Policy, Status
from figures.recompute import recompute
from figures.rows import rows_of

logger = logging.getLogger(__name__)

__all__ = ["CONSENSUS", "ConsensusJob", "should_publish"]

_KINDS = {"publish": Kind.PUBLISH, "endorse": Kind.ENDORSE, "boost": Kind.ENDORSE, "correct": Kind.CORRECT}


def should_publish(previous: dict[str, object] | None, result: Consensus) -> bool:
    """Publish a change of status, or a value that left the interval published last; nothing else."""
    published = previous.get("published_status") if previous else None
    if published is None:
        return result.status is not Status.INSUFFICIENT
    if published != str(result.status):
        return True
    low, high = (
        previous.get("published_low") if previous else None,
        previous.get("published_high") if previous else None,
    )
    if isinstance(low, float) and isinstance(high, float):
        return not low <= result.value <= high
    return False


class ConsensusJob:
    """The ``consensus`` job: recompute one figure, store it, publish it when it is ours and it changed."""

    def __init__(self, pool: Pool, urls: Urls, clock: Clock, publisher: Publisher) -> None:
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._publisher = publisher

    async def __call__(self, payload: JSON) -> None:
        await self.recompute(str(payload["figure"]))

    async def policy(self) -> Policy:
        return Policy(own_domain=self._urls.domain, tau_new=DEFAULT_NEW_TRUST, trust=await trust_levels(self._pool))

    async def recompute(self, figure_uri: str) -> Consensus | None:
        policy = await self.policy()
        rows = await self._pool.fetch(
            "SELECT DISTINCT ON (actor) actor, domain, kind, value, version, made_at FROM claims"
            " WHERE figure_uri = $1 AND withdrawn_at IS NULL ORDER BY actor, made_at DESC, id DESC",
            figure_uri,
        )
        claims = [
            Claim(
                figure_uri,
                row["actor"],
                row["domain"],
                float(row["value"]),
                _KINDS[row["kind"]],
                row["made_at"],
                policy.announce_factor if row["kind"] == "boost" else 1.0,
                row["version"],
                ratio=float(row["value"]) > 0,
            )
            for row in rows
        ]
        if not claims:
            return None
        ratio = all(claim.value > 0 for claim in claims)
        claims = [
            Claim(c.figure, c.actor, c.domain, c.value, c.kind, c.made_at, c.factor, c.version, ratio) for c in claims
        ]
        previous_row = await self._pool.fetchrow("SELECT * FROM consensus WHERE figure_uri = $1", figure_uri)
        previous = {figure_uri: _consensus(figure_uri, dict(previous_row))} if previous_row else None
        now = self._clock()
        result = recompute(rows_of(claims), policy, now, previous).numbers.get(figure_uri)
        if result is None:
            return None
        await self._store(result)
        await self._maybe_publish(figure_uri, dict(previous_row) if previous_row else None, result)
        return result

    async def _store(self, result: Consensus) -> None:
        await self._pool.execute(
            "INSERT INTO consensus (figure_uri, value, low, high, status, agreement, n_eff, contributors, domains,"
            " computed_at, settled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (figure_uri) DO UPDATE SET value = excluded.value, low = excluded.low, high = excluded.high,"
            " status = excluded.status, agreement = excluded.agreement, n_eff = excluded.n_eff,"
            " contributors = excluded.contributors, domains = excluded.domains, computed_at = excluded.computed_at,"
            " settled_at = coalesce(consensus.settled_at, excluded.settled_at)",
            result.figure,
            result.value,
            result.low,
            result.high,
            str(result.status),
            result.agreement,
            result.n_eff,
            result.contributors,
            result.domains,
            result.computed_at,
            result.settled_at,
        )

    async def _maybe_publish(self, figure_uri: str, previous: dict[str, object] | None, result: Consensus) -> None:
        origin = await self._pool.fetchval(
            "SELECT origin FROM figures WHERE uri = $1 AND deleted_at IS NULL", figure_uri
        )
        if origin != self._urls.domain or not should_publish(previous, result):
            return
        await self._publisher.publish_consensus(figure_uri, result)
        await self._pool.execute(
            "UPDATE consensus SET published_status = $2, published_low = $3, published_high = $4,"
            " published_value = $5 WHERE figure_uri = $1",
            figure_uri,
            str(result.status),
            result.low,
            result.high,
            result.value,
        )
        logger.info("consensus of %s is now %s (%.4g)", figure_uri, result.status, result.value)


def _consensus(figure_uri: str, row: dict[str, object]) -> Consensus:
    return Consensus(
        figure=figure_uri,
        value=float(str(row["value"])),
        low=float(str(row["low"])),
        high=float(str(row["high"])),
        status=Status(str(row["status"])),
        agreement=float(str(row["agreement"])),
        n_eff=float(str(row["n_eff"])),
        contributors=int(str(row["contributors"])),
        domains=int(str(row["domains"])),
        computed_at=row["computed_at"],  # type: ignore[arg-type]
        settled_at=row["settled_at"],  # type: ignore[arg-type]
    )
