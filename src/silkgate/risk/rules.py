"""The shipped risk rules (their defaults, threshold schema and references) and the pure decisions
each rule makes from the figures the service looks up. No I/O here.

Money-laundering rules follow the FATF–Egmont Group reports *Trade-Based Money Laundering: Trends and
Developments* (December 2020) and *Trade-Based Money Laundering Risk Indicators* (March 2021):
mis-invoicing of price against market value, round-tripping of the same goods, third-party payments
with no apparent link to the buyer, and shipments inconsistent with the declared trade.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SINGLE_LIMIT_CNY = Decimal("5000")  # 跨境电商零售进口单次交易限值 (财关税〔2018〕49号)
ANNUAL_LIMIT_CNY = Decimal("26000")  # 年度交易限值

SEVERITIES: dict[str, str] = {"low": "低", "medium": "中", "high": "高", "critical": "严重"}
# Days to handle an alert by severity.
ALERT_DAYS = {"critical": 3, "high": 5, "medium": 10, "low": 20}
CATEGORIES: dict[str, str] = {
    "fake_trade": "非真实贸易/刷单",
    "money_laundering": "洗钱（贸易洗钱）",
    "rebate_fraud": "骗取出口退税",
    "valuation": "价格申报",
    "compliance": "申报违规",
    "product_safety": "产品质量安全",
    "channel": "交易渠道",
}
ALERT_STATUSES: dict[str, str] = {
    "new": "新预警",
    "assessed": "已评估",
    "disposed": "已处置",
    "followed_up": "已跟踪",
    "closed": "已复查关闭",
}
NEXT_STATUS = {"new": "assessed", "assessed": "disposed", "disposed": "followed_up", "followed_up": "closed"}
OUTCOMES = {"confirmed": "查实", "dismissed": "排除"}


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    kind: type  # int or Decimal
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    category: str
    severity: str
    # Where it runs: "declaration" (each import/export list as it is decided) or "scan" (over history).
    mode: str
    directions: tuple[str, ...]
    params: tuple[Param, ...]
    defaults: dict[str, Any]
    description: str
    reference: str = ""


def _p(key: str, label: str, kind: type, lo: str, hi: str) -> Param:
    return Param(key, label, kind, Decimal(lo), Decimal(hi))


WINDOW = _p("window_days", "统计期（天）", int, "1", "730")

CATALOGUE: tuple[RuleSpec, ...] = (
    RuleSpec(
        "BRUSH_SHARED_PHONE",
        "同一手机号关联多名购买人",
        "fake_trade",
        "high",
        "declaration",
        ("import",),
        (WINDOW, _p("max_buyers", "购买人数上限", int, "2", "1000")),
        {"window_days": 30, "max_buyers": 5},
        "一个收件手机号在统计期内对应的不同购买人身份证件数达到上限：疑似刷单或冒用他人身份（虚假三单）。",
    ),
    RuleSpec(
        "BRUSH_SHARED_ADDRESS",
        "同一收货地址关联多名购买人",
        "fake_trade",
        "high",
        "declaration",
        ("import",),
        (WINDOW, _p("max_buyers", "购买人数上限", int, "2", "1000")),
        {"window_days": 30, "max_buyers": 8},
        "一个收货地址在统计期内对应的不同购买人身份证件数达到上限：多人身份集中收货，疑似化整为零或刷单。",
    ),
    RuleSpec(
        "BRUSH_SHARED_ID",
        "同一身份证件关联多个手机号或地址",
        "fake_trade",
        "medium",
        "declaration",
        ("import",),
        (WINDOW, _p("max_contacts", "手机号/地址数上限", int, "2", "1000")),
        {"window_days": 30, "max_contacts": 4},
        "一个购买人身份证件在统计期内使用的不同手机号或收货地址数达到上限：疑似身份信息被买卖或冒用。",
    ),
    RuleSpec(
        "BRUSH_SHARED_PAYER",
        "同一支付人为多名购买人付款",
        "fake_trade",
        "high",
        "declaration",
        ("import",),
        (WINDOW, _p("max_buyers", "购买人数上限", int, "2", "1000")),
        {"window_days": 30, "max_buyers": 5},
        "一个支付人证件在统计期内为不同购买人支付的订单达到上限：集中付款、分散收货，疑似刷单或代购。",
    ),
    RuleSpec(
        "QUOTA_DRAIN",
        "短期内大量消耗个人年度额度",
        "fake_trade",
        "medium",
        "declaration",
        ("import",),
        (
            WINDOW,
            _p("min_orders", "订单数下限", int, "2", "1000"),
            _p("quota_share", "占年度限值比例", Decimal, "0.1", "1"),
        ),
        {"window_days": 30, "min_orders": 6, "quota_share": "0.8"},
        "同一购买人在统计期内订单数和金额合计均达到阈值（金额按年度限值26000元的比例）：疑似借用他人额度。",
        "财关税〔2018〕49号：年度交易限值26000元",
    ),
    RuleSpec(
        "ORDER_SPLIT",
        "拆单规避单次限值",
        "fake_trade",
        "high",
        "declaration",
        ("import",),
        (
            _p("window_hours", "时间窗（小时）", int, "1", "720"),
            _p("min_orders", "订单数下限", int, "2", "100"),
        ),
        {"window_hours": 48, "min_orders": 3},
        "同一购买人向同一电商企业在时间窗内的多笔订单，每笔均低于单次限值5000元、合计超过限值。",
        "财关税〔2018〕49号：单次交易限值5000元",
    ),
    RuleSpec(
        "UNDERVALUED",
        "低于备案参考价申报（低报价格）",
        "valuation",
        "high",
        "declaration",
        ("import",),
        (_p("min_ratio", "申报价/备案价下限", Decimal, "0.05", "1"),),
        {"min_ratio": "0.5"},
        "表体单价低于该商品备案单价（参考价）乘以比例：疑似低报价格偷逃税款。",
    ),
    RuleSpec(
        "OVER_INVOICED",
        "高于备案参考价申报（高开发票）",
        "money_laundering",
        "high",
        "declaration",
        ("import", "export"),
        (_p("max_ratio", "申报价/备案价上限", Decimal, "1.1", "100"),),
        {"max_ratio": "3"},
        "表体单价高于备案单价乘以倍数：高报价格转移资金（FATF贸易洗钱指标：价格与市场价值明显不符）。",
        "FATF–Egmont《Trade-Based Money Laundering》2020/2021",
    ),
    RuleSpec(
        "PRICE_OUTLIER",
        "同类商品价格异常",
        "valuation",
        "medium",
        "declaration",
        ("import", "export"),
        (
            WINDOW,
            _p("factor", "偏离中位数倍数", Decimal, "1.5", "100"),
            _p("min_samples", "最少样本数", int, "3", "10000"),
        ),
        {"window_days": 90, "factor": "4", "min_samples": 8},
        "表体单价偏离本区同一10位商品编码、同币制单价中位数的倍数达到阈值（高于或低于）。",
    ),
    RuleSpec(
        "UNCONNECTED_CHANNEL",
        "订单来自未接入平台的渠道",
        "channel",
        "medium",
        "declaration",
        ("import", "export"),
        (),
        {},
        "申报的电商平台代码（ebpCode）不是本区已备案、审核通过的电商平台：订单可能由未接入的渠道推送。",
    ),
    RuleSpec(
        "PAYER_NOT_BUYER",
        "支付人与购买人不一致比例偏高",
        "money_laundering",
        "medium",
        "declaration",
        ("import",),
        (
            WINDOW,
            _p("min_share", "不一致比例下限", Decimal, "0.01", "1"),
            _p("min_orders", "最少订单数", int, "1", "10000"),
        ),
        {"window_days": 30, "min_share": "0.3", "min_orders": 10},
        "电商企业统计期内支付人与购买人不一致的订单占比达到阈值（FATF贸易洗钱指标：与交易无关的第三方付款）。",
        "FATF–Egmont《Trade-Based Money Laundering Risk Indicators》2021",
    ),
    RuleSpec(
        "ROUND_TRIP",
        "同一商品出口后又进口（循环贸易）",
        "money_laundering",
        "high",
        "declaration",
        ("import",),
        (WINDOW,),
        {"window_days": 180},
        "同一企业在统计期内出口又进口同一货号、同一商品编码的商品：疑似循环进出、虚构贸易（FATF: round-tripping）。",
        "FATF–Egmont《Trade-Based Money Laundering》2020",
    ),
    RuleSpec(
        "REPEAT_VIOLATIONS",
        "申报违规反复发生",
        "compliance",
        "medium",
        "declaration",
        ("import", "export"),
        (
            WINDOW,
            _p("min_rejected", "退单数下限", int, "1", "100000"),
            _p("min_share", "退单率下限", Decimal, "0.01", "1"),
        ),
        {"window_days": 30, "min_rejected": 5, "min_share": "0.1"},
        "企业统计期内被退单的清单数和退单率均达到阈值：申报质量差或故意试探。",
    ),
    RuleSpec(
        "PRODUCT_SAFETY",
        "商品在产品质量安全预警范围内",
        "product_safety",
        "high",
        "declaration",
        ("import", "export"),
        (),
        {},
        "表体商品编码前缀或品名命中市场监管部门发布的有效产品质量安全风险预警。",
    ),
    RuleSpec(
        "EXPORT_NO_FX",
        "出口放行后逾期未收汇",
        "rebate_fraud",
        "high",
        "scan",
        ("export",),
        (_p("days", "放行后天数", int, "1", "720"), _p("min_lists", "清单数下限", int, "1", "100000")),
        {"days": 90, "min_lists": 3},
        "出口清单放行超过规定天数仍无收款信息（CEB403）：疑似虚假出口骗取退税或不收汇。",
    ),
    RuleSpec(
        "EXPORT_NOT_DEPARTED",
        "出口放行后货物未离境",
        "rebate_fraud",
        "high",
        "scan",
        ("export",),
        (_p("days", "放行后天数", int, "1", "365"), _p("min_lists", "清单数下限", int, "1", "100000")),
        {"days": 30, "min_lists": 2},
        "出口清单放行超过规定天数仍无离境信息：货物可能并未出口（骗退税、假出口）。",
    ),
)
CATALOGUE_BY_CODE = {spec.code: spec for spec in CATALOGUE}


def validate_thresholds(
    spec: RuleSpec, thresholds: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Normalise edited thresholds; return (clean, [(field, code, message)])."""
    clean: dict[str, Any] = {}
    errors: list[tuple[str, str, str]] = []
    known = {p.key for p in spec.params}
    for key in thresholds:
        if key not in known:
            errors.append((f"thresholds.{key}", "unknown_parameter", f"规则{spec.code}没有参数“{key}”"))
    for p in spec.params:
        raw = thresholds.get(p.key, spec.defaults.get(p.key))
        field = f"thresholds.{p.key}"
        try:
            value = Decimal(str(raw).strip())
        except ArithmeticError:
            errors.append((field, "not_a_number", f"{p.label}应为数字"))
            continue
        if not value.is_finite():
            errors.append((field, "not_a_number", f"{p.label}应为数字"))
            continue
        if p.kind is int and value != value.to_integral_value():
            errors.append((field, "not_integer", f"{p.label}应为整数"))
            continue
        if not (p.minimum <= value <= p.maximum):
            errors.append((field, "out_of_range", f"{p.label}应在{p.minimum}到{p.maximum}之间"))
            continue
        clean[p.key] = int(value) if p.kind is int else str(value)
    return clean, errors


