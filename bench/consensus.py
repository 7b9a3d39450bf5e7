"""Consensus benchmark: the synthetic adversarial protocol of CONSENSUS.md, plus timings.

Run ``python -m bench.consensus``.  Seeded and deterministic (timings aside).

Scenario: honest members publish and correct 300 figures first (phase 1, then a batch settles
them); adversaries then push 20 % of the figures up by 50 % (phase 2).  Adversaries also make accurate
"camouflage" claims elsewhere, half early (before figures settle, to earn reputation) and half late.
Placements: (a) one new domain, (b) five new domains, (c) hijacked accounts of honest members.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from consensus.batch import recompute
from consensus.incremental import IncrementalConsensus
from consensus.median import Cumulated, Floats, Ints, group_sum
from consensus.rows import Names, RowBuilder, Rows
from consensus.vocabulary import Claim, Kind, Policy

T0 = datetime(2025, 1, 1, tzinfo=UTC)
QS = (0.0, 0.33, 0.5, 0.6, 0.7)
PLACEMENTS = ("a", "b", "c")
TOL = math.log(1.05)


@dataclass
class World:
    truth: Floats  # ln y per figure
    targeted: Ints
    phase1: list[Claim]
    phase2: list[Claim]


def world(q: float, placement: str, seed: int = 7, figures: int = 300) -> World:
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0, 14, figures)
    sigma = np.exp(rng.normal(math.log(0.02), 0.7, 200))
    home = [f"h{i % 20}.example" for i in range(200)]
    targeted = np.sort(rng.choice(figures, figures // 5, replace=False))
    pool = 24
    hijacked = rng.choice(200, pool, replace=False)
    adv_actor = [f"hon{i}" if placement == "c" else f"adv{i}" for i in (hijacked if placement == "c" else range(pool))]
    adv_home = [
        home[h] if placement == "c" else "evil.example" if placement == "a" else f"evil{i % 5}.example"
        for i, h in enumerate(hijacked)
    ]
    phase1: list[Claim] = []
    for f in range(figures):
        for k, a in enumerate(rng.choice(200, 8, replace=False)):
            slip = 10.0 if rng.random() < 0.05 else 1.0
            value = math.exp(truth[f] + rng.normal(0, sigma[a])) * slip
            when = T0 + timedelta(seconds=float(rng.uniform(0, 1000)) if k else 0.0)
            kind = Kind.PUBLISH if k == 0 else Kind.CORRECT
            phase1.append(Claim(f"fig{f}", f"hon{a}", home[a], value, kind, when))
    phase2: list[Claim] = []
    share = round(8 * q / (1 - q)) if q < 1 else 0
    others = np.setdiff1d(np.arange(figures), targeted)
    for f in targeted:
        for i in rng.choice(pool, min(share, pool), replace=False):
            value = math.exp(truth[f] + math.log(1.5) + rng.normal(0, 0.01))
            when = T0 + timedelta(seconds=float(rng.uniform(2000, 3000)))
            phase2.append(Claim(f"fig{f}", adv_actor[i], adv_home[i], value, Kind.CORRECT, when))
    if share:
        for i in range(pool):
            for n, f in enumerate(rng.choice(others, 30, replace=False)):
                early = n % 2 == 0
                when = T0 + timedelta(seconds=float(rng.uniform(0, 1000) if early else rng.uniform(2000, 3000)))
                claim = Claim(
                    f"fig{f}", adv_actor[i], adv_home[i], math.exp(truth[f] + rng.normal(0, 0.01)), Kind.ENDORSE, when
                )
                (phase1 if early else phase2).append(claim)
    return World(truth, targeted, phase1, phase2)


def _rows(claims: Sequence[Claim]) -> Rows:
    builder = RowBuilder()
    for claim in claims:
        builder.add_claim(claim)
    return builder.build()


def ours(w: World, policy: Policy) -> Floats:
    """Two batches, as a running instance would: one after phase 1, one after phase 2."""
    first = recompute(_rows(w.phase1), policy, T0 + timedelta(seconds=1500))
    rows = _rows(w.phase1 + w.phase2)
    final = recompute(rows, policy, T0 + timedelta(seconds=3500), first.numbers)
    return _per_figure(rows, {k: math.log(v.value) for k, v in final.numbers.items()}, len(w.truth))


def _per_figure(rows: Rows, values: dict[str, float], figures: int) -> Floats:
    return np.array([values.get(f"fig{f}", math.nan) for f in range(figures)])


def _sorted(rows: Rows) -> tuple[Ints, Floats, Ints]:
    order = np.lexsort((rows.z, rows.fig))
    return order, rows.z[order], rows.fig[order]


def median(w: World) -> Floats:
    rows = _rows(w.phase1 + w.phase2)
    _, z, fig = _sorted(rows)
    cum = Cumulated(z, np.ones(len(z)), fig, len(rows.figures))
    est = cum.median(np.arange(len(rows.figures), dtype=np.int64))
    return _per_figure(rows, dict(zip(rows.figures.names, est.tolist(), strict=True)), len(w.truth))


def crh(w: World, rounds: int = 8) -> Floats:
    """CRH with absolute deviation (weighted median), losses normalised by figure spread and by each
    source's claim count, weights −log(loss / Σ loss); every account is a source."""
    rows = _rows(w.phase1 + w.phase2)
    order, z, fig = _sorted(rows)
    actor = rows.actor[order]
    figs = len(rows.figures)
    fids = np.arange(figs, dtype=np.int64)
    count = np.bincount(fig, minlength=figs)
    mean = group_sum(fig, z, figs) / count
    std = np.sqrt(group_sum(fig, (z - mean[fig]) ** 2, figs) / count) + 1e-9
    weights = np.ones(len(rows.actors))
    for _ in range(rounds):
        est = Cumulated(z, weights[actor], fig, figs).median(fids)
        loss = group_sum(actor, np.abs(z - est[fig]) / std[fig], len(weights))
        loss = loss / np.maximum(np.bincount(actor, minlength=len(weights)), 1) + 1e-12
        weights = np.minimum(-np.log(loss / loss.sum()), 50.0)
    est = Cumulated(z, weights[actor], fig, figs).median(fids)
    return _per_figure(rows, dict(zip(rows.figures.names, est.tolist(), strict=True)), len(w.truth))


