"""Pure export tax calculations for zone sellers (Decimal, no I/O).

- 无票免税: 财政部 税务总局 商务部 海关总署《关于跨境电子商务综合试验区零售出口货物税收政策的通知》
  (财税〔2018〕103号): exports without valid purchase invoices (未取得有效进货凭证) are exempt from VAT
  and consumption tax when every condition of its 第一条 holds.
- 核定征收: 国家税务总局《关于跨境电子商务综合试验区零售出口企业所得税核定征收有关问题的公告》
  (国家税务总局公告2019年第36号): deemed taxable income = revenue × 4% (第二条); small low-profit
  enterprise rates apply (第四条).
- 小型微利企业: 财税〔2019〕13号 (2019–2021), 财政部 税务总局公告2021年第12号 (2021–2022),
  2022年第13号 (2022–2024, superseded), 财政部 税务总局公告2023年第12号 第三条 (2023-01-01 to 2027-12-31:
  taxable income counted at 25% and taxed at 20%, i.e. 5%), conditions as 财政部 税务总局公告2023年第6号:
  annual taxable income ≤ 3,000,000 CNY, employees ≤ 300, total assets ≤ 50,000,000 CNY, an industry
  not restricted or prohibited by the State.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from silkgate.kit.money import round_cent

ZERO = Decimal("0")

# 财税〔2018〕103号 第三条: applies to exports whose list states an export date from 2018-10-01.
EXEMPTION_EFFECTIVE_FROM = dt.date(2018, 10, 1)
# Trade modes declared through the customs CBEC export procedures (电子商务出口申报手续).
ECOMMERCE_EXPORT_MODES = ("9610", "9710", "9810", "1210", "1239")

DEEMED_TAXABLE_INCOME_RATE = Decimal("0.04")  # 2019年第36号 第二条: 应税所得率统一按照4%确定
STANDARD_CIT_RATE = Decimal("0.25")  # 《企业所得税法》第四条
SMALL_LOW_PROFIT_TAX_RATE = Decimal("0.20")
SMALL_LOW_PROFIT_INCOME_LIMIT = Decimal("3000000")
SMALL_LOW_PROFIT_EMPLOYEE_LIMIT = 300
SMALL_LOW_PROFIT_ASSET_LIMIT = Decimal("50000000")


# --------------------------------------------------------------------------------------------
# 无票免税 (财税〔2018〕103号)


@dataclass(frozen=True)
class RecordedLine:
    """One goods line as recorded on this platform (the zone's online integrated service platform)."""

    g_num: int
    g_name: str | None
    hs_code: str | None
    unit: str | None
    qty: Decimal | None
    price: Decimal | None
    total_price: Decimal | None


@dataclass(frozen=True)
class ExemptionFacts:
    seller_zone_code: str | None
    seller_filing_approved: bool
    seller_is_exporter: bool  # files as an e-commerce seller (电子商务出口企业, 103号 第四条)
    list_zone_code: str | None
    export_date: dt.date | None
    customs_code: str | None
    zone_customs_codes: frozenset[str]
    trade_mode: str
    list_released: bool
    lines: tuple[RecordedLine, ...]
    excluded_hs_prefixes: Mapping[str, str]  # prefix -> "name（source）"
    purchase_invoices: str  # none | held


@dataclass(frozen=True)
class ConditionResult:
    code: str
    basis: str
    requirement: str
    met: bool
    reason: str = ""


@dataclass(frozen=True)
class ExemptionDecision:
    qualifies: bool
    conditions: tuple[ConditionResult, ...]

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.conditions if not c.met]


EXEMPTION_CONDITIONS = (
    ("registered_in_zone", "财税〔2018〕103号 第一条（一）、第四条", "电子商务出口企业在综试区注册"),
    (
        "recorded_on_platform",
        "财税〔2018〕103号 第一条（一）",
        "在注册地跨境电子商务线上综合服务平台登记出口日期、货物名称、计量单位、数量、单价、金额",
    ),
    (
        "declared_at_zone_customs",
        "财税〔2018〕103号 第一条（二）",
        "出口货物通过综试区所在地海关办理电子商务出口申报手续",
    ),
    (
        "not_excluded_goods",
        "财税〔2018〕103号 第一条（三）",
        "出口货物不属于财政部和税务总局根据国务院决定明确取消出口退（免）税的货物",
    ),
    (
        "without_purchase_invoice",
        "财税〔2018〕103号 第一条",
        "出口货物未取得有效进货凭证（取得的应申报退（免）税）",
    ),
    (
        "export_date_in_force",
        "财税〔2018〕103号 第三条",
        "出口日期在2018年10月1日及以后（以申报清单注明的出口日期为准）",
    ),
)


