"""Run the risk rules on every list the pipelines decide that clearance did not already evaluate
(export lists, and any import list decided without the clearance hook). A list clearance evaluated
costs one primary-key look-up here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silkgate.events import TradeEvent, subscribe
from silkgate.risk.service import ensure_evaluated


def evaluate_decided_list(session: Session, event: TradeEvent) -> None:
    ensure_evaluated(session, event.declaration_id)


for _kind in ("released", "held", "rejected"):
    subscribe(_kind, evaluate_decided_list)