@dataclass
class Score:
    mae: float
    err_all: float
    err_targeted: float


def score(w: World, est: Floats) -> Score:
    error = np.abs(est - w.truth)
    return Score(float(np.mean(error)), float(np.mean(error > TOL)), float(np.mean(error[w.targeted] > TOL)))


Method = Callable[[World], Floats]


def methods(policy: Policy) -> dict[str, Method]:
    return {"ours": lambda w: ours(w, policy), "median": median, "crh": crh}


def protocol(policy: Policy, methods: dict[str, Method]) -> dict[tuple[str, str, float], Score]:
    table: dict[tuple[str, str, float], Score] = {}
    for placement in PLACEMENTS:
        for q in QS:
            w = world(q, placement)
            for name, method in methods.items():
                table[(name, placement, q)] = score(w, method(w))
    return table


def threshold(table: dict[tuple[str, str, float], Score], name: str, placement: str) -> str:
    for q in QS:
        if table[(name, placement, q)].err_targeted >= 0.5:
            return f"{q:g}"
    return f"> {QS[-1]:g}"


def print_protocol(table: dict[tuple[str, str, float], Score], names: Sequence[str]) -> None:
    print("placement  q     method  MAE|ln|  err@5%all  err@5%targeted")
    for placement in PLACEMENTS:
        for q in QS:
            for name in names:
                s = table[(name, placement, q)]
                print(f"({placement})       {q:<5g} {name:<7} {s.mae:7.4f}  {s.err_all:9.3f}  {s.err_targeted:14.3f}")
    print("robustness threshold (smallest q with targeted error rate >= 0.5):")
    for name in names:
        print(f"  {name:<7}" + "  ".join(f"({p}) {threshold(table, name, p)}" for p in PLACEMENTS))


