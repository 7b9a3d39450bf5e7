"""The batch recomputation's reading and writing in bulk: every live claim at once, in bounded memory.

The batch learns each actor's weight across all their claims, so it needs every claim in one computation; a
million of them as ``Record`` and ``Claim`` objects cost over a gigabyte, and storing results one figure at a time
costs several round trips per figure. Here claims stream from a server-side cursor in the order of their figures
(a figure's rows are judged together: bounds, corroboration, supersession — ``ledger.counting``, the same rules
as the per-figure job) into compact columns; only our own actors' claims and one claim per other domain stay
objects, which is all that ``ledger.sources`` needs to decide whom each domain and member stands as. Results go
back through one ``COPY`` into a temporary table and one statement per table.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from consensus.rows import Names, RowBuilder, Rows
from consensus.vocabulary import Claim, Consensus, Kind, Policy, Summary
from fedi.database import Connection, Pool
from ledger import counting
from ledger.claims import UNVERIFIED
from ledger.sources import Seen

#: Rows fetched from the cursor at a time: enough to amortise the round trip, few enough to stay small.
CHUNK = 5_000
# The checks of ``ledger.counting`` that need no Python object made here: whether the value is within the bounds
# of input (``figures.numbers.in_range``), not above zero, equal to the figure's current value. A numeric's float8
# is the nearest double to its digits, as ``float(Decimal)`` is.
_CLAIMS = (
    "SELECT DISTINCT ON (c.figure_uri, c.actor) c.figure_uri, c.actor, c.domain, c.kind,"
    " CASE WHEN c.value <> 'NaN' AND abs(c.value) < 1e15 THEN c.value::float8 END,"
    " CASE WHEN NOT (c.value <> 'NaN' AND abs(c.value) < 1e15) THEN c.value::text END,"
    " c.value <= 0, c.implausible, extract(epoch FROM c.made_at)::float8,"
    " CASE WHEN c.domain = $1 THEN c.made_at END, c.version,"
    " CASE WHEN c.kind IN ('endorse', 'boost') AND f.version > c.version AND c.value <> f.value"
    " THEN f.version - c.version ELSE 0 END"
    " FROM claims c LEFT JOIN figures f ON f.uri = c.figure_uri AND f.deleted_at IS NULL"
    f" WHERE c.withdrawn_at IS NULL AND c.authenticity <> '{UNVERIFIED}'"
    " ORDER BY c.figure_uri, c.actor, c.made_at DESC, c.id DESC"
)
# The columns of ``_CLAIMS``, by position.
_FIGURE, _ACTOR, _DOMAIN, _KIND, _VALUE, _TEXT, _NONPOSITIVE, _IMPLAUSIBLE, _AT, _MADE_AT, _VERSION, _BEHIND = range(12)
_CODES = {text: list(Kind).index(kind) for text, kind in counting.KINDS.items()}
Line = tuple[Any, ...]


class _Judged:
    """A row as ``counting.corroborated`` reads it, for a figure with an implausible claim: its value exact, as the
    per-figure job compares it (a float8 is not), fetched for those few figures only."""

    def __init__(self, line: Line, exact: Decimal) -> None:
        self.line = line
        self.exact = exact

    def __getitem__(self, key: str) -> object:
        if key == "value":
            return self.exact
        return self.line[_FIGURE] if key == "figure_uri" else self.line[_IMPLAUSIBLE]


@dataclass
class Gathered:
    """Every claim that counts, as columns, its figure and actor interned into the engine's ``RowBuilder`` and
    its domain the author's real one; our own domain's claims, and the first claim of each other domain, also as
    ``Claim`` objects."""

    own_domain: str
    policy: Policy
    builder: RowBuilder = field(default_factory=RowBuilder)
    domains: Names = field(default_factory=Names)
    fig: array[int] = field(default_factory=lambda: array("q"))
    actor: array[int] = field(default_factory=lambda: array("q"))
    dom: array[int] = field(default_factory=lambda: array("q"))
    kind: array[int] = field(default_factory=lambda: array("q"))
    value: array[float] = field(default_factory=lambda: array("d"))
    at: array[float] = field(default_factory=lambda: array("d"))
    factor: array[float] = field(default_factory=lambda: array("d"))
    ratio: array[int] = field(default_factory=lambda: array("b"))
    own_rows: array[int] = field(default_factory=lambda: array("q"))
    own: list[Claim] = field(default_factory=list)
    first: dict[str, Claim] = field(default_factory=dict)
    figures: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.fig)

    def representatives(self) -> list[Claim]:
        return [*self.first.values(), *self.own]

    def release(self) -> None:
        """Let the columns go once the builder holds them: the engine needs the memory."""
        for name in ("fig", "actor", "dom", "kind", "own_rows"):
            setattr(self, name, array("q"))
        for name in ("value", "at", "factor"):
            setattr(self, name, array("d"))
        self.ratio = array("b")

    def take(self, lines: list[Line], exact: dict[str, dict[str, Decimal]], skipped: list[str]) -> None:
        """Whole figures' rows, judged as the per-figure job judges them (``ledger.counting``)."""
        if any(line[_VALUE] is None or line[_IMPLAUSIBLE] for line in lines):
            lines = _judged(lines, exact, skipped)
        if not lines:
            return
        figure, actor, domain, kind, value, _, nonpositive, _, at, _, _, behind = zip(*lines, strict=True)
        negative = {uri for uri, flag in zip(figure, nonpositive, strict=True) if flag}
        ratio = [uri not in negative for uri in figure]
        policy = self.policy
        factor = [
            1.0 if not late and text != "boost" else counting.weight(text, late, policy)
            for text, late in zip(kind, behind, strict=True)
        ]
        start = len(self.fig)
        own, first = self.own_domain, self.first
        for i in [i for i, name in enumerate(domain) if name == own or name not in first]:
            line = lines[i]
            claim = self._claim(line, factor[i], ratio[i])
            if claim.domain == own:
                self.own_rows.append(start + i)
                self.own.append(claim)
            elif claim.domain not in first:
                first[claim.domain] = claim
        self.figures.update(figure)
        self.fig.extend(_interned(self.builder.figures, figure))
        self.actor.extend(_interned(self.builder.actors, actor))
        self.dom.extend(_interned(self.domains, domain))
        self.kind.extend([_CODES[text] for text in kind])
        self.value.extend(value)
        self.at.extend(at)
        self.factor.extend(factor)
        self.ratio.extend(ratio)

    def _claim(self, line: Line, factor: float, ratio: bool) -> Claim:
        made_at = line[_MADE_AT] or datetime.fromtimestamp(line[_AT], UTC)
        kind = counting.KINDS[line[_KIND]]
        figure, actor, domain, value = line[_FIGURE], line[_ACTOR], line[_DOMAIN], line[_VALUE]
        return Claim(figure, actor, domain, value, kind, made_at, factor, line[_VERSION], ratio=ratio)


