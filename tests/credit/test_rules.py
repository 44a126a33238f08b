"""Pure credit rules: the scorecard, the dishonest criteria of the customs credit measures
(Order 251 Art. 22, carried into 海关总署令第282号) and the repair waiting periods (Art. 26)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from silkgate.credit import rules
from silkgate.credit.rules import ArrearsFact, CreditFacts, PenaltyFact

TODAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("facts", "score", "tier"),
    [
        (CreditFacts(), 100, "C"),
        (CreditFacts(customs_level="advanced_certified", tax_grade="A", forex_class="A"), 130, "A"),
        (CreditFacts(customs_level="certified", tax_grade="B"), 115, "B"),
        (CreditFacts(confirmed_risk_cases=1), 85, "C"),
        (CreditFacts(confirmed_risk_cases=2), 70, "D"),
        (CreditFacts(confirmed_risk_cases=5), 55, "E"),  # capped at -45
        (CreditFacts(customs_level="dishonest", tax_grade="A", forex_class="A"), 85, "D"),  # capped at D
        (CreditFacts(customs_level="certified", tax_grade="A", on_negative_list=True), 120, "E"),
        (CreditFacts(declarations_total=100, rejected_count=20), 85, "C"),  # 20 % rejected: -15
        (CreditFacts(declarations_total=10, rejected_count=9), 100, "C"),  # too few lists to count
        (CreditFacts(admin_penalties=[Decimal("150000"), Decimal("2000")]), 85, "C"),
        (CreditFacts(released_count=1500, declarations_total=1500, tax_grade="A"), 115, "B"),  # +5 volume
    ],
)
def test_scorecard(facts, score, tier):
    rating = rules.rate_enterprise(facts)
    assert (rating.score, rating.tier) == (score, tier)
    assert sum(f.points for f in rating.factors) == score - rules.BASE_SCORE


def test_every_factor_explains_its_points():
    rating = rules.rate_enterprise(
        CreditFacts(declarations_total=40, rejected_count=4, tax_arrears_open=Decimal("99"))
    )
    by_code = {f.code: f for f in rating.factors}
    assert by_code["rejection_rate"].points == -5 and "4/40" in by_code["rejection_rate"].detail
    assert by_code["tax_arrears"].points == -15 and "99" in by_code["tax_arrears"].detail


def test_tax_overdue_more_than_three_months_is_a_dishonest_criterion():
    due = dt.date(2026, 8, 23)  # three months and one day before TODAY
    found = rules.dishonest_findings(
        today=TODAY,
        customs_penalties=[],
        arrears=[ArrearsFact("tax_arrears", due, Decimal("1"))],
        documents_last_year=100,
        is_broker=False,
    )
    assert [f.code for f in found] == ["tax_overdue"]
    not_yet = rules.dishonest_findings(
        today=TODAY,
        customs_penalties=[],
        arrears=[ArrearsFact("tax_arrears", dt.date(2026, 8, 24), Decimal("1"))],
        documents_last_year=100,
        is_broker=False,
    )
    assert not_yet == []


def test_fines_overdue_needs_six_months_and_over_ten_thousand():
    due = dt.date(2026, 5, 1)
    small = [ArrearsFact("fines_arrears", due, Decimal("10000"))]
    large = [ArrearsFact("fines_arrears", due, Decimal("10000.01"))]
    args = dict(today=TODAY, customs_penalties=[], documents_last_year=0, is_broker=False)
    assert rules.dishonest_findings(arrears=small, **args) == []
    assert [f.code for f in rules.dishonest_findings(arrears=large, **args)] == ["fines_overdue"]


@pytest.mark.parametrize(
    ("count", "amount", "documents", "broker", "expected"),
    [
        (2, Decimal("1200000"), 1000, False, True),  # 2 > 1 (1 per mille) and 1.2 M > 1 M
        (1, Decimal("1200000"), 1000, False, False),  # 1 is not above 1 per mille of 1000
        (2, Decimal("800000"), 1000, False, False),  # 800 k not above 1 M
        (1, Decimal("310000"), 1000, True, True),  # broker: 1 > 0.5, 310 k > 300 k
        (1, Decimal("1000001"), 0, False, True),  # no documents: the amount alone
    ],
)
def test_violations_share_and_amount(count, amount, documents, broker, expected):
    penalties = [PenaltyFact(dt.date(2026, 9, 1), amount / count) for _ in range(count)]
    found = rules.dishonest_findings(
        today=TODAY, customs_penalties=penalties, arrears=[], documents_last_year=documents, is_broker=broker
    )
    assert ("violations_share" in [f.code for f in found]) is expected


def test_smuggling_penalty_within_a_year():
    old = PenaltyFact(dt.date(2025, 11, 1), Decimal("5000"), smuggling=True)
    recent = PenaltyFact(dt.date(2026, 3, 1), Decimal("5000"), smuggling=True)
    args = dict(today=TODAY, arrears=[], documents_last_year=100, is_broker=False)
    assert rules.dishonest_findings(customs_penalties=[old], **args) == []
    assert [f.article for f in rules.dishonest_findings(customs_penalties=[recent], **args)] == [
        "第二十二条第（二）项"
    ]


@pytest.mark.parametrize(
    ("ground", "expected"),
    [
        ("smuggling_penalty", dt.date(2027, 1, 31)),
        ("violations_share", dt.date(2026, 7, 31)),
        ("tax_overdue", dt.date(2026, 4, 30)),  # 31 Jan + 3 months, month end
    ],
)
def test_repair_waiting_periods(ground, expected):
    assert rules.repair_eligible_from(ground, dt.date(2026, 1, 31)) == expected
