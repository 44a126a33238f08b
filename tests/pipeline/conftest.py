"""Fixtures for the import pipeline: a filed trade (platform, sellers, payment, logistics, broker,
bonded warehouse, goods), a transaction factory, and ingest as each enterprise."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.clearance import pipeline
from silkgate.declarations.service import ReceiptOut, ingest
from silkgate.declarations.synthetic import ImportTransaction, TransactionFactory
from silkgate.declarations.trading import TradeSetup, new_trade, register_buyers, stock_in_bonded
from silkgate.models.org import Organisation
from silkgate.models.zone import Zone

ZONE = "140800"


@pytest.fixture
def no_inspection(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inspection draws off (zone setting and credit supervision), so outcomes are released or
    rejected only; the inspection tests turn it back on."""
    session.execute(update(Zone).where(Zone.code == ZONE).values(inspection_share=Decimal("0")))
    session.flush()
    monkeypatch.setattr(pipeline, "_supervision", lambda _s, _inv: (Decimal("0"), False, ["测试：不布控"], 0))


@pytest.fixture
def trade(session: Session, no_inspection: None) -> TradeSetup:
    setup = new_trade(session, ZONE, random.Random(7))
    stock_in_bonded(session, setup, ZONE)
    return setup


@pytest.fixture
def factory(trade: TradeSetup) -> TransactionFactory:
    return TransactionFactory(random.Random(11), trade.parties, fault_rate=0.0, buyers=5)


@pytest.fixture
def make_tx(session: Session, factory: TransactionFactory) -> Callable[..., ImportTransaction]:
    """A clean transaction whose buyer is in the identity registry."""

    def make(**kwargs: Any) -> ImportTransaction:
        tx = factory.make(**kwargs)
        register_buyers(session, [tx])
        return tx

    return make


@pytest.fixture
def principal_of(session: Session, trade: TradeSetup) -> Callable[[str], Principal]:
    def of(code: str) -> Principal:
        enterprise = trade.enterprises[code]
        org = session.get(Organisation, enterprise.org_id)
        assert org is not None
        return principal_for_org(session, org)

    return of


@pytest.fixture
def send(session: Session) -> Callable[..., list[ReceiptOut]]:
    """Ingest as the organisation the message names (BaseTransfer/copCode), or as `sender`."""

    def do(data: bytes, sender: Principal | None = None, **kwargs: Any) -> list[ReceiptOut]:
        return ingest(session, data, sender=sender, **kwargs)

    return do


def declaration_status(session: Session, kind: str, **where: Any) -> str | None:
    from silkgate.models.declarations import Declaration

    q = select(Declaration.status).where(Declaration.kind == kind)
    for k, v in where.items():
        q = q.where(getattr(Declaration, k) == v)
    return session.scalars(q.order_by(Declaration.id.desc())).first()
