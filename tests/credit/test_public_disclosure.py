"""The public pages and API show only the public standing (name, USCC, customs level, zone tier,
negative-list status with dates and reason category): one test per private field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit.support import agency
from factories import make_enterprise
from silkgate.credit import service
from silkgate.credit.service import ItemReport
from silkgate.risk import complaints

REASON = "内部线索编号XJ-7781刷单"
BASIS = "运综办〔2026〕99号"
PENALTY_DOC = "运关缉违字〔2026〕0042号"


@pytest.fixture
def listed(session):
    ent = make_enterprise(session, name="公示测试跨境电商有限公司")
    zone = agency(session, "zone_office")
    customs = agency(session, "customs")
    tax = agency(session, "tax")
    forex = agency(session, "forex")
    today = service.beijing_today()
    service.report_item(session, tax, ent.id, ItemReport("tax_grade", today, value="D"))
    service.report_item(session, forex, ent.id, ItemReport("forex_class", today, value="C"))
    service.report_item(
        session,
        customs,
        ent.id,
        ItemReport(
            "admin_penalty", today, amount=Decimal("123456.78"), document_no=PENALTY_DOC, summary="伪报价格"
        ),
    )
    service.list_on_negative_list(
        session,
        zone,
        ent.id,
        reason_category="fake_trade",
        reason=REASON,
        listed_on=today,
        basis_document=BASIS,
    )
    complaints.file_complaint(
        session,
        ent.zone_code,
        complaints.ComplaintForm(
            kind="dispute",
            enterprise=ent.uscc,
            complainant_name="投诉人赵某某",
            contact="13566667777",
            subject="收到假货要求退款",
            description="收到的面霜与页面描述不符，要求退款。",
        ),
    )
    session.flush()
    return ent


def _public_texts(client):
    html = client.get("/public/credit").text + client.get("/public/credit/negative-list").text
    api = client.get("/api/v1/public/credit").text + client.get("/api/v1/public/negative-list").text
    return html, api


def test_public_page_shows_the_public_standing(client, listed):
    html, _api = _public_texts(client)
    assert listed.name in html and listed.uscc in html
    assert "虚假贸易/刷单" in html and str(service.beijing_today()) in html
    row = next(r for r in client.get("/api/v1/public/credit").json() if r["uscc"] == listed.uscc)
    assert set(row) == {
        "name",
        "uscc",
        "customs_level",
        "customs_level_label",
        "tier",
        "tier_label",
        "on_negative_list",
        "listed_on",
        "reason_category",
    }
    assert row["tier"] == "E" and row["on_negative_list"] is True and row["reason_category"] == "fake_trade"


def test_public_pages_need_no_login(client, listed):
    for path in ("/public/credit", "/public/credit/negative-list", "/public/complaints"):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "private",
    [
        REASON,  # the negative-list reason text
        BASIS,  # the basis document of the listing
        PENALTY_DOC,  # administrative penalty decision number
        "123456.78",  # penalty amount
        "123,456.78",
        "13912345678",  # filing contact phone
        "6217000012345678",  # settlement account
        "投诉人赵某某",  # complainant
        "收到假货要求退款",  # complaint subject
        "13566667777",  # complainant contact
        "伪报价格",  # penalty summary
    ],
)
def test_private_value_is_absent_from_public_pages_and_api(client, listed, private):
    html, api = _public_texts(client)
    assert private not in html
    assert private not in api


def test_customs_code_is_absent(client, listed):
    html, api = _public_texts(client)
    assert listed.customs_code not in html and listed.customs_code not in api


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("score", "得分"),
        ("tax_grade", "纳税信用"),
        ("forex_class", "外汇"),
        ("declarations_total", "申报票数"),
        ("factors", "评分明细"),
        ("supervision", "查验比例"),
    ],
)
def test_private_field_key_and_label_are_absent(client, listed, key, label):
    html, api = _public_texts(client)
    assert f'"{key}"' not in api
    assert label not in html
