"""Actor reliability: from residuals (and categorical agreement) to weights.

Numeric claims follow GTM: σ² = (2β + Σρ(r)) / (2(α+1) + n) with r in units of the figure's spread,
clipped, and ρ Huber's loss (squared near zero, linear beyond ``huber_k``): errors on real edit
histories are heavy-tailed, and under a squared loss a few large misses sank sources with hundreds of
good claims.  Each actor needs only (n, Σρ) and one new claim updates it in O(1) (``sum_r2`` holds Σρ).

Newcomers earn weight: an actor with fewer than ``earn_claims`` counted claims is bounded below the
weight behind the established actors' typical claim, so a source seen once cannot outweigh the sources
the instance relies on, whatever its one claim.

Agreement can show a source to be worse than the others, but better only while sources err
independently: where they demonstrably share errors (``consensus.dependence``), precision above the
typical established source's is credited to the power ``credit`` (1: in full; 0: not at all).

Categorical claims (offline data) inform the same weight.  A label is right when the actor's latent
error falls inside a narrow window around the truth; for errors wider than the window that chance is
proportional to the error density at the truth, i.e. to 1/σ.  Precision 1/σ² therefore scales with
accuracy², and an actor's numeric precision is multiplied by (accuracy / mean accuracy)², the accuracy
shrunk towards the mean by the same prior weight as the variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consensus.median import Floats, Ints, group_sum
from consensus.vocabulary import Policy


@dataclass
class Reputation:
    """Sufficient statistics per actor (dense integer ids)."""

    n: Floats
    sum_r2: Floats
    n_cat: Floats
    agree: Floats
    credit: float = 1.0  # power on precision above the typical source's (``consensus.dependence``)

    @classmethod
    def empty(cls, actors: int) -> Reputation:
        return cls(np.zeros(actors), np.zeros(actors), np.zeros(actors), np.zeros(actors))

    def grow(self, actors: int) -> None:
        """Room for newly seen actors (the ledger learns actors as claims arrive)."""
        extra = actors - len(self.n)
        if extra > 0:
            pad = np.zeros(max(extra, len(self.n)))
            self.n, self.sum_r2 = np.concatenate([self.n, pad]), np.concatenate([self.sum_r2, pad])
            self.n_cat, self.agree = np.concatenate([self.n_cat, pad]), np.concatenate([self.agree, pad])

    def weights(self, policy: Policy, population: Reputation | None = None) -> Floats:
        """GTM precision, capped by ``w_max`` and by what the actor's record can justify (``ceiling``).

        ``population`` (default: these actors) sets the typical weight; the incremental engine, which
        weighs one figure's actors at a time, passes the whole population."""
        whole = self if population is None else population
        raw = self._raw(policy, whole)
        return np.asarray(np.minimum(raw, self.ceiling(policy, whole.typical(policy))), dtype=np.float64)

    def _raw(self, policy: Policy, population: Reputation) -> Floats:
        precision = self._precision(policy)
        if population.credit < 1:
            typical = population._typical(population._precision(policy), policy)
            above = precision > typical
            precision[above] = typical * (precision[above] / typical) ** population.credit
        return np.asarray(np.minimum(self.accuracy_factor(policy) * precision, policy.w_max), dtype=np.float64)

    def _precision(self, policy: Policy) -> Floats:
        """GTM: 1 / σ², σ² = (2β + Σρ) / (2(α + 1) + n)."""
        return np.asarray((policy.prior_claims + self.n) / (2 * policy.beta + self.sum_r2), dtype=np.float64)

    def _typical(self, values: Floats, policy: Policy) -> float:
        """``values`` averaged over the established actors, each by its record; +inf while there are none."""
        seen = self.n + self.n_cat
        established = np.where(seen >= policy.earn_claims, seen, 0.0)
        total = float(established.sum())
        return float((established * values).sum() / total) if total > 0 else np.inf

    def typical(self, policy: Policy) -> float:
        """The weight behind a typical claim of the established actors (``earn_claims`` or more counted);
        ``w_max`` while nobody is established, since a newcomer can only start below somebody.

        Relative to the population, not to the prior: on real data the sources everybody relies on
        have residuals above the prior's guess (figures with few sources have narrow spreads), so a
        stranger at the prior would outweigh them."""
        typical = self._typical(self._raw(policy, self), policy)
        return policy.w_max if np.isinf(typical) else typical

    def ceiling(self, policy: Policy, typical: float) -> Floats:
        """A source earns weight: until ``earn_claims`` of its claims have counted, it weighs at most
        (k + 1) / (``earn_claims`` + 1) of the typical weight after k of them, so one seen once starts
        below the sources the instance relies on, never above; after that, one more typical weight per
        ``prior_claims`` claims of record.  A record of two claims is still mostly prior, and the prior
        guesses better than the sources everybody relies on do on real data (measured on vandalised
        sets: vandals seen twice weighed 0.68, the honest sources 0.45, and won their figures).  Only
        claims that counted (made before the figure settled) earn: copying settled values never lifts
        the bound."""
        seen = self.n + self.n_cat
        young = typical * (seen + 1) / (policy.earn_claims + 1)
        grown = typical * (1 + np.maximum(seen - policy.earn_claims, 0) / policy.prior_claims)
        bound = np.where(seen < policy.earn_claims, young, grown)
        return np.asarray(np.minimum(bound, policy.w_max), dtype=np.float64)

    def maturity(self, policy: Policy) -> Floats:
        """1 for the established actors (``earn_claims`` counted claims or more), 0 for newcomers."""
        seen = self.n + self.n_cat
        return np.asarray(seen >= policy.earn_claims, dtype=np.float64)

    def accuracy_factor(self, policy: Policy) -> Floats:
        seen = self.n_cat.sum()
        if seen <= 0:
            return np.ones(len(self.n))
        mean = self.agree.sum() / seen
        if mean <= 0:
            return np.ones(len(self.n))
        accuracy = (self.agree + policy.prior_claims * mean) / (self.n_cat + policy.prior_claims)
        return np.asarray((accuracy / mean) ** 2, dtype=np.float64)


def tally(actor: Ints, r2: Floats, actors: int) -> tuple[Floats, Floats]:
    """(n, Σr²) per actor from per-row squared residuals (NaN rows do not count)."""
    counted = np.isfinite(r2) & (actor >= 0)
    idx = actor[counted]
    n = np.bincount(idx, minlength=actors).astype(np.float64)
    return n, group_sum(idx, r2[counted], actors)
