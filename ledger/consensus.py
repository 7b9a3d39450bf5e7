"""The consensus this instance computes for a figure from the claims it holds, and its publication.

The job takes the latest claim of every actor, this instance's trust in each domain, and the previous result (for
hysteresis), and stores the new consensus. For a figure published here it sends an ``Update`` only when the
status changes or the value leaves the interval last published — never a storm of updates.

A burst of claims on one figure is one job (``ledger.claims.pending``): the job computes, then clears the figure's
pending mark only at the generation it started from; when claims arrived meanwhile it computes again, taking them
all. Publication decides under the lock of the figure's consensus row, on the published state read under it, so
two computations that overlap anyway (the batch, a worker started again) cannot both send the same change.

A stored row whose values break the bounds every value meets on input (``figures.numbers``: not finite, or 10^15
and beyond) can only predate those bounds or come from outside the application. It is left out with its reason,
logged and counted (``BatchReport``), so that one bad row neither freezes its figure nor stops every other one.

Which sources the engine sees (a farm as one, each approved member of ours as one) is ``ledger.sources``. The
module runs a few lines past 400 because the job's steps — reading claims within their bounds, computing,
publishing under the row lock — share one transaction discipline that is easier to check in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from consensus.batch import recompute
from consensus.incremental import IncrementalConsensus
from consensus.rows import rows_of
from consensus.vocabulary import Claim, Consensus, ConsensusError, Policy, Status, Summary
from fedi.config import Settings
from fedi.database import Connection, Pool, is_unavailable
from fedi.schedule import Lease, every
from fedi.types import JSON, Clock
from fedi.urls import Urls
from ledger import reciprocity, recomputation
from ledger.claims import CONSENSUS, DEFAULT_NEW_TRUST, UNVERIFIED, trust_levels
from ledger.counting import KINDS, corroborated, factor, sound
from ledger.independence import Independence
from ledger.publication import Publisher
from ledger.sources import Sources, instances

logger = logging.getLogger(__name__)

__all__ = ["CONSENSUS", "BatchReport", "ConsensusJob", "Periodic", "should_publish"]

ShareSummary = Callable[[Summary], Awaitable[None]]
Published = tuple[str | None, float | None, float | None, float | None]


@dataclass(frozen=True)
class BatchReport:
    """What a recomputation of every figure did: how many it computed, and why each bad row was left out."""

    figures: int
    skipped: tuple[str, ...]


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
        # Agreeing claims give an interval of no width, and the same claims summed in another order move the value
        # by a rounding error: that is no change to tell anyone (it once sent a second Update after a burst).
        slack = 1e-9 * max(abs(low), abs(high))
        return not low - slack <= result.value <= high + slack
    return False


class ConsensusJob:
    """The ``consensus`` job: recompute one figure, store it, publish it when it is ours and it changed."""

    def __init__(
        self,
        pool: Pool,
        urls: Urls,
        clock: Clock,
        publisher: Publisher,
        share_summary: ShareSummary | None = None,
        *,
        farms: Independence | None = None,
        base: Policy | None = None,
    ) -> None:
        self._base = base or Policy()
        self._share_summary = share_summary
        self._sources = Sources(pool, urls, clock, farms)
        self._pool = pool
        self._urls = urls
        self._clock = clock
        self._publisher = publisher

    async def __call__(self, payload: JSON) -> None:
        await self.settle(str(payload["figure"]))

    async def settle(self, figure_uri: str) -> None:
        """Recompute the figure until no claim arrived during a computation, then clear its pending mark.

        The ``DELETE`` waits for a claim transaction holding the mark's row, so a claim is either seen by the pass
        that clears the mark or finds no mark and queues a new job. A job that fails otherwise than by the
        database going away (it is then run again) clears the mark, so that the next claim queues a job afresh.
        """
        while True:
            generation = await self._pool.fetchval(
                "SELECT generation FROM consensus_pending WHERE figure_uri = $1", figure_uri
            )
            try:
                await self.recompute(figure_uri)
            except Exception as error:
                if not is_unavailable(error):
                    await self._pool.execute("DELETE FROM consensus_pending WHERE figure_uri = $1", figure_uri)
                raise
            if generation is None:
                return
            cleared = await self._pool.fetchval(
                "DELETE FROM consensus_pending WHERE figure_uri = $1 AND generation = $2 RETURNING generation",
                figure_uri,
                generation,
            )
            if cleared is not None:
                return

    async def policy(self) -> Policy:
        trust = await trust_levels(self._pool)
        return replace(self._base, own_domain=self._urls.domain, tau_new=DEFAULT_NEW_TRUST, trust=trust)

    async def counted(self, figure_uri: str) -> tuple[list[Claim], Policy]:
        """The claims on one figure as the engine takes them (farms grouped), and the policy it weighs them with."""
        policy = await self.policy()
        seen = await self._sources.of(await self._claims([figure_uri], policy, []), policy)
        return seen.claims, seen.policy

    async def recompute(self, figure_uri: str) -> Consensus | None:
        """One figure, after a claim or a summary about it arrived (the incremental path)."""
        return (await self._run([figure_uri])).get(figure_uri)

    async def recompute_all(self) -> int:
        """Every figure at once, so that actor weights are learned across all their claims (the batch path)."""
        return (await self.recompute_batch()).figures

    async def recompute_batch(self) -> BatchReport:
        """``recompute_all``, saying which bad rows it left out and why."""
        skipped: list[str] = []
        results = await self._bulk(skipped)
        return BatchReport(len(results), tuple(skipped))

    async def _bulk(self, skipped: list[str]) -> dict[str, Consensus]:
        """As ``_run`` over every figure, read and written in bulk (``ledger.recomputation``)."""
        policy = await self.policy()
        gathered = await recomputation.gather(self._pool, policy, skipped)
        seen = await self._sources.of(gathered.representatives(), policy)
        policy = seen.policy
        summaries = await self._summaries(None, skipped)
        for reason in skipped:
            logger.warning("consensus: bad row left out: %s", reason)
        if not len(gathered) and not summaries:
            return {}
        scope = sorted(gathered.figures | {summary.figure for summary in summaries})
        previous = {
            row["figure_uri"]: _consensus(row["figure_uri"], dict(row))
            for row in await self._pool.fetch("SELECT * FROM consensus WHERE figure_uri = ANY($1)", scope)
        }
        now = self._clock()
        published = {
            row["uri"]: float(row["value"])
            for row in await self._pool.fetch(
                "SELECT uri, value FROM figures WHERE uri = ANY($1) AND deleted_at IS NULL", scope
            )
        }

        def compute() -> dict[str, Consensus]:
            given = recomputation.engine_input(gathered, seen, summaries)
            computed = recompute(given.rows, policy, now, previous, published).numbers
            return {uri: replace(r, domains=given.behind.get(uri, r.domains)) for uri, r in computed.items()}

        results = await asyncio.to_thread(compute)
        before = {uri: previous[uri].value if uri in previous else published.get(uri) for uri in results}
        await recomputation.store(self._pool, results, before, policy.tolerance)
        last = await recomputation.publishable(self._pool, self._urls.domain, sorted(results))
        for uri, row in last.items():
            if should_publish(row, results[uri]):
                await self._maybe_publish(uri, results[uri])
        await self._share(seen.grouped, policy, now)
        return results

    async def _run(self, figures: list[str] | None, skipped: list[str] | None = None) -> dict[str, Consensus]:
        bad: list[str] = [] if skipped is None else skipped
        policy = await self.policy()
        seen = await self._sources.of(await self._claims(figures, policy, bad), policy)
        claims, policy = seen.claims, seen.policy
        summaries = await self._summaries(figures, bad)
        for reason in bad:
            logger.warning("consensus: bad row left out: %s", reason)
        if not claims and not summaries:
            return {}
        scope = sorted({claim.figure for claim in claims} | {summary.figure for summary in summaries})
        previous_rows = {
            row["figure_uri"]: dict(row)
            for row in await self._pool.fetch("SELECT * FROM consensus WHERE figure_uri = ANY($1)", scope)
        }
        previous = {uri: _consensus(uri, row) for uri, row in previous_rows.items()}
        now = self._clock()
        published = {
            row["uri"]: float(row["value"])
            for row in await self._pool.fetch(
                "SELECT uri, value FROM figures WHERE uri = ANY($1) AND deleted_at IS NULL", scope
            )
        }
        computed = recompute(rows_of(claims, summaries), policy, now, previous, published).numbers
        behind = instances(seen, summaries)
        results = {uri: replace(result, domains=behind.get(uri, result.domains)) for uri, result in computed.items()}
        for uri, result in results.items():
            before = previous[uri].value if uri in previous else published.get(uri)
            await reciprocity.moved(self._pool, uri, before, result.value, policy.tolerance)
            await self._store(result)
            await self._maybe_publish(uri, result)
        await self._share(seen.grouped, policy, now)
        return results

    async def _claims(self, figures: list[str] | None, policy: Policy, skipped: list[str]) -> list[Claim]:
        # An unverified claim (relayed without proof of its author) is kept to be seen, but weighs nothing.
        where = f"withdrawn_at IS NULL AND authenticity <> '{UNVERIFIED}'" + (
            " AND figure_uri = ANY($1)" if figures is not None else ""
        )
        rows = await self._pool.fetch(
            "SELECT c.*, f.version AS current_version, f.value AS current_value FROM ("
            "SELECT DISTINCT ON (figure_uri, actor) figure_uri, actor, domain, kind, value, version, made_at,"
            f" implausible FROM claims WHERE {where} ORDER BY figure_uri, actor, made_at DESC, id DESC"
            ") c LEFT JOIN figures f ON f.uri = c.figure_uri AND f.deleted_at IS NULL",
            *([figures] if figures is not None else []),
        )
        rows = [
            row for row in rows if sound(f"claim on {row['figure_uri']} by {row['actor']}", [row["value"]], skipped)
        ]
        rows = corroborated(rows)
        negative = {row["figure_uri"] for row in rows if row["value"] <= 0}
        return [
            Claim(
                row["figure_uri"],
                row["actor"],
                row["domain"],
                float(row["value"]),
                KINDS[row["kind"]],
                row["made_at"],
                factor(row, policy),
                row["version"],
                ratio=row["figure_uri"] not in negative,
            )
            for row in rows
        ]

    async def _summaries(self, figures: list[str] | None, skipped: list[str]) -> list[Summary]:
        """Peers' summaries (mode B): each stands for all its origin's actors, whose raw claims it shadows."""
        where = " WHERE figure_uri = ANY($1)" if figures is not None else ""
        rows = await self._pool.fetch(f"SELECT * FROM summaries{where}", *([figures] if figures is not None else []))
        summaries: list[Summary] = []
        for row in rows:
            what = f"summary of {row['figure_uri']} from {row['origin']}"
            if not sound(what, [row["value"], row["low"], row["high"], row["weight"]], skipped):
                continue
            try:
                summaries.append(
                    Summary(
                        row["figure_uri"],
                        row["origin"],
                        row["value"],
                        row["low"],
                        row["high"],
                        row["weight"],
                        row["count"],
                        row["version"],
                        row["made_at"],
                        ratio=row["value"] > 0 and row["low"] > 0,
                    )
                )
            except ConsensusError as error:
                skipped.append(f"{what}: {error}")
        return summaries

    async def _share(self, claims: list[Claim], policy: Policy, now: datetime) -> None:
        """Send our own actors' summaries to our peers; never anything received from elsewhere."""
        if self._share_summary is None:
            return
        own = [claim for claim in claims if claim.domain == policy.own_domain]
        if not own:
            return
        engine = IncrementalConsensus(policy)
        for claim in own:
            engine.add(claim, now)
        for figure in sorted({claim.figure for claim in own}):
            summary = engine.summary(figure, None, now)
            if summary is not None:
                await self._share_summary(summary)

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

    async def _maybe_publish(self, figure_uri: str, result: Consensus) -> None:
        """Send the result when it changed from what was last *published*, decided under the row's lock.

        The change is marked published before it is sent, so that an overlapping computation waiting on the lock
        reads it and sends nothing; a send that fails gives the mark back, unless another change was marked since.
        Holding no connection while sending keeps the jobs of many figures from exhausting the pool together.
        """
        origin = await self._pool.fetchval(
            "SELECT origin FROM figures WHERE uri = $1 AND deleted_at IS NULL", figure_uri
        )
        if origin != self._urls.domain:
            return
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT published_status, published_low, published_high, published_value FROM consensus"
                " WHERE figure_uri = $1 FOR UPDATE",
                figure_uri,
            )
            before = dict(row) if row is not None else None
            if not should_publish(before, result):
                return
            await _mark(connection, figure_uri, (str(result.status), result.low, result.high, result.value))
            await connection.execute(
                "INSERT INTO consensus_history (figure_uri, at, status, value, low, high)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                figure_uri,
                result.computed_at,
                str(result.status),
                result.value,
                result.low,
                result.high,
            )
        try:
            await self._publisher.publish_consensus(figure_uri, result)
        except BaseException:
            mine = (str(result.status), result.low, result.high, result.value)
            with contextlib.suppress(Exception):
                await _mark(self._pool, figure_uri, _published(before), mine)
            raise
        logger.info("consensus of %s is now %s (%.4g)", figure_uri, result.status, result.value)


