"""Run the risk rules on every list the pipelines decide that clearance did not already evaluate
(export lists, and any import list decided without the clearance hook)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from silkgate.events import TradeEvent, subscribe
from silkgate.models.declarations import Declaration
from silkgate.risk.service import evaluate_declaration


def evaluate_decided_list(session: Session, event: TradeEvent) -> None:
    with session.no_autoflush:
        declaration = session.get(Declaration, event.declaration_id)
    if declaration is not None:
        evaluate_declaration(session, declaration)


for _kind in ("released", "held", "rejected"):
    subscribe(_kind, evaluate_decided_list)