def assess_tax_free_without_invoice(f: ExemptionFacts) -> ExemptionDecision:
    """Check every condition of 财税〔2018〕103号 for one export list; each failing one says why."""
    results: list[ConditionResult] = []
    reqs = {code: (basis, text) for code, basis, text in EXEMPTION_CONDITIONS}

    def add(code: str, met: bool, reason: str) -> None:
        basis, text = reqs[code]
        results.append(ConditionResult(code, basis, text, met, "" if met else reason))

    if not f.seller_is_exporter:
        add("registered_in_zone", False, "该企业未以电子商务企业（卖家）身份备案")
    elif not f.seller_filing_approved:
        add("registered_in_zone", False, "企业备案尚未通过综试办审核")
    elif f.seller_zone_code is None or f.seller_zone_code != f.list_zone_code:
        add(
            "registered_in_zone",
            False,
            f"企业注册地综试区（{f.seller_zone_code}）与出口所在综试区（{f.list_zone_code}）不一致",
        )
    else:
        add("registered_in_zone", True, "")

    gaps = []
    if f.export_date is None:
        gaps.append("出口日期")
    if not f.lines:
        gaps.append("商品")
    for ln in f.lines:
        names = [
            label
            for label, value in (
                ("货物名称", ln.g_name),
                ("计量单位", ln.unit),
                ("数量", ln.qty),
                ("单价", ln.price),
                ("金额", ln.total_price),
            )
            if value is None or value == ""
        ]
        if names:
            gaps.append(f"第{ln.g_num}项{'、'.join(names)}")
    add("recorded_on_platform", not gaps, "平台登记信息不全：缺少" + "；".join(gaps))

    if f.trade_mode not in ECOMMERCE_EXPORT_MODES:
        add("declared_at_zone_customs", False, f"贸易方式{f.trade_mode}不是跨境电子商务出口申报")
    elif not f.list_released:
        add("declared_at_zone_customs", False, "申报清单尚未放行，电子商务出口申报手续未办结")
    elif not f.zone_customs_codes:
        add("declared_at_zone_customs", False, "综试办尚未登记本综试区所在地海关关区代码，无法确认")
    elif f.customs_code not in f.zone_customs_codes:
        add(
            "declared_at_zone_customs",
            False,
            f"申报地海关{f.customs_code}不在综试区所在地海关（{'、'.join(sorted(f.zone_customs_codes))}）之列",
        )
    else:
        add("declared_at_zone_customs", True, "")

    hits = []
    for ln in f.lines:
        for prefix, label in f.excluded_hs_prefixes.items():
            if ln.hs_code and ln.hs_code.startswith(prefix):
                hits.append(f"第{ln.g_num}项商品编码{ln.hs_code}属于取消出口退（免）税货物：{label}")
    add("not_excluded_goods", not hits, "；".join(hits))

    add(
        "without_purchase_invoice",
        f.purchase_invoices == "none",
        "企业已取得有效进货凭证，应按规定申报出口退（免）税，不适用无票免税",
    )
    in_force = f.export_date is not None and f.export_date >= EXEMPTION_EFFECTIVE_FROM
    add("export_date_in_force", in_force, f"出口日期{f.export_date}早于2018年10月1日")
    return ExemptionDecision(all(c.met for c in results), tuple(results))


# --------------------------------------------------------------------------------------------
# 核定征收 and the corporate income tax


def deemed_taxable_income(revenue: Decimal) -> Decimal:
    """2019年第36号 第二条: 应纳税所得额 = 收入总额 × 应税所得率 4%."""
    return round_cent(revenue * DEEMED_TAXABLE_INCOME_RATE)


@dataclass(frozen=True)
class SmallLowProfitTest:
    qualifies: bool
    reasons: tuple[str, ...]


def small_low_profit_test(
    taxable_income: Decimal, employees: int | None, total_assets: Decimal | None, restricted_industry: bool
) -> SmallLowProfitTest:
    """财政部 税务总局公告2023年第6号 / 2023年第12号: all four conditions, each failing one named."""
    reasons = []
    if restricted_industry:
        reasons.append("从事国家限制或禁止行业")
    if taxable_income > SMALL_LOW_PROFIT_INCOME_LIMIT:
        reasons.append(f"年度应纳税所得额{taxable_income:,.2f}元超过300万元")
    if employees is None:
        reasons.append("未登记从业人数")
    elif employees > SMALL_LOW_PROFIT_EMPLOYEE_LIMIT:
        reasons.append(f"从业人数{employees}人超过300人")
    if total_assets is None:
        reasons.append("未登记资产总额")
    elif total_assets > SMALL_LOW_PROFIT_ASSET_LIMIT:
        reasons.append(f"资产总额{total_assets:,.2f}元超过5000万元")
    return SmallLowProfitTest(not reasons, tuple(reasons))


@dataclass(frozen=True)
class Band:
    upper: Decimal | None  # inclusive upper bound of taxable income, None: no bound
    income_share: Decimal  # share of the income counted as taxable
    basis: str


