"""Categorical claims (labels) settled by weighted vote, with the same domain caps as numbers.

They matter beyond their own answer: whether an actor's label agrees with what the *other* domains
voted is evidence of that actor's reliability, used for its numeric claims too (see reliability).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consensus.median import Floats, Ints, group_sum
from consensus.rows import Rows
from consensus.vocabulary import Policy


@dataclass
class VoteLayout:
    """Categorical rows sorted by (figure, domain, label); fixed across iterations."""

    actor: Ints
    factor: Floats
    fig: Ints
    at: Floats
    label: Ints
    group: Ints  # (figure, domain) of each row
    gf: Ints
    tau: Floats
    pair: Ints  # (figure, label) of each row
    pair_fig: Ints
    pair_label: Ints
    triple: Ints  # (figure, domain, label) of each row
    triple_key: Ints  # sorted unique keys, for lookups
    row_key_base: Ints  # (figure, domain) part of the key of each row
    labels: int
    figures: int


def vote_layout(rows: Rows, tau_by_domain: Floats) -> VoteLayout:
    cat = np.flatnonzero(rows.label >= 0)
    order = cat[np.lexsort((rows.label[cat], rows.dom[cat], rows.fig[cat]))]
    fig, dom, label = rows.fig[order], rows.dom[order], rows.label[order]
    labels, domains = max(len(rows.labels), 1), max(len(rows.domains), 1)
    new = np.ones(len(order), dtype=bool)
    new[1:] = (fig[1:] != fig[:-1]) | (dom[1:] != dom[:-1])
    base = (fig * domains + dom) * labels
    triple_key, triple = np.unique(base + label, return_inverse=True)
    pair_key, pair = np.unique(fig * labels + label, return_inverse=True)
    return VoteLayout(
        actor=rows.actor[order],
        factor=rows.factor[order],
        fig=fig,
        at=rows.at[order],
        label=label,
        group=(np.cumsum(new) - 1).astype(np.int64),
        gf=fig[new],
        tau=tau_by_domain[dom[new]],
        pair=pair.astype(np.int64),
        pair_fig=pair_key // labels,
        pair_label=pair_key % labels,
        triple=triple.astype(np.int64),
        triple_key=triple_key,
        row_key_base=base,
        labels=labels,
        figures=len(rows.figures),
    )


@dataclass
class Votes:
    """Per figure: winning label (-1 when none), its share, n_eff and voting domains; per row: agreement
    with the vote of the other domains (NaN where it does not count)."""

    winner: Ints
    agreement: Floats
    n_eff: Floats
    domains: Floats
    voters: Floats
    agree: Floats


def vote(lay: VoteLayout, actor_w: Floats, policy: Policy, settled_at: Floats) -> Votes:
    cw = np.where(lay.actor >= 0, actor_w[np.maximum(lay.actor, 0)], 1.0) * lay.factor
    groups = len(lay.gf)
    sumw = group_sum(lay.group, cw, groups)
    weight = lay.tau * np.minimum(sumw, policy.domain_cap)
    vw = weight[lay.group] * cw / np.where(sumw[lay.group] > 0, sumw[lay.group], 1.0)
    votes = group_sum(lay.pair, vw, len(lay.pair_fig))
    own = group_sum(lay.triple, vw, len(lay.triple_key))
    top1, v1, top2, v2 = _top_two(lay, votes)
    f = lay.fig
    agree_top = votes[lay.pair] - own[lay.triple] >= v2[f] - _lookup(lay, own, top2[f])
    agree_other = votes[lay.pair] - own[lay.triple] > v1[f] - _lookup(lay, own, top1[f])
    agree = np.where(lay.label == top1[f], agree_top, agree_other)
    total = group_sum(lay.gf, weight, lay.figures)
    counted = (lay.actor >= 0) & (total[f] - weight[lay.group] > 0)
    if policy.before_settled:
        counted &= ~(lay.at > settled_at[f]) | ~agree  # late agreement earns nothing, dissent costs
    square = group_sum(f, vw * vw, lay.figures)
    n_eff = np.where(square > 0, total**2 / np.where(square > 0, square, 1.0), 0.0)
    safe = np.where(total > 0, total, 1.0)
    return Votes(
        winner=np.where(v1 > 0, top1, -1),
        agreement=np.where(total > 0, v1 / safe, 0.0),
        n_eff=n_eff,
        domains=group_sum(lay.gf, (weight > 0).astype(np.float64), lay.figures),
        voters=np.bincount(f, minlength=lay.figures).astype(np.float64),
        agree=np.where(counted, agree.astype(np.float64), np.nan),
    )


def _top_two(lay: VoteLayout, votes: Floats) -> tuple[Ints, Floats, Ints, Floats]:
    """Best and second-best label per figure (label -1 and 0 votes when absent)."""
    order = np.lexsort((lay.pair_label, -votes, lay.pair_fig))
    pf = lay.pair_fig[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pf[1:] != pf[:-1]
    second = np.zeros(len(order), dtype=bool)
    second[1:] = ~first[1:] & first[:-1]
    top1, top2 = np.full(lay.figures, -1), np.full(lay.figures, -1)
    v1, v2 = np.zeros(lay.figures), np.zeros(lay.figures)
    top1[pf[first]], v1[pf[first]] = lay.pair_label[order][first], votes[order][first]
    top2[pf[second]], v2[pf[second]] = lay.pair_label[order][second], votes[order][second]
    return top1, v1, top2, v2


def _lookup(lay: VoteLayout, own: Floats, label: Ints) -> Floats:
    """The row's domain's vote for ``label`` on the row's figure (0 when it gave none)."""
    key = lay.row_key_base + np.maximum(label, 0)
    at = np.minimum(np.searchsorted(lay.triple_key, key), max(len(lay.triple_key) - 1, 0))
    if not len(lay.triple_key):
        return np.zeros(len(key))
    hit = (lay.triple_key[at] == key) & (label >= 0)
    return np.where(hit, own[at], 0.0)


def tally_votes(lay: VoteLayout, agree: Floats, actors: int) -> tuple[Floats, Floats]:
    """(categorical claims counted, of which agreeing) per actor."""
    counted = np.isfinite(agree)
    idx = lay.actor[counted]
    n = np.bincount(idx, minlength=actors).astype(np.float64)
    return n, group_sum(idx, agree[counted], actors)