def ablation(policy: Policy) -> None:
    """Which defence holds placement (c): measured, each switched off in turn."""
    variants = {
        "all defences": policy,
        "no before-settled rule": dataclasses.replace(policy, before_settled=False),
        "no incumbency": dataclasses.replace(policy, incumbency=False),
        "neither": dataclasses.replace(policy, before_settled=False, incumbency=False),
    }
    print("ablation, placement (c), targeted error rate at q = .33 / .5 / .6:")
    for label, variant in variants.items():
        rates = [score(w, ours(w, variant)).err_targeted for w in (world(q, "c") for q in (0.33, 0.5, 0.6))]
        print(f"  {label:<24}" + " / ".join(f"{r:.2f}" for r in rates))


def time_incremental(policy: Policy, claims: int = 1000, updates: int = 400) -> tuple[float, float]:
    """p50 and p99 (ms) of one claim arriving on a figure that already has ``claims`` claims."""
    rng = np.random.default_rng(11)
    engine = IncrementalConsensus(policy)
    for i in range(claims):
        engine.add(
            Claim(
                "f",
                f"a{i}",
                f"d{i % 40}.example",
                100 * math.exp(rng.normal(0, 0.02)),
                Kind.CORRECT,
                T0 + timedelta(seconds=i),
            ),
            T0,
        )
    spent = []
    for u in range(updates):
        claim = Claim(
            "f",
            f"a{rng.integers(claims)}",
            f"d{u % 40}.example",
            100 * math.exp(rng.normal(0, 0.02)),
            Kind.CORRECT,
            T0 + timedelta(seconds=claims + u),
        )
        start = time.perf_counter()
        engine.add(claim, T0)
        spent.append(time.perf_counter() - start)
    return float(np.percentile(spent, 50) * 1e3), float(np.percentile(spent, 99) * 1e3)


def synthetic_rows(claims: int = 1_000_000, per_figure: int = 10, seed: int = 5) -> Rows:
    """A million claims as columns: 100,000 figures, 20,000 actors on 200 domains, 10 claims each."""
    rng = np.random.default_rng(seed)
    figures, actors = claims // per_figure, 20_000
    fig = np.repeat(np.arange(figures, dtype=np.int64), per_figure)
    actor = rng.integers(0, actors, claims).astype(np.int64)
    noise = rng.normal(0, np.exp(rng.normal(math.log(0.02), 0.7, actors))[actor])
    z = rng.uniform(0, 14, figures)[fig] + noise + np.where(rng.random(claims) < 0.05, math.log(10), 0.0)
    names = [Names(), Names(), Names()]
    for table, prefix, size in zip(names, ("f", "a", "d"), (figures, actors, 200), strict=True):
        table.names = [f"{prefix}{i}" for i in range(size)]
        table.index = {n: i for i, n in enumerate(table.names)}
    return Rows(
        fig=fig,
        actor=actor,
        dom=actor % 200,
        value=np.exp(z),
        z=z,
        factor=np.ones(claims),
        count=np.ones(claims),
        at=np.arange(claims, dtype=np.float64),
        label=np.full(claims, -1, dtype=np.int64),
        publish=np.zeros(claims, dtype=bool),
        log=np.ones(figures, dtype=bool),
        figures=names[0],
        actors=names[1],
        domains=names[2],
        labels=Names(),
    )


def time_batch(policy: Policy) -> tuple[int, float]:
    rows = synthetic_rows()
    start = time.perf_counter()
    recompute(rows, policy, T0)
    return len(rows), time.perf_counter() - start


def bench_policy() -> Policy:
    """The measuring instance is h0.example and knows its 19 honest peers; adversary domains are new."""
    return Policy(own_domain="h0.example", trust={f"h{i}.example": 1.0 for i in range(1, 20)})


def main() -> None:
    policy = bench_policy()
    started = time.perf_counter()
    print("== Consensus: synthetic protocol (300 figures, 20 honest domains, 200 honest actors) ==")
    chosen = methods(policy)
    print_protocol(protocol(policy, chosen), list(chosen))
    ablation(policy)
    p50, p99 = time_incremental(policy)
    print(f"incremental update at 1,000 claims on one figure: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    size, seconds = time_batch(policy)
    print(f"batch recomputation of {size:,} claims ({policy.iterations} rounds): {seconds:.1f} s")
    print(f"bench total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
