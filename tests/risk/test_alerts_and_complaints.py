"""Alert handling (new -> assessed -> disposed -> followed_up -> closed), attachments, rule versions,
reports; disputes and IP complaints from filing to resolution, feeding credit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit.support import agency, declare, enterprise_principal
from factories import auth_headers, make_enterprise
from silkgate.credit import service as credit_service
from silkgate.exceptions import Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.risk import complaints, service


def _alert_for(session, seller):
    hits = service.evaluate_declaration(session, declare(session, seller, ebp_code="7777777777"))
    assert hits and hits[0].rule_code == "UNCONNECTED_CHANNEL"
    return hits[0].alert_id


def test_alert_walks_every_step_and_a_confirmed_case_lowers_the_rating(session):
    seller = make_enterprise(session)
    office = agency(session, "zone_office")
    alert_id = _alert_for(session, seller)
    with pytest.raises(InvalidState):
        service.advance_alert(session, office, alert_id, to_status="closed", note="跳步")
    with pytest.raises(ValidationFailed) as exc:
        service.advance_alert(session, office, alert_id, to_status="assessed", note=" ", outcome="confirmed")
    assert {e.code for e in exc.value.errors} == {"required", "not_allowed_here"}
    service.advance_alert(session, office, alert_id, to_status="assessed", note="调取订单来源日志")
    with pytest.raises(ValidationFailed):
        service.advance_alert(session, office, alert_id, to_status="disposed", note="处置", outcome=None)
    before = credit_service.supervision_for(session, seller.id)
    service.advance_alert(
        session, office, alert_id, to_status="disposed", note="查实：私自对接境外网站", outcome="confirmed"
    )
    after = credit_service.ensure_record(session, seller.id)
    assert after.score == 85 and before.tier == "C"
    service.advance_alert(session, office, alert_id, to_status="followed_up", note="企业已断开该渠道")
    alert = service.advance_alert(session, office, alert_id, to_status="closed", note="复查无复发")
    assert alert.status == "closed" and alert.closed_at is not None and alert.credit_item_id is not None
    notes = service.alert_notes(session, alert_id)
    assert [(n.from_status, n.to_status) for n in notes] == [
        ("new", "assessed"),
        ("assessed", "disposed"),
        ("disposed", "followed_up"),
        ("followed_up", "closed"),
    ]
    with pytest.raises(InvalidState):
        service.advance_alert(session, office, alert_id, to_status="closed", note="again")


def test_dismissed_alert_leaves_credit_alone(session):
    seller = make_enterprise(session)
    office = agency(session, "zone_office")
    alert_id = _alert_for(session, seller)
    service.advance_alert(session, office, alert_id, to_status="assessed", note="评估")
    alert = service.advance_alert(
        session, office, alert_id, to_status="disposed", note="误报", outcome="dismissed"
    )
    assert alert.credit_item_id is None
    assert credit_service.active_items(session, seller.id, ("risk_case_confirmed",)) == []


def test_enterprises_cannot_see_or_handle_alerts(session):
    seller = make_enterprise(session)
    alert_id = _alert_for(session, seller)
    with pytest.raises(Forbidden):
        service.get_alert(session, enterprise_principal(session, seller), alert_id)
    other_zone = agency(session, "customs", zone_code="451100")
    with pytest.raises(NotFound):
        service.get_alert(session, other_zone, alert_id)


def test_attachment_is_stored_with_digest_and_limits_apply(session):
    seller = make_enterprise(session)
    office = agency(session, "zone_office")
    alert_id = _alert_for(session, seller)
    att = service.attach_file(
        session,
        office,
        alert_id,
        filename="C:\\证据\\订单截图.png",
        content_type="image/png",
        data=b"\x89PNG....",
    )
    assert att.filename == "订单截图.png" and len(att.sm3) == 64 and att.size == 8
    with pytest.raises(ValidationFailed) as exc:
        service.attach_file(
            session,
            office,
            alert_id,
            filename="big.exe",
            content_type="application/x-msdownload",
            data=b"x" * (service.MAX_ATTACHMENT_BYTES + 1),
        )
    assert {e.code for e in exc.value.errors} == {"too_large", "type_not_allowed"}


def test_editing_a_rule_creates_a_version_and_hits_cite_it(session):
    seller = make_enterprise(session)
    office = agency(session, "zone_office")
    v2 = service.edit_rule(
        session,
        office,
        "BRUSH_SHARED_PHONE",
        enabled=True,
        thresholds={"window_days": 7, "max_buyers": 2},
        note="收紧阈值",
    )
    assert v2.version == 2 and v2.thresholds == {"window_days": 7, "max_buyers": 2}
    versions = service.rule_versions(session, seller.zone_code, "BRUSH_SHARED_PHONE")
    assert [v.version for v in versions] == [2, 1] and not versions[1].current
    declare(session, seller, buyer="110101199001011111", phone="13600000001")
    hits = service.evaluate_declaration(
        session, declare(session, seller, buyer="110101199001012222", phone="13600000001")
    )
    assert [(h.rule_code, h.rule_version) for h in hits if h.rule_code == "BRUSH_SHARED_PHONE"] == [
        ("BRUSH_SHARED_PHONE", 2)
    ]


def test_rule_edit_rejects_bad_thresholds_naming_each(session):
    office = agency(session, "zone_office")
    with pytest.raises(ValidationFailed) as exc:
        service.edit_rule(
            session,
            office,
            "ORDER_SPLIT",
            enabled=True,
            thresholds={"window_hours": "abc", "min_orders": 1.5, "bogus": 1},
            severity="extreme",
            note="",
        )
    got = {(e.field, e.code) for e in exc.value.errors}
    assert got == {
        ("thresholds.bogus", "unknown_parameter"),
        ("thresholds.window_hours", "not_a_number"),
        ("thresholds.min_orders", "not_integer"),
        ("severity", "unknown_severity"),
        ("note", "required"),
    }


def test_only_zone_office_edits_rules(session):
    with pytest.raises(Forbidden):
        service.edit_rule(
            session, agency(session, "customs"), "ORDER_SPLIT", enabled=False, thresholds={}, note="x"
        )


def test_reports_count_hit_rate_and_confirmed_rate(session):
    seller = make_enterprise(session, roles=("seller",))
    platform = make_enterprise(session, roles=("platform",))
    office = agency(session, "zone_office")
    for _ in range(3):
        service.evaluate_declaration(session, declare(session, seller, ebp=platform))
    alert_id = _alert_for(session, seller)
    service.advance_alert(session, office, alert_id, to_status="assessed", note="评估")
    service.advance_alert(session, office, alert_id, to_status="disposed", note="查实", outcome="confirmed")
    row = next(
        r for r in service.report_by_rule(session, seller.zone_code) if r.code == "UNCONNECTED_CHANNEL"
    )
    assert row.evaluated == 4 and row.declarations_hit == 1 and row.hit_rate == Decimal("0.25")
    assert row.confirmed == 1 and row.confirmed_rate == Decimal("1")
    ent = next(
        e for e in service.report_by_enterprise(session, seller.zone_code) if e.enterprise_id == seller.id
    )
    assert ent.alerts == 1 and ent.confirmed == 1


def test_reports_export_as_excel(client, session):
    office = agency(session, "zone_office")
    r = client.get("/api/v1/risk/reports.xlsx", headers=auth_headers(session, office.org_id))
    assert r.status_code == 200 and r.content[:2] == b"PK"


def _form(target, **kw):
    base = dict(
        kind="dispute",
        enterprise=target.uscc,
        complainant_name="李明",
        contact="13711112222",
        subject="商品与描述不符",
        description="收到的奶粉罐体破损且批号与页面不符。",
    )
    base.update(kw)
    return complaints.ComplaintForm(**base)


def test_complaint_is_routed_answered_and_upheld_into_credit(session):
    seller = make_enterprise(session)
    c = complaints.file_complaint(session, seller.zone_code, _form(seller))
    assert c.enterprise_id == seller.id and c.status == "filed" and "1371" not in c.complainant_contact_enc
    me = enterprise_principal(session, seller)
    assert [x.id for x in complaints.list_complaints(session, me)] == [c.id]
    complaints.respond(session, me, c.id, "已联系买家，同意退货退款并补偿运费。")
    office = agency(session, "zone_office")
    complaints.resolve(session, office, c.id, outcome="upheld", resolution="投诉成立，企业已退款")
    assert [i.kind for i in credit_service.active_items(session, seller.id, ("complaint_upheld",))] == [
        "complaint_upheld"
    ]
    with pytest.raises(InvalidState):
        complaints.resolve(session, office, c.id, outcome="dismissed", resolution="再次办结")


def test_ip_complaint_requires_the_right_and_names_every_bad_field(session):
    seller = make_enterprise(session)
    with pytest.raises(ValidationFailed) as exc:
        complaints.file_complaint(
            session,
            seller.zone_code,
            _form(seller, kind="ip", contact="not-a-contact", description="短", enterprise="不存在的公司"),
        )
    assert {e.field for e in exc.value.errors} == {
        "enterprise",
        "contact",
        "description",
        "right_type",
        "right_no",
    }


def test_complaints_are_rate_limited_per_contact(session):
    seller = make_enterprise(session)
    for _ in range(complaints.DAILY_LIMIT_PER_CONTACT):
        complaints.file_complaint(session, seller.zone_code, _form(seller))
    with pytest.raises(ValidationFailed) as exc:
        complaints.file_complaint(session, seller.zone_code, _form(seller))
    assert exc.value.errors[0].code == "rate_limited"


def test_public_complaint_form_needs_no_login_and_shows_field_errors(client, session):
    seller = make_enterprise(session)
    bad = client.post(
        "/public/complaints", data={"kind": "dispute", "enterprise": seller.uscc, "contact": "x"}
    )
    assert bad.status_code == 422 and "联系方式应为11位手机号或电子邮箱" in bad.text
    ok = client.post(
        "/public/complaints",
        data={
            "kind": "dispute",
            "enterprise": seller.name,
            "complainant_name": "王芳",
            "contact": "wang@example.com",
            "subject": "迟迟未发货",
            "description": "付款两周仍未发货，客服不回复。",
        },
    )
    assert ok.status_code == 200 and "投诉已受理" in ok.text
    api = client.post(
        "/api/v1/public/complaints",
        json={
            "kind": "ip",
            "enterprise": seller.uscc,
            "complainant_name": "某品牌公司",
            "contact": "ip@example.com",
            "subject": "假冒商标",
            "description": "销售假冒我司注册商标的商品。",
            "right_type": "trademark",
            "right_no": "第7654321号",
        },
    )
    assert api.status_code == 201 and api.json()["reference"].startswith("TS")
