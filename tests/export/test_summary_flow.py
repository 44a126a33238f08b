"""Summary declaration end to end: lists released and closed in March are proposed as CEB701 groups
(海关总署公告2018年第194号 第十一条), the seller submits, customs accepts; the lists name their summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from export.export_world import BEIJING_NOON, MUG, World
from factories import make_org
from silkgate.auth.principal import Principal
from silkgate.exceptions import InvalidState, ValidationFailed
from silkgate.export import summary
from silkgate.kit import safexml
from silkgate.models.export import ExportList
from silkgate.models.registry import Enterprise


def seller_principal(e: Enterprise) -> Principal:
    return Principal(
        org_id=e.org_id, org_kind="enterprise", org_name=e.name, zone_code=e.zone_code, enterprise_id=e.id
    )


def customs_principal(session: Session, zone: str = "140800") -> Principal:
    org = make_org(session, "customs", zone_code=zone)
    return Principal(org_id=org.id, org_kind="customs", org_name=org.name, zone_code=zone)


def march(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 10, 0, tzinfo=BEIJING_NOON)


@pytest.fixture
def shipped(world: World) -> list[ExportList]:
    lists = [
        world.ship(world.tx(at=march(3))),
        world.ship(world.tx(at=march(9), lines=[(MUG, Decimal("4"))])),
        world.ship(world.tx(at=march(12), country="304")),  # to Germany: 同一运抵国 keeps it apart
        world.ship(world.tx(at=march(20), statistics_flag="A")),  # 汇总统计: never summarised
        world.ship(world.tx(at=march(30)), depart=False),  # released, not closed: waits for departure
    ]
    assert [lst.status for lst in lists] == ["departed"] * 4 + ["released"]
    return lists


def test_proposal_groups_closed_lists_by_the_rules(
    world: World, session: Session, shipped: list[ExportList]
) -> None:
    made = summary.propose(session, world.seller.id, "2026-03")
    by_country = {s.group_key["country"]: s for s in made}
    assert set(by_country) == {"502", "304"}
    us = by_country["502"]
    assert us.list_count == 2 and {lst.id for lst in summary.members(session, us.id)} == {
        shipped[0].id,
        shipped[1].id,
    }
    mugs = [i for i in us.items if i["hs_code"] == "6912001000"]
    assert len(mugs) == 1 and Decimal(mugs[0]["qty"]) == Decimal("5")  # 1 + 4 mugs in one item
    assert us.due_date == dt.date(2026, 4, 15)
    assert shipped[3].summary_id is None and shipped[4].summary_id is None
    # proposing again replaces the unsubmitted proposals rather than adding to them
    again = summary.propose(session, world.seller.id, "2026-03")
    assert len(again) == 2 and all(s.status == "proposed" for s in again)
    assert all(s.status == "cancelled" for s in made)


def test_submitted_ceb701_is_valid_against_the_official_xsd_and_customs_accepts(
    world: World, session: Session, shipped: list[ExportList], reference_dir: Path
) -> None:
    us = next(
        s for s in summary.propose(session, world.seller.id, "2026-03") if s.group_key["country"] == "502"
    )
    submitted = summary.submit(session, us.id, seller_principal(world.seller))
    assert submitted.status == "submitted" and submitted.message_xml
    xml = submitted.message_xml.encode()
    xsd = reference_dir / "ceb" / "xsd" / "202205" / "海关跨境出口业务节点报文定义202205.xsd"
    schema = safexml.load_schema(str(xsd))
    assert safexml.validate_against(schema, safexml.bare_parse(xml)) == []
    root = safexml.bare_parse(xml)
    ns = {"ceb": "http://www.chinaport.gov.cn/ceb"}
    assert root.findtext("ceb:SummaryApply/ceb:SummaryApplyHead/ceb:summaryFlag", namespaces=ns) == "2"
    listed = [e.text for e in root.findall("ceb:SummaryApply/ceb:SummaryApplyList/ceb:invtNo", ns)]
    assert listed == sorted(lst.invt_no for lst in shipped[:2])
    with pytest.raises(InvalidState):
        summary.submit(session, us.id, seller_principal(world.seller))
    with pytest.raises(ValidationFailed) as bad:
        summary.record_result(
            session, us.id, customs_principal(session), accepted=True, sum_no="S1", entry_id="123", info=""
        )
    assert bad.value.errors[0].field == "entry_id"
    done = summary.record_result(
        session,
        us.id,
        customs_principal(session),
        accepted=True,
        sum_no="050920260000000012",
        entry_id="050920260000123456",
        info="",
    )
    assert done.status == "accepted" and done.entry_id == "050920260000123456"
    assert session.scalar(select(ExportList.summary_id).where(ExportList.id == shipped[0].id)) == us.id


def test_another_zones_customs_cannot_see_the_summary(
    world: World, session: Session, shipped: list[ExportList]
) -> None:
    us = summary.propose(session, world.seller.id, "2026-03")[0]
    summary.submit(session, us.id, seller_principal(world.seller))
    from silkgate.exceptions import NotFound

    with pytest.raises(NotFound):
        summary.record_result(
            session,
            us.id,
            customs_principal(session, "370800"),
            accepted=False,
            sum_no="",
            entry_id="",
            info="不属本关区",
        )


def test_summary_sent_by_the_enterprise_itself_is_checked_against_the_rules(
    world: World, session: Session, shipped: list[ExportList]
) -> None:
    from silkgate.declarations.synthetic import Party
    from silkgate.export import messages as M

    seller = Party(world.seller.customs_code, world.seller.name)
    head = {
        "guid": "8E5D7A2C-4B1F-4C3A-9D2E-1F0A3B4C5D6E",
        "appType": "1",
        "appTime": "20260410100000",
        "appStatus": "2",
        "customsCode": "0509",
        "copNo": "SELF-2026-03-01",
        "agentCode": seller.code,
        "agentName": seller.name,
        "ebcCode": seller.code,
        "ebcName": seller.name,
        "declAgentCode": seller.code,
        "declAgentName": seller.name,
        "summaryFlag": "2",
        "itemNameFlag": "1",
        "msgCount": "1",
        "msgSeqNo": "1",
    }
    mixed = [shipped[0].invt_no, shipped[2].invt_no]  # the US and the German list cannot share a declaration
    out = world.send(M.summary_apply_xml(head, mixed, seller))
    refused = [r for r in out if r["return_status"] == "100"]
    assert refused and "同一运抵国" in str(refused[0]["return_info"])
    head["guid"], head["copNo"] = "8E5D7A2C-4B1F-4C3A-9D2E-1F0A3B4C5D6F", "SELF-2026-03-02"
    out = world.send(M.summary_apply_xml(head, [shipped[0].invt_no, shipped[1].invt_no], seller))
    assert any(r["return_status"] == "399" for r in out)
    assert shipped[0].summary_id is not None and shipped[0].summary_id == shipped[1].summary_id
