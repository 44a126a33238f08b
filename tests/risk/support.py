"""Helpers shared by the risk tests."""

from __future__ import annotations

from credit.support import agency
from factories import make_enterprise
from silkgate.risk import service


def codes(hits):
    return {h.rule_code for h in hits}


def only(session, zone, *keep):
    """Disable every rule but `keep` so each test sees one rule at work."""
    office = agency(session, "zone_office", zone)
    for rule in service.ensure_rules(session, zone):
        if rule.code not in keep and rule.enabled:
            service.edit_rule(
                session, office, rule.code, enabled=False, thresholds=rule.thresholds, note="测试隔离"
            )


def seller_and_platform(session):
    return make_enterprise(session, roles=("seller",)), make_enterprise(session, roles=("platform",))
