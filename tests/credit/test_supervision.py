"""Tiered supervision and joint measures as clearance reads them (supervision_for)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from credit.support import agency
from factories import make_enterprise
from silkgate.credit import service
from silkgate.credit.service import ItemReport
from silkgate.exceptions import Forbidden, InvalidState, ValidationFailed


def test_enterprise_without_record_gets_tier_c_defaults(session):
    ent = make_enterprise(session)
    sup = service.supervision_for(session, ent.id)
    assert sup.tier == "C"
    assert sup.inspection_share == Decimal("0.05")
    assert not sup.hold_all and not sup.fast_track
    assert sup.reasons == ["尚无信用记录，按C级（一般）管理"]


def test_unknown_enterprise_gets_defaults_not_error(session):
    sup = service.supervision_for(session, None)
    assert sup.tier == "C" and not sup.hold_all


def test_advanced_certified_with_good_tax_grade_is_fast_tracked_with_low_share(session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    tax = agency(session, "tax")
    today = service.beijing_today()
    service.report_item(
        session, customs, ent.id, ItemReport("customs_level", today, value="advanced_certified")
    )
    service.report_item(session, tax, ent.id, ItemReport("tax_grade", today, value="A"))
    sup = service.supervision_for(session, ent.id)
    assert sup.tier == "A"  # 100 + 15 + 10
    assert sup.fast_track is True
    assert sup.inspection_share == Decimal("0.01")
    assert any("守信联合激励" in r for r in sup.reasons)


def test_negative_list_holds_every_declaration_and_delisting_lifts_it(session):
    ent = make_enterprise(session)
    zone = agency(session, "zone_office")
    entry = service.list_on_negative_list(
        session,
        zone,
        ent.id,
        reason_category="fake_trade",
        reason="刷单查实",
        listed_on=service.beijing_today(),
    )
    sup = service.supervision_for(session, ent.id)
    assert sup.hold_all is True and sup.inspection_share == Decimal("1") and sup.tier == "E"
    assert any("负面清单" in r for r in sup.reasons)
    with pytest.raises(InvalidState):
        service.list_on_negative_list(
            session,
            zone,
            ent.id,
            reason_category="fake_trade",
            reason="重复",
            listed_on=service.beijing_today(),
        )
    service.delist(session, zone, entry.id, reason="整改完毕", delisted_on=service.beijing_today())
    sup = service.supervision_for(session, ent.id)
    assert sup.hold_all is False and sup.tier == "C"


def test_seriously_dishonest_customs_level_is_sanctioned_even_with_good_score(session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    tax = agency(session, "tax")
    today = service.beijing_today()
    service.report_item(session, tax, ent.id, ItemReport("tax_grade", today, value="A"))
    service.report_item(
        session, customs, ent.id, ItemReport("customs_level", today, value="seriously_dishonest")
    )
    sup = service.supervision_for(session, ent.id)
    assert sup.hold_all and sup.tier == "E" and not sup.fast_track


def test_zone_policy_overrides_tier_default(session):
    ent = make_enterprise(session)
    zone = agency(session, "zone_office")
    service.set_policy(
        session,
        zone,
        "C",
        inspection_share=Decimal("0.08"),
        manual_review=True,
        hold_all=False,
        fast_track=False,
    )
    sup = service.supervision_for(session, ent.id)
    assert sup.inspection_share == Decimal("0.08") and sup.manual_review


def test_policy_rejects_share_over_one_and_hold_with_fast_track(session):
    zone = agency(session, "zone_office")
    with pytest.raises(ValidationFailed) as exc:
        service.set_policy(
            session,
            zone,
            "B",
            inspection_share=Decimal("1.5"),
            manual_review=False,
            hold_all=True,
            fast_track=True,
        )
    assert {e.code for e in exc.value.errors} == {"out_of_range", "conflicts_with_hold_all"}


def test_only_zone_office_sets_policy(session):
    customs = agency(session, "customs")
    with pytest.raises(Forbidden):
        service.set_policy(
            session,
            customs,
            "B",
            inspection_share=Decimal("0.1"),
            manual_review=False,
            hold_all=False,
            fast_track=False,
        )


def test_dishonest_level_caps_tier_at_d(session):
    ent = make_enterprise(session)
    customs = agency(session, "customs")
    service.report_item(
        session, customs, ent.id, ItemReport("customs_level", service.beijing_today(), value="dishonest")
    )
    sup = service.supervision_for(session, ent.id)
    assert sup.tier == "D"  # 100 - 30 = 70
    assert sup.manual_review and sup.inspection_share == Decimal("0.20")
    assert dt.date.today()  # keep dt imported for readers of the dates above


def test_trade_events_count_facts_and_a_mismatch_rejection_re_rates(session):
    from silkgate.events import TradeEvent
    from silkgate.kit.cebtime import now_utc

    ent = make_enterprise(session)

    def event(kind: str, **extra: object) -> TradeEvent:
        return TradeEvent(
            kind=kind,
            zone_code=ent.zone_code,
            direction="import",
            trade_mode="9610",
            declaration_id=0,
            business_no="X",
            occurred_at=now_utc(),
            enterprise_ids={"seller": ent.id},
            customs_code="0514",
            country="116",
            currency="142",
            total_value=Decimal("100"),
            total_value_cny=Decimal("100"),
            extra=dict(extra),
        )

    for _ in range(17):
        service.apply_trade_event(session, event("released"))
    for _ in range(3):
        service.apply_trade_event(session, event("rejected", step="match"))
    service.apply_trade_event(session, event("returned"))
    record = service.ensure_record(session, ent.id)
    assert (record.declarations_total, record.released_count, record.rejected_count) == (20, 17, 3)
    assert record.mismatch_count == 3 and record.returned_count == 1
    assert record.released_value_cny == Decimal("1700")
    factors = {f["code"]: f["points"] for f in record.factors}
    assert factors["rejection_rate"] == -5 and factors["mismatch_rate"] == -10  # 15 % rejected and mismatched
    assert record.score == 85


def test_scheduled_rerate_counts_tier_changes(session):
    ent = make_enterprise(session)
    service.recompute(session, ent.id, "first")
    record = service.ensure_record(session, ent.id)
    record.on_negative_list = True  # as if listed by another process since the last rating
    changed = service.rerate_zone(session, ent.zone_code)
    assert changed >= 1 and service.ensure_record(session, ent.id).tier == "E"