def param_int(thresholds: dict[str, Any], key: str) -> int:
    return int(thresholds[key])


def param_decimal(thresholds: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(thresholds[key]))


# ---------------------------------------------------------------- pure decisions


def split_pattern(values_cny: list[Decimal], min_orders: int) -> bool:
    """Orders each under the single limit whose sum exceeds it (拆单)."""
    return (
        len(values_cny) >= min_orders
        and all(v <= SINGLE_LIMIT_CNY for v in values_cny)
        and sum(values_cny, Decimal("0")) > SINGLE_LIMIT_CNY
    )


def drains_quota(order_count: int, total_cny: Decimal, min_orders: int, quota_share: Decimal) -> bool:
    return order_count >= min_orders and total_cny >= ANNUAL_LIMIT_CNY * quota_share


def price_ratio(price: Decimal, reference: Decimal) -> Decimal | None:
    if reference <= 0:
        return None
    return price / reference


def is_undervalued(price: Decimal, reference: Decimal, min_ratio: Decimal) -> bool:
    ratio = price_ratio(price, reference)
    return ratio is not None and ratio < min_ratio


def is_over_invoiced(price: Decimal, reference: Decimal, max_ratio: Decimal) -> bool:
    ratio = price_ratio(price, reference)
    return ratio is not None and ratio > max_ratio


