"""The statistics API and pages: figures, YoY/MoM, scoping (an enterprise sees only its own trade,
an agency its zone with every read audited), targets, weights, historical import, reports."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.models.org import AuditEntry
from silkgate.models.zone import ZoneTarget
from silkgate.trade_stats import api as stats_api
from trade_stats.support import release

TODAY = dt.date(2026, 6, 15)


def _freeze(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(stats_api, "today_beijing", lambda: TODAY)
    from silkgate.trade_stats import pages

    monkeypatch.setattr(pages, "today_beijing", lambda: TODAY)


def _trade(session: Session) -> tuple[int, int]:
    a = make_enterprise(session, roles=("seller",))
    b = make_enterprise(session, roles=("seller",))
    release(session, day=dt.date(2025, 5, 10), value="1000", seller_id=a.id)  # last year, same month
    release(session, day=dt.date(2026, 4, 3), value="1500", seller_id=a.id, country="502")
    release(session, day=dt.date(2026, 5, 20), value="2000", seller_id=a.id, hs_code="6110200090")
    release(
        session,
        day=dt.date(2026, 5, 21),
        value="3000",
        seller_id=b.id,
        direction="export",
        mode="9710",
        country="304",
    )
    return a.id, b.id


def test_series_gives_month_totals_with_yoy_and_mom(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    _trade(session)
    office = make_org(session, "zone_office")
    r = client.get(
        "/api/v1/stats/series",
        params={"granularity": "month", "date_from": "2026-04-01", "date_to": "2026-05-31"},
        headers=auth_headers(session, office.id),
    )
    assert r.status_code == 200, r.text
    april, may = r.json()["periods"]
    assert (april["label"], Decimal(april["value_cny"]), april["list_count"]) == (
        "2026-04",
        Decimal("1500"),
        1,
    )
    assert Decimal(may["value_cny"]) == Decimal("5000")
    # May 2025 had 1000: +400%; April had 1500: MoM +233.33%
    assert Decimal(may["yoy"]) == Decimal("4.0000")
    assert Decimal(may["mom"]) == Decimal("2.3333")
    assert april["yoy"] is None  # nothing in April 2025 to compare with


def test_breakdowns_rank_and_share(client: TestClient, session: Session, monkeypatch: object) -> None:
    _freeze(monkeypatch)
    _trade(session)
    office = make_org(session, "zone_office")
    h = auth_headers(session, office.id)
    r = client.get(
        "/api/v1/stats/breakdown/country",
        params={"date_from": "2026-01-01", "date_to": "2026-06-15"},
        headers=h,
    )
    rows = r.json()["rows"]
    assert [(x["key"], x["label"]) for x in rows] == [("304", "德国"), ("116", "日本"), ("502", "美国")]
    assert Decimal(rows[0]["share"]) == Decimal("0.4615")
    regions = client.get(
        "/api/v1/stats/breakdown/region", params={"date_from": "2026-01-01"}, headers=h
    ).json()["rows"]
    assert {x["label"]: Decimal(x["value_cny"]) for x in regions} == {
        "欧洲": Decimal("3000"),
        "亚洲": Decimal("2000"),
        "北美洲": Decimal("1500"),
    }
    modes = client.get(
        "/api/v1/stats/breakdown/trade_mode", params={"date_from": "2026-01-01"}, headers=h
    ).json()
    assert {x["key"] for x in modes["rows"]} == {"import:9610", "export:9710"}
    bad = client.get(
        "/api/v1/stats/breakdown/country",
        params={"date_from": "2026-05-01", "date_to": "2026-04-01"},
        headers=h,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "before_start"


def test_enterprise_sees_only_its_own_trade(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    a_id, _b_id = _trade(session)
    from silkgate.models.registry import Enterprise

    a = session.get(Enterprise, a_id)
    assert a is not None
    h = auth_headers(session, a.org_id)
    summary = client.get("/api/v1/stats/summary", params={"date_from": "2026-01-01"}, headers=h).json()
    total = summary["figures"][0]
    assert Decimal(total["value_cny"]) == Decimal("3500") and total["list_count"] == 2
    countries = client.get(
        "/api/v1/stats/breakdown/country", params={"date_from": "2026-01-01"}, headers=h
    ).json()
    assert {x["key"] for x in countries["rows"]} == {"116", "502"}  # not seller b's 304
    # Other enterprises and zone-only views are not offered to an enterprise.
    assert client.get("/api/v1/stats/breakdown/seller", headers=h).status_code == 422
    assert client.get("/api/v1/stats/targets", headers=h).status_code == 403


def test_agency_reads_its_zone_and_is_audited(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    _trade(session)
    customs = make_org(session, "customs")
    r = client.get(
        "/api/v1/stats/summary", params={"date_from": "2026-01-01"}, headers=auth_headers(session, customs.id)
    )
    assert Decimal(r.json()["figures"][0]["value_cny"]) == Decimal("6500")
    assert session.scalar(select(AuditEntry).where(AuditEntry.actor_org_id == customs.id)) is not None
    bank = make_org(session, "bank")
    assert client.get("/api/v1/stats/summary", headers=auth_headers(session, bank.id)).status_code == 403


def test_other_zone_office_does_not_see_this_zone(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    _trade(session)
    other = make_org(session, "zone_office", zone_code="451100")
    r = client.get(
        "/api/v1/stats/summary", params={"date_from": "2026-01-01"}, headers=auth_headers(session, other.id)
    )
    assert r.json()["figures"][0]["list_count"] == 0


def test_targets_follow_the_seed_bound(client: TestClient, session: Session, monkeypatch: object) -> None:
    _freeze(monkeypatch)
    _trade(session)
    session.add(
        ZoneTarget(
            zone_code="140800",
            ref="TST-1",
            metric="trade_value",
            label="跨境电商进出口额",
            horizon="2026",
            year=2026,
            value=Decimal("0.00006"),
            value_max=None,
            unit="亿元",
            bound="gt",
            bound_zh="突破",
            source_phrase="测试",
            source_note="",
        )
    )
    session.flush()
    office = make_org(session, "zone_office")
    rows = client.get("/api/v1/stats/targets", headers=auth_headers(session, office.id)).json()
    t = next(x for x in rows if x["ref"] == "TST-1")
    assert Decimal(t["actual"]) == Decimal("0.0001")  # 6,500 元 = 0.000065 亿元, to 4 places
    assert t["met"] is True and t["status"] == "met"


def test_weights_validated_and_stored(client: TestClient, session: Session) -> None:
    office = make_org(session, "zone_office")
    h = auth_headers(session, office.id)
    bad = client.put(
        "/api/v1/stats/assessment/weights", json={"weights": {"nonsense": "0.5", "parks": "2"}}, headers=h
    )
    assert bad.status_code == 422
    assert {e["code"] for e in bad.json()["errors"]} == {"unknown_indicator", "out_of_range"}
    ok = client.put("/api/v1/stats/assessment/weights", json={"weights": {"trade_growth": "1"}}, headers=h)
    assert ok.status_code == 200
    assessment = client.get("/api/v1/stats/assessment", params={"year": 2026}, headers=h).json()
    weights = {i["key"]: Decimal(i["weight"]) for i in assessment["indicators"]}
    assert weights["trade_growth"] == Decimal("1") and weights["parks"] == Decimal("0")


def test_historical_import_names_each_bad_cell_and_shows_as_historical(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    office = make_org(session, "zone_office")
    h = {**auth_headers(session, office.id), "content-type": "text/csv"}
    bad = "month,direction,trade_mode,list_count,value_cny\n2025-13,import,9610,1,10\n2025-01,sideways,9999,x,1\n"
    r = client.post("/api/v1/stats/historical", content=bad.encode(), headers=h)
    assert r.status_code == 422
    assert [e["code"] for e in r.json()["errors"]] == [
        "bad_month",
        "bad_direction",
        "bad_trade_mode",
        "bad_number",
    ]
    good = "month,direction,trade_mode,list_count,value_cny\n2025-03,import,9610,120,880000.50\n"
    assert client.post("/api/v1/stats/historical", content=good.encode(), headers=h).status_code == 200
    s = client.get(
        "/api/v1/stats/series",
        params={"granularity": "month", "date_from": "2025-03-01", "date_to": "2025-03-31"},
        headers=h,
    ).json()
    assert s["periods"][0]["historical"] is True and Decimal(s["periods"][0]["value_cny"]) == Decimal(
        "880000.50"
    )


def test_monthly_report_excel_and_csv(client: TestClient, session: Session, monkeypatch: object) -> None:
    _freeze(monkeypatch)
    _trade(session)
    office = make_org(session, "zone_office")
    h = auth_headers(session, office.id)
    r = client.get("/api/v1/stats/reports/monthly", params={"period": "2026-05"}, headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "封面" and "一、总体情况" in wb.sheetnames
    ws = wb["一、总体情况"]
    assert ws.cell(row=4, column=1).value == "项目"
    assert ws.cell(row=5, column=3).value == 0.5  # 5,000 元 = 0.5 万元
    assert ws._charts, "the sheet carries its chart"
    csv_text = client.get(
        "/api/v1/stats/reports/monthly", params={"period": "2026-05", "format": "csv"}, headers=h
    ).text
    assert "二、分贸易方式" in csv_text
    bad = client.get("/api/v1/stats/reports/quarterly", params={"period": "2026-Q5"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "period"


def test_reconciliation_lists_records_missing_a_counterpart(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    from silkgate.models.declarations import Declaration

    at = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 Beijing

    def doc(kind: str, n: int, **fields: object) -> None:
        session.add(
            Declaration(
                zone_code="140800",
                direction="import",
                kind=kind,
                message_type={"inventory": "CEB621", "waybill": "CEB505", "payment": "CEB411"}[kind],
                guid=f"rec-{kind}-{n}",
                business_no=f"{kind}-{n}",
                status="released" if kind == "inventory" else "declared",
                created_at=at,
                value_cny=Decimal("100"),
                **fields,  # type: ignore[arg-type]
            )
        )

    doc("inventory", 1, order_no="O1", logistics_no="L1")
    doc("waybill", 1, logistics_no="L1")
    doc("payment", 1, order_no="O1")
    doc("inventory", 2, order_no="O2", logistics_no="L2")  # no waybill, no payment
    doc("payment", 3, order_no="O3")  # a payment with no list
    session.flush()
    h = auth_headers(session, make_org(session, "zone_office").id)
    r = client.get(
        "/api/v1/stats/reconciliation", params={"date_from": "2026-06-10", "date_to": "2026-06-10"}, headers=h
    )
    body = r.json()
    day = body["days"][0]
    assert (day["inventory"]["count"], day["waybill"]["count"], day["payment"]["count"]) == (2, 1, 2)
    assert body["missing_counts"] == {
        "list_without_waybill": 1,
        "list_without_payment": 1,
        "waybill_without_list": 0,
        "payment_without_list": 1,
    }
    assert body["missing"]["list_without_waybill"]["records"][0]["business_no"] == "inventory-2"
    too_long = client.get(
        "/api/v1/stats/reconciliation", params={"date_from": "2026-01-01", "date_to": "2026-06-10"}, headers=h
    )
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["code"] == "range_too_long"


def test_statistics_api_is_in_the_openapi(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/stats/summary",
        "/api/v1/stats/series",
        "/api/v1/stats/breakdown/{dimension}",
        "/api/v1/stats/targets",
        "/api/v1/stats/assessment",
        "/api/v1/stats/reconciliation",
        "/api/v1/stats/reports/{kind}",
        "/api/v1/stats/index",
        "/api/v1/stats/provinces",
    ):
        assert p in paths, p


def test_market_entities_count_filed_active_and_new(
    client: TestClient, session: Session, monkeypatch: object
) -> None:
    _freeze(monkeypatch)
    h = auth_headers(session, make_org(session, "zone_office").id)
    before = client.get("/api/v1/stats/market-entities", params={"date_from": "2026-01-01"}, headers=h).json()
    seller = make_enterprise(session, roles=("seller",))
    make_enterprise(session, roles=("seller", "platform"))
    make_enterprise(session, roles=("seller",), approved=False)  # pending: not counted as filed
    release(session, day=dt.date(2026, 5, 1), value="10", seller_id=seller.id)
    after = client.get("/api/v1/stats/market-entities", params={"date_from": "2026-01-01"}, headers=h).json()
    roles_before = {r["role"]: r for r in before["roles"]}
    roles_after = {r["role"]: r for r in after["roles"]}
    assert roles_after["seller"]["filed"] - roles_before["seller"]["filed"] == 2
    assert roles_after["platform"]["filed"] - roles_before["platform"]["filed"] == 1
    assert roles_after["seller"]["active"] - roles_before["seller"]["active"] == 1
    assert after["filed_total"] - before["filed_total"] == 2


def test_development_index_starts_with_the_first_complete_year_of_lists(session: Session) -> None:
    from silkgate.trade_stats.queries import development_index
    from silkgate.trade_stats.service import StatsScope

    seller = make_enterprise(session)
    for i in range(14):  # Jan 2025 .. Feb 2026, the last two months twice the value
        month = dt.date(2025 + i // 12, i % 12 + 1, 5)
        release(session, day=month, value="2000" if i >= 12 else "1000", seller_id=seller.id)
    points = {
        p.month: p.index for p in development_index(session, StatsScope("140800"), dt.date(2026, 2, 20), 6)
    }
    assert points[dt.date(2025, 11, 1)] is None  # the window Dec 2024 .. Nov 2025 is not all list data
    assert points[dt.date(2025, 12, 1)] == Decimal("100.0")  # base: Jan .. Dec 2025
    # Jan 2026 window: value 13,000 vs 12,000 (+8.33 % × 0.40); lists, sellers, countries, chapters equal
    assert points[dt.date(2026, 1, 1)] == Decimal("103.3")