def _interned(names: Names, values: Iterable[str]) -> list[int]:
    index = names.index
    return [index[value] if value in index else names.id(value) for value in values]


def _judged(lines: list[Line], exact: dict[str, dict[str, Decimal]], skipped: list[str]) -> list[Line]:
    """The rows that count, for figures with a row beyond the bounds or an implausible one (few)."""
    sound = [
        line
        for line in lines
        if line[_VALUE] is not None
        or counting.sound(f"claim on {line[_FIGURE]} by {line[_ACTOR]}", [line[_TEXT]], skipped)
    ]
    doubtful = {line[_FIGURE] for line in sound if line[_IMPLAUSIBLE]}
    if not doubtful:
        return sound
    judged = [_Judged(line, exact[line[_FIGURE]][line[_ACTOR]]) for line in sound if line[_FIGURE] in doubtful]
    kept = {id(row.line) for row in counting.corroborated(judged)}
    return [line for line in sound if line[_FIGURE] not in doubtful or id(line) in kept]


def _what(line: Line) -> str:
    return f"claim on {line[_FIGURE]} by {line[_ACTOR]}"


async def gather(pool: Pool, policy: Policy, skipped: list[str]) -> Gathered:
    """Every live, attributed claim, the latest per actor and figure, read in whole figures."""
    gathered = Gathered(policy.own_domain, policy)
    pending: list[Line] = []
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        cursor = await connection.cursor(_CLAIMS, policy.own_domain)
        while chunk := await cursor.fetch(CHUNK):
            pending.extend(tuple(record) for record in chunk)
            cut = len(pending)
            while cut > 0 and pending[cut - 1][_FIGURE] == pending[-1][_FIGURE]:
                cut -= 1
            if cut:
                await _take(connection, gathered, pending[:cut], skipped)
                pending = pending[cut:]
        if pending:
            await _take(connection, gathered, pending, skipped)
    return gathered


