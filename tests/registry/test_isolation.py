"""One generic tenant-isolation test over every registry API route (netbox style): each route is
called by every kind of caller against another tenant's records, and must answer as the access
rules say: an enterprise sees only its own (others' records are 404, no existence leak), an agency
reads its own zone (audited) but changes nothing, another zone's office sees nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories import auth_headers, make_commodity, make_enterprise, make_org
from silkgate.auth import kinds
from silkgate.models.org import AuditEntry
from silkgate.registry.api import router

# Bodies for the writing routes: valid, so that only access decides the answer.
BODIES = {
    ("PATCH", "/api/v1/enterprises/{enterprise_id}"): {"contact_name": "王强"},
    ("POST", "/api/v1/enterprises/{enterprise_id}/approve"): {},
    ("POST", "/api/v1/enterprises/{enterprise_id}/reject"): {"reason": "测试驳回"},
    ("PATCH", "/api/v1/commodities/{commodity_id}"): {"brand": "新品牌"},
    (
        "POST",
        "/api/v1/commodities",
    ): {
        "item_no": "ISO-1",
        "name": "测试面霜",
        "hs_code": "3304990099",
        "origin_country": "601",
        "unit": "035",
        "unit_price": "10",
    },
    ("POST", "/api/v1/enterprises"): None,  # filing a new record: not about another tenant's record
    ("POST", "/api/v1/tariff"): None,
}
# Zone reference data every authenticated caller may read.
PUBLIC = {
    ("GET", "/api/v1/zones"),
    ("GET", "/api/v1/zones/{zone_code}"),
    ("GET", "/api/v1/zones/{zone_code}/targets"),
    ("GET", "/api/v1/tariff"),
    ("GET", "/api/v1/tariff/{hs_code}"),
}
LISTS = {("GET", "/api/v1/enterprises"), ("GET", "/api/v1/commodities")}
ZONE_OFFICE_ONLY = {
    ("POST", "/api/v1/enterprises/{enterprise_id}/approve"),
    ("POST", "/api/v1/enterprises/{enterprise_id}/reject"),
}
WRITES = {key for key in BODIES if "{" in key[1]} | {("POST", "/api/v1/commodities")}


def registry_routes() -> list[tuple[str, str]]:
    out = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        for method in sorted(route.methods):
            out.append((method, route.path))
    return out


@dataclass
class World:
    b_enterprise_id: int
    b_commodity_id: int
    headers: dict[str, dict[str, str]]
    b_org_id: int


@pytest.fixture
def world(session: Session) -> World:
    a = make_enterprise(session, name="隔离测试A有限公司")
    b = make_enterprise(session, name="隔离测试B有限公司")
    make_commodity(session, a, item_no="A-1")
    b_goods = make_commodity(session, b, item_no="B-1")
    callers = {
        "enterprise_a": a.org_id,
        "zone_office": make_org(session, kinds.ZONE_OFFICE).id,
        "customs": make_org(session, kinds.CUSTOMS).id,
        "tax": make_org(session, kinds.TAX).id,
        "other_zone_office": make_org(session, kinds.ZONE_OFFICE, zone_code="451100").id,
        "other_zone_customs": make_org(session, kinds.CUSTOMS, zone_code="451100").id,
        "bank": make_org(session, kinds.BANK).id,
    }
    return World(
        b_enterprise_id=b.id,
        b_commodity_id=b_goods.id,
        headers={name: auth_headers(session, org_id) for name, org_id in callers.items()},
        b_org_id=b.org_id,
    )


def _url(path: str, world: World) -> str:
    url = path.format(
        enterprise_id=world.b_enterprise_id,
        commodity_id=world.b_commodity_id,
        zone_code="140800",
        hs_code="3304990099",
    )
    if path == "/api/v1/commodities":
        url += f"?enterprise_id={world.b_enterprise_id}"
    return url


def _expected(caller: str, key: tuple[str, str]) -> set[int]:
    """The statuses the access rules allow for `caller` on B's record through route `key`."""
    if key in PUBLIC:
        return {200}
    if key in LISTS:
        return {403} if caller == "bank" else {200}
    if caller == "zone_office":
        return {200, 201}
    if caller == "other_zone_office":
        return {404}
    if key in ZONE_OFFICE_ONLY:
        return {403}
    if caller in ("customs", "tax"):
        return {403} if key in WRITES else {200}
    if caller == "other_zone_customs" and key == ("POST", "/api/v1/commodities"):
        return {403}  # filing goods is not an agency's action at all, whatever the record
    if caller == "bank":
        return {403, 404}
    return {404}  # enterprise A, the other zone's office and agency: B does not exist for them