def thresholds(settings: Settings) -> Policy:
    """The engine's policy with this instance's thresholds (``CHIFFRES_CONSENSUS_*``, documented in the README)."""
    return Policy(
        min_domains=settings.consensus_min_sources,
        min_n_eff=settings.consensus_min_contributors,
        confirm=settings.consensus_agreement,
        margin=min(Policy().margin, settings.consensus_agreement - 0.5),
        tolerance=settings.consensus_tolerance,
    )


async def _mark(db: Pool | Connection, figure_uri: str, published: Published, unless: Published | None = None) -> None:
    """Record what was published; with ``unless``, only while the mark is still that one."""
    where = "" if unless is None else " AND (published_status, published_low, published_high, published_value)"
    where += "" if unless is None else " IS NOT DISTINCT FROM ($6::text, $7::float8, $8::float8, $9::float8)"
    await db.execute(
        "UPDATE consensus SET published_status = $2, published_low = $3, published_high = $4,"
        f" published_value = $5 WHERE figure_uri = $1{where}",
        figure_uri,
        *published,
        *(unless or ()),
    )


def _published(row: dict[str, object] | None) -> Published:
    """What a consensus row says was published last (all None when nothing was)."""
    if row is None:
        return (None, None, None, None)
    return (
        _text(row["published_status"]),
        _number(row["published_low"]),
        _number(row["published_high"]),
        _number(row["published_value"]),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _number(value: object) -> float | None:
    return None if value is None else float(str(value))


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


class Periodic:
    """Runs the batch recomputation every ``interval`` when claims changed since the last run: the per-claim
    path weighs one figure at a time, the batch learns each actor's weight across all their claims."""

    def __init__(self, job: ConsensusJob, pool: Pool, interval: float = 900.0) -> None:
        self._job = job
        self._pool = pool
        self._interval = interval
        self._last: datetime | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        await every(self._interval, stopping, self.tick, lease=Lease(self._pool, "consensus batch"))

    async def tick(self) -> int:
        latest = await self._pool.fetchval("SELECT max(greatest(made_at, coalesce(withdrawn_at, made_at))) FROM claims")
        if latest is None or (self._last is not None and latest <= self._last):
            return 0
        self._last = latest
        report = await self._job.recompute_batch()
        logger.info("batch recomputation of %d figures; bad rows skipped: %d", report.figures, len(report.skipped))
        return report.figures
