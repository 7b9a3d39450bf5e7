"""The self-correction consensus: claims in, a value with an interval and a status out.

This module holds the vocabulary (claims, per-origin summaries, the policy, the result); the
arithmetic lives in ``consensus.rows`` (columnar claims), ``consensus.estimator`` (one weighted pass),
``consensus.reliability`` (actor weights), ``consensus.status`` (statuses and hysteresis),
``consensus.batch`` (the alternating batch) and ``consensus.incremental`` (one claim at a time).

Exceptions: ``ConsensusError`` (bad claims or policy) is the root; ``consensus.offline.InputError``
derives from it for malformed input files.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class ConsensusError(ValueError):
    """A claim, summary or policy the engine cannot use."""


class Kind(enum.StrEnum):
    PUBLISH = "publish"
    ENDORSE = "endorse"
    CORRECT = "correct"
    SUMMARY = "summary"


class Status(enum.StrEnum):
    INSUFFICIENT = "insufficient"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"
    CONTESTED = "contested"


SETTLED = frozenset({Status.CONFIRMED, Status.CORRECTED})


@dataclass(frozen=True, slots=True)
class Claim:
    """One actor's statement of a figure's value, in the canonical unit.

    An endorsement carries the endorsed version's value; a boost is an endorsement with a smaller
    ``factor``.  ``ratio`` says the quantity is positive and multiplicative (prices, counts), so the
    engine works on its logarithm."""

    figure: str
    actor: str
    domain: str
    value: float
    kind: Kind
    made_at: datetime
    factor: float = 1.0
    version: int | None = None
    ratio: bool = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ConsensusError(f"claim on {self.figure!r} by {self.actor!r}: value is not finite")
        if not (math.isfinite(self.factor) and self.factor >= 0):
            raise ConsensusError(f"claim on {self.figure!r} by {self.actor!r}: bad weight factor")


@dataclass(frozen=True, slots=True)
class Summary:
    """What one origin instance says its own actors think of a figure (federation mode B).

    A newer summary from the same origin replaces the older one; it enters the receiver's consensus
    as one domain, weighted with the receiver's trust in ``origin`` and its domain cap."""

    figure: str
    origin: str
    value: float
    low: float
    high: float
    weight: float
    count: int
    version: int | None
    made_at: datetime
    ratio: bool = True

    def __post_init__(self) -> None:
        if not all(math.isfinite(x) for x in (self.value, self.low, self.high, self.weight)):
            raise ConsensusError(f"summary of {self.figure!r} from {self.origin!r}: not finite")
        if self.weight < 0 or self.count < 1:
            raise ConsensusError(f"summary of {self.figure!r} from {self.origin!r}: bad weight or count")