def test_every_registry_route_is_classified() -> None:
    for key in registry_routes():
        assert key in BODIES or key in PUBLIC or key in LISTS or key[0] == "GET", key


def test_unauthenticated_requests_get_401_on_every_route(client: TestClient, world: World) -> None:
    for method, path in registry_routes():
        r = client.request(method, _url(path, world), json=BODIES.get((method, path)) or {})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "caller",
    ["enterprise_a", "customs", "tax", "other_zone_office", "other_zone_customs", "bank", "zone_office"],
)
def test_tenant_isolation_over_every_registry_route(
    client: TestClient, session: Session, world: World, caller: str
) -> None:
    headers = world.headers[caller]
    for method, path in registry_routes():
        key = (method, path)
        if key in BODIES and BODIES[key] is None:
            continue
        if caller == "zone_office" and key == ("POST", "/api/v1/enterprises/{enterprise_id}/reject"):
            continue  # B is already approved: the zone office's own decision is tested elsewhere
        r = client.request(method, _url(path, world), json=BODIES.get(key), headers=headers)
        allowed = _expected(caller, key)
        if caller == "zone_office" and key == ("POST", "/api/v1/enterprises/{enterprise_id}/approve"):
            allowed = {409}  # visible, but already approved
        assert r.status_code in allowed, (caller, method, path, r.status_code, r.text[:300])
        if r.status_code == 404:
            assert r.json()["code"] == "not_found"
        if key in LISTS and r.status_code == 200:
            ids = {item["id"] for item in r.json()["items"]}
            b_record = world.b_enterprise_id if "enterprises" in path else world.b_commodity_id
            assert (b_record in ids) == (caller in ("zone_office", "customs", "tax")), (caller, path)


def test_agency_reads_and_lists_are_audited_and_others_are_not(
    client: TestClient, session: Session, world: World
) -> None:
    def audit_count(caller_headers: dict[str, str]) -> int:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    before = audit_count({})
    for path in (
        f"/api/v1/enterprises/{world.b_enterprise_id}",
        f"/api/v1/enterprises/{world.b_enterprise_id}/history",
        f"/api/v1/commodities/{world.b_commodity_id}",
        "/api/v1/enterprises",
        "/api/v1/commodities",
    ):
        assert client.get(path, headers=world.headers["customs"]).status_code == 200
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(5)).all()
    assert (session.scalar(select(func.count()).select_from(AuditEntry)) or 0) - before == 5
    assert {(e.resource, e.action) for e in entries} == {
        ("enterprise", "read"),
        ("commodity", "read"),
        ("enterprise", "list"),
        ("commodity", "list"),
    }
    assert {e.subject_org_id for e in entries if e.action == "read"} == {world.b_org_id}
    # The zone office and the enterprise itself read without audit entries.
    client.get(f"/api/v1/enterprises/{world.b_enterprise_id}", headers=world.headers["zone_office"])
    client.get("/api/v1/enterprises", headers=world.headers["enterprise_a"])
    assert (session.scalar(select(func.count()).select_from(AuditEntry)) or 0) - before == 5
    # The zone office browses the agency's reads in its audit log.
    log = client.get(
        "/api/v1/audit", params={"actor_kind": "customs"}, headers=world.headers["zone_office"]
    ).json()
    assert log["total"] >= 5
