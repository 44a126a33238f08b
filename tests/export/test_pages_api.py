"""The export API and pages: tenant isolation, the seller walking a summary through, Excel exports."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from export.export_world import World
from factories import auth_headers, make_enterprise, make_org


def test_seller_proposes_submits_and_customs_accepts_through_the_api(
    world: World, session: Session, client: TestClient
) -> None:
    lst = world.ship(world.tx())
    seller = auth_headers(session, world.seller.org_id)
    customs = auth_headers(session, make_org(session, "customs").id)
    other = auth_headers(session, make_enterprise(session).org_id)
    session.commit()
    r = client.get("/api/v1/export/lists", headers=seller)
    assert r.status_code == 200 and r.json()["items"][0]["invt_no"] == lst.invt_no
    assert client.get(f"/api/v1/export/lists/{lst.id}", headers=other).status_code == 404
    made = client.post("/api/v1/export/summaries/propose", json={"period": "2026-03"}, headers=seller)
    assert made.status_code == 201, made.text
    sid = made.json()["items"][0]["id"]
    assert made.json()["items"][0]["invt_nos"] == [lst.invt_no]
    assert client.post(f"/api/v1/export/summaries/{sid}/submit", headers=other).status_code == 404
    assert (
        client.post(f"/api/v1/export/summaries/{sid}/submit", headers=seller).json()["status"] == "submitted"
    )
    bad = client.post(
        f"/api/v1/export/summaries/{sid}/result", json={"accepted": True, "entry_id": "1"}, headers=customs
    )
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"sum_no", "entry_id"}
    ok = client.post(
        f"/api/v1/export/summaries/{sid}/result",
        json={"accepted": True, "sum_no": "050920260000000001", "entry_id": "050920260000000123"},
        headers=customs,
    )
    assert ok.json()["status"] == "accepted"
    detail = client.get(f"/api/v1/export/lists/{lst.id}", headers=customs).json()
    assert detail["summary"]["entry_id"] == "050920260000000123"


def test_ledgers_and_rebate_as_json_and_excel(world: World, session: Session, client: TestClient) -> None:
    world.ship(world.tx(), collect=Decimal("10"))
    seller = auth_headers(session, world.seller.org_id)
    session.commit()
    led = client.get("/api/v1/export/tax-free-ledger?start=2026-03-01&end=2026-03-31", headers=seller).json()
    assert led["items"][0]["qualifies"] is True
    x = client.get("/api/v1/export/deemed-income?year=2026&format=xlsx", headers=seller)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    reb = client.get("/api/v1/export/rebate?period=2026-03", headers=seller).json()
    assert any("尚未收齐外汇" in m for m in reb["lines"][0]["missing"])
    fxr = client.get("/api/v1/export/fx", headers=seller).json()
    assert Decimal(fxr["outstanding_cny"]) == Decimal("163.30")  # 23 USD × 7.1


def test_bad_rates_and_filings_name_every_field(world: World, session: Session, client: TestClient) -> None:
    zone = auth_headers(session, make_org(session, "zone_office").id)
    seller = auth_headers(session, world.seller.org_id)
    session.commit()
    r = client.post(
        "/api/v1/export/rates",
        json={"source": "x", "rows": [{"currency": "XXX", "rate_to_cny": "a", "valid_from": "2026"}]},
        headers=zone,
    )
    assert r.status_code == 422 and len(r.json()["errors"]) == 3
    assert (
        client.post("/api/v1/export/rates", json={"source": "x", "rows": []}, headers=seller).status_code
        == 403
    )
    w = client.post(
        "/api/v1/export/filings/warehouses",
        json={
            "name": "",
            "country": "142",
            "address": "",
            "area_m2": "0",
            "operator": "",
            "ownership": "leased",
        },
        headers=seller,
    )
    assert w.status_code == 422
    assert {e["field"] for e in w.json()["errors"]} == {
        "name",
        "country",
        "address",
        "operator",
        "area_m2",
        "contract_no",
        "contract_valid_until",
    }


def test_pages_render_for_seller_and_zone_office(world: World, session: Session, client: TestClient) -> None:
    from factories import make_user
    from silkgate.export import summary

    lst = world.ship(world.tx())
    summary.propose(session, world.seller.id, "2026-03")
    make_user(session, world.seller.org_id, "exp_seller")
    make_user(session, make_org(session, "zone_office").id, "exp_zone")
    session.commit()
    client.post(
        "/login", data={"username": "exp_seller", "password": "silkgate-demo"}, follow_redirects=False
    )
    for path in (
        "/export",
        f"/export/lists/{lst.id}",
        "/export/summaries",
        "/export/returns",
        "/export/tax",
        "/export/fx",
        "/export/rebate?period=2026-03",
        "/export/filings",
    ):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    index = client.get("/export").text
    assert lst.invt_no in index and "待企业复核" in index  # the list names the summary it went into
    client.post("/logout", follow_redirects=False)
    client.post("/login", data={"username": "exp_zone", "password": "silkgate-demo"}, follow_redirects=False)
    page = client.get(f"/export?seller_id={world.seller.id}")
    assert page.status_code == 200 and lst.invt_no in page.text
    assert client.get(f"/export/tax?seller_id={world.seller.id}").status_code == 200


def test_agency_reads_are_audited_and_other_zones_see_nothing(
    world: World, session: Session, client: TestClient
) -> None:
    from sqlalchemy import select

    from silkgate.models.org import AuditEntry

    lst = world.ship(world.tx())
    customs = make_org(session, "customs")
    far = auth_headers(session, make_org(session, "customs", zone_code="370800").id)
    bank = auth_headers(session, make_org(session, "bank").id)
    headers = auth_headers(session, customs.id)
    session.commit()
    assert client.get(f"/api/v1/export/lists/{lst.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/export/fx?seller_id={world.seller.id}", headers=headers).status_code == 200
    audited = session.scalars(select(AuditEntry.resource).where(AuditEntry.actor_org_id == customs.id)).all()
    assert set(audited) == {"export_list", "export_fx"}
    assert client.get(f"/api/v1/export/lists/{lst.id}", headers=far).status_code == 404
    assert client.get(f"/api/v1/export/fx?seller_id={world.seller.id}", headers=far).status_code == 404
    assert client.get("/api/v1/export/lists", headers=bank).status_code == 403
