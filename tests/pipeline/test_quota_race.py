"""Two lists of one buyer arriving together can never both pass if together they exceed the annual
limit (财关税〔2018〕49号: 26,000 CNY per calendar year). Real committed transactions on a separate
PostgreSQL database, two parallel API requests."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.orm import Session

from conftest import PG_ADMIN_URL, _pg_reachable, build_schema, seed_reference_data
from factories import auth_headers
from silkgate.app import create_app
from silkgate.clearance import pipeline, quota
from silkgate.config import Settings
from silkgate.db import make_engine
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import (
    DEFAULT_PRODUCTS,
    GoodsLine,
    TransactionFactory,
    estimate_retail_tax,
    inventory_xml,
    transaction_messages,
)
from silkgate.declarations.trading import new_trade, register_buyers
from silkgate.kit.crypto import field_cipher
from silkgate.models.declarations import Declaration
from silkgate.models.zone import Zone


@pytest.fixture(scope="module")
def committed_pg() -> Iterator[Engine]:
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"sgt_race_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        build_schema(url)
        seed_reference_data(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_parallel_lists_of_one_buyer_cannot_both_pass_the_annual_limit(
    committed_pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_supervision", lambda _s, _inv: (Decimal("0"), False, [], 0))
    with Session(committed_pg) as s:
        s.execute(update(Zone).where(Zone.code == "140800").values(inspection_share=Decimal("0")))
        setup = new_trade(s, "140800", random.Random(99))
        factory = TransactionFactory(random.Random(5), setup.parties, fault_rate=0.0, bonded_share=0.0)
        a = factory.make(trade_mode="9610")
        b = factory.make(trade_mode="9610")
        # the same buyer, each list 4,110 CNY of one good; the buyer already used 18,000 this year
        serum = next(p for p in DEFAULT_PRODUCTS if p.price == Decimal("1370"))
        for tx in (a, b):
            tx.lines = [GoodsLine(serum, Decimal("3"))]
            tx.buyer_name, tx.buyer_id, tx.buyer_phone, tx.address = (
                a.buyer_name,
                a.buyer_id,
                a.buyer_phone,
                a.address,
            )
            tx.freight, tx.discount = Decimal("0"), Decimal("0")
            tx.seller, tx.agent, tx.platform = a.seller, a.agent, a.platform
            tx.tax_total = estimate_retail_tax(tx)
        register_buyers(s, [a])
        index = field_cipher(Settings().data_key).blind_index("id_number", a.buyer_id)
        year = a.declared_at.year
        assert quota.reserve_quota(s, index, year, Decimal("18000")).granted
        for tx in (a, b):
            for kind in ("order", "payment", "waybill"):
                ingest(s, transaction_messages(tx)[kind])
        sender_org = setup.enterprise(a.agent).org_id
        headers = auth_headers(s, sender_org)
        s.commit()

    app = create_app(Settings(database_url=str(committed_pg.url), secret_key="race"), committed_pg)
    barrier = threading.Barrier(2)
    answers: dict[str, list[dict[str, str]]] = {}

    def declare(tx_name: str, data: bytes) -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(
                "/api/v1/messages", content=data, headers={**headers, "Content-Type": "application/xml"}
            )
            assert response.status_code == 200, response.text
            answers[tx_name] = response.json()["receipts"]

    threads = [
        threading.Thread(target=declare, args=(n, inventory_xml(tx))) for n, tx in (("a", a), ("b", b))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with Session(committed_pg) as s:
        statuses = sorted(
            s.scalars(
                select(Declaration.status).where(
                    Declaration.kind == "inventory", Declaration.order_no.in_((a.order_no, b.order_no))
                )
            )
        )
        assert statuses == ["rejected", "released"], (statuses, answers)
        used = quota.annual_quota_used(s, index, year)
        assert used <= Decimal("26000")
        assert used == Decimal("18000") + a.goods_value
    rejected = [r for rs in answers.values() for r in rs if r["return_status"] == "100"]
    assert rejected and rejected[0]["errors"][0]["code"] == "annual_limit_exceeded"
