"""Selection of lists for inspection (查验): deterministic under a seed, so a decision can be replayed
and audited, and uniform, so a share of 0.05 holds about 5% of lists.

The key (e.g. the list's zone and business number) is hashed with HMAC-SM3 keyed by the seed; the
first 64 bits of the digest, read as a fraction of 2^64, fall in [0, 1). A list is held when that
fraction is below the share. The share is the zone's setting (Zone.inspection_share) until credit
tiers drive it (credit.service.supervision_for).
"""

from __future__ import annotations

from decimal import Decimal

from silkgate.kit.crypto import hmac_sm3

_SPAN = Decimal(2**64)


def inspection_draw(key: str, seed: int) -> Decimal:
    """The list's draw in [0, 1): HMAC-SM3(seed, key), first 8 bytes over 2^64."""
    digest = hmac_sm3(str(seed).encode(), key.encode())
    return Decimal(int.from_bytes(digest[:8], "big")) / _SPAN


def select_for_inspection(key: str, share: Decimal, seed: int) -> bool:
    """True when the list identified by `key` is held for inspection at this `share` (0..1)."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    return inspection_draw(key, seed) < share
