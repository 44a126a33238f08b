"""Keeps the statistics current: every released, withdrawn or returned list updates the rollups
inside the transaction that decided it (no nightly batch)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silkgate.events import TradeEvent, subscribe
from silkgate.trade_stats.service import record_trade_event


def on_trade_event(session: Session, event: TradeEvent) -> None:
    record_trade_event(session, event)


subscribe("released", on_trade_event)
subscribe("withdrawn", on_trade_event)
subscribe("returned", on_trade_event)
