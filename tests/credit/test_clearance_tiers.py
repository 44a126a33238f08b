"""Through the real import pipeline: confirmed risk cases lower the enterprise's tier, and the
tier changes how clearance handles its next list (tiered supervision, joint sanctions)."""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import select

from credit.support import agency
from silkgate.credit import service as credit_service
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
from silkgate.declarations.trading import new_trade, register_buyers
from silkgate.models.declarations import Declaration
from silkgate.risk import service as risk_service

ZONE = "140800"


def _list_status(session, tx) -> str:
    status = session.scalar(
        select(Declaration.status).where(Declaration.kind == "inventory", Declaration.order_no == tx.order_no)
    )
    assert status is not None
    return status


def _declare(session, tx) -> None:
    register_buyers(session, [tx])
    messages = transaction_messages(tx)
    for kind in ("order", "payment", "waybill", "inventory"):
        ingest(session, messages[kind], sender=None)


def test_confirmed_cases_move_the_seller_to_tier_e_and_its_next_list_is_held(session):
    office = agency(session, "zone_office")
    for rule in risk_service.ensure_rules(session, ZONE):  # isolate the credit effect from the rules
        risk_service.edit_rule(
            session, office, rule.code, enabled=False, thresholds=rule.thresholds, note="测试"
        )
    for tier in ("A", "B", "C"):
        credit_service.set_policy(
            session,
            office,
            tier,
            inspection_share=Decimal("0"),
            manual_review=False,
            hold_all=False,
            fast_track=False,
        )
    setup = new_trade(session, ZONE, random.Random(5))
    factory = TransactionFactory(random.Random(9), setup.parties, fault_rate=0.0, bonded_share=0.0)
    first = factory.make(trade_mode="9610")
    _declare(session, first)
    assert _list_status(session, first) == "released"
    seller = setup.enterprises[first.seller.code]
    assert credit_service.supervision_for(session, seller.id).tier == "C"

    for n in range(3):  # three alerts on the seller, each confirmed at disposal
        rule = next(r for r in risk_service.ensure_rules(session, ZONE) if r.code == "ORDER_SPLIT")
        hit = risk_service._record_hit(
            session,
            rule,
            risk_service.Finding(f"case:{n}", f"拆单案件{n}", {"n": n}, seller.id),
            None,
            "scan",
        )
        for step in ("assessed", "disposed", "followed_up", "closed"):
            risk_service.advance_alert(
                session,
                office,
                hit.alert_id or 0,
                to_status=step,
                note=f"{step}意见",
                outcome="confirmed" if step == "disposed" else None,
            )
    sup = credit_service.supervision_for(session, seller.id)
    assert sup.tier == "E" and sup.hold_all  # 100 - 45 = 55

    second = factory.make(trade_mode="9610")
    while second.seller.code != first.seller.code:
        second = factory.make(trade_mode="9610")
    _declare(session, second)
    assert _list_status(session, second) == "held"
    inv = session.scalar(
        select(Declaration).where(Declaration.kind == "inventory", Declaration.order_no == second.order_no)
    )
    assert "每票人工审核" in str(inv.clearance)


def test_negative_list_sanction_holds_the_next_list_in_clearance(session):
    office = agency(session, "zone_office")
    for rule in risk_service.ensure_rules(session, ZONE):
        risk_service.edit_rule(
            session, office, rule.code, enabled=False, thresholds=rule.thresholds, note="测试"
        )
    for tier in ("A", "B", "C"):
        credit_service.set_policy(
            session,
            office,
            tier,
            inspection_share=Decimal("0"),
            manual_review=False,
            hold_all=False,
            fast_track=False,
        )
    setup = new_trade(session, ZONE, random.Random(6), sellers=1)
    factory = TransactionFactory(random.Random(10), setup.parties, fault_rate=0.0, bonded_share=0.0)
    seller = setup.enterprises[setup.parties.sellers[0].code]
    credit_service.list_on_negative_list(
        session,
        office,
        seller.id,
        reason_category="rebate_fraud",
        reason="虚假出口",
        listed_on=credit_service.beijing_today(),
    )
    tx = factory.make(trade_mode="9610")
    _declare(session, tx)
    assert _list_status(session, tx) == "held"