async def _take(connection: Connection, gathered: Gathered, lines: list[Line], skipped: list[str]) -> None:
    """Fetch the exact values of figures with an implausible claim (corroboration compares them), then take."""
    doubtful = sorted({line[_FIGURE] for line in lines if line[_IMPLAUSIBLE]})
    exact: dict[str, dict[str, Decimal]] = defaultdict(dict)
    if doubtful:
        for row in await connection.fetch(_EXACT, doubtful):
            exact[row["figure_uri"]][row["actor"]] = row["value"]
    gathered.take(lines, exact, skipped)


_EXACT = (
    "SELECT DISTINCT ON (figure_uri, actor) figure_uri, actor, value FROM claims"
    f" WHERE withdrawn_at IS NULL AND authenticity <> '{UNVERIFIED}' AND figure_uri = ANY($1)"
    " ORDER BY figure_uri, actor, made_at DESC, id DESC"
)


@dataclass(frozen=True)
class EngineInput:
    rows: Rows
    behind: dict[str, int]  # instances behind each figure, as ``ledger.sources.instances`` counts them


def engine_input(gathered: Gathered, seen: Seen, summaries: Iterable[Summary]) -> EngineInput:
    """The engine's rows, each claim under the source that ``seen`` (``Sources.of`` over the representatives)
    gives its domain or, for our own, its author; and the count of instances behind each figure. ``gathered``
    gives its columns up."""
    found = _columns(gathered, seen, summaries)
    gathered.release()
    rows = gathered.builder.build()
    gathered.builder = RowBuilder()
    return EngineInput(rows, found)


def _columns(gathered: Gathered, seen: Seen, summaries: Iterable[Summary]) -> dict[str, int]:
    builder, policy, own = gathered.builder, seen.policy, gathered.own_domain
    grouped = {claim.domain: real.domain for claim, real in zip(gathered.first.values(), seen.grouped, strict=False)}

    def trusted(source: str) -> bool:
        level = policy.tau_own if source == policy.own_domain else policy.trust.get(source, policy.tau_new)
        return level > 0

    names = gathered.domains.names
    # Our own domain's rows each stand as their author (below): its name alone must not become a source.
    taken_of = np.array(
        [builder.domains.id(grouped.get(name, name)) if name != own else -1 for name in names] or [0], dtype=np.int64
    )
    dom = np.frombuffer(gathered.dom, dtype=np.int64)
    fig = np.frombuffer(gathered.fig, dtype=np.int64)
    taken = taken_of[dom]
    own_rows = np.frombuffer(gathered.own_rows, dtype=np.int64)
    for row, claim in zip(own_rows.tolist(), seen.claims[len(gathered.first) :], strict=True):
        taken[row] = builder.domains.id(claim.domain)
    real = taken.copy()
    real[own_rows] = -1  # our own domain, whoever in it the engine sees
    trust = np.array([trusted(name) for name in builder.domains.names] or [False], dtype=bool)
    builder.extend(
        fig,
        np.frombuffer(gathered.actor, dtype=np.int64),
        taken,
        np.frombuffer(gathered.kind, dtype=np.int64),
        np.frombuffer(gathered.value, dtype=np.float64),
        np.frombuffer(gathered.at, dtype=np.float64),
        np.frombuffer(gathered.factor, dtype=np.float64),
        np.frombuffer(gathered.ratio, dtype=np.int8).astype(bool),
    )
    counted = trust[taken] if len(taken) else np.zeros(0, dtype=bool)
    pairs = np.unique(fig[counted] * (len(builder.domains) + 1) + real[counted] + 1)
    pair_fig, pair_real = np.divmod(pairs, len(builder.domains) + 1)
    behind = dict(zip(*np.unique(pair_fig, return_counts=True), strict=True))
    found = {builder.figures.names[int(f)]: int(n) for f, n in behind.items()}
    by_figure: dict[str, set[str]] = defaultdict(set)
    for summary in summaries:
        builder.add_summary(summary)
        if trusted(summary.origin):
            by_figure[summary.figure].add(summary.origin)
    if by_figure:
        for f, r in zip(pair_fig.tolist(), pair_real.tolist(), strict=True):
            name = builder.figures.names[f]
            if name in by_figure:
                by_figure[name].add(own if r == 0 else builder.domains.names[r - 1])
        found |= {figure: len(domains) for figure, domains in by_figure.items()}
    return found


