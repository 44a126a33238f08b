"""Pure credit rules: customs credit levels, the criteria for the dishonest levels the platform can
evaluate, credit-repair waiting periods, the zone scorecard and the default tiered supervision.

Customs credit levels follow 海关总署令第282号《中华人民共和国海关注册登记和备案企业信用管理办法》
(published 2026-01-13, in force 2026-04-01, repealing Order 251): five levels 高级认证企业, 认证企业,
常规企业, 失信企业, 严重失信企业. The full text of Order 282 was not available to us when this was
written; the numeric criteria for the dishonest level and the credit-repair waiting periods below are
those published in Order 251 (2021) Art. 22 (失信企业认定情形) and Art. 26 (信用修复), which the
GACC notice on applying Order 251 refers to item by item. Each criterion carries its article so a
zone can re-point it when the text of Order 282 is confirmed; the thresholds live in
`DISHONEST_CRITERIA` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

# ---------------------------------------------------------------- customs credit levels (Order 282)

CUSTOMS_LEVELS: dict[str, str] = {
    "advanced_certified": "高级认证企业",
    "certified": "认证企业",
    "regular": "常规企业",
    "dishonest": "失信企业",
    "seriously_dishonest": "严重失信企业",
}
TAX_GRADES = ("A", "B", "M", "C", "D")  # 纳税信用级别 (国家税务总局《纳税信用管理办法》)
FOREX_CLASSES = ("A", "B", "C")  # 货物贸易外汇管理分类 (A/B/C 类企业)

# What each agency may report into the credit database (its remit only).
ITEM_KINDS: dict[str, str] = {
    "customs_level": "海关信用等级",
    "tax_grade": "纳税信用级别",
    "forex_class": "货物贸易外汇管理分类",
    "court_judgement": "法院判决（败诉/被执行）",
    "admin_penalty": "行政处罚",
    "tax_arrears": "欠缴税款",
    "fines_arrears": "欠缴罚没款",
    "risk_case_confirmed": "风险案件（已查实）",
    "complaint_upheld": "消费纠纷（成立）",
    "ip_infringement": "知识产权侵权（成立）",
    "late_summary": "汇总申报逾期",
    "fx_uncollected": "出口收汇逾期未收",
    "credit_repair": "信用修复",
}
# The rating's factors (rate_enterprise), for pages that name a factor by its code (appeals).
FACTOR_LABELS: dict[str, str] = {
    "customs_level": "海关信用等级",
    "tax_grade": "纳税信用级别",
    "forex_class": "外汇管理分类",
    "rejection_rate": "申报退单率",
    "mismatch_rate": "三单比对不符率",
    "withdrawal_rate": "撤单率",
    "return_rate": "退货率",
    "late_summary": "汇总申报逾期",
    "tax_arrears": "欠缴税款",
    "fx_uncollected": "出口收汇逾期",
    "risk_cases": "查实风险案件",
    "complaints": "成立的消费纠纷",
    "ip_infringements": "成立的知识产权侵权",
    "court_judgements": "法院判决",
    "admin_penalties": "行政处罚",
    "volume": "守法经营规模",
    "override": "等级上限",
}
_TRIGGERS = {
    "first_view": "首次评级",
    "scheduled": "定期重评",
    "demo": "演示数据初评",
    "negative_list:listed": "列入信用负面清单",
    "negative_list:delisted": "移出信用负面清单",
}
_TRIGGER_PREFIXES = {
    "item": "部门信用信息",
    "report": "部门报送",
    "appeal": "评级申诉",
    "repair": "信用修复",
    "trade": "申报数据更新",
}
_OUTCOMES = {
    "upheld": "成立",
    "revised": "已改正",
    "rejected": "驳回",
    "approved": "通过",
    "pending": "待处理",
    "released": "放行",
    "rejected_list": "退单",
    "returned": "退货",
    "withdrawn": "撤单",
}


def factor_label(code: str | None) -> str:
    """A factor or item code in words; no code reaches a page as it is."""
    if not code:
        return "整体评级"
    return FACTOR_LABELS.get(code) or ITEM_KINDS.get(code) or "其他评分项"


def trigger_label(trigger: str | None) -> str:
    """Why a rating was recomputed (CreditSnapshot.trigger, e.g. `item:tax_grade`), in words."""
    if not trigger:
        return ""
    if trigger in _TRIGGERS:
        return _TRIGGERS[trigger]
    prefix, _, rest = trigger.partition(":")
    head = _TRIGGER_PREFIXES.get(prefix, "重新评级")
    if not rest:
        return head
    detail = ITEM_KINDS.get(rest) or FACTOR_LABELS.get(rest) or _OUTCOMES.get(rest)
    return f"{head}：{detail}" if detail else head


REPORTABLE_BY: dict[str, tuple[str, ...]] = {
    "customs": ("customs_level", "admin_penalty", "tax_arrears", "fines_arrears"),
    "tax": ("tax_grade", "admin_penalty", "tax_arrears"),
    "forex": ("forex_class", "admin_penalty", "fx_uncollected"),
    "market_regulation": ("admin_penalty", "ip_infringement"),
    "commerce": ("admin_penalty",),
    # Court judgements reach the zone through the zone office (公开裁判文书/失信被执行人名单).
    "zone_office": ("court_judgement", "late_summary"),
}
# The value each graded kind accepts.
ITEM_VALUES: dict[str, tuple[str, ...]] = {
    "customs_level": tuple(CUSTOMS_LEVELS),
    "tax_grade": TAX_GRADES,
    "forex_class": FOREX_CLASSES,
}
AMOUNT_KINDS = ("admin_penalty", "tax_arrears", "fines_arrears", "court_judgement", "fx_uncollected")


@dataclass(frozen=True)
class DishonestCriterion:
    code: str
    article: str
    text: str
    repair_wait_months: int


DISHONEST_CRITERIA: dict[str, DishonestCriterion] = {
    "smuggling_penalty": DishonestCriterion(
        "smuggling_penalty", "第二十二条第（二）项", "构成走私行为被海关行政处罚", 12
    ),
    "violations_share": DishonestCriterion(
        "violations_share",
        "第二十二条第（三）项",
        "1年内违反海关监管规定被处罚次数超过上年度单证票数千分之一（报关企业万分之五）且罚款累计超过"
        "100万元（报关企业30万元）",
        6,
    ),
    "tax_overdue": DishonestCriterion(
        "tax_overdue", "第二十二条第（四）项", "自缴纳期限届满之日起超过3个月仍未缴纳税款", 3
    ),
    "fines_overdue": DishonestCriterion(
        "fines_overdue",
        "第二十二条第（五）项",
        "自缴纳期限届满之日起超过6个月仍未缴纳罚没款项且超过1万元",
        3,
    ),
    "obstruction": DishonestCriterion(
        "obstruction", "第二十二条第（六）项", "抗拒、阻碍海关工作人员依法执行职务被依法处罚", 12
    ),
}
VIOLATION_SHARE_NON_BROKER = Decimal("0.001")
VIOLATION_SHARE_BROKER = Decimal("0.0005")
PENALTY_SUM_NON_BROKER = Decimal("1000000")
PENALTY_SUM_BROKER = Decimal("300000")
TAX_OVERDUE_MONTHS = 3
FINES_OVERDUE_MONTHS = 6
FINES_OVERDUE_MIN = Decimal("10000")
REPAIR_DECISION_DAYS = 20  # 海关自收到信用修复申请之日起20日内作出决定


@dataclass(frozen=True)
class PenaltyFact:
    decided_on: dt.date
    amount: Decimal
    smuggling: bool = False
    obstruction: bool = False


@dataclass(frozen=True)
class ArrearsFact:
    kind: str  # tax_arrears | fines_arrears
    due_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Finding:
    code: str
    article: str
    text: str
    evidence: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "article": self.article, "text": self.text, "evidence": self.evidence}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 always exists


def dishonest_findings(
    *,
    today: dt.date,
    customs_penalties: list[PenaltyFact],
    arrears: list[ArrearsFact],
    documents_last_year: int,
    is_broker: bool,
) -> list[Finding]:
    """The dishonest-level criteria (Order 251 Art. 22, carried into Order 282) met by the data the
    platform holds: customs penalties, unpaid taxes and fines, and the document count."""
    findings: list[Finding] = []
    crit = DISHONEST_CRITERIA
    year_ago = add_months(today, -12)
    recent = [p for p in customs_penalties if p.decided_on > year_ago]
    for p in recent:
        if p.smuggling:
            c = crit["smuggling_penalty"]
            findings.append(Finding(c.code, c.article, c.text, f"{p.decided_on} 走私行为处罚 {p.amount} 元"))
            break
    for p in recent:
        if p.obstruction:
            c = crit["obstruction"]
            findings.append(Finding(c.code, c.article, c.text, f"{p.decided_on} 抗拒阻碍执法被处罚"))
            break
    count = len(recent)
    total = sum((p.amount for p in recent), Decimal("0"))
    share_limit = VIOLATION_SHARE_BROKER if is_broker else VIOLATION_SHARE_NON_BROKER
    sum_limit = PENALTY_SUM_BROKER if is_broker else PENALTY_SUM_NON_BROKER
    share_exceeded = documents_last_year == 0 or Decimal(count) > share_limit * documents_last_year
    if count and share_exceeded and total > sum_limit:
        c = crit["violations_share"]
        findings.append(
            Finding(
                c.code,
                c.article,
                c.text,
                f"近1年被处罚{count}次，上年度单证{documents_last_year}票，罚款累计{total}元",
            )
        )
    for a in arrears:
        if a.kind == "tax_arrears" and a.amount > 0 and today > add_months(a.due_on, TAX_OVERDUE_MONTHS):
            c = crit["tax_overdue"]
            findings.append(Finding(c.code, c.article, c.text, f"税款{a.amount}元，缴纳期限{a.due_on}"))
            break
    for a in arrears:
        if (
            a.kind == "fines_arrears"
            and a.amount > FINES_OVERDUE_MIN
            and today > add_months(a.due_on, FINES_OVERDUE_MONTHS)
        ):
            c = crit["fines_overdue"]
            findings.append(Finding(c.code, c.article, c.text, f"罚没款{a.amount}元，缴纳期限{a.due_on}"))
            break
    return findings


def repair_eligible_from(ground: str, level_effective_on: dt.date) -> dt.date:
    """The first day an enterprise may apply for credit repair (Order 251 Art. 26 waiting periods)."""
    return add_months(level_effective_on, DISHONEST_CRITERIA[ground].repair_wait_months)


# ---------------------------------------------------------------- the zone scorecard


TIERS: dict[str, str] = {
    "A": "A级（诚信）",
    "B": "B级（良好）",
    "C": "C级（一般）",
    "D": "D级（关注）",
    "E": "E级（失信）",
}
TIER_FLOORS = (("A", 120), ("B", 105), ("C", 85), ("D", 60))
BASE_SCORE = 100
MIN_DOCS_FOR_RATES = 20

CUSTOMS_POINTS = {
    "advanced_certified": 15,
    "certified": 10,
    "regular": 0,
    "dishonest": -30,
    "seriously_dishonest": -60,
}
TAX_POINTS = {"A": 10, "B": 5, "M": 0, "C": -10, "D": -25}
FOREX_POINTS = {"A": 5, "B": -10, "C": -25}


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    points: int
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "points": self.points, "detail": self.detail}


@dataclass
class CreditFacts:
    """Everything the scorecard reads (counts over the last 12 months unless stated)."""

    customs_level: str = "regular"
    tax_grade: str | None = None
    forex_class: str | None = None
    declarations_total: int = 0
    rejected_count: int = 0
    mismatch_count: int = 0
    withdrawn_count: int = 0
    returned_count: int = 0
    released_count: int = 0
    late_summaries: int = 0
    tax_arrears_open: Decimal = Decimal("0")
    fx_uncollected: int = 0
    confirmed_risk_cases: int = 0
    complaints_upheld: int = 0
    ip_infringements: int = 0
    court_judgements: int = 0
    admin_penalties: list[Decimal] = field(default_factory=list)
    on_negative_list: bool = False


@dataclass(frozen=True)
class Rating:
    score: int
    tier: str
    factors: list[Factor]


def _rate_points(
    code: str, label: str, count: int, total: int, bands: tuple[tuple[Decimal, int], ...]
) -> Factor:
    if total < MIN_DOCS_FOR_RATES:
        return Factor(code, label, 0, f"单证不足{MIN_DOCS_FOR_RATES}票，不计（{count}/{total}）")
    rate = Decimal(count) / Decimal(total)
    points = 0
    for floor, pts in bands:
        if rate > floor:
            points = pts
    return Factor(code, label, points, f"{count}/{total} = {rate * 100:.1f}%")


def _capped(code: str, label: str, count: int, each: int, cap: int, unit: str) -> Factor:
    points = max(count * each, cap)
    return Factor(code, label, points if count else 0, f"{count}{unit}，每{unit}{each}分，最多{cap}分")


def rate_enterprise(facts: CreditFacts) -> Rating:
    """The zone rating: base 100 plus explained points per factor; tier by score with overrides
    (negative list or 严重失信 -> E; 失信 caps at D)."""
    f: list[Factor] = []
    level = facts.customs_level
    f.append(
        Factor(
            "customs_level", "海关信用等级", CUSTOMS_POINTS.get(level, 0), CUSTOMS_LEVELS.get(level, level)
        )
    )
    if facts.tax_grade:
        f.append(
            Factor("tax_grade", "纳税信用级别", TAX_POINTS.get(facts.tax_grade, 0), f"{facts.tax_grade}级")
        )
    if facts.forex_class:
        f.append(
            Factor(
                "forex_class",
                "外汇管理分类",
                FOREX_POINTS.get(facts.forex_class, 0),
                f"{facts.forex_class}类",
            )
        )
    total = facts.declarations_total
    f.append(
        _rate_points(
            "rejection_rate",
            "申报退单率",
            facts.rejected_count,
            total,
            ((Decimal("0.05"), -5), (Decimal("0.15"), -15)),
        )
    )
    f.append(
        _rate_points(
            "mismatch_rate",
            "三单比对不符率",
            facts.mismatch_count,
            total,
            ((Decimal("0.03"), -5), (Decimal("0.10"), -10)),
        )
    )
    f.append(
        _rate_points(
            "withdrawal_rate",
            "撤单率",
            facts.withdrawn_count,
            total,
            ((Decimal("0.05"), -3), (Decimal("0.15"), -8)),
        )
    )
    f.append(
        _rate_points(
            "return_rate",
            "退货率",
            facts.returned_count,
            total,
            ((Decimal("0.10"), -3), (Decimal("0.25"), -8)),
        )
    )
    f.append(_capped("late_summary", "汇总申报逾期", facts.late_summaries, -2, -10, "次"))
    f.append(
        Factor(
            "tax_arrears",
            "欠缴税款",
            -15 if facts.tax_arrears_open > 0 else 0,
            f"未缴 {facts.tax_arrears_open} 元" if facts.tax_arrears_open > 0 else "无",
        )
    )
    f.append(_capped("fx_uncollected", "出口收汇逾期", facts.fx_uncollected, -5, -15, "笔"))
    f.append(_capped("risk_cases", "查实风险案件", facts.confirmed_risk_cases, -15, -45, "件"))
    f.append(_capped("complaints", "成立的消费纠纷", facts.complaints_upheld, -3, -15, "件"))
    f.append(_capped("ip_infringements", "成立的知识产权侵权", facts.ip_infringements, -10, -30, "件"))
    f.append(_capped("court_judgements", "法院判决", facts.court_judgements, -10, -20, "件"))
    penalty_points = sum(-10 if amt > Decimal("100000") else -5 for amt in facts.admin_penalties)
    f.append(
        Factor(
            "admin_penalties",
            "行政处罚",
            max(penalty_points, -30),
            f"{len(facts.admin_penalties)}件（10万元以上每件-10，其余每件-5，最多-30）",
        )
    )
    clean = not any(x.points < 0 for x in f)
    good_volume = facts.released_count >= 1000 and clean
    f.append(
        Factor(
            "volume",
            "守法经营规模",
            5 if good_volume else 0,
            f"放行{facts.released_count}票" + ("，无扣分项" if good_volume else ""),
        )
    )
    score = BASE_SCORE + sum(x.points for x in f)
    tier = "E"
    for name, floor in TIER_FLOORS:
        if score >= floor:
            tier = name
            break
    if level == "dishonest" and tier in ("A", "B", "C"):
        tier = "D"
        f.append(Factor("override", "等级上限", 0, "海关失信企业，评级最高为D级"))
    if level == "seriously_dishonest" or facts.on_negative_list:
        tier = "E"
        why = "列入信用负面清单" if facts.on_negative_list else "海关严重失信企业"
        f.append(Factor("override", "等级上限", 0, f"{why}，评级为E级"))
    return Rating(score=score, tier=tier, factors=[x for x in f if x.points or x.code in _ALWAYS_SHOWN])


_ALWAYS_SHOWN = frozenset({"customs_level", "rejection_rate", "mismatch_rate", "override", "volume"})


# ---------------------------------------------------------------- tiered supervision


@dataclass(frozen=True)
class TierPolicy:
    inspection_share: Decimal
    manual_review: bool
    hold_all: bool
    fast_track: bool


# Defaults (documented in docs/credit-and-risk.md); a zone office overrides per tier.
DEFAULT_POLICIES: dict[str, TierPolicy] = {
    "A": TierPolicy(Decimal("0.01"), manual_review=False, hold_all=False, fast_track=True),
    "B": TierPolicy(Decimal("0.03"), manual_review=False, hold_all=False, fast_track=False),
    "C": TierPolicy(Decimal("0.05"), manual_review=False, hold_all=False, fast_track=False),
    "D": TierPolicy(Decimal("0.20"), manual_review=True, hold_all=False, fast_track=False),
    "E": TierPolicy(Decimal("1"), manual_review=True, hold_all=True, fast_track=False),
}

NEGATIVE_LIST_CATEGORIES: dict[str, str] = {
    "smuggling": "走私违法",
    "serious_dishonesty": "严重失信",
    "fake_trade": "虚假贸易/刷单",
    "rebate_fraud": "骗取出口退税",
    "money_laundering": "涉嫌洗钱",
    "ip_infringement": "侵犯知识产权",
    "product_safety": "产品质量安全",
    "tax_arrears": "欠缴税款",
    "other": "其他违法失信行为",
}
