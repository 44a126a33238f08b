"""/bonded: the account book page, the stock-in form (session + CSRF) and the Excel export."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org, make_user
from silkgate.auth import kinds
from silkgate.models.clearance import BondedStockMovement


def login(client: TestClient, session: Session, org_id: int, username: str) -> str:
    make_user(session, org_id, username)
    r = client.post(
        "/login",
        data={"username": username, "password": "silkgate-demo", "next": "/bonded"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/bonded")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page carries the session's CSRF token"
    return match.group(1)


def test_warehouse_records_stock_in_through_the_form_and_sees_its_book(
    client: TestClient, session: Session
) -> None:
    warehouse = make_enterprise(session, roles=("warehouse",), name="运城保税仓储有限公司")
    seller = make_enterprise(session, roles=("seller",), name="运城优选电商有限公司")
    token = login(client, session, warehouse.org_id, "wh_page_user")
    form = {
        "csrf_token": token,
        "owner_code": seller.customs_code,
        "reference": "QD20260301",
        "item_no": ["SKU-A", "SKU-B", ""],
        "quantity": ["120", "7.5", ""],
        "item_name": ["保湿面霜", "婴儿奶粉", ""],
        "item_record_no": ["", "", ""],
        "unit": ["007", "", ""],
    }
    r = client.post("/bonded/stock-in", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert "已登记入区 QD20260301：2项商品" in page.text
    assert (
        "运城优选电商有限公司" in page.text
        and "SKU-B" in page.text
        and "7.5" in page.text
        and "127.5" in page.text
    )

    # a bad line is named and nothing is written
    bad = dict(form, reference="QD-BAD", quantity=["x", "1", ""])
    r = client.post("/bonded/stock-in", data=bad)
    assert r.status_code == 422 and "第1行数量应为数字" in r.text
    assert session.scalar(select(func.count()).where(BondedStockMovement.reference == "QD-BAD")) == 0

    # without the CSRF token the form is refused
    r = client.post("/bonded/stock-in", data={k: v for k, v in form.items() if k != "csrf_token"})
    assert r.status_code == 403


def test_seller_sees_its_goods_but_has_no_stock_in_form(client: TestClient, session: Session) -> None:
    warehouse = make_enterprise(session, roles=("warehouse",))
    seller = make_enterprise(session, roles=("seller",))
    client.post(
        "/api/v1/bonded/stock-in",
        json={
            "owner_code": seller.customs_code,
            "reference": "QD9",
            "lines": [{"item_no": "SKU-S", "quantity": "3"}],
        },
        headers=auth_headers(session, warehouse.org_id),
    )
    page = client.get("/bonded", headers=auth_headers(session, seller.org_id))
    assert page.status_code == 200 and "SKU-S" in page.text and "登记入区（入库）" not in page.text


def test_export_is_an_excel_file_of_the_visible_rows(client: TestClient, session: Session) -> None:
    warehouse = make_enterprise(session, roles=("warehouse",))
    seller = make_enterprise(session, roles=("seller",))
    headers = auth_headers(session, warehouse.org_id)
    client.post(
        "/api/v1/bonded/stock-in",
        json={
            "owner_code": seller.customs_code,
            "reference": "QD1",
            "lines": [{"item_no": "SKU-X", "quantity": "2.5"}],
        },
        headers=headers,
    )
    r = client.get("/bonded/export.xlsx", headers=headers)
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "仓储企业" and rows[1][1] == seller.customs_code and rows[1][3] == "SKU-X"
    assert float(rows[1][7]) == 2.5


def test_a_bank_is_told_it_may_not_see_the_book(client: TestClient, session: Session) -> None:
    bank = make_org(session, kinds.BANK)
    r = client.get("/bonded", headers=auth_headers(session, bank.id))
    assert r.status_code == 403 and "无权查看保税账册" in r.text