def small_low_profit_bands(year: int) -> tuple[Band, ...] | None:
    """The preferential bands in force for a tax year (None: no preferential rule known for it)."""
    if 2023 <= year <= 2027:
        return (Band(Decimal("3000000"), Decimal("0.25"), "财政部 税务总局公告2023年第12号 第三条"),)
    if year == 2022:
        return (
            Band(Decimal("1000000"), Decimal("0.125"), "财政部 税务总局公告2021年第12号 第一条"),
            Band(Decimal("3000000"), Decimal("0.25"), "财政部 税务总局公告2022年第13号 第一条"),
        )
    if year == 2021:
        return (
            Band(Decimal("1000000"), Decimal("0.125"), "财政部 税务总局公告2021年第12号 第一条"),
            Band(Decimal("3000000"), Decimal("0.50"), "财税〔2019〕13号 第二条"),
        )
    if year in (2019, 2020):
        return (
            Band(Decimal("1000000"), Decimal("0.25"), "财税〔2019〕13号 第二条"),
            Band(Decimal("3000000"), Decimal("0.50"), "财税〔2019〕13号 第二条"),
        )
    return None


@dataclass(frozen=True)
class IncomeTax:
    taxable_income: Decimal
    tax: Decimal
    small_low_profit: bool
    basis: str
    effective_rate: Decimal


def corporate_income_tax(year: int, taxable_income: Decimal, small_low_profit: bool) -> IncomeTax:
    """CIT on a (cumulative) taxable income: 25%, or the small low-profit bands of the year at 20%."""
    taxable_income = max(taxable_income, ZERO)
    bands = small_low_profit_bands(year) if small_low_profit else None
    if not bands:
        tax = round_cent(taxable_income * STANDARD_CIT_RATE)
        basis = "《中华人民共和国企业所得税法》第四条 税率25%"
        if small_low_profit:
            basis += f"（{year}年无小型微利企业优惠规定）"
        return IncomeTax(taxable_income, tax, False, basis, STANDARD_CIT_RATE)
    tax = ZERO
    lower = ZERO
    bases = []
    for band in bands:
        upper = band.upper if band.upper is not None else taxable_income
        part = min(taxable_income, upper) - lower
        if part <= 0:
            break
        tax += part * band.income_share * SMALL_LOW_PROFIT_TAX_RATE
        bases.append(
            f"{band.basis}：减按{(band.income_share * 100).normalize():f}%计入应纳税所得额，按20%税率"
        )
        lower = upper
    tax = round_cent(tax)
    effective = (tax / taxable_income).quantize(Decimal("0.0001")) if taxable_income else ZERO
    return IncomeTax(taxable_income, tax, True, "；".join(dict.fromkeys(bases)), effective)


@dataclass(frozen=True)
class DeemedLevyPeriod:
    """One line of a seller's statement: a quarter (cumulative, as prepayment works) or the year."""

    year: int
    label: str  # 2024Q1 … 2024 全年
    revenue: Decimal  # revenue of this period alone
    cumulative_revenue: Decimal
    cumulative_taxable_income: Decimal
    small_low_profit: bool
    small_low_profit_reasons: tuple[str, ...]
    cumulative_tax: Decimal
    tax_due: Decimal  # cumulative tax less what earlier periods of the year already owed
    basis: str


def deemed_levy_statement(
    year: int,
    quarterly_revenue: Sequence[Decimal],
    employees: int | None,
    total_assets: Decimal | None,
    restricted_industry: bool,
) -> list[DeemedLevyPeriod]:
    """Quarterly prepayment lines and the annual line for one seller under 2019年第36号.

    Prepayment works on cumulative figures (累计收入 × 4% → 累计应纳税所得额 → 累计应纳税额 − 已预缴),
    the small low-profit test applied to the cumulative taxable income of the year so far.
    """
    if len(quarterly_revenue) != 4:
        raise ValueError("quarterly_revenue needs the four quarters")
    out: list[DeemedLevyPeriod] = []
    cumulative = ZERO
    owed = ZERO
    for q, rev in enumerate(quarterly_revenue, start=1):
        cumulative += rev
        taxable = deemed_taxable_income(cumulative)
        test = small_low_profit_test(taxable, employees, total_assets, restricted_industry)
        cit = corporate_income_tax(year, taxable, test.qualifies)
        out.append(
            DeemedLevyPeriod(
                year,
                f"{year}年第{q}季度",
                rev,
                cumulative,
                taxable,
                cit.small_low_profit,
                test.reasons,
                cit.tax,
                cit.tax - owed,
                cit.basis,
            )
        )
        owed = cit.tax
    last = out[-1]
    out.append(
        DeemedLevyPeriod(
            year,
            f"{year}年度汇算",
            cumulative,
            cumulative,
            last.cumulative_taxable_income,
            last.small_low_profit,
            last.small_low_profit_reasons,
            last.cumulative_tax,
            last.cumulative_tax,
            last.basis,
        )
    )
    return out


def deemed_levy_conditions(exemption_qualifying_revenue: Decimal, deemed_levy_approved: bool) -> list[str]:
    """2019年第36号 第一条 conditions beyond those 103号 already checks (第一条（三）: the goods enjoy
    the VAT/consumption-tax exemption without invoices) and 第三条 (the tax office's 鉴定)."""
    reasons = []
    if exemption_qualifying_revenue <= 0:
        reasons.append("本期没有享受无票免税的出口货物（2019年第36号第一条（三））")
    if not deemed_levy_approved:
        reasons.append("税务机关尚未完成核定征收鉴定（2019年第36号第三条）")
    return reasons