_TEMPORARY = (
    "CREATE TEMPORARY TABLE consensus_batch (figure_uri text, value float8, low float8, high float8, status text,"
    " agreement float8, n_eff float8, contributors integer, domains integer, computed_at timestamptz,"
    " settled_at timestamptz, before float8) ON COMMIT DROP"
)
_COLUMNS = (
    "figure_uri",
    "value",
    "low",
    "high",
    "status",
    "agreement",
    "n_eff",
    "contributors",
    "domains",
    "computed_at",
    "settled_at",
    "before",
)
# As ``ledger.reciprocity.moved``, for every figure at once.
_MOVED = (
    "UPDATE reciprocity_events e SET moved = abs(c.value::float8 - b.value) <= $1 * abs(c.value::float8)"
    " AND NOT coalesce(abs(c.value::float8 - b.before) <= $1 * abs(c.value::float8), false)"
    " FROM claims c JOIN consensus_batch b ON b.figure_uri = c.figure_uri"
    " WHERE e.kind = 'corrected' AND e.moved IS NULL AND c.actor = e.actor AND c.reference = e.object"
)
# As ``ConsensusJob._store``, for every figure at once.
_STORE = (
    "INSERT INTO consensus (figure_uri, value, low, high, status, agreement, n_eff, contributors, domains,"
    " computed_at, settled_at) SELECT figure_uri, value, low, high, status, agreement, n_eff, contributors, domains,"
    " computed_at, settled_at FROM consensus_batch ORDER BY figure_uri"
    " ON CONFLICT (figure_uri) DO UPDATE SET value = excluded.value, low = excluded.low, high = excluded.high,"
    " status = excluded.status, agreement = excluded.agreement, n_eff = excluded.n_eff,"
    " contributors = excluded.contributors, domains = excluded.domains, computed_at = excluded.computed_at,"
    " settled_at = coalesce(consensus.settled_at, excluded.settled_at)"
)


async def store(
    pool: Pool, results: Mapping[str, Consensus], before: Mapping[str, float | None], tolerance: float
) -> None:
    """Judge the corrections the new values moved, and store every result, in one transaction."""
    records = (
        (
            uri,
            r.value,
            r.low,
            r.high,
            str(r.status),
            r.agreement,
            r.n_eff,
            r.contributors,
            r.domains,
            r.computed_at,
            r.settled_at,
            before.get(uri),
        )
        for uri, r in results.items()
    )
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(_TEMPORARY)
        await connection.copy_records_to_table("consensus_batch", records=records, columns=_COLUMNS)
        await connection.execute(_MOVED, tolerance)
        await connection.execute(_STORE)


async def publishable(pool: Pool, domain: str, figures: list[str]) -> dict[str, dict[str, object]]:
    """What was last published for those of ``figures`` that are ours (decided again under lock when sending)."""
    rows = await pool.fetch(
        "SELECT c.figure_uri, c.published_status, c.published_low, c.published_high FROM consensus c"
        " JOIN figures f ON f.uri = c.figure_uri AND f.deleted_at IS NULL AND f.origin = $1"
        " WHERE c.figure_uri = ANY($2)",
        domain,
        figures,
    )
    return {row["figure_uri"]: dict(row) for row in rows}
