"""Actor reliability: from residuals (and categorical agreement) to weights.

Numeric claims follow GTM: σ² = (2β + Σr²) / (2(α+1) + n) with r in units of the figure's spread, so
each actor needs only (n, Σr²) and one new claim updates it in O(1).

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

    def weights(self, policy: Policy) -> Floats:
        variance = (2 * policy.beta + self.sum_r2) / (policy.prior_claims + self.n)
        return np.asarray(np.minimum(self.accuracy_factor(policy) / variance, policy.w_max), dtype=np.float64)

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
