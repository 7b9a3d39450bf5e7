"""What the shared-error test (``consensus.dependence``) does to accuracy, where it was made for and where not.

- Weather subsets: eight random 60 % subsets of the Weather objects (``numpy.random.default_rng(seed)``,
  seeds 0-7), ours minus the plain mean, numbers only and with the conditions: a result that held on the
  whole file only could be a point found by tuning.
- Simulated dense panels, 40 of each kind (5-15 sources, 200-1,500 figures, Student-t errors with
  spreads 1-5 and constant biases), independent and with an error shared by groups of three sources:
  the test's 1/F, and ours against the median with the test and with the credit forced to 1, so that its
  cost where errors are independent (or where sources share errors but differ widely in their own
  precision) is in the same run as its gain.

Run from the repository root: ``python -m bench.dependence``; ``make bench`` runs it too (about a minute).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from consensus.offline import evaluate
from consensus.vocabulary import Policy

WEATHER = Path(__file__).resolve().parents[2] / "shared" / "data" / "weather"
PANELS = 40


def weather_subsets() -> None:
    if not WEATHER.exists():
        print("Weather subsets: the data set is not beside the checkout, skipped")
        return
    lines = (WEATHER / "claims.tsv").read_text().splitlines()
    truths = (WEATHER / "truth.tsv").read_text().splitlines()
    objects = sorted({line.split("\t")[0] for line in lines})
    gaps: list[tuple[float, float]] = []
    for seed in range(8):
        keep = set(np.random.default_rng(seed).choice(objects, int(0.6 * len(objects)), replace=False).tolist())
        claims = "\n".join(line for line in lines if line.split("\t")[0] in keep) + "\n"
        truth = "\n".join(line for line in truths if line.split("\t")[0] in keep) + "\n"
        pair = []
        for numbers_only in (True, False):
            report = evaluate(io.StringIO(claims), io.StringIO(truth), numbers_only=numbers_only)
            mean = report["mean"]
            assert isinstance(mean, dict)
            assert isinstance(report["mae"], float)
            pair.append(report["mae"] - mean["mae"])
        gaps.append((pair[0], pair[1]))
    numbers, conditions = np.array(gaps).T
    print(
        f"Weather, 8 subsets of 60 %: ours - mean, numbers only {numbers.mean():+.4f} "
        f"({numbers.min():+.3f} to {numbers.max():+.3f}), with the conditions {conditions.mean():+.4f}"
    )


def _panel(rng: np.random.Generator, shared: bool) -> tuple[str, str]:
    figures, sources = int(rng.integers(200, 1500)), int(rng.integers(5, 16))
    truth = rng.uniform(20, 100, figures)
    spread = np.exp(rng.uniform(0, np.log(5), sources))
    x = truth[:, None] + rng.normal(0, 1, sources) + rng.standard_t(3, (figures, sources)) * spread
    if shared:
        x += rng.normal(0, 2, (figures, 3))[:, np.arange(sources) % 3] * rng.uniform(0.5, 2, sources)
    x[rng.random((figures, sources)) < 0.15] = np.nan
    claims = [f"o{i}\t{v:.1f}\ts{j}" for (i, j), v in np.ndenumerate(x) if np.isfinite(v)]
    return "\n".join(claims) + "\n", "\n".join(f"o{i}\t{t:.3f}" for i, t in enumerate(truth)) + "\n"


def panels(shared: bool) -> None:
    ratios: dict[str, list[float]] = {"test": [], "credit 1": []}
    credits: list[float] = []
    rng = np.random.default_rng(6 if shared else 5)
    for _ in range(PANELS):
        claims, truth = _panel(rng, shared)
        for name, policy in (("test", Policy()), ("credit 1", Policy(dependence=False))):
            report = evaluate(io.StringIO(claims), io.StringIO(truth), policy=policy)
            median = report["median"]
            assert isinstance(median, dict)
            assert isinstance(report["mae"], float)
            ratios[name].append(report["mae"] / median["mae"])
            if policy.dependence:
                assert isinstance(report["credit"], float)
                credits.append(report["credit"])
    low, mid = np.percentile(credits, [5, 50])
    kind = "errors shared by groups of three" if shared else "independent errors"
    print(
        f"{PANELS} dense panels, {kind}: 1/F median {mid:.2f}, 5th percentile {low:.2f}; ours / median "
        f"{np.mean(ratios['test']):.4f} with the test, {np.mean(ratios['credit 1']):.4f} with the credit forced to 1"
    )


def main() -> None:
    weather_subsets()
    panels(shared=False)
    panels(shared=True)


if __name__ == "__main__":
    main()
