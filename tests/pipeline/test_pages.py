"""The zh-CN pages: search, detail with timeline and tax bill, receipts, tax summary with Excel export."""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_user
from silkgate.declarations.synthetic import ImportTransaction, inject_fault, transaction_messages
from silkgate.declarations.trading import TradeSetup
from silkgate.models.declarations import Declaration


def _login(client: TestClient, session: Session, org_id: int, username: str) -> None:
    make_user(session, org_id, username)
    r = client.post(
        "/login",
        data={"username": username, "password": "silkgate-demo", "next": "/declarations"},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text


def test_enterprise_searches_and_reads_a_declaration(
    client: TestClient,
    session: Session,
    trade: TradeSetup,
    make_tx: Callable[..., ImportTransaction],
    send: Callable[..., list],
) -> None:
    good, bad = make_tx(), make_tx()
    bad.agent, bad.seller = good.agent, good.seller
    inject_fault(bad, "paid_amount_differs")
    for tx in (good, bad):
        for data in transaction_messages(tx).values():
            send(data)
    session.flush()
    _login(client, session, trade.enterprises[good.agent.code].org_id, "agent-user")
    page = client.get("/declarations")
    assert page.status_code == 200
    assert "跨境电商零售进口申报" in page.text and good.cop_no in page.text
    found = client.get(f"/declarations?number={bad.order_no}&kind=inventory")
    assert bad.cop_no in found.text and good.cop_no not in found.text
    bad_id = session.scalar(
        select(Declaration.id).where(Declaration.kind == "inventory", Declaration.order_no == bad.order_no)
    )
    detail = client.get(f"/declarations/{bad_id}")
    assert detail.status_code == 200
    assert "三单对碰不一致项" in detail.text and "处理过程" in detail.text and "退单" in detail.text
    good_id = session.scalar(
        select(Declaration.id).where(Declaration.kind == "inventory", Declaration.order_no == good.order_no)
    )
    good_page = client.get(f"/declarations/{good_id}")
    assert "电子税单" in good_page.text and "放行" in good_page.text
    assert good.buyer_id not in good_page.text
    receipts = client.get("/declarations/receipts")
    assert "CEB622" in receipts.text
    tax = client.get("/declarations/tax")
    assert "月度汇总" in tax.text
    xlsx = client.get("/declarations/tax?export=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet["A2"].value == "月份" and sheet.max_row >= 3


def test_pages_need_a_login(client: TestClient) -> None:
    r = client.get("/declarations", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]