def outlier_direction(
    price: Decimal, samples: list[Decimal], factor: Decimal, min_samples: int
) -> str | None:
    """ "high" / "low" when the price is `factor` times above / below the samples' median."""
    usable = [s for s in samples if s > 0]
    if len(usable) < min_samples or price <= 0:
        return None
    return outlier_against_median(
        price, Decimal(str(statistics.median(usable))), len(usable), factor, min_samples
    )


def outlier_against_median(
    price: Decimal, median: Decimal | None, usable: int, factor: Decimal, min_samples: int
) -> str | None:
    """`outlier_direction` given the median of the `usable` (positive) samples, as the database
    computes it without handing the samples over."""
    if median is None or usable < min_samples or price <= 0:
        return None
    if price >= median * factor:
        return "high"
    if price * factor <= median:
        return "low"
    return None


def share_at_least(part: int, whole: int, min_share: Decimal, min_whole: int) -> bool:
    return whole >= min_whole and whole > 0 and Decimal(part) / Decimal(whole) >= min_share


def alert_deadline(severity: str, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=ALERT_DAYS.get(severity, 10))


def hit_rate(hits: int, evaluated: int) -> Decimal | None:
    return None if evaluated == 0 else Decimal(hits) / Decimal(evaluated)


def confirmed_rate(confirmed: int, decided: int) -> Decimal | None:
    return None if decided == 0 else Decimal(confirmed) / Decimal(decided)
