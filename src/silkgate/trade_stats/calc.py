"""Pure statistical calculations, no I/O: periods, year-on-year and month-on-month change, target
bounds and progress, the trend forecast, the zone assessment and the composite development index.

Methods and default weights are explained in docs/statistics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from silkgate.exceptions import FieldError

GRANULARITIES = ("day", "week", "month", "quarter", "year")
GRANULARITY_LABELS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
YI = Decimal(100_000_000)  # 亿元


# --- periods ------------------------------------------------------------------------------------


def period_start(day: dt.date, granularity: str) -> dt.date:
    """The first day of the period containing `day` (weeks start on Monday, ISO 8601)."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(granularity)


def next_period(start: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return start + dt.timedelta(days=1)
    if granularity == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return add_months(start, months)


def previous_period(start: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return start - dt.timedelta(days=1)
    if granularity == "week":
        return start - dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    return add_months(start, -months)


def same_period_last_year(start: dt.date, granularity: str) -> dt.date:
    """The period a year-on-year change compares with (ISO week n of the previous ISO year)."""
    if granularity == "week":
        iso_year, week, _ = start.isocalendar()
        try:
            return dt.date.fromisocalendar(iso_year - 1, week, 1)
        except ValueError:  # week 53 in a 52-week year: compare with week 52
            return dt.date.fromisocalendar(iso_year - 1, 52, 1)
    if start.month == 2 and start.day == 29:
        return dt.date(start.year - 1, 2, 28)
    return start.replace(year=start.year - 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def periods_between(date_from: dt.date, date_to: dt.date, granularity: str) -> list[dt.date]:
    out = []
    p = period_start(date_from, granularity)
    while p <= date_to:
        out.append(p)
        p = next_period(p, granularity)
    return out


def period_label(start: dt.date, granularity: str) -> str:
    if granularity == "day":
        return start.isoformat()
    if granularity == "week":
        iso_year, week, _ = start.isocalendar()
        return f"{iso_year}年第{week}周"
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


@dataclass(frozen=True)
class RangePlan:
    """How to read a date range from the rollups: whole months from month cells, plus day cells
    added, minus day cells subtracted (a partial month is read from whichever side has fewer days:
    1–24 November is the November cell less 25–30 November, which is also empty until it comes)."""

    months: tuple[dt.date, ...]
    add_days: tuple[tuple[dt.date, dt.date], ...]
    subtract_days: tuple[tuple[dt.date, dt.date], ...]


def month_end(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def plan_range(date_from: dt.date, date_to: dt.date) -> RangePlan:
    months: list[dt.date] = []
    add: list[tuple[dt.date, dt.date]] = []
    sub: list[tuple[dt.date, dt.date]] = []
    m = date_from.replace(day=1)
    while m <= date_to:
        first, last = m, month_end(m)
        lo, hi = max(first, date_from), min(last, date_to)
        covered = (hi - lo).days + 1
        uncovered = (last - first).days + 1 - covered
        if uncovered == 0:
            months.append(m)
        elif covered <= uncovered:
            add.append((lo, hi))
        else:
            months.append(m)
            if lo > first:
                sub.append((first, lo - dt.timedelta(days=1)))
            if hi < last:
                sub.append((hi + dt.timedelta(days=1), last))
        m = add_months(m, 1)
    return RangePlan(tuple(months), tuple(add), tuple(sub))


# --- change ---------------------------------------------------------------------------------------


def change_ratio(current: Decimal | int, previous: Decimal | int | None) -> Decimal | None:
    """(current - previous) / previous, 4 decimals; None when there is nothing to compare with."""
    if previous is None or Decimal(previous) == 0:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if Decimal(whole) == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- targets ------------------------------------------------------------------------------------

# Target bounds as the seed words them (REQUIREMENTS.md §2): 突破/超过 gt, 以上/达到/实现 ge,
# no qualifier eq, 1~2 range, 新增 increment (over the stock at the plan's base), share_ge (%).
BOUNDS = ("gt", "ge", "eq", "range", "increment", "share_ge", "none")


def bound_met(
    actual: Decimal,
    bound: str,
    value: Decimal | None,
    value_max: Decimal | None = None,
    baseline: Decimal = ZERO,
) -> bool | None:
    """Whether `actual` meets the target. None when the target has no number to compare with."""
    if value is None or bound == "none":
        return None
    if bound == "gt":
        return actual > value
    if bound in ("ge", "share_ge"):
        return actual >= value
    if bound == "eq":
        return actual >= value  # a plain count in a plan ("重点培育…10个") is met once reached
    if bound == "range":
        return value <= actual <= (value_max if value_max is not None else value)
    if bound == "increment":
        return actual - baseline >= value
    raise ValueError(bound)


def linear_trend(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """Least-squares line y = a + b·t over t = 0..n-1; returns (a, b). One point: flat."""
    n = len(values)
    if n == 0:
        return ZERO, ZERO
    if n == 1:
        return Decimal(values[0]), ZERO
    t_mean = Decimal(n - 1) / 2
    y_mean = sum(values, ZERO) / n
    sxx = sum(((Decimal(t) - t_mean) ** 2 for t in range(n)), ZERO)
    sxy = sum(((Decimal(t) - t_mean) * (Decimal(y) - y_mean) for t, y in enumerate(values)), ZERO)
    b = sxy / sxx
    return y_mean - b * t_mean, b


def forecast_months(history: Sequence[Decimal], ahead: int) -> list[Decimal]:
    """Project the next `ahead` monthly totals from the least-squares trend of `history`
    (at most the last 24 months), floored at zero."""
    window = list(history)[-24:]
    a, b = linear_trend(window)
    n = len(window)
    return [max(ZERO, a + b * (n + i)) for i in range(ahead)]


@dataclass
class TargetProgress:
    ref: str
    label: str
    metric: str
    year: int | None
    horizon: str
    unit: str
    bound: str
    bound_zh: str
    target: Decimal | None
    target_max: Decimal | None
    actual: Decimal | None
    progress: Decimal | None  # actual / target
    met: bool | None
    pace_needed_per_month: Decimal | None
    forecast: Decimal | None
    forecast_met: bool | None
    status: str  # met | on_track | behind | missed | no_data | not_measurable | no_number
    status_zh: str
    note: str = ""
    source_phrase: str = ""


STATUS_ZH = {
    "met": "已完成",
    "on_track": "按趋势可完成",
    "behind": "进度落后",
    "missed": "未完成",
    "no_data": "暂无数据",
    "not_measurable": "平台暂无该指标数据来源（可由综试办录入）",
    "no_number": "规划未给出数值",
}


def assess_target(
    *,
    actual: Decimal | None,
    bound: str,
    target: Decimal | None,
    target_max: Decimal | None,
    year: int | None,
    today: dt.date,
    monthly_history: Sequence[Decimal] = (),
    cumulative_in_year: bool = False,
    baseline: Decimal = ZERO,
) -> tuple[Decimal | None, bool | None, Decimal | None, Decimal | None, bool | None, str]:
    """(progress, met, pace needed per month, forecast, forecast met, status) for one target.

    `cumulative_in_year` marks a flow over the target year (trade value): the forecast adds the
    trend of the remaining months to the year so far. Stocks (enterprises, parks) are compared as
    they stand."""
    if target is None or bound == "none":
        return None, None, None, None, None, "no_number"
    if actual is None:
        return None, None, None, None, None, "not_measurable"
    compare = actual - baseline if bound == "increment" else actual
    progress = (compare / target).quantize(Decimal("0.0001")) if target else None
    met = bound_met(actual, bound, target, target_max, baseline)
    if year is None or not cumulative_in_year:
        status = "met" if met else ("behind" if year is None or year >= today.year else "missed")
        return progress, met, None, None, None, status
    if year < today.year:
        return progress, met, None, None, None, "met" if met else "missed"
    # The months after the current one up to the end of the target year are projected from the
    # trend of the complete months so far; the current (partial) month counts as it stands.
    months_after = 12 * (year - today.year) + 12 - today.month
    months_to_go = 12 - today.month + 1 if year == today.year else 12
    pace = max(ZERO, (target - compare) / months_to_go).quantize(Decimal("0.01"))
    projected = forecast_months(monthly_history, months_after)
    in_target_year = projected[-(12 if year > today.year else months_after) :] if months_after else []
    forecast = (compare + sum(in_target_year, ZERO)).quantize(Decimal("0.01"))
    forecast_met = bound_met(forecast, bound, target, target_max, ZERO)
    status = "met" if met else ("on_track" if forecast_met else "behind")
    return progress, met, pace, forecast, forecast_met, status


def average_annual_growth(first: Decimal, last: Decimal, years: int) -> Decimal | None:
    """Compound average annual growth (年均增长) from `first` to `last` over `years` years."""
    if years <= 0 or first <= 0 or last < 0:
        return None
    ratio = float(last / first) ** (1.0 / years)
    return Decimal(str(round(ratio - 1.0, 4)))


# --- assessment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    dimension: str
    unit: str
    benchmark: Decimal  # the value that scores 100 when the zone's plan gives no target
    how: str


DIMENSIONS = {
    "scale": "发展规模",
    "entities": "市场主体",
    "carriers": "载体建设",
    "innovation": "创新发展",
    "policy": "政策落实",
}
INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "trade_value_attainment",
        "跨境电商交易额目标完成率",
        "scale",
        "%",
        Decimal(1),
        "年度交易额 ÷ 当年规划目标",
    ),
    Indicator(
        "trade_growth",
        "交易额同比增速",
        "scale",
        "%",
        Decimal("0.30"),
        "增速30%及以上得满分，-30%及以下得0分",
    ),
    Indicator(
        "enterprises_filed",
        "备案跨境电商企业数",
        "entities",
        "家",
        Decimal(200),
        "对标规划企业目标（无目标时200家）",
    ),
    Indicator(
        "active_enterprises", "有实绩企业数", "entities", "家", Decimal(100), "当年有放行清单的电商企业"
    ),
    Indicator("new_enterprises", "当年新增备案企业数", "entities", "家", Decimal(50), "当年新备案企业"),
    Indicator("parks", "跨境电商产业园区数", "carriers", "个", Decimal(5), "对标规划园区目标（无目标时5个）"),
    Indicator(
        "overseas_warehouses",
        "公共海外仓数",
        "carriers",
        "个",
        Decimal(10),
        "对标规划海外仓目标（无目标时10个）",
    ),
    Indicator("high_tech_enterprises", "高新技术企业数", "innovation", "家", Decimal(20), "综试办录入"),
    Indicator(
        "new_mode_share",
        "B2B新模式（9710/9810）占出口比重",
        "innovation",
        "%",
        Decimal("0.30"),
        "9710+9810出口额 ÷ 出口额，30%得满分",
    ),
    Indicator(
        "markets_reached",
        "贸易伙伴国家（地区）数",
        "innovation",
        "个",
        Decimal(50),
        "当年有成交的国家（地区）",
    ),
    Indicator(
        "policy_measures", "政策措施落实项数", "policy", "项", Decimal(20), "综试办录入（规划措施已落地项数）"
    ),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}
# Figures the platform cannot count from its own records: the zone office enters them with a source.
MANUAL_INDICATORS = {
    "high_tech_enterprises": "高新技术企业数",
    "policy_measures": "政策措施落实项数",
    "parks": "跨境电商产业园区数（园区系统接入前）",
    "overseas_warehouses": "公共海外仓数（园区系统接入前）",
    "foreign_trade_total": "全市外贸进出口总额（元，用于占比目标）",
    "leading_enterprises": "龙头企业数",
    "platforms": "特色跨境电商平台数",
    "training_bases": "实训/孵化基地数",
    "talents": "跨境电商人才培训人数",
    "demo_parks": "省级示范园区数",
    "demo_enterprises": "省级示范企业数",
    "service_centres": "服务中心数",
}
DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "trade_value_attainment": Decimal("0.20"),
    "trade_growth": Decimal("0.15"),
    "enterprises_filed": Decimal("0.08"),
    "active_enterprises": Decimal("0.10"),
    "new_enterprises": Decimal("0.05"),
    "parks": Decimal("0.08"),
    "overseas_warehouses": Decimal("0.08"),
    "high_tech_enterprises": Decimal("0.04"),
    "new_mode_share": Decimal("0.05"),
    "markets_reached": Decimal("0.05"),
    "policy_measures": Decimal("0.12"),
}
# The four result tiers of the national evaluation of the zones (商务部等 综试区考核评估).
TIERS = (
    (Decimal(85), "成效明显"),
    (Decimal(70), "成效较好"),
    (Decimal(55), "成效初显"),
    (ZERO, "尚在起步阶段"),
)


def tier_for(score: Decimal) -> str:
    for floor, name in TIERS:
        if score >= floor:
            return name
    return TIERS[-1][1]


def validate_weights(weights: Mapping[str, Decimal]) -> list[FieldError]:
    errors = []
    for key, w in weights.items():
        if key not in INDICATOR_BY_KEY:
            errors.append(FieldError(f"weights.{key}", "unknown_indicator", f"未知指标“{key}”"))
        elif w < 0 or w > 1:
            errors.append(FieldError(f"weights.{key}", "out_of_range", "权重应在0到1之间"))
    if not errors and sum(weights.values(), ZERO) <= 0:
        errors.append(FieldError("weights", "all_zero", "至少一项指标的权重应大于0"))
    return errors


def indicator_score(key: str, value: Decimal, benchmark: Decimal) -> Decimal:
    """0..100: linear up to the benchmark; growth is linear from -benchmark (0) to +benchmark (100)."""
    if key == "trade_growth":
        raw = (value + benchmark) / (2 * benchmark) * HUNDRED
    else:
        raw = value / benchmark * HUNDRED if benchmark else ZERO
    return max(ZERO, min(HUNDRED, raw)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class IndicatorResult:
    key: str
    label: str
    dimension: str
    value: Decimal | None
    benchmark: Decimal
    weight: Decimal
    score: Decimal | None
    note: str = ""


@dataclass
class Assessment:
    year: int
    score: Decimal
    tier: str
    dimensions: list[dict[str, object]] = field(default_factory=list)
    indicators: list[IndicatorResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def assess(
    year: int,
    values: Mapping[str, Decimal | None],
    weights: Mapping[str, Decimal],
    benchmarks: Mapping[str, Decimal] | None = None,
) -> Assessment:
    """Score each indicator, weight them (weights of indicators with no data are shared out over the
    others so a gap neither rewards nor punishes), and name the tier."""
    benchmarks = benchmarks or {}
    results = []
    usable = ZERO
    for ind in INDICATORS:
        weight = Decimal(weights.get(ind.key, ZERO))
        value = values.get(ind.key)
        bench = benchmarks.get(ind.key) or ind.benchmark
        score = None if value is None else indicator_score(ind.key, value, bench)
        if score is not None:
            usable += weight
        results.append(IndicatorResult(ind.key, ind.label, ind.dimension, value, bench, weight, score))
    total = ZERO
    for r in results:
        if r.score is not None and usable > 0:
            total += r.score * r.weight / usable
    total = total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    dims = []
    for key, label in DIMENSIONS.items():
        members = [r for r in results if r.dimension == key]
        w = sum((r.weight for r in members), ZERO)
        scored = [r for r in members if r.score is not None]
        sw = sum((r.weight for r in scored), ZERO)
        dim_score = (
            (sum((r.score * r.weight for r in scored if r.score is not None), ZERO) / sw).quantize(
                Decimal("0.1")
            )
            if sw
            else None
        )
        dims.append({"key": key, "label": label, "weight": w, "score": dim_score})
    missing = [r.label for r in results if r.score is None and r.weight > 0]
    return Assessment(year, total, tier_for(total), dims, results, missing)


# --- composite development index -------------------------------------------------------------------

# Components of the composite index and their weights (docs/statistics.md): each is the trailing
# 12-month figure relative to the base window's.
INDEX_COMPONENTS: dict[str, tuple[str, Decimal]] = {
    "value_cny": ("交易额", Decimal("0.40")),
    "list_count": ("清单票数", Decimal("0.20")),
    "active_sellers": ("有实绩企业数", Decimal("0.20")),
    "countries": ("贸易伙伴国家（地区）数", Decimal("0.10")),
    "hs_chapters": ("商品类章数", Decimal("0.10")),
}


def composite_index(windows: Sequence[Mapping[str, Decimal]]) -> list[Decimal | None]:
    """Index per window: 100 × Σ wᵢ · xᵢ,t / xᵢ,base, the base being the first window in which every
    component is positive. Windows before the base have no index (None)."""
    base_index = next(
        (i for i, w in enumerate(windows) if all(Decimal(w.get(k, 0)) > 0 for k in INDEX_COMPONENTS)), None
    )
    out: list[Decimal | None] = []
    for i, w in enumerate(windows):
        if base_index is None or i < base_index:
            out.append(None)
            continue
        base = windows[base_index]
        total = ZERO
        for key, (_label, weight) in INDEX_COMPONENTS.items():
            total += weight * Decimal(w.get(key, 0)) / Decimal(base[key])
        out.append((total * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return out


def to_yi(value: Decimal) -> Decimal:
    return (value / YI).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
