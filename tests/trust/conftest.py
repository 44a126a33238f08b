"""Fixtures for trust: the `verify` policy every deployment runs by default, a filed trade whose
enterprises hold platform-issued SM2 keys, and ingest as their organisations."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.config import get_settings
from silkgate.declarations import synthetic
from silkgate.declarations.service import ReceiptOut, ingest
from silkgate.declarations.synthetic import ImportTransaction, TransactionFactory
from silkgate.declarations.trading import TradeSetup, new_trade, register_buyers
from silkgate.kit.cebtime import now_utc
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise
from silkgate.trust import service
from silkgate.trust.certificates import Certificate, read_certificate

ZONE = "140800"


@pytest.fixture
def verify_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "signature_policy", "verify")


@pytest.fixture
def presence_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "signature_policy", "presence")


@dataclass
class KeyPair:
    key: Any
    certificate: Certificate
    row_id: int


@pytest.fixture
def trade(session: Session) -> TradeSetup:
    return new_trade(session, ZONE, random.Random(16))


@pytest.fixture
def issue(session: Session) -> Callable[..., KeyPair]:
    """A platform-issued SM2 key and certificate registered on `enterprise`'s filing."""

    def make(enterprise: Enterprise, **kwargs: Any) -> KeyPair:
        key, row = service.issue_enterprise_key(session, enterprise, **kwargs)
        return KeyPair(key, read_certificate(row.certificate_pem.encode()), row.id)

    return make


@pytest.fixture
def tx(session: Session, trade: TradeSetup) -> ImportTransaction:
    factory = TransactionFactory(random.Random(5), trade.parties, fault_rate=0.0, buyers=3)
    made = factory.make()
    register_buyers(session, [made])
    return made


@pytest.fixture
def platform_key(trade: TradeSetup, tx: ImportTransaction, issue: Callable[..., KeyPair]) -> KeyPair:
    """The key of the transaction's e-commerce platform, which declares the order (CEB311)."""
    return issue(trade.enterprise(tx.platform))


def sign_as(pair: KeyPair) -> Callable[[bytes, str], bytes]:
    from silkgate.trust.signatures import sign_message

    return lambda data, _code: sign_message(data, pair.key, pair.certificate)


@pytest.fixture
def signed_order(tx: ImportTransaction, platform_key: KeyPair) -> bytes:
    with synthetic.signed_by(sign_as(platform_key)):
        return synthetic.order_xml(tx)


@pytest.fixture
def principal_of(session: Session) -> Callable[[Enterprise], Principal]:
    def of(enterprise: Enterprise) -> Principal:
        org = session.get(Organisation, enterprise.org_id)
        assert org is not None
        return principal_for_org(session, org)

    return of


@pytest.fixture
def send(session: Session) -> Callable[..., list[ReceiptOut]]:
    def do(data: bytes, sender: Principal | None = None, **kwargs: Any) -> list[ReceiptOut]:
        return ingest(session, data, sender=sender, **kwargs)

    return do


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    yield now_utc()
