"""A domain block overrides the trust set for the domain while it lasts, and lifting it gives that trust back."""

from __future__ import annotations

from fedi.database import Pool
from ledger import blocks, claims


async def test_a_block_weighs_the_domain_at_zero_until_it_is_lifted(pool: Pool) -> None:
    await claims.set_trust(pool, "peer.example", 0.8)
    await claims.set_trust(pool, "other.example", 0.5)

    applied = await blocks.block(pool, "peer.example", "silence", "x" * 2000)

    assert (applied.follows_removed, applied.deliveries_stopped) == (0, 0)
    assert len(applied.block.reason) == blocks.MAX_REASON
    assert await claims.trust_levels(pool) == {"peer.example": 0.0, "other.example": 0.5}
    assert await claims.blocked(pool, "Peer.Example")
    assert not await claims.blocked(pool, "other.example")
    assert await blocks.suspended_domains(pool) == frozenset()
    await blocks.block(pool, "peer.example", "suspend")  # a block's severity changes in place
    assert [(b.domain, b.severity) for b in await blocks.listing(pool)] == [("peer.example", "suspend")]
    assert await blocks.suspended_domains(pool) == {"peer.example"}

    assert await blocks.unblock(pool, "peer.example")
    assert not await blocks.unblock(pool, "peer.example")
    assert await claims.trust_levels(pool) == {"peer.example": 0.8, "other.example": 0.5}
    assert not await claims.blocked(pool, "peer.example")


async def test_a_block_of_a_domain_with_no_trust_set_weighs_it_at_zero(pool: Pool) -> None:
    await blocks.block(pool, "new.example", "silence")
    assert await claims.trust_levels(pool) == {"new.example": 0.0}
    assert await claims.blocked(pool, "new.example")
