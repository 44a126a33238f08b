"""The /logistics pages render for the zone office (figures) and for a warehouse operator."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.logistics import schemas, service

from .conftest import keyed


def test_logistics_pages(session: Session, client: TestClient) -> None:
    operator = make_enterprise(session, roles=("warehouse",))
    p, headers = keyed(session, operator)
    wh = service.register_warehouse(
        session,
        p,
        schemas.WarehouseCreate(
            code="YC-BWH-T",
            name="运城保税仓（测试）",
            kind="bonded",
            area_m2=Decimal("100"),
            capacity_units=Decimal("10"),
        ),
    )
    office = make_org(session, "zone_office")
    r = client.get("/logistics", headers=auth_headers(session, office.id))
    assert r.status_code == 200 and "通关时长 中位数" in r.text and "运城保税仓（测试）" in r.text
    d = client.get(f"/logistics/warehouses/{wh.id}", headers=headers)
    assert d.status_code == 200 and "库容利用率" in d.text
    assert client.get("/track").status_code == 200
    assert client.get("/logistics", follow_redirects=False).status_code == 303
    x = client.get("/logistics/figures.xlsx", headers=auth_headers(session, office.id))
    assert x.status_code == 200 and x.content[:2] == b"PK"
    form = {
        "code": "US-NJ-01",
        "name": "新泽西海外仓",
        "kind": "overseas",
        "country": "502",
        "area_m2": "5000",
        "capacity_units": "8000",
    }
    made = client.post("/logistics/warehouses", headers=headers, data=form, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/logistics/warehouses/")
    bad = client.post(
        "/logistics/warehouses", headers=headers, data={**form, "code": "CN-1", "country": "142"}
    )
    assert bad.status_code == 422 and "海外仓所在国家不能是中国" in bad.text
