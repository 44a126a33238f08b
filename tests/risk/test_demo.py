"""The demo steps: a spread of credit tiers, and planted risk patterns the shipped rules find."""

from __future__ import annotations

from sqlalchemy import func, select

import silkgate.demo as demo
from silkgate.credit import service as credit_service
from silkgate.models.risk import RiskAlert, RiskHit

PLANTED = {
    "BRUSH_SHARED_PHONE",
    "BRUSH_SHARED_ADDRESS",
    "BRUSH_SHARED_ID",
    "BRUSH_SHARED_PAYER",
    "QUOTA_DRAIN",
    "ORDER_SPLIT",
    "UNDERVALUED",
    "OVER_INVOICED",
    "UNCONNECTED_CHANNEL",
    "PAYER_NOT_BUYER",
    "ROUND_TRIP",
    "REPEAT_VIOLATIONS",
    "PRODUCT_SAFETY",
    "EXPORT_NOT_DEPARTED",
}


def test_demo_has_a_spread_of_tiers_and_the_rules_find_the_planted_patterns(session, monkeypatch):
    monkeypatch.setattr(demo, "STEPS", ("registry", "credit", "risk"))
    lines = demo.load_demo(session, "140800")
    assert any(line.startswith("[risk]") for line in lines)
    tiers = credit_service.tier_distribution(session, "140800")
    assert sum(1 for n in tiers.values() if n) >= 4, tiers  # at least four tiers populated
    assert tiers["E"] >= 1 and tiers["A"] >= 1
    found = set(session.scalars(select(RiskHit.rule_code).where(RiskHit.zone_code == "140800").distinct()))
    assert found >= PLANTED, PLANTED - found
    states = set(session.scalars(select(RiskAlert.status).where(RiskAlert.zone_code == "140800")))
    assert {"new", "assessed", "closed"} <= states
    assert session.scalar(select(func.count(RiskAlert.id)).where(RiskAlert.outcome == "confirmed")) >= 1
