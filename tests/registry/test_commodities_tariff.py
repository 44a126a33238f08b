"""Commodity filing with rates from the tariff table; the shipped table; zone tariff loads."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import auth_headers, make_commodity, make_enterprise, make_org
from silkgate.auth import kinds
from silkgate.exceptions import ValidationFailed
from silkgate.models.registry import TariffLine
from silkgate.registry import service
from silkgate.registry.bootstrap import TARIFF_FILE
from silkgate.registry.files import read_tariff_csv

GOOD = {
    "item_no": "YC-001",
    "name": "保湿修护面霜 50ml",
    "hs_code": "3304990099",
    "brand": "AUSPURE",
    "origin_country": "601",
    "unit": "035",
    "unit2": "011",
    "unit_price": "258.00",
    "barcode": "9312345678907",
}


def test_seller_files_goods_with_rates_from_the_tariff_table(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session)
    r = client.post("/api/v1/commodities", json=GOOD, headers=auth_headers(session, seller.org_id))
    assert r.status_code == 201, r.text
    goods = r.json()
    # 33049900: 13% VAT (公告2019年第39号), 15% consumption tax on 高档化妆品 (财税〔2016〕103号), positive list.
    assert Decimal(goods["vat_rate"]) == Decimal("0.13")
    assert Decimal(goods["consumption_tax_rate"]) == Decimal("0.15")
    assert goods["positive_list"] is True
    assert Decimal(goods["unit_price"]) == Decimal("258.00")
    milk = dict(
        GOOD, item_no="YC-002", hs_code="0402210000", name="全脂奶粉", unit="035", unit2=None, barcode=None
    )
    r = client.post("/api/v1/commodities", json=milk, headers=auth_headers(session, seller.org_id))
    assert Decimal(r.json()["vat_rate"]) == Decimal("0.09")  # agricultural product: 9%


def test_bad_commodity_names_each_field_and_duplicate_item_is_409(
    client: TestClient, session: Session
) -> None:
    seller = make_enterprise(session)
    headers = auth_headers(session, seller.org_id)
    bad = dict(
        GOOD, hs_code="33049900", origin_country="AUS", unit="KG", barcode="9312345678900", unit_price="-1"
    )
    r = client.post("/api/v1/commodities", json=bad, headers=headers)
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("hs_code", "hs_code_format"),
        ("origin_country", "unknown_country"),
        ("unit", "unknown_unit"),
        ("barcode", "barcode_check_digit"),
        ("unit_price", "not_positive"),
    }
    assert client.post("/api/v1/commodities", json=GOOD, headers=headers).status_code == 201
    again = client.post("/api/v1/commodities", json=GOOD, headers=headers)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "item_no"


def test_only_approved_sellers_and_platforms_file_goods(client: TestClient, session: Session) -> None:
    pending = make_enterprise(session, approved=False)
    r = client.post("/api/v1/commodities", json=GOOD, headers=auth_headers(session, pending.org_id))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "owner_not_approved"
    carrier = make_enterprise(session, roles=("logistics",))
    r = client.post("/api/v1/commodities", json=GOOD, headers=auth_headers(session, carrier.org_id))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "owner_role"


def test_changing_the_hs_code_takes_the_new_lines_rates(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session)
    goods = make_commodity(session, seller, hs_code="3304990099")
    r = client.patch(
        f"/api/v1/commodities/{goods.id}",
        json={"hs_code": "2204210000"},
        headers=auth_headers(session, seller.org_id),
    )
    assert r.status_code == 200
    assert Decimal(r.json()["consumption_tax_rate"]) == Decimal("0.10")  # wine: 其他酒 10%


def test_shipped_table_is_loaded_and_every_line_exists_in_the_2023_tariff(
    session: Session, reference_dir: Path
) -> None:
    raw, _ = read_tariff_csv(TARIFF_FILE.read_bytes())
    assert len(raw) >= 150
    with (reference_dir / "codes" / "derived" / "hs8_2023.csv").open(encoding="utf-8") as fh:
        tariff_2023 = {row["hs8"] for row in csv.DictReader(fh)}
    assert {r["hs_code"][:8] for r in raw} <= tariff_2023
    national = session.scalars(select(TariffLine).where(TariffLine.zone_code.is_(None))).all()
    assert len(national) == len(raw)
    rates = {line.hs_code: line for line in national}
    assert rates["19011010"].vat_rate == Decimal("0.13") and rates["19011010"].positive_list
    assert rates["91012100"].consumption_tax_rate == Decimal("0.20")  # 高档手表
    assert rates["49019900"].positive_list is False


def test_zone_line_overrides_national_and_ten_digits_beat_eight(session: Session) -> None:
    rows = service.parse_tariff_rows(
        [
            {
                "hs_code": "3304990099",
                "name": "普通护肤品",
                "vat_rate": "0.13",
                "consumption_tax_rate": "0",
                "tariff_rate": "0.01",
                "positive_list": "1",
            },
            {
                "hs_code": "33049900",
                "name": "其他美容品",
                "vat_rate": "0.13",
                "consumption_tax_rate": "0.15",
                "tariff_rate": "0.02",
                "positive_list": "0",
            },
        ]
    )
    service.load_tariff(session, "140800", rows, source="test")
    assert service.tariff_for(session, "140800", "3304990099").consumption_tax_rate == Decimal("0")  # type: ignore[union-attr]
    assert service.tariff_for(session, "140800", "3304990011").positive_list is False  # type: ignore[union-attr]
    national = service.tariff_for(session, "451100", "3304990011")
    assert national is not None and national.zone_code is None and national.positive_list


def test_tariff_rows_are_validated_row_by_row_and_nothing_is_written(session: Session) -> None:
    before = session.scalars(select(TariffLine).where(TariffLine.zone_code == "140800")).all()
    with pytest.raises(ValidationFailed) as caught:
        rows = service.parse_tariff_rows(
            [
                {
                    "hs_code": "33049900",
                    "name": "美容品",
                    "vat_rate": "0.13",
                    "consumption_tax_rate": "0.15",
                    "tariff_rate": "0.01",
                    "positive_list": "1",
                },
                {
                    "hs_code": "3304",
                    "name": "",
                    "vat_rate": "13",
                    "consumption_tax_rate": "x",
                    "tariff_rate": "0.01",
                    "positive_list": "maybe",
                },
                {
                    "hs_code": "33049900",
                    "name": "重复",
                    "vat_rate": "0.13",
                    "consumption_tax_rate": "0",
                    "tariff_rate": "0",
                    "positive_list": "0",
                },
            ]
        )
        service.load_tariff(session, "140800", rows, source="test")
    fields = {(e.field, e.code) for e in caught.value.errors}
    assert fields == {
        ("rows[3].consumption_tax_rate", "decimal_parsing"),
        ("rows[3].positive_list", "bool_parsing"),
        ("rows[3].hs_code", "hs_code_format"),
        ("rows[3].name", "required"),
        ("rows[3].vat_rate", "rate_range"),
        ("rows[3].consumption_tax_rate", "required"),
        ("rows[4].hs_code", "duplicate"),
    }
    assert session.scalars(select(TariffLine).where(TariffLine.zone_code == "140800")).all() == before


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_tariff_csv(b"hs_code,name,vat_rate\n33049900,x,0.13\n")
    assert {e.field for e in caught.value.errors} == {
        "columns.consumption_tax_rate",
        "columns.tariff_rate",
        "columns.positive_list",
    }


def test_zone_office_loads_a_csv_over_the_api_and_others_cannot(client: TestClient, session: Session) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    body = "hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n8516310000,电吹风（本区）,0.13,0,0.07,1\n"
    r = client.post(
        "/api/v1/tariff",
        content=body.encode(),
        headers={**auth_headers(session, office.id), "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 1, "added": 1, "updated": 0, "removed": 0}
    line = client.get("/api/v1/tariff/8516310000", headers=auth_headers(session, office.id)).json()
    assert line["zone_code"] == "140800" and line["name"] == "电吹风（本区）"
    bad = client.post(
        "/api/v1/tariff",
        content=b"hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list\n85163100,x,1.3,0,0,1\n",
        headers={**auth_headers(session, office.id), "content-type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rows[2].vat_rate"
    seller = make_enterprise(session)
    r = client.post("/api/v1/tariff", json=[], headers=auth_headers(session, seller.org_id))
    assert r.status_code == 403


def test_commodity_list_exports_to_excel_with_named_codes(client: TestClient, session: Session) -> None:
    import io

    from openpyxl import load_workbook

    from silkgate.models.org import AuditEntry

    seller = make_enterprise(session, name="商品导出测试有限公司")
    make_commodity(session, seller, item_no="EXP-1")
    customs = make_org(session, kinds.CUSTOMS)
    r = client.get(
        "/api/v1/commodities",
        params={"format": "xlsx", "enterprise_id": seller.id},
        headers=auth_headers(session, customs.id),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None and sheet["A1"].value == "商品货号" and sheet["A1"].font.bold
    row = [c.value for c in sheet[2]]
    assert (
        row[0] == "EXP-1"
        and row[4] == "3304990099"
        and row[6] == "116 日本"
        and row[16] == "商品导出测试有限公司"
    )
    audit = session.scalars(select(AuditEntry).where(AuditEntry.actor_org_id == customs.id)).one()
    assert (audit.resource, audit.action) == ("commodity", "export")
