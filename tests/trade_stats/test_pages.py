"""Pages: "/" needs a login; the dashboard, the statistics pages and the table export render for a
zone office; an enterprise's pages hold only its own figures; drill-down links carry the filters
the declarations list accepts; a withdrawal disappears from the dashboard at once."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.models.registry import Enterprise
from trade_stats.support import release

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    from silkgate.trade_stats import api, pages

    monkeypatch.setattr(api, "today_beijing", lambda: TODAY)
    monkeypatch.setattr(pages, "today_beijing", lambda: TODAY)


def test_home_redirects_to_login(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_dashboard_shows_figures_and_drill_down_links(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session)
    release(
        session,
        day=dt.date(2026, 5, 3),
        value="12345.67",
        seller_id=seller.id,
        country="502",
        hs_code="9503008900",
    )
    h = auth_headers(session, make_org(session, "zone_office").id)
    r = client.get("/", headers=h)
    assert r.status_code == 200
    html = r.text
    assert "运行监测" in html and "1.23 万元" in html
    links = re.findall(r'href="(/declarations\?[^"]+)"', html)
    params = [parse_qs(urlparse(link.replace("&amp;", "&")).query) for link in links]
    assert any(p.get("country") == ["502"] for p in params)
    assert any(p.get("enterprise_id") == [str(seller.id)] for p in params)
    assert all(
        p["date_from"] == ["2026-01-01"] and p["date_to"] == ["2026-06-15"] for p in params if "country" in p
    )
    assert "/static/vendor/echarts/echarts.min.js" in html


def test_withdrawal_leaves_the_dashboard_immediately(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session)
    decl = release(session, day=dt.date(2026, 5, 3), value="5000", seller_id=seller.id)
    h = auth_headers(session, make_org(session, "zone_office").id)
    before = client.get("/api/v1/stats/summary", headers=h).json()["figures"][0]["list_count"]
    release(
        session,
        day=dt.date(2026, 5, 3),
        value="5000",
        seller_id=seller.id,
        declaration_id=decl,
        kind="withdrawn",
    )
    after = client.get("/api/v1/stats/summary", headers=h).json()["figures"][0]["list_count"]
    assert before - after == 1


@pytest.mark.parametrize(
    "path",
    [
        "/stats",
        "/stats?dimension=seller&granularity=week",
        "/stats/targets",
        "/stats/assessment",
        "/stats/reconciliation",
        "/stats/entities",
        "/stats/provinces",
        "/stats/reports?kind=quarterly&period=2026-Q2",
        "/stats/screen",
    ],
)
def test_statistics_pages_render(client: TestClient, session: Session, path: str) -> None:
    seller = make_enterprise(session)
    release(session, day=dt.date(2026, 5, 3), value="800", seller_id=seller.id)
    h = auth_headers(session, make_org(session, "zone_office").id)
    r = client.get(path, headers=h)
    assert r.status_code == 200, r.text[:500]
    assert "<html" in r.text


def test_bad_page_filter_is_named_on_the_page(client: TestClient, session: Session) -> None:
    h = auth_headers(session, make_org(session, "zone_office").id)
    r = client.get("/stats?date_from=2026-05-01&date_to=2026-04-01", headers=h)
    assert r.status_code == 422 and "截止日期不能早于起始日期" in r.text


def test_table_export_is_the_table_on_screen(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session)
    release(session, day=dt.date(2026, 5, 3), value="20000", seller_id=seller.id, country="116")
    h = auth_headers(session, make_org(session, "zone_office").id)
    r = client.get(
        "/stats/export.xlsx",
        params={
            "view": "/stats",
            "table": "breakdown-country",
            "dimension": "country",
            "date_from": "2026-01-01",
        },
        headers=h,
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=5)]
    assert rows[0][:3] == ["日本", 1, 2.0]  # 20,000 元 = 2 万元


def test_enterprise_pages_hold_only_its_own_trade(client: TestClient, session: Session) -> None:
    own, other = make_enterprise(session), make_enterprise(session)
    release(session, day=dt.date(2026, 5, 3), value="100", seller_id=own.id, country="116")
    release(session, day=dt.date(2026, 5, 3), value="999999", seller_id=other.id, country="304")
    org_id = session.get(Enterprise, own.id).org_id  # type: ignore[union-attr]
    h = auth_headers(session, org_id)
    html = client.get("/", headers=h).text
    assert "（本企业）" in html and "德国" not in html and "100.00 元" in html
    assert client.get("/stats/targets", headers=h).status_code == 403
    assert client.get("/stats?dimension=seller", headers=h).status_code == 422


def test_bank_gets_a_welcome_page_not_an_error(client: TestClient, session: Session) -> None:
    h = auth_headers(session, make_org(session, "bank").id)
    r = client.get("/", headers=h)
    assert r.status_code == 200 and "欢迎" in r.text and "chart-trend" not in r.text
