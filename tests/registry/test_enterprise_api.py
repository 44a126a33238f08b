"""Enterprise filing over the API: problem+json naming every field, duplicates, approval, history,
agency views by remit, Excel export."""

from __future__ import annotations

import io
import random

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.auth import kinds
from silkgate.demo import synth
from silkgate.models.org import AuditEntry, Organisation
from silkgate.models.registry import Enterprise, EnterpriseChange

PROBLEM = "application/problem+json"


def _filing(rng: random.Random, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "uscc": synth.uscc(rng, "140802"),
        "customs_code": synth.customs_code(rng, "140802"),
        "name": "运城盐湖跨境电商测试有限公司",
        "name_en": "Yuncheng Salt Lake CBEC Test Co., Ltd.",
        "roles": ["seller", "platform"],
        "legal_representative": "张伟",
        "contact_name": "李娜",
        "contact_phone": "0359-2345678",
        "contact_email": "trade@example.cn",
        "registered_address": "山西省运城市盐湖区人民路1号",
        "district": "运城开发区",
        "settlement_bank": "中国银行运城分行",
        "settlement_account": "6217000012345678901",
        "shops": [{"platform": "亚马逊", "shop": "Salt Lake Store", "url": "https://example.com"}],
    }
    body.update(overrides)
    return body


def test_zone_office_files_and_approves_an_enterprise(client: TestClient, session: Session) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    headers = auth_headers(session, office.id)
    body = _filing(random.Random(1))
    r = client.post("/api/v1/enterprises", json=body, headers=headers)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["status"] == "pending"
    assert filed["roles"] == ["platform", "seller"]
    assert filed["settlement_account"] == body["settlement_account"]
    org = session.get(Organisation, session.get(Enterprise, filed["id"]).org_id)
    assert org is not None and org.kind == kinds.ENTERPRISE and org.uscc == body["uscc"]

    r = client.post(f"/api/v1/enterprises/{filed['id']}/approve", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    again = client.post(f"/api/v1/enterprises/{filed['id']}/approve", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"


def test_bad_filing_gets_422_naming_every_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    headers = auth_headers(session, office.id)
    before = session.scalar(select(Enterprise.id).order_by(Enterprise.id.desc()).limit(1))
    body = _filing(
        random.Random(2),
        uscc="914403001922038217",
        customs_code="12AB",
        roles=["seller", "importer"],
        contact_phone="110",
        name="",
    )
    r = client.post("/api/v1/enterprises", json=body, headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == "validation_failed"
    fields = {(e["field"], e["code"]) for e in problem["errors"]}
    assert fields == {
        ("uscc", "uscc_check_digit"),
        ("customs_code", "customs_code_format"),
        ("roles", "unknown_role"),
        ("contact_phone", "phone_format"),
        ("name", "required"),
    }
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in problem["errors"])
    assert session.scalar(select(Enterprise.id).order_by(Enterprise.id.desc()).limit(1)) == before


def test_wrong_types_are_named_too(client: TestClient, session: Session) -> None:
    headers = auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)
    r = client.post(
        "/api/v1/enterprises", json={"roles": "seller", "shops": [{"platform": 3}]}, headers=headers
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"roles", "shops[0].platform"} <= fields


def test_an_unknown_key_does_not_hide_a_bad_uscc(client: TestClient, session: Session) -> None:
    """One answer names every error: the shape error (a key the schema does not know, a wrong type)
    and the filing rules' errors (GB 32100-2015 check character) together."""
    headers = auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)
    body = _filing(random.Random(5), uscc="914403001922038217", legacy_id="OLD-7", contact_email=["x"])
    r = client.post("/api/v1/enterprises", json=body, headers=headers)
    assert r.status_code == 422
    errors = {(e["field"], e["code"]): e["message"] for e in r.json()["errors"]}
    assert set(errors) == {
        ("legacy_id", "extra_forbidden"),
        ("contact_email", "string_type"),
        ("uscc", "uscc_check_digit"),
    }
    assert "校验" in errors[("uscc", "uscc_check_digit")]


def test_a_bad_update_names_its_unknown_key_and_its_bad_phone_together(
    client: TestClient, session: Session
) -> None:
    headers = auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)
    filed = client.post("/api/v1/enterprises", json=_filing(random.Random(6)), headers=headers).json()
    r = client.patch(
        f"/api/v1/enterprises/{filed['id']}",
        json={"contact_phone": "110", "colour": "blue"},
        headers=headers,
    )
    assert r.status_code == 422
    assert {(e["field"], e["code"]) for e in r.json()["errors"]} == {
        ("colour", "extra_forbidden"),
        ("contact_phone", "phone_format"),
    }


