"""The registry's web pages: filing form with inline errors, approval queue, lists, tariff upload."""

from __future__ import annotations

import random
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_enterprise, make_org, make_user
from silkgate.auth import kinds
from silkgate.demo import synth
from silkgate.models.registry import Enterprise


def login(client: TestClient, username: str) -> str:
    r = client.post(
        "/login", data={"username": username, "password": "silkgate-demo"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get("/enterprises/new" if username.startswith("office") else "/tariff")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return token.group(1)


def test_filing_form_shows_each_error_next_to_its_field_and_keeps_the_input(
    client: TestClient, session: Session
) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    make_user(session, office.id, "office_form")
    csrf = login(client, "office_form")
    form = {
        "csrf_token": csrf,
        "uscc": "914403001922038217",
        "customs_code": "1408",
        "name": "运城表单测试有限公司",
        "contact_phone": "12",
        "shops": "亚马逊|表单测试店",
    }
    r = client.post("/enterprises/new", data=form)
    assert r.status_code == 422
    html = r.text
    assert 'id="err-uscc"' in html and "校验位错误" in html
    assert 'id="err-customs_code"' in html and 'id="err-contact_phone"' in html
    assert "至少选择一种企业类型" in html
    assert 'value="运城表单测试有限公司"' in html and "亚马逊|表单测试店" in html

    rng = random.Random(21)
    form.update(
        uscc=synth.uscc(rng, "140802"),
        customs_code=synth.customs_code(rng, "140802"),
        contact_phone="13912345678",
    )
    r = client.post("/enterprises/new", data={**form, "roles": ["seller", "broker"]}, follow_redirects=False)
    assert r.status_code == 303, r.text[:1000]
    detail = client.get(r.headers["location"])
    assert "待综试办审核" in detail.text and "表单测试店" in detail.text


def test_posting_without_the_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    make_user(session, office.id, "office_csrf")
    login(client, "office_csrf")
    pending = make_enterprise(session, approved=False)
    r = client.post(f"/approvals/{pending.id}/approve", data={})
    assert r.status_code == 403
    assert session.get(Enterprise, pending.id).status == "pending"  # type: ignore[union-attr]


def test_zone_office_approves_and_rejects_in_the_queue(client: TestClient, session: Session) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    make_user(session, office.id, "office_queue")
    csrf = login(client, "office_queue")
    first = make_enterprise(session, approved=False, name="审核队列甲有限公司")
    second = make_enterprise(session, approved=False, name="审核队列乙有限公司")
    queue = client.get("/approvals")
    assert "审核队列甲有限公司" in queue.text and "审核队列乙有限公司" in queue.text
    r = client.post(f"/approvals/{first.id}/approve", data={"csrf_token": csrf})
    assert r.status_code == 200 and "已通过该企业备案" in r.text
    r = client.post(f"/approvals/{second.id}/reject", data={"csrf_token": csrf, "reason": ""})
    assert "驳回时必须填写原因" in r.text
    r = client.post(
        f"/approvals/{second.id}/reject", data={"csrf_token": csrf, "reason": "地址与营业执照不符"}
    )
    assert "已驳回该企业备案" in r.text and "审核队列乙有限公司" not in r.text
    session.expire_all()
    assert session.get(Enterprise, first.id).status == "approved"  # type: ignore[union-attr]

    make_user(session, second.org_id, "rejected_user")
    client.cookies.clear()
    client.post(
        "/login", data={"username": "rejected_user", "password": "silkgate-demo"}, follow_redirects=False
    )
    own = client.get("/enterprises")
    assert "已驳回" in own.text and "地址与营业执照不符" in own.text


def test_lists_and_tariff_page_render_for_each_kind(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session, name="页面测试卖家有限公司")
    make_user(session, seller.org_id, "seller_pages")
    customs = make_org(session, kinds.CUSTOMS)
    make_user(session, customs.id, "customs_pages")
    login(client, "customs_pages")
    listing = client.get("/enterprises", params={"q": "页面测试"})
    assert (
        listing.status_code == 200 and "页面测试卖家有限公司" in listing.text and "导出 Excel" in listing.text
    )
    detail = client.get(f"/enterprises/{seller.id}")
    assert "结算账号" not in detail.text and "记入审计日志" in detail.text
    assert client.get("/approvals").status_code == 403
    client.cookies.clear()
    csrf = login(client, "seller_pages")
    assert client.get("/tariff").status_code == 200
    r = client.post(
        "/commodities/new",
        data={
            "csrf_token": csrf,
            "item_no": "P-1",
            "name": "页面面霜",
            "hs_code": "33049900",
            "origin_country": "601",
            "unit": "035",
            "unit_price": "99",
        },
    )
    assert r.status_code == 422 and "海关商品编码应为10位数字" in r.text
    r = client.post(
        "/commodities/new",
        data={
            "csrf_token": csrf,
            "item_no": "P-1",
            "name": "页面面霜",
            "hs_code": "3304990099",
            "origin_country": "601",
            "unit": "035",
            "unit_price": "99",
        },
    )
    assert r.status_code == 200 and "页面面霜" in r.text and "在清单内" in r.text


def test_tariff_upload_page_reports_bad_rows(client: TestClient, session: Session) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    make_user(session, office.id, "office_tariff")
    csrf = login(client, "office_tariff")
    bad = b"hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n12,x,0.13,0,0,1\n"
    r = client.post("/tariff", data={"csrf_token": csrf}, files={"file": ("t.csv", bad, "text/csv")})
    assert r.status_code == 422 and "rows[2].hs_code" in r.text
    good = "hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n8516310000,电吹风（本区）,0.13,0,0.07,1\n".encode()
    r = client.post("/tariff", data={"csrf_token": csrf}, files={"file": ("t.csv", good, "text/csv")})
    assert (
        r.status_code == 200
        and "新增1行" in r.text
        and "电吹风（本区）" in client.get("/tariff?q=851631").text
    )


def test_enterprise_edits_its_approved_filing_on_the_web_and_sees_the_history(
    client: TestClient, session: Session
) -> None:
    seller = make_enterprise(session, name="网页修改测试有限公司")
    make_user(session, seller.org_id, "seller_edit")
    csrf = login(client, "seller_edit")
    form = client.get(f"/enterprises/{seller.id}/edit")
    assert form.status_code == 200 and 'value="网页修改测试有限公司"' in form.text and "readonly" in form.text
    r = client.post(
        f"/enterprises/{seller.id}/edit",
        data={
            "csrf_token": csrf,
            "customs_code": seller.customs_code,
            "name": "网页修改测试有限公司",
            "roles": ["seller", "platform"],
            "contact_name": "赵敏",
            "contact_phone": "13700001111",
            "settlement_bank": seller.settlement_bank,
            "settlement_account": seller.settlement_account,
            "shops": "速卖通|网页修改测试店",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:1500]
    detail = client.get(r.headers["location"]).text
    assert "修改已保存" in detail and "已通过" in detail
    assert "13700001111" in detail and "13912345678" in detail  # new and old value in the history
    assert "电商平台" in detail and "速卖通：网页修改测试店" in detail
