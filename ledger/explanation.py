"""Why a figure has its status: the consensus line and every claim behind it, with the weight each one carried.

A claim's ``weight`` is its share of the consensus: its actor's weight (learned from their record,
``consensus.reliability``) times the claim's factor (a boost counts half), scaled so that the claims of one domain
share that domain's weight in the consensus — this instance's trust in the domain times their sum, capped at
``Policy.domain_cap``. A claim the engine does not take (unverified, or implausible and alone) is listed with
weight 0, so that a reader sees it was received and set aside. Values are in the figure's
unit, as the claim was read from its activity; ``parsed`` says the value was read from a reply's text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime

from consensus.incremental import IncrementalConsensus
from consensus.vocabulary import Claim, ConsensusError, Policy
from fedi.database import Pool
from fedi.types import JSON
from figures.numbers import wire_decimal
from ledger.consensus import ConsensusJob

__all__ = ["Counted", "explain", "weights"]


@dataclass(frozen=True)
class Counted:
    """One actor's latest claim on the figure, as listed by ``consensus show`` and the API."""

    actor: str
    domain: str
    kind: str
    value: str
    unit: str
    parsed: bool
    version: int | None
    weight: float
    reference: str


def weights(claims: list[Claim], policy: Policy, now: datetime) -> dict[str, float]:
    """Each actor's effective weight in the figure's consensus (see the module's docstring)."""
    engine = IncrementalConsensus(policy)
    for claim in claims:
        try:
            engine.add(claim, now)
        except ConsensusError:
            continue
    raw = {claim.actor: engine.weight(claim.actor) * claim.factor for claim in claims}
    domain_of = {claim.actor: claim.domain for claim in claims}
    per_domain: dict[str, float] = defaultdict(float)
    for actor, weight in raw.items():
        per_domain[domain_of[actor]] += weight
    shares: dict[str, float] = {}
    for actor, weight in raw.items():
        domain = domain_of[actor]
        total = per_domain[domain]
        carried = policy.tau(domain) * min(total, policy.domain_cap)
        shares[actor] = carried * weight / total if total > 0 else 0.0
    return shares


async def explain(job: ConsensusJob, pool: Pool, figure_uri: str, now: datetime) -> JSON | None:
    """The consensus line and its claims, as ``consensus show --json`` prints it; None before any computation."""
    line = await pool.fetchrow(
        "SELECT c.status, c.value, c.low, c.high, c.domains, c.contributors, c.agreement, f.unit_code"
        " FROM consensus c LEFT JOIN figures f ON f.uri = c.figure_uri WHERE c.figure_uri = $1",
        figure_uri,
    )
    if line is None:
        return None
    counted, policy = await job.counted(figure_uri)
    weight = weights(counted, policy, now)
    rows = await pool.fetch(
        "SELECT DISTINCT ON (actor) actor, domain, kind, value, parsed, version, reference FROM claims"
        " WHERE figure_uri = $1 AND withdrawn_at IS NULL ORDER BY actor, made_at DESC, id DESC",
        figure_uri,
    )
    unit = str(line["unit_code"] or "")
    claims = [
        Counted(
            row["actor"],
            row["domain"],
            row["kind"],
            wire_decimal(row["value"]),
            unit,
            row["parsed"],
            row["version"],
            round(weight.get(row["actor"], 0.0), 6),
            row["reference"],
        )
        for row in rows
    ]
    claims.sort(key=lambda item: (-item.weight, item.actor))
    return {
        "status": line["status"],
        "value": significant(line["value"]),
        "low": significant(line["low"]),
        "high": significant(line["high"]),
        "unit": unit,
        "domains": line["domains"],
        "contributors": line["contributors"],
        "agreement": line["agreement"],
        "claims": [asdict(item) for item in claims],
    }


def significant(value: float | None) -> float | None:
    """The engine computes in floating point (logarithms, weighted medians): 845.0000000000001 is 845 said
    noisily. Ten significant digits are more than any consensus is good for, and drop the noise."""
    return None if value is None else float(f"{value:.10g}")
