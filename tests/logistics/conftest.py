"""Logistics fixtures: a filed trade through the real import pipeline (so customs statuses come
from DeclarationEvent), and API principals for the logistics and warehouse firms."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from factories import api_key_for
from silkgate.auth.principal import Principal
from silkgate.auth.service import authenticate_api_key
from silkgate.clearance import pipeline
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import ImportTransaction, TransactionFactory, transaction_messages
from silkgate.declarations.trading import TradeSetup, new_trade, register_buyers
from silkgate.models.registry import Enterprise
from silkgate.models.zone import Zone

ZONE = "140800"


def keyed(session: Session, enterprise: Enterprise) -> tuple[Principal, dict[str, str]]:
    key = api_key_for(session, enterprise.org_id)
    return authenticate_api_key(session, key), {"Authorization": f"Bearer {key}"}


@pytest.fixture
def trade(session: Session, monkeypatch: pytest.MonkeyPatch) -> TradeSetup:
    session.execute(update(Zone).where(Zone.code == ZONE).values(inspection_share=Decimal("0")))
    monkeypatch.setattr(pipeline, "_supervision", lambda _s, _inv: (Decimal("0"), False, ["测试：不布控"], 0))
    return new_trade(session, ZONE, random.Random(5))


def released_imports(session: Session, trade: TradeSetup, count: int = 1) -> list[ImportTransaction]:
    """9610 transactions declared (order, payment, waybill, list) and released by the pipeline."""
    factory = TransactionFactory(random.Random(3), trade.parties, fault_rate=0.0, buyers=count)
    txs = [factory.make(trade_mode="9610") for _ in range(count)]
    register_buyers(session, txs)
    for tx in txs:
        for data in transaction_messages(tx).values():
            ingest(session, data, sender=None)
    return txs