def test_duplicate_uscc_and_customs_code_get_409_naming_the_field(
    client: TestClient, session: Session
) -> None:
    existing = make_enterprise(session)
    headers = auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)
    body = _filing(random.Random(3), uscc=existing.uscc, customs_code=existing.customs_code)
    r = client.post("/api/v1/enterprises", json=body, headers=headers)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["code"] == "duplicate"
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("uscc", "duplicate"),
        ("customs_code", "duplicate"),
    }


def test_rejection_needs_a_reason_and_the_corrected_filing_returns_to_the_queue(
    client: TestClient, session: Session
) -> None:
    office = make_org(session, kinds.ZONE_OFFICE)
    office_headers = auth_headers(session, office.id)
    enterprise = make_enterprise(session, approved=False)
    own_headers = auth_headers(session, enterprise.org_id)
    r = client.post(f"/api/v1/enterprises/{enterprise.id}/reject", json={}, headers=office_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(
        f"/api/v1/enterprises/{enterprise.id}/reject",
        json={"reason": "缺少报关单位备案回执"},
        headers=office_headers,
    )
    assert r.json()["status"] == "rejected" and r.json()["status_reason"] == "缺少报关单位备案回执"
    seen = client.get(f"/api/v1/enterprises/{enterprise.id}", headers=own_headers).json()
    assert seen["status"] == "rejected" and seen["status_reason"] == "缺少报关单位备案回执"
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.id}", json={"name_en": "Corrected Co."}, headers=own_headers
    )
    assert r.status_code == 200 and r.json()["status"] == "pending"


def test_change_after_approval_is_kept_as_history_with_who_and_what(
    client: TestClient, session: Session
) -> None:
    enterprise = make_enterprise(session)
    headers = auth_headers(session, enterprise.org_id)
    old_phone = enterprise.contact_phone
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.id}",
        json={"contact_phone": "13800138000", "roles": ["seller", "broker"]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["version"] == 2
    history = client.get(f"/api/v1/enterprises/{enterprise.id}/history", headers=headers).json()
    assert [h["action"] for h in history] == ["filed", "approved", "updated"]
    change = history[-1]
    assert change["changes"]["contact_phone"] == [old_phone, "13800138000"]
    assert change["changes"]["roles"] == [["seller"], ["seller", "broker"]]
    assert change["actor_org_id"] == enterprise.org_id
    row = session.scalars(
        select(EnterpriseChange).where(
            EnterpriseChange.enterprise_id == enterprise.id, EnterpriseChange.action == "updated"
        )
    ).one()
    assert row.at is not None


def test_a_bad_update_changes_nothing(client: TestClient, session: Session) -> None:
    enterprise = make_enterprise(session)
    headers = auth_headers(session, enterprise.org_id)
    r = client.patch(
        f"/api/v1/enterprises/{enterprise.id}",
        json={"contact_phone": "13800138000", "customs_code": "x"},
        headers=headers,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["customs_code"]
    session.expire_all()
    assert session.get(Enterprise, enterprise.id).contact_phone != "13800138000"  # type: ignore[union-attr]


def test_agency_sees_only_its_remit_fields_and_its_read_is_audited(
    client: TestClient, session: Session
) -> None:
    enterprise = make_enterprise(session)
    customs = make_org(session, kinds.CUSTOMS)
    forex = make_org(session, kinds.FOREX)
    customs_view = client.get(
        f"/api/v1/enterprises/{enterprise.id}", headers=auth_headers(session, customs.id)
    ).json()
    forex_view = client.get(
        f"/api/v1/enterprises/{enterprise.id}", headers=auth_headers(session, forex.id)
    ).json()
    assert "shops" in customs_view and "settlement_account" not in customs_view
    assert (
        "settlement_account" in forex_view and "contact_phone" not in forex_view and "shops" not in forex_view
    )
    assert set(customs_view) <= set(kinds.AGENCY_FILING_FIELDS[kinds.CUSTOMS])
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.resource == "enterprise", AuditEntry.resource_id == str(enterprise.id)
        )
    ).all()
    assert {e.actor_org_id for e in entries} == {customs.id, forex.id}
    assert all(e.subject_org_id == enterprise.org_id and e.zone_code == "140800" for e in entries)
    assert all(e.request_path == f"/api/v1/enterprises/{enterprise.id}" for e in entries)


