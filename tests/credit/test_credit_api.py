"""Credit API: agency reports within remit, history kept, tenant isolation, audit, appeals, repair."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from credit.support import agency, enterprise_principal
from factories import auth_headers, make_enterprise
from silkgate.credit import rules, service
from silkgate.credit.service import ItemReport
from silkgate.exceptions import InvalidState, ValidationFailed
from silkgate.models.credit import CreditItem
from silkgate.models.org import AuditEntry

OTHER_ZONE = "451100"  # Hezhou: another zone of the same deployment


def test_customs_reports_level_and_history_is_never_overwritten(client, session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    headers = auth_headers(session, customs.org_id)
    url = f"/api/v1/credit/records/{ent.id}/items"
    r1 = client.post(
        url,
        json={"kind": "customs_level", "value": "certified", "effective_on": "2026-04-02"},
        headers=headers,
    )
    r2 = client.post(
        url,
        json={"kind": "customs_level", "value": "dishonest", "effective_on": "2026-05-02"},
        headers=headers,
    )
    assert r1.status_code == 201 and r2.status_code == 201
    record = client.get(f"/api/v1/credit/records/{ent.id}", headers=headers).json()
    assert record["customs_level"] == "dishonest"
    assert [i["value"] for i in record["items"] if i["kind"] == "customs_level"] == ["dishonest", "certified"]
    assert record["supervision"]["tier"] == "D"


def test_agency_cannot_report_outside_its_remit(client, session):
    ent = make_enterprise(session)
    tax = agency(session, "tax")
    r = client.post(
        f"/api/v1/credit/records/{ent.id}/items",
        json={"kind": "customs_level", "value": "dishonest", "effective_on": "2026-05-02"},
        headers=auth_headers(session, tax.org_id),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "kind",
        "code": "outside_remit",
        "message": r.json()["errors"][0]["message"],
    }
    assert session.scalar(select(CreditItem.id).where(CreditItem.enterprise_id == ent.id)) is None


def test_bad_report_names_every_field_and_writes_nothing(client, session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    future = (service.beijing_today() + dt.timedelta(days=3)).isoformat()
    r = client.post(
        f"/api/v1/credit/records/{ent.id}/items",
        json={"kind": "admin_penalty", "effective_on": future, "amount": "-5"},
        headers=auth_headers(session, customs.org_id),
    )
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("amount", "negative"),
        ("effective_on", "in_future"),
        ("document_no", "required"),
    }


def test_enterprise_sees_only_its_own_record(client, session):
    mine, other = make_enterprise(session), make_enterprise(session)
    headers = auth_headers(session, mine.org_id)
    assert client.get(f"/api/v1/credit/records/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/credit/records/{other.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/credit/records", headers=headers).status_code == 403


def test_agency_of_another_zone_sees_nothing_and_reads_are_audited(client, session):
    ent = make_enterprise(session)
    foreign = agency(session, "customs", zone_code=OTHER_ZONE)
    assert (
        client.get(
            f"/api/v1/credit/records/{ent.id}", headers=auth_headers(session, foreign.org_id)
        ).status_code
        == 404
    )
    local = agency(session, "forex")
    assert (
        client.get(
            f"/api/v1/credit/records/{ent.id}", headers=auth_headers(session, local.org_id)
        ).status_code
        == 200
    )
    audited = session.scalar(
        select(AuditEntry).where(
            AuditEntry.actor_org_id == local.org_id, AuditEntry.resource == "credit_record"
        )
    )
    assert audited is not None and audited.subject_org_id == ent.org_id


def test_appeal_upheld_revokes_platform_item_and_restores_tier(session):
    ent = make_enterprise(session)
    item = service.record_platform_item(session, ent.id, "risk_case_confirmed", summary="误判")
    service.record_platform_item(session, ent.id, "risk_case_confirmed", summary="第二件")
    assert service.supervision_for(session, ent.id).tier == "D"  # 100 - 30
    me = enterprise_principal(session, ent)
    appeal = service.file_appeal(
        session, me, grounds="第一件预警系同名商品误判，已提交物流证明", factor_code="risk_cases"
    )
    with pytest.raises(InvalidState):
        service.file_appeal(session, me, grounds="再次申诉同一事项，理由同上")
    zone = agency(session, "zone_office")
    service.decide_appeal(session, zone, appeal.id, upheld=True, outcome="核实为误判", revoke_item_id=item.id)
    assert service.supervision_for(session, ent.id).tier == "C"  # 100 - 15
    kinds_left = [i.summary for i in service.active_items(session, ent.id, ("risk_case_confirmed",))]
    assert kinds_left == ["第二件"]


def test_credit_repair_waits_for_the_period_then_customs_restores_regular(session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    today = service.beijing_today()
    service.report_item(session, customs, ent.id, ItemReport("customs_level", today, value="dishonest"))
    me = enterprise_principal(session, ent)
    with pytest.raises(ValidationFailed) as exc:
        service.apply_for_repair(
            session,
            me,
            ground="tax_overdue",
            corrective_action="已缴清全部税款及滞纳金",
            obligations_fulfilled=True,
        )
    assert exc.value.errors[0].code == "waiting_period"
    # Three months later (Order 251 Art. 26, item 4: 3 months) the application is accepted.
    earlier = today - dt.timedelta(days=100)
    service.report_item(session, customs, ent.id, ItemReport("customs_level", earlier, value="dishonest"))
    session.flush()
    items = service.active_items(session, ent.id, ("customs_level",))
    assert items[-1].effective_on == today  # the newest effective level is today's
    session.delete(items[-1])
    session.flush()
    app = service.apply_for_repair(
        session,
        me,
        ground="tax_overdue",
        corrective_action="已缴清全部税款及滞纳金",
        obligations_fulfilled=True,
    )
    assert app.eligible_from == rules.add_months(earlier, 3)
    service.decide_repair(session, customs, app.id, approved=True, outcome="符合修复条件")
    assert service.supervision_for(session, ent.id).tier == "C"
    assert [i.value for i in service.active_items(session, ent.id, ("customs_level",))][-1] == "regular"


def test_customs_findings_follow_the_dishonest_criteria(session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    today = service.beijing_today()
    due = today - dt.timedelta(days=120)
    service.report_item(session, customs, ent.id, ItemReport("tax_arrears", due, amount=Decimal("8000")))
    record = service.recompute(session, ent.id, "test")
    assert [f["code"] for f in record.customs_findings] == ["tax_overdue"]
    assert record.customs_findings[0]["article"] == "第二十二条第（四）项"
