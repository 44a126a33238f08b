"""9710 / 9810 lists (海关总署公告2020年第75号) in the same views and events, and list withdrawal (CEB605)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from export.export_world import MUG, World
from silkgate import events
from silkgate.declarations.service import flush_pending
from silkgate.exceptions import Duplicate, ValidationFailed
from silkgate.export import filings, queries, service
from silkgate.kit.cebtime import now_utc
from silkgate.models.declarations import Declaration, Receipt


def test_9710_waits_for_the_b2b_filing_and_shows_with_its_mode(
    world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[events.TradeEvent] = []
    original = events.publish
    monkeypatch.setattr(events, "publish", lambda s, e: (got.append(e), original(s, e)))
    tx = world.tx(lines=[(MUG, Decimal("60"))], trade_mode="9710")
    lst = world.ship(tx, depart=False)
    assert lst.status == "waiting" and lst.missing == ["b2b_filing"]
    filings.file_b2b(
        session, world.seller, {"trade_mode": "9710", "customs_code": "0509", "business_scope": "陶瓷"}, None
    )
    with pytest.raises(Duplicate):
        filings.file_b2b(
            session, world.seller, {"trade_mode": "9710", "customs_code": "0509", "business_scope": "x"}, None
        )
    service.try_release(session, lst)
    assert lst.status == "released"
    assert any(e.trade_mode == "9710" and e.business_no == lst.invt_no for e in got)
    rows, _ = queries.search_lists(session, zone_code=None, seller_id=world.seller.id, trade_mode="9710")
    assert [r.id for r in rows] == [lst.id]


def test_9810_needs_a_warehouse_in_the_destination_and_no_collection(world: World, session: Session) -> None:
    filings.file_b2b(
        session,
        world.seller,
        {"trade_mode": "9810", "customs_code": "0509", "business_scope": "海外仓"},
        None,
    )
    tx = world.tx(lines=[(MUG, Decimal("80"))], trade_mode="9810")
    lst = world.ship(tx, collect=Decimal("0"), depart=False)
    assert lst.missing == ["warehouse_filing"]
    with pytest.raises(ValidationFailed) as bad:
        filings.file_warehouse(
            session,
            world.seller,
            {
                "name": "LA",
                "country": "502",
                "address": "Ontario CA",
                "area_m2": "5000",
                "operator": "X LLC",
                "ownership": "leased",
                "contract_no": "",
                "contract_valid_until": "2020-01-01",
            },
            None,
        )
    assert {e.field for e in bad.value.errors} == {"contract_no", "contract_valid_until"}
    until = (now_utc().date() + dt.timedelta(days=365)).isoformat()
    w = filings.file_warehouse(
        session,
        world.seller,
        {
            "name": "LA",
            "country": "502",
            "address": "Ontario CA",
            "area_m2": "5000",
            "operator": "X LLC",
            "ownership": "leased",
            "contract_no": "L-1",
            "contract_valid_until": until,
        },
        None,
    )
    service.try_release(session, lst)
    assert lst.status == "released" and lst.warehouse_id == w.id


def test_b2b_list_over_5000_cny_is_refused(world: World, session: Session) -> None:
    filings.file_b2b(
        session, world.seller, {"trade_mode": "9710", "customs_code": "0509", "business_scope": "陶瓷"}, None
    )
    lst = world.ship(world.tx(lines=[(MUG, Decimal("100"))], trade_mode="9710"))  # 800 USD × 7.1 = 5680 CNY
    assert lst.status == "withdrawn" and lst.mismatches[0]["code"] == "b2b_list_over_limit"


def _cancel(world: World, session: Session, lst_invt: str, ebc: str) -> Declaration:
    """A CEB605 as the pipeline stores it (the shared dispatcher routes CEB605 by kind 'cancel')."""
    d = Declaration(
        zone_code="140800",
        direction="export",
        kind="cancel",
        message_type="CEB605",
        guid=f"G{lst_invt}{ebc}",
        sender_org_id=world.seller.org_id,
        business_no=lst_invt,
        status="declared",
        invt_no=lst_invt[:18],
        head={"invtNo": lst_invt, "ebcCode": ebc, "reason": "买家取消订单"},
        app_status="2",
    )
    session.add(d)
    session.flush()
    service.on_export_document(session, d)
    flush_pending(session)  # receipts are buffered until the unit of work ends
    return d


def test_withdrawal_before_departure_and_refusal_after(world: World, session: Session) -> None:
    waiting = world.ship(world.tx(), depart=False)
    d = _cancel(world, session, waiting.invt_no, world.seller.customs_code)
    assert waiting.status == "withdrawn" and d.status == "released"
    left = world.ship(world.tx())
    d2 = _cancel(world, session, left.invt_no, world.seller.customs_code)
    assert left.status == "departed" and d2.status == "rejected"
    refusal = [r.return_info for r in session.scalars(select(Receipt).where(Receipt.declaration_id == d2.id))]
    assert any("请申报出口退货" in info for info in refusal)
    d3 = _cancel(world, session, left.invt_no, "9999999999")
    assert d3.status == "rejected"