def test_search_and_filter_by_name_code_role_and_status(client: TestClient, session: Session) -> None:
    seller = make_enterprise(session, name="运城筛选测试果业有限公司")
    make_enterprise(session, roles=("logistics",), name="运城筛选测试物流有限公司")
    make_enterprise(session, approved=False, name="运城筛选测试待审有限公司")
    headers = auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)

    def names(**params: str) -> set[str]:
        r = client.get("/api/v1/enterprises", params={"limit": "500", **params}, headers=headers)
        assert r.status_code == 200, r.text
        return {e["name"] for e in r.json()["items"] if "筛选测试" in e["name"]}

    assert names(q="筛选测试") == {
        "运城筛选测试果业有限公司",
        "运城筛选测试物流有限公司",
        "运城筛选测试待审有限公司",
    }
    assert names(q=seller.uscc) == {"运城筛选测试果业有限公司"}
    assert names(q=seller.customs_code) == {"运城筛选测试果业有限公司"}
    assert names(q="筛选测试", role="logistics") == {"运城筛选测试物流有限公司"}
    assert names(q="筛选测试", status="pending") == {"运城筛选测试待审有限公司"}
    bad = client.get("/api/v1/enterprises", params={"status": "lost"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_excel_export_has_a_formatted_header_and_the_remit_columns(
    client: TestClient, session: Session
) -> None:
    enterprise = make_enterprise(session, name="运城导出测试有限公司")
    office = make_org(session, kinds.ZONE_OFFICE)
    r = client.get(
        "/api/v1/enterprises",
        params={"format": "xlsx", "q": "导出测试"},
        headers=auth_headers(session, office.id),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["序号", "企业名称", "英文名称", "统一社会信用代码", "海关注册编码"]
    assert "结算账号" in header
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    row = [c.value for c in sheet[2]]
    assert row[1] == "运城导出测试有限公司" and row[3] == enterprise.uscc
    assert "已通过" in row

    customs = make_org(session, kinds.CUSTOMS)
    r = client.get(
        "/api/v1/enterprises",
        params={"format": "xlsx", "q": "导出测试"},
        headers=auth_headers(session, customs.id),
    )
    header = [c.value for c in load_workbook(io.BytesIO(r.content)).active[1]]  # type: ignore[index]
    assert "结算账号" not in header and "销售平台/店铺" in header
    audit = session.scalars(select(AuditEntry).where(AuditEntry.actor_org_id == customs.id)).one()
    assert audit.action == "export" and audit.resource == "enterprise"


def test_an_enterprise_organisation_files_its_own_record(client: TestClient, session: Session) -> None:
    from silkgate.auth.service import create_organisation

    rng = random.Random(7)
    uscc = synth.uscc(rng, "140802")
    org = create_organisation(
        session, kind=kinds.ENTERPRISE, name="自助备案测试有限公司", uscc=uscc, zone_code="140800"
    )
    headers = auth_headers(session, org.id)
    other = _filing(rng, uscc=synth.uscc(rng, "140802"))
    mismatch = client.post("/api/v1/enterprises", json=other, headers=headers)
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["code"] == "uscc_mismatch"
    r = client.post("/api/v1/enterprises", json=_filing(rng, uscc=uscc), headers=headers)
    assert r.status_code == 201, r.text
    assert session.get(Enterprise, r.json()["id"]).org_id == org.id  # type: ignore[union-attr]
    twice = client.post("/api/v1/enterprises", json=_filing(rng, uscc=uscc), headers=headers)
    assert twice.status_code == 409


def test_a_filing_that_races_past_validation_gets_409_not_500(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from silkgate.exceptions import Duplicate
    from silkgate.registry import service

    existing = make_enterprise(session)
    monkeypatch.setattr(
        service, "_enterprise_duplicates", lambda *a, **k: []
    )  # the check ran before the other commit
    body = _filing(random.Random(8), uscc=existing.uscc)
    with pytest.raises(Duplicate):
        service.file_enterprise(session, body, zone_code="140800")
    assert service.enterprise_by_uscc(session, existing.uscc) is not None  # the session is still usable
