"""Keep each enterprise's platform facts and zone rating current with every trade event."""

from __future__ import annotations

from silkgate.credit.service import apply_trade_event
from silkgate.events import subscribe

for _kind in ("released", "rejected", "held", "withdrawn", "returned"):
    subscribe(_kind, apply_trade_event)
