"""Worked numbers for the seller's export tax records (tax/export_calc.py).

- 财税〔2018〕103号 无票免税: every condition of 第一条 and 第三条, each failing alone.
- 国家税务总局公告2019年第36号: taxable income = revenue × 4% (第二条).
- CIT 25% (企业所得税法 第四条) or the small low-profit rates: 2023–2027 5% on income ≤ 3,000,000
  (财政部 税务总局公告2023年第12号 第三条); 2022 2.5% up to 1,000,000 then 5% (2021年第12号, 2022年第13号).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from silkgate.tax import export_calc as C

D = Decimal

GOOD = C.ExemptionFacts(
    seller_zone_code="140800",
    seller_filing_approved=True,
    seller_is_exporter=True,
    list_zone_code="140800",
    export_date=dt.date(2026, 3, 5),
    customs_code="0509",
    zone_customs_codes=frozenset({"0509"}),
    trade_mode="9610",
    list_released=True,
    lines=(C.RecordedLine(1, "棉制针织T恤衫", "6109100021", "011", D("2"), D("12.5"), D("25")),),
    excluded_hs_prefixes={"4403": "原木（演示数据）"},
    purchase_invoices="none",
)


def test_an_export_meeting_every_condition_is_exempt() -> None:
    d = C.assess_tax_free_without_invoice(GOOD)
    assert d.qualifies and d.reasons == []
    assert [c.code for c in d.conditions] == [code for code, _, _ in C.EXEMPTION_CONDITIONS]


FAILING_ALONE = [
    ("registered_in_zone", replace(GOOD, seller_zone_code="370800"), "不一致"),
    ("registered_in_zone", replace(GOOD, seller_filing_approved=False), "尚未通过"),
    (
        "recorded_on_platform",
        replace(GOOD, lines=(replace(GOOD.lines[0], price=None, unit=None),)),
        "第1项计量单位、单价",
    ),
    ("declared_at_zone_customs", replace(GOOD, customs_code="0101"), "0101"),
    ("declared_at_zone_customs", replace(GOOD, trade_mode="0110"), "不是跨境电子商务出口"),
    ("declared_at_zone_customs", replace(GOOD, list_released=False), "尚未放行"),
    ("not_excluded_goods", replace(GOOD, lines=(replace(GOOD.lines[0], hs_code="4403110000"),)), "原木"),
    ("without_purchase_invoice", replace(GOOD, purchase_invoices="held"), "出口退（免）税"),
    ("export_date_in_force", replace(GOOD, export_date=dt.date(2018, 9, 30)), "2018年10月1日"),
]


@pytest.mark.parametrize(
    ("code", "facts", "words"), FAILING_ALONE, ids=[f"{c}-{w}" for c, _, w in FAILING_ALONE]
)
def test_each_condition_of_103_failing_alone_names_its_reason(
    code: str, facts: C.ExemptionFacts, words: str
) -> None:
    d = C.assess_tax_free_without_invoice(facts)
    failed = [c for c in d.conditions if not c.met]
    assert not d.qualifies
    assert [c.code for c in failed] == [code]
    assert words in failed[0].reason and failed[0].basis.startswith("财税〔2018〕103号")


def test_deemed_taxable_income_is_four_percent_of_revenue() -> None:
    assert C.deemed_taxable_income(D("12000000")) == D("480000.00")
    assert C.deemed_taxable_income(D("1234.56")) == D("49.38")  # 49.3824 rounds half up to the cent


def test_small_low_profit_2024_pays_five_percent_of_taxable_income() -> None:
    t = C.small_low_profit_test(D("480000"), 20, D("5000000"), False)
    tax = C.corporate_income_tax(2024, D("480000"), t.qualifies)
    assert t.qualifies and tax.tax == D("24000.00") and tax.effective_rate == D("0.0500")
    assert "2023年第12号" in tax.basis


@pytest.mark.parametrize(
    ("employees", "assets", "restricted", "reason"),
    [
        (301, D("5000000"), False, "从业人数301人"),
        (20, D("50000001"), False, "资产总额"),
        (20, D("1"), True, "限制或禁止"),
    ],
)
def test_each_small_low_profit_condition_failing_means_25_percent(
    employees: int, assets: Decimal, restricted: bool, reason: str
) -> None:
    t = C.small_low_profit_test(D("480000"), employees, assets, restricted)
    assert not t.qualifies and any(reason in r for r in t.reasons)
    assert C.corporate_income_tax(2024, D("480000"), t.qualifies).tax == D("120000.00")


def test_taxable_income_above_three_million_loses_the_preference_entirely() -> None:
    taxable = C.deemed_taxable_income(D("80000000"))  # 3,200,000
    t = C.small_low_profit_test(taxable, 20, D("5000000"), False)
    assert not t.qualifies
    assert C.corporate_income_tax(2025, taxable, t.qualifies).tax == D("800000.00")


def test_2022_bands() -> None:
    # 1,000,000 × 12.5% × 20% + 1,000,000 × 25% × 20% = 25,000 + 50,000
    assert C.corporate_income_tax(2022, D("2000000"), True).tax == D("75000.00")
    # 2020: 1,000,000 × 25% × 20% + 500,000 × 50% × 20%
    assert C.corporate_income_tax(2020, D("1500000"), True).tax == D("100000.00")


def test_quarterly_statement_prepays_on_cumulative_figures() -> None:
    rows = C.deemed_levy_statement(2025, [D("3000000")] * 4, 20, D("5000000"), False)
    assert [r.cumulative_tax for r in rows[:4]] == [D("6000.00"), D("12000.00"), D("18000.00"), D("24000.00")]
    assert [r.tax_due for r in rows[:4]] == [D("6000.00")] * 4
    assert rows[4].label == "2025年度汇算" and rows[4].tax_due == D("24000.00")


def test_quarter_crossing_three_million_pays_the_difference_at_25_percent() -> None:
    rows = C.deemed_levy_statement(
        2025, [D("50000000"), D("30000000"), D("0"), D("0")], 20, D("5000000"), False
    )
    assert rows[0].tax_due == D("100000.00")  # 2,000,000 × 5%
    assert rows[1].cumulative_tax == D("800000.00") and rows[1].tax_due == D("700000.00")
    assert not rows[1].small_low_profit


def test_deemed_levy_needs_exempt_exports_and_the_tax_office_assessment() -> None:
    assert C.deemed_levy_conditions(D("100"), True) == []
    assert len(C.deemed_levy_conditions(D("0"), False)) == 2
