"""The credit and risk pages render for each kind of user and their forms work with CSRF."""

from __future__ import annotations

import re

from credit.support import agency, declare
from factories import make_enterprise, make_user
from silkgate.risk import service as risk_service


def _login(client, session, org_id, username):
    make_user(session, org_id, username)
    r = client.post("/login", data={"username": username, "password": "silkgate-demo", "next": "/"})
    assert r.status_code in (200, 303)


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "form without CSRF token"
    return m.group(1)


def test_zone_office_pages_render_and_alert_advances_through_the_form(client, session):
    seller = make_enterprise(session)
    office = agency(session, "zone_office")
    hit = risk_service.evaluate_declaration(session, declare(session, seller, ebp_code="6666666666"))[0]
    _login(client, session, office.org_id, "k_office")
    for path in (
        "/credit",
        f"/credit/{seller.id}",
        "/credit/policies",
        "/credit/complaints",
        "/risk",
        "/risk/rules?code=ORDER_SPLIT",
        "/risk/reports",
        "/risk/safety",
        f"/risk/alerts/{hit.alert_id}",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
    page = client.get(f"/risk/alerts/{hit.alert_id}").text
    assert "下一步：已评估" in page
    r = client.post(
        f"/risk/alerts/{hit.alert_id}/advance",
        data={"csrf_token": _csrf(page), "to_status": "assessed", "note": "核查订单来源"},
        follow_redirects=True,
    )
    assert r.status_code == 200 and "预警已进入“已评估”" in r.text
    r = client.post(f"/risk/alerts/{hit.alert_id}/advance", data={"to_status": "disposed", "note": "x"})
    assert r.status_code == 403  # no CSRF token


def test_enterprise_sees_its_own_record_with_reasons_and_not_risk(client, session):
    seller = make_enterprise(session)
    other = make_enterprise(session)
    _login(client, session, seller.org_id, "k_seller")
    r = client.get("/credit", follow_redirects=True)
    assert r.status_code == 200 and "评分明细" in r.text and seller.name in r.text
    assert client.get(f"/credit/{other.id}").status_code == 404
    assert client.get("/risk").status_code == 403
    page = client.get(f"/credit/{seller.id}").text
    r = client.post(
        "/credit/appeals",
        data={
            "csrf_token": _csrf(page),
            "grounds": "退单率统计包含平台系统故障期间的退单",
            "factor_code": "",
        },
        follow_redirects=True,
    )
    assert "申诉已提交" in r.text


def test_agency_reports_through_the_form(client, session):
    seller = make_enterprise(session)
    tax = agency(session, "tax")
    _login(client, session, tax.org_id, "k_tax")
    page = client.get(f"/credit/{seller.id}").text
    assert "报送信用信息" in page
    r = client.post(
        f"/credit/{seller.id}/items",
        data={"csrf_token": _csrf(page), "kind": "tax_grade", "value": "D", "effective_on": "2026-01-05"},
        follow_redirects=True,
    )
    assert "已报送：纳税信用级别" in r.text and "D级（关注）" in r.text  # 100 - 25 = 75
    r = client.post(
        f"/credit/{seller.id}/items",
        data={
            "csrf_token": _csrf(page),
            "kind": "customs_level",
            "value": "dishonest",
            "effective_on": "2026-01-05",
        },
        follow_redirects=True,
    )
    assert "税务只能报送" in r.text
