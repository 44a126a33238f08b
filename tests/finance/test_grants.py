"""Consent grants (FIN-04; 个人信息保护法/数据安全法: data shared only with the enterprise's consent,
for the slice and period it chose): ONE generic test over every bank- and insurer-facing route.

For each route: no grant -> 404 (nothing leaks), a grant lacking the slice -> 403, an expired grant
-> 404, a revoked grant -> 404, the right grant -> allowed and exactly one audit entry in the
enterprise's zone. Refusals write no audit entry and change nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.finance import api, pages, rules, schemas, service
from silkgate.finance.access import RequireGrant
from silkgate.kit.cebtime import now_utc
from silkgate.models.finance import GRANT_SLICES, FinancingApplication, InsurancePolicy
from silkgate.models.org import AuditEntry

from .conftest import World, grant, pledge_application


@dataclass
class Call:
    method: str
    url: str
    caller: str  # bank | insurer
    body: dict[str, Any] | None
    ok_status: int
    slices: tuple[str, ...]


def _temporary_grant_then_revoke(session: Session, w: World, org_id: int) -> service.GrantAccess:
    g = grant(session, w, org_id, list(GRANT_SLICES))
    access = service.GrantAccess(enterprise=w.seller, grant=g, slices=tuple(GRANT_SLICES))
    service.revoke_grant(session, w.seller_p, g.id)
    return access


def _policy(session: Session, w: World) -> InsurancePolicy:
    access = _temporary_grant_then_revoke(session, w, w.insurer_org_id)
    return service.issue_policy(
        session,
        w.insurer_p,
        access,
        schemas.PolicyCreate(
            policy_no=f"EC{w.seller.id:08d}",
            buyer_name="Acme Retail LLC",
            buyer_country="502",
            insured_value=Decimal("50000"),
            premium=Decimal("300"),
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        ),
    )


def _app_in(session: Session, w: World, status: str) -> FinancingApplication:
    app = pledge_application(session, w)
    if status in ("approved", "disbursed"):
        service.decide(session, w.bank_p, app, schemas.DecisionIn(approve=True, annual_rate=Decimal("0.045")))
    if status == "disbursed":
        service.disburse(session, w.bank_p, app, Decimal("1000"))
    return app


PLEDGE_SLICES = rules.REVIEW_SLICES["warehouse_pledge"]


def _build(name: str, session: Session, w: World) -> Call:
    e = w.seller.id
    base = f"/api/v1/finance/bank/enterprises/{e}/applications"
    if name in ("filing", "declarations", "fx", "credit"):
        slice_ = "filings" if name == "filing" else name
        return Call("GET", f"/api/v1/finance/access/enterprises/{e}/{name}", "bank", None, 200, (slice_,))
    if name == "application":
        return Call("GET", f"{base}/{_app_in(session, w, 'applied').id}", "bank", None, 200, PLEDGE_SLICES)
    if name == "application_review":
        return Call(
            "POST", f"{base}/{_app_in(session, w, 'applied').id}/review", "bank", {}, 200, PLEDGE_SLICES
        )
    if name == "application_decision":
        body = {"approve": True, "annual_rate": "0.045", "note": "押品充足"}
        return Call(
            "POST", f"{base}/{_app_in(session, w, 'applied').id}/decision", "bank", body, 200, PLEDGE_SLICES
        )
    if name == "application_disbursement":
        app = _app_in(session, w, "approved")
        return Call("POST", f"{base}/{app.id}/disbursement", "bank", {"amount": "1000"}, 200, PLEDGE_SLICES)
    if name == "application_repayment":
        app = _app_in(session, w, "disbursed")
        body = {"amount": "400", "paid_on": "2026-06-30"}
        return Call("POST", f"{base}/{app.id}/repayments", "bank", body, 200, PLEDGE_SLICES)
    ins = f"/api/v1/finance/insurer/enterprises/{e}/policies"
    if name == "policy_issue":
        body = {
            "policy_no": f"EC-NEW-{e}",
            "buyer_name": "Globex GmbH",
            "buyer_country": "304",
            "insured_value": "80000",
            "premium": "560",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        }
        return Call("POST", ins, "insurer", body, 201, ("filings", "declarations"))
    if name == "policy_claims":
        return Call(
            "GET", f"{ins}/{_policy(session, w).id}/claims", "insurer", None, 200, ("filings", "declarations")
        )
    if name == "claim_decision":
        policy = _policy(session, w)
        claim = service.file_claim(
            session,
            w.seller_p,
            policy.id,
            schemas.ClaimCreate(
                loss_cause="buyer_default", amount_claimed=Decimal("12000"), note="买方逾期90天"
            ),
        )
        body = {"pay": True, "amount_paid": "10800", "note": "按90%赔付"}
        return Call(
            "POST",
            f"{ins}/{policy.id}/claims/{claim.id}/decision",
            "insurer",
            body,
            200,
            ("filings", "declarations"),
        )
    raise AssertionError(f"no sample request for bank-facing route {name!r}: add one")


def _grant_dependency(route: APIRoute) -> RequireGrant | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RequireGrant):
            return dep.call
        stack.extend(dep.dependencies)
    return None


BANK_FACING = [
    r for r in api.router.routes if isinstance(r, APIRoute) and "/enterprises/{enterprise_id}" in r.path
]


def test_every_enterprise_scoped_finance_route_depends_on_the_grant_check() -> None:
    assert len(BANK_FACING) == 12
    page_routes = [
        r for r in pages.router.routes if isinstance(r, APIRoute) and "/enterprises/{enterprise_id}" in r.path
    ]
    assert len(page_routes) == 2  # the review page and its actions
    missing = [r.path for r in (*BANK_FACING, *page_routes) if _grant_dependency(r) is None]
    assert missing == []


def _audits(session: Session, actor_org_id: int, subject_org_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.actor_org_id == actor_org_id, AuditEntry.subject_org_id == subject_org_id)
        )
        or 0
    )


@pytest.mark.parametrize("route_name", [r.name for r in BANK_FACING])
def test_grant_scope_and_expiry_enforced(
    route_name: str, session: Session, client: TestClient, world: World
) -> None:
    w = world
    call = _build(route_name, session, w)
    caller_org = w.bank_org_id if call.caller == "bank" else w.insurer_org_id
    headers = w.headers(w.bank_key if call.caller == "bank" else w.insurer_key)
    session.flush()
    audits_before = _audits(session, caller_org, w.seller.org_id)

    def send() -> Any:
        return client.request(call.method, call.url, headers=headers, json=call.body)

    # 1. no grant at all: 404, as if the enterprise did not exist
    r = send()
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"

    # 2. an active grant that lacks a needed slice: 403 naming what is missing
    wrong = [s for s in GRANT_SLICES if s != call.slices[0]]
    g_wrong = grant(session, w, caller_org, wrong)
    r = send()
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "grant_scope_missing"
    assert rules.SLICE_LABELS[call.slices[0]] in r.json()["detail"]
    service.revoke_grant(session, w.seller_p, g_wrong.id)

    # 3. the right slices but expired
    g_expired = grant(session, w, caller_org, list(call.slices))
    g_expired.valid_from = now_utc() - dt.timedelta(days=40)
    g_expired.valid_until = now_utc() - dt.timedelta(seconds=1)
    session.flush()
    assert send().status_code == 404

    # 4. the right slices but revoked
    g_revoked = grant(session, w, caller_org, list(call.slices))
    service.revoke_grant(session, w.seller_p, g_revoked.id)
    assert send().status_code == 404

    # 5. a grant to another bank does not open anything for this one
    grant(session, w, w.other_bank_org_id, list(GRANT_SLICES))
    assert send().status_code == 404
    assert _audits(session, caller_org, w.seller.org_id) == audits_before

    # 6. the right grant: allowed, and the read is audited in the enterprise's zone
    grant(session, w, caller_org, list(call.slices))
    r = send()
    assert r.status_code == call.ok_status, r.text
    entries = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.actor_org_id == caller_org, AuditEntry.subject_org_id == w.seller.org_id
            )
        )
    )
    assert len(entries) == audits_before + 1
    assert entries[-1].zone_code == w.seller.zone_code
    assert entries[-1].request_path == call.url


def test_bank_inbox_lists_only_applications_covered_by_a_grant(
    session: Session, client: TestClient, world: World
) -> None:
    w = world
    app = pledge_application(session, w)
    session.flush()
    headers = w.headers(w.bank_key)
    assert client.get("/api/v1/finance/bank/applications", headers=headers).json() == []
    grant(session, w, w.bank_org_id, ["filings"])  # not enough for a pledge review
    assert client.get("/api/v1/finance/bank/applications", headers=headers).json() == []
    grant(session, w, w.bank_org_id, ["filings", "declarations"])
    items = client.get("/api/v1/finance/bank/applications", headers=headers).json()
    assert [i["id"] for i in items] == [app.id]
    other = client.get("/api/v1/finance/bank/applications", headers=w.headers(w.insurer_key))
    assert other.status_code == 403


def test_enterprise_lists_and_revokes_its_grants(session: Session, client: TestClient, world: World) -> None:
    w = world
    headers = w.headers(w.seller_key)
    until = (now_utc() + dt.timedelta(days=90)).isoformat()
    r = client.post(
        "/api/v1/finance/grants",
        headers=headers,
        json={
            "grantee_org_id": w.bank_org_id,
            "slices": ["filings", "fx"],
            "purpose": "授信",
            "valid_until": until,
        },
    )
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    assert r.json()["active"] is True
    listed = client.get("/api/v1/finance/grants", headers=headers).json()
    assert [g["id"] for g in listed] == [gid]
    assert client.post(f"/api/v1/finance/grants/{gid}/revoke", headers=headers).json()["active"] is False
    # another enterprise cannot revoke it, nor see that it exists
    assert (
        client.post(f"/api/v1/finance/grants/{gid}/revoke", headers=w.headers(w.bank_key)).status_code == 404
    )


def test_bad_grant_names_each_field(session: Session, client: TestClient, world: World) -> None:
    w = world
    r = client.post(
        "/api/v1/finance/grants",
        headers=w.headers(w.seller_key),
        json={
            "grantee_org_id": w.seller.org_id,
            "slices": ["fx"],
            "purpose": "x",
            "valid_until": (now_utc() + dt.timedelta(days=800)).isoformat(),
        },
    )
    assert r.status_code == 422
    codes = {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert codes == {("grantee_org_id", "not_a_finance_institution"), ("valid_until", "too_long")}
