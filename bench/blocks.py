"""What domain blocks cost the consensus: the trust map each consensus job reads (``ledger.claims.trust_levels``),
which names every known domain under a block, against reading the blocks alone (what it did before blocks covered
subdomains), on 20,000 known domains with 0, 10 and 500 blocks (an imported blocklist).

Run from the repository root: ``python -m bench.blocks``; ``make bench`` runs it too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.embedded import on_embedded
from bench.federation import create_database
from fedi.database import Pool, create_pool
from ledger.claims import trust_levels

DOMAINS = 20_000
SITES = 3_000  # the known domains are hosts under this many sites, a few each
BLOCKS = (0, 10, 500)
ROUNDS = 20


async def _median_ms(read: Callable[[], Awaitable[object]]) -> float:
    await read()
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await read()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def _bench(pool: Pool) -> None:
    await pool.execute(
        "INSERT INTO domains (domain, first_seen) SELECT 'h' || n || '.site' || (n % $2) || '.example', now()"
        " FROM generate_series(1, $1) n",
        DOMAINS,
        SITES,
    )
    print(
        f"{DOMAINS:,} known domains under {SITES:,} sites; the trust map each consensus job reads, median of {ROUNDS}"
    )
    for blocks in BLOCKS:
        await pool.execute("DELETE FROM domain_blocks")
        await pool.execute(
            "INSERT INTO domain_blocks (domain, severity, reason)"
            " SELECT 'site' || n || '.example', 'silence', '' FROM generate_series(1, $1) n",
            blocks,
        )
        levels = await trust_levels(pool)
        ours = await _median_ms(lambda: trust_levels(pool))
        alone = await _median_ms(lambda: pool.fetch("SELECT domain, 0 FROM domain_blocks"))
        print(
            f"  {blocks:4d} blocks: {ours:6.2f} ms ({len(levels):,} domains at trust 0);"
            f" the blocks alone {alone:5.2f} ms ({ours / alone:.1f} x)"
        )


async def _run(admin_url: str, workdir: Path) -> None:
    pool = await create_pool(await create_database(admin_url, "blocks"), min_size=1, max_size=2)
    try:
        await _bench(pool)
    finally:
        await pool.close()


def main() -> None:
    on_embedded("blocks", _run)


if __name__ == "__main__":
    main()
