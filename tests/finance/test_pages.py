"""The /finance pages: each kind sees its own view; the bank's review page sits behind the grant."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_org
from silkgate.finance import schemas, service

from .conftest import World, grant, pledge_application


def test_enterprise_page_shows_grants_and_applications(
    session: Session, client: TestClient, world: World
) -> None:
    w = world
    grant(session, w, w.bank_org_id, ["filings", "declarations"])
    pledge_application(session, w)
    session.flush()
    r = client.get("/finance", headers=w.headers(w.seller_key))
    assert r.status_code == 200
    assert "数据授权" in r.text and "仓单质押" in r.text and "有效" in r.text


def test_bank_review_page_with_and_without_grant(session: Session, client: TestClient, world: World) -> None:
    w = world
    app = pledge_application(session, w)
    session.flush()
    url = f"/finance/bank/enterprises/{w.seller.id}/applications/{app.id}"
    refused = client.get(url, headers=w.headers(w.bank_key))
    assert refused.status_code == 404
    assert "未找到可查看的数据" in refused.text and w.seller.name not in refused.text
    grant(session, w, w.bank_org_id, ["filings", "declarations", "credit"])
    ok = client.get(url, headers=w.headers(w.bank_key))
    assert ok.status_code == 200
    assert w.seller.name in ok.text and "信用状况" in ok.text
    reads = [name for _, name in service.reads_of_my_record(session, w.seller_p)]
    assert reads and set(reads) == {w.bank_p.org_name}
    assert "金融机构查阅记录" in client.get("/finance", headers=w.headers(w.seller_key)).text
    approved = client.post(
        f"{url}/approve",
        headers=w.headers(w.bank_key),
        data={"annual_rate_pct": "4.35", "amount_approved": "1000"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    session.refresh(app)
    assert app.status == "approved" and app.annual_rate == Decimal("0.0435")
    bad = client.post(f"{url}/disburse", headers=w.headers(w.bank_key), data={"amount": "999999"})
    assert bad.status_code == 422 and "放款金额不得超过批准金额" in bad.text


def test_zone_office_sees_figures_and_exports(session: Session, client: TestClient, world: World) -> None:
    w = world
    app = pledge_application(session, w)
    service.decide(session, w.bank_p, app, schemas.DecisionIn(approve=True, annual_rate=Decimal("0.04")))
    office = make_org(session, "zone_office")
    headers = auth_headers(session, office.id)
    r = client.get("/finance", headers=headers)
    assert r.status_code == 200 and "按产品的融资批准额" in r.text
    fig = client.get("/api/v1/finance/figures", headers=headers).json()
    pledge = next(x for x in fig["granted_by_product"] if x["key"] == "warehouse_pledge")
    assert Decimal(pledge["amount"]) >= Decimal("1000")
    x = client.get("/finance/figures.xlsx", headers=headers)
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_enterprise_applies_through_the_form_and_sees_field_errors(
    session: Session, client: TestClient, world: World
) -> None:
    w = world
    form = {
        "bank_org_id": str(w.bank_org_id),
        "product": "warehouse_pledge",
        "amount_requested": "900",
        "term_days": "90",
        "purpose": "备货",
        "stock_id": f"overseas:{w.stock_id}",
        "pledge_quantity": "30",
    }
    ok = client.post(
        "/finance/applications", headers=w.headers(w.seller_key), data=form, follow_redirects=False
    )
    assert ok.status_code == 303
    assert [a.product for a in service.list_own_applications(session, w.seller_p)] == ["warehouse_pledge"]
    too_much = client.post(
        "/finance/applications", headers=w.headers(w.seller_key), data={**form, "pledge_quantity": "71"}
    )
    assert too_much.status_code == 422 and "不得重复质押" in too_much.text