@dataclass(frozen=True)
class Policy:
    """Every constant of the engine.  Scales are in units of the figure's own spread ``s``.

    - ``alpha``/``beta``: inverse-gamma prior on an actor's variance; a new actor starts at
      σ² = β/(α+1) = 1 (as reliable as the typical spread) and that prior weighs as 2(α+1) = 20 claims,
      so a handful of claims cannot buy a large weight (with fewer, one lucky blunder-free run could
      outweigh careful members: measured on the synthetic protocol).
    - ``w_max``: an actor counts at most as much as one whose errors are half the spread (σ = s/2).
    - ``domain_cap``: a domain counts at most as one actor of typical reliability (σ = s), however
      many accounts it has; accounts that earned more (e.g. by precise early claims) gain nothing more.
    - ``r_clip``: a residual beyond 3 spreads is a blunder, counted as 3 (one slip cannot ruin anyone).
    - ``s_min``: spreads below half a percent are measurement rounding, not precision.
    - ``tolerance``: values within 5 % agree; ``confirm`` of the weight must agree to settle, and a
      settled status holds until agreement falls ``margin`` below that (hysteresis).
    - ``corroboration``: when two or more domains agree within ``tolerance``, a domain that agrees with
      none and weighs as much as the lightest such pair cannot be the value (one source never outvotes
      two independent ones that agree).
    - ``huber_k``: Huber's constant (1.345, the textbook choice: 95 % of a mean's efficiency under
      Gaussian errors) for reputations (the loss is linear beyond it), for the robust centre (three
      reweightings from the weighted median) and for newcomers' pull on the value.
    - ``location_k``: the value is an M-estimate from the robust centre (``huber_steps`` reweightings):
      established sources average within ``location_k`` spreads, newcomers within ``huber_k``; beyond
      ``reject`` spreads a domain does not count at all (``consensus.estimator``).
    - ``superseded``: a Like or boost of a version since replaced by another value is evidence for that
      value, weighed ``superseded`` per version since (the consensus is about the current version).
    - ``dependence``: test the sources with long records for shared errors, and credit precision above
      the typical source's only as far as they err independently (``consensus.dependence``); off,
      agreement is credited in full.
    - ``earn_claims``: until that many of its claims have counted, an actor weighs at most
      (k + 1) / (``earn_claims`` + 1) of the established actors' typical weight (see
      ``consensus.reliability``).
    """

    alpha: float = 9.0
    beta: float = 10.0
    w_max: float = 4.0
    domain_cap: float = 1.0
    r_clip: float = 3.0
    s_min: float = 0.005
    tolerance: float = 0.05
    confirm: float = 0.6
    margin: float = 0.1
    min_n_eff: float = 3.0
    min_domains: int = 2
    iterations: int = 8
    interval_z: float = 1.96
    announce_factor: float = 0.5
    own_domain: str = ""
    tau_own: float = 1.0
    tau_new: float = 0.3
    trust: Mapping[str, float] = field(default_factory=dict)
    before_settled: bool = True
    incumbency: bool = True
    corroboration: bool = True
    dependence: bool = True
    huber_k: float = 1.345
    location_k: float = 3.0
    reject: float = 6.0
    huber_steps: int = 8
    earn_claims: int = 2
    superseded: float = 0.1

    def __post_init__(self) -> None:
        if self.alpha <= -1 or self.beta <= 0 or self.w_max <= 0 or self.domain_cap <= 0:
            raise ConsensusError("policy: alpha > -1, beta, w_max and domain_cap > 0 are required")
        if not 0 < self.confirm <= 1 or not 0 <= self.margin < self.confirm or self.iterations < 1:
            raise ConsensusError("policy: need 0 < confirm <= 1, 0 <= margin < confirm, iterations >= 1")
        if min(self.huber_k, self.location_k, self.reject, self.huber_steps, self.earn_claims) < 0:
            raise ConsensusError("policy: huber_k, location_k, reject, huber_steps, earn_claims must not be negative")
        if not 0 <= self.superseded <= 1:
            raise ConsensusError("policy: superseded lies in [0, 1]")
        if any(not 0 <= t <= 1 for t in (self.tau_own, self.tau_new, *self.trust.values())):
            raise ConsensusError("policy: trust values lie in [0, 1]")

    def tau(self, domain: str) -> float:
        """This instance's trust in a domain: explicit setting, else own, else new."""
        if domain in self.trust:
            return self.trust[domain]
        return self.tau_own if domain == self.own_domain else self.tau_new

    @property
    def prior_claims(self) -> float:
        """How many claims the prior weighs; also the shrinkage of categorical accuracy."""
        return 2 * (self.alpha + 1)


@dataclass(frozen=True, slots=True)
class Consensus:
    """The engine's answer for one figure (value and interval in the canonical unit).

    ``settled_at`` is when the figure first became confirmed or corrected: claims made later no
    longer earn or lose reputation, so copying a settled value buys nothing."""

    figure: str
    value: float
    low: float
    high: float
    status: Status
    agreement: float
    n_eff: float
    contributors: int
    domains: int
    computed_at: datetime
    settled_at: datetime | None = None


def endorsement(
    figure: str,
    actor: str,
    domain: str,
    value: float,
    made_at: datetime,
    policy: Policy,
    *,
    version: int | None = None,
    boost: bool = False,
    ratio: bool = True,
) -> Claim:
    """A Like (or, with ``boost``, an Announce) counts as a claim of the endorsed version's value."""
    factor = policy.announce_factor if boost else 1.0
    return Claim(figure, actor, domain, value, Kind.ENDORSE, made_at, factor, version, ratio)
