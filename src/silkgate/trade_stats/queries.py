"""The dashboard's questions, answered from the rollups only (day grain at the edges of a range,
month grain in between), so that their time does not grow with the number of lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from silkgate.declarations.service import flush_pending
from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.kit.codelists import country_name, currencies
from silkgate.models.registry import Enterprise
from silkgate.models.trade_stats import StatRollup
from silkgate.models.zone import Zone
from silkgate.trade_stats import calc
from silkgate.trade_stats.hs_chapters import chapter_label
from silkgate.trade_stats.rollup import OWNER_DIMENSIONS, ROLE_DIMENSIONS, ZONE_DIMENSIONS
from silkgate.trade_stats.service import DIRECTIONS, TRADE_MODES, StatsScope

ZERO = Decimal(0)
NOT_PARTNERS = ("142", "")  # the zone's own country and lists with no partner attributed
DIMENSION_LABELS = {
    "total": "合计",
    "country": "国家（地区）",
    "region": "洲别",
    "hs2": "商品类章（HS 2位）",
    "hs4": "商品品目（HS 4位）",
    "currency": "币制",
    "customs": "申报海关",
    "seller": "电商企业",
    "platform": "电商平台",
    "logistics": "物流企业",
    "payment": "支付企业",
    "agent": "申报企业（报关）",
    "warehouse": "仓储企业",
    "trade_mode": "贸易方式",
    "zone": "综试区",
}
TRADE_MODE_LABELS = {
    "9610": "9610 直购/零售",
    "1210": "1210 保税电商",
    "1239": "1239 保税电商A",
    "9710": "9710 B2B直接出口",
    "9810": "9810 出口海外仓",
}
DIRECTION_LABELS = {"import": "进口", "export": "出口"}
# The first digit of a customs country code is its continent (海关统计国别（地区）代码).
REGIONS = {
    "1": "亚洲",
    "2": "非洲",
    "3": "欧洲",
    "4": "拉丁美洲",
    "5": "北美洲",
    "6": "大洋洲",
    "7": "其他",
    "9": "其他",
}


@dataclass
class Measures:
    list_count: int = 0
    value_cny: Decimal = ZERO
    value_usd: Decimal = ZERO
    tax_cny: Decimal = ZERO
    returned_count: int = 0
    returned_value_cny: Decimal = ZERO
    value_orig: Decimal = ZERO
    historical: bool = False

    def add(self, other: Measures) -> None:
        self.list_count += other.list_count
        self.value_cny += other.value_cny
        self.value_usd += other.value_usd
        self.tax_cny += other.tax_cny
        self.returned_count += other.returned_count
        self.returned_value_cny += other.returned_value_cny
        self.value_orig += other.value_orig
        self.historical = self.historical or other.historical

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_count": self.list_count,
            "value_cny": self.value_cny,
            "value_usd": self.value_usd,
            "tax_cny": self.tax_cny,
            "returned_count": self.returned_count,
            "returned_value_cny": self.returned_value_cny,
        }


@dataclass(frozen=True)
class Filters:
    direction: str | None = None
    trade_mode: str | None = None

    def validate(self) -> Filters:
        errors = []
        if self.direction is not None and self.direction not in DIRECTIONS:
            errors.append(FieldError("direction", "bad_direction", "进出口方向应为 import 或 export"))
        if self.trade_mode is not None and self.trade_mode not in TRADE_MODES:
            errors.append(FieldError("trade_mode", "bad_trade_mode", f"贸易方式应为 {'/'.join(TRADE_MODES)}"))
        if errors:
            raise ValidationFailed(errors)
        return self


def check_range(date_from: dt.date, date_to: dt.date, *, max_days: int | None = None) -> None:
    errors = []
    if date_to < date_from:
        errors.append(FieldError("date_to", "before_start", "截止日期不能早于起始日期"))
    if max_days is not None and (date_to - date_from).days + 1 > max_days:
        errors.append(FieldError("date_to", "range_too_long", f"查询区间不能超过{max_days}天"))
    if errors:
        raise ValidationFailed(errors)


_SUMS = (
    func.sum(StatRollup.list_count),
    func.sum(StatRollup.value_cny),
    func.sum(StatRollup.value_usd),
    func.sum(StatRollup.tax_cny),
    func.sum(StatRollup.returned_count),
    func.sum(StatRollup.returned_value_cny),
    func.sum(StatRollup.value_orig),
)


def _measures(row: Any, offset: int) -> Measures:
    return Measures(
        int(row[offset] or 0),
        Decimal(row[offset + 1] or 0),
        Decimal(row[offset + 2] or 0),
        Decimal(row[offset + 3] or 0),
        int(row[offset + 4] or 0),
        Decimal(row[offset + 5] or 0),
        Decimal(row[offset + 6] or 0),
    )


def _scope_where(
    scope: StatsScope | Iterable[str], dimension: str, filters: Filters, include_historical: bool
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if isinstance(scope, StatsScope):
        where += [
            StatRollup.zone_code == scope.zone_code,
            StatRollup.owner_enterprise_id == scope.owner_enterprise_id,
        ]
    else:
        where += [StatRollup.zone_code.in_(list(scope)), StatRollup.owner_enterprise_id == 0]
    where.append(StatRollup.dimension == dimension)
    if filters.direction:
        where.append(StatRollup.direction == filters.direction)
    if filters.trade_mode:
        where.append(StatRollup.trade_mode == filters.trade_mode)
    if not include_historical:
        where.append(StatRollup.source == "lists")
    return where


def _range_parts(date_from: dt.date, date_to: dt.date) -> tuple[ColumnElement[bool], Any]:
    """The WHERE clause of a range and the sign each row counts with (see calc.plan_range)."""
    plan = calc.plan_range(date_from, date_to)
    day = StatRollup.grain == "d"
    parts: list[ColumnElement[bool]] = [and_(day, StatRollup.period.between(a, b)) for a, b in plan.add_days]
    subtract = [and_(day, StatRollup.period.between(a, b)) for a, b in plan.subtract_days]
    parts += subtract
    if plan.months:
        parts.append(StatRollup.period.in_(plan.months) & (StatRollup.grain == "m"))
    sign = case((or_(*subtract), -1), else_=1) if subtract else None
    return or_(*parts), sign


def _signed_sums(sign: Any) -> tuple[Any, ...]:
    if sign is None:
        return _SUMS
    cols = (
        StatRollup.list_count,
        StatRollup.value_cny,
        StatRollup.value_usd,
        StatRollup.tax_cny,
        StatRollup.returned_count,
        StatRollup.returned_value_cny,
        StatRollup.value_orig,
    )
    return tuple(func.sum(c * sign) for c in cols)


def sums_by(
    session: Session,
    scope: StatsScope | Iterable[str],
    dimension: str,
    date_from: dt.date,
    date_to: dt.date,
    filters: Filters = Filters(),
    *,
    group: tuple[str, ...] = ("dim_key",),
    include_historical: bool = False,
) -> dict[tuple[Any, ...], Measures]:
    """Measures summed over [date_from, date_to], grouped by rollup key columns."""
    flush_pending(session)  # rollup deltas deferred to the end of the transaction
    allowed = OWNER_DIMENSIONS if isinstance(scope, StatsScope) and scope.is_enterprise else ZONE_DIMENSIONS
    if dimension not in allowed:
        raise ValidationFailed(
            [
                FieldError(
                    "dimension",
                    "dimension_not_available",
                    f"该视图不提供按“{DIMENSION_LABELS.get(dimension, dimension)}”分组",
                )
            ]
        )
    cols = [getattr(StatRollup, g) for g in group]
    where = _scope_where(scope, dimension, filters, include_historical)
    clause, sign = _range_parts(date_from, date_to)
    q = select(*cols, *_signed_sums(sign)).where(*where, clause).group_by(*cols)
    out: dict[tuple[Any, ...], Measures] = {}
    for row in session.execute(q):
        out[tuple(row[: len(cols)])] = _measures(row, len(cols))
    return out


# --- headline -----------------------------------------------------------------------------------


def _by_direction(
    session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date
) -> dict[str, Measures]:
    """Totals of a range per direction and overall ("all"), in one query."""
    out: dict[str, Measures] = defaultdict(Measures)
    rows = sums_by(
        session, scope, "total", date_from, date_to, group=("direction", "source"), include_historical=True
    )
    for (direction, source), m in rows.items():
        if source == "historical" and (m.list_count != 0 or m.value_cny != 0):
            m.historical = True
        out[direction].add(m)
        out["all"].add(m)
    return out


def headline(session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The period's totals with year-on-year and period-on-period change, import and export apart."""
    days = (date_to - date_from).days + 1
    prev_to = date_from - dt.timedelta(days=1)
    prev_from = prev_to - dt.timedelta(days=days - 1)
    ly_from, ly_to = calc.same_period_last_year(date_from, "day"), calc.same_period_last_year(date_to, "day")
    now_all = _by_direction(session, scope, date_from, date_to)
    ly_all = _by_direction(session, scope, ly_from, ly_to)
    prev_all = _by_direction(session, scope, prev_from, prev_to)
    out: dict[str, Any] = {"date_from": date_from, "date_to": date_to, "figures": []}
    for direction in ("all", "import", "export"):
        now, last_year, previous = now_all[direction], ly_all[direction], prev_all[direction]
        out["figures"].append(
            {
                "direction": direction,
                "label": DIRECTION_LABELS.get(direction, "进出口合计"),
                **now.as_dict(),
                "yoy": calc.change_ratio(now.value_cny, last_year.value_cny),
                "pop": calc.change_ratio(now.value_cny, previous.value_cny),
                "count_yoy": calc.change_ratio(now.list_count, last_year.list_count),
                "includes_historical": now.historical,
            }
        )
    return out


# --- series -------------------------------------------------------------------------------------


def series(
    session: Session,
    scope: StatsScope,
    granularity: str,
    date_from: dt.date,
    date_to: dt.date,
    filters: Filters = Filters(),
    *,
    split_by_mode: bool = False,
) -> dict[str, Any]:
    """Value and count per period with year-on-year and period-on-period (环比) change."""
    flush_pending(session)  # rollup deltas deferred to the end of the transaction
    if granularity not in calc.GRANULARITIES:
        raise ValidationFailed(
            [FieldError("granularity", "bad_granularity", "时间粒度应为 day/week/month/quarter/year")]
        )
    check_range(date_from, date_to, max_days=800 if granularity in ("day", "week") else None)
    periods = calc.periods_between(date_from, date_to, granularity)
    if not periods:
        return {"granularity": granularity, "periods": []}
    # The periods shown with the one before them (MoM), and the same stretch a year earlier (YoY).
    first = calc.previous_period(periods[0], granularity)
    last_end = calc.next_period(periods[-1], granularity) - dt.timedelta(days=1)
    ly_first = calc.same_period_last_year(first, granularity)
    ly_end = calc.next_period(
        calc.same_period_last_year(periods[-1], granularity), granularity
    ) - dt.timedelta(days=1)
    grain = "d" if granularity in ("day", "week") else "m"
    where = _scope_where(scope, "total", filters, include_historical=True)
    q = (
        select(StatRollup.period, StatRollup.source, StatRollup.trade_mode, *_SUMS)
        .where(
            *where,
            StatRollup.grain == grain,
            or_(StatRollup.period.between(first, last_end), StatRollup.period.between(ly_first, ly_end)),
        )
        .group_by(StatRollup.period, StatRollup.source, StatRollup.trade_mode)
    )
    buckets: dict[dt.date, Measures] = defaultdict(Measures)
    by_mode: dict[tuple[dt.date, str], Measures] = defaultdict(Measures)
    for row in session.execute(q):
        m = _measures(row, 3)
        m.historical = row[1] == "historical" and (m.list_count != 0 or m.value_cny != 0)
        start = calc.period_start(row[0], granularity)
        buckets[start].add(m)
        by_mode[(start, row[2])].add(m)
    rows = []
    for p in periods:
        m = buckets.get(p, Measures())
        ly = buckets.get(calc.same_period_last_year(p, granularity))
        prev = buckets.get(calc.previous_period(p, granularity))
        item = {
            "period": p,
            "label": calc.period_label(p, granularity),
            **m.as_dict(),
            "yoy": calc.change_ratio(m.value_cny, ly.value_cny if ly else None),
            "mom": calc.change_ratio(m.value_cny, prev.value_cny if prev else None),
            "count_yoy": calc.change_ratio(m.list_count, ly.list_count if ly else None),
            "count_mom": calc.change_ratio(m.list_count, prev.list_count if prev else None),
            "historical": m.historical,
        }
        if split_by_mode:
            item["by_mode"] = {
                mode: by_mode[(p, mode)].value_cny for mode in TRADE_MODES if (p, mode) in by_mode
            }
        rows.append(item)
    return {"granularity": granularity, "periods": rows}


# --- breakdowns ---------------------------------------------------------------------------------


def _labels(session: Session, dimension: str, keys: Iterable[str]) -> dict[str, str]:
    keys = [k for k in keys if k]
    if dimension == "country":
        return {k: country_name(k) for k in keys}
    if dimension == "hs2":
        return {k: chapter_label(k) for k in keys}
    if dimension == "hs4":
        return {k: f"{k}（{chapter_label(k[:2])}）" for k in keys}
    if dimension == "currency":
        names = currencies()
        return {k: names.get(k, k) for k in keys}
    if dimension == "customs":
        return {k: f"关区 {k}" for k in keys}
    if dimension in ROLE_DIMENSIONS:
        ids = [int(k) for k in keys if k.isdigit()]
        if not ids:
            return {}
        rows = session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))
        return {str(i): n for i, n in rows}
    return {}


def breakdown(
    session: Session,
    scope: StatsScope,
    dimension: str,
    date_from: dt.date,
    date_to: dt.date,
    filters: Filters = Filters(),
    *,
    limit: int = 20,
) -> dict[str, Any]:
    """Ranking by one dimension with shares and year-on-year change; `region` folds countries
    into continents, `trade_mode` is the mode mix (with returns)."""
    check_range(date_from, date_to)
    ly_from, ly_to = calc.same_period_last_year(date_from, "day"), calc.same_period_last_year(date_to, "day")
    if dimension == "trade_mode":
        now = {
            (f"{d}:{m}",): v
            for (d, m), v in sums_by(
                session, scope, "total", date_from, date_to, filters, group=("direction", "trade_mode")
            ).items()
        }
        before = {
            (f"{d}:{m}",): v
            for (d, m), v in sums_by(
                session, scope, "total", ly_from, ly_to, filters, group=("direction", "trade_mode")
            ).items()
        }
        labels = {
            k[0]: f"{DIRECTION_LABELS[k[0].split(':')[0]]} {TRADE_MODE_LABELS.get(k[0].split(':')[1], k[0])}"
            for k in now
        }
    else:
        source_dim = "country" if dimension == "region" else dimension
        now = sums_by(session, scope, source_dim, date_from, date_to, filters)
        before = sums_by(session, scope, source_dim, ly_from, ly_to, filters)
        if source_dim == "country":  # China and the unattributed are no trading partners
            now = {k: v for k, v in now.items() if k[0] not in NOT_PARTNERS}
            before = {k: v for k, v in before.items() if k[0] not in NOT_PARTNERS}
        if dimension == "region":
            now, before = _fold_regions(now), _fold_regions(before)
            labels = {k[0]: REGIONS.get(k[0], "其他") for k in now}
        else:
            labels = _labels(session, dimension, [k[0] for k in now])
    total_value = sum((m.value_cny for m in now.values()), ZERO)
    ranked = sorted(now.items(), key=lambda kv: (-kv[1].value_cny, str(kv[0][0])))
    rows = []
    for (key,), m in ranked:
        if m.list_count == 0 and m.value_cny == 0 and m.returned_count == 0:
            continue
        ly = before.get((key,))
        rows.append(
            {
                "key": key,
                "label": labels.get(key) or (key or "未申报"),
                **m.as_dict(),
                "value_orig": m.value_orig if dimension == "currency" else None,
                "share": calc.share(m.value_cny, total_value),
                "yoy": calc.change_ratio(m.value_cny, ly.value_cny if ly else None),
            }
        )
    shown = rows[:limit] if limit else rows
    rest = rows[len(shown) :]
    return {
        "dimension": dimension,
        "label": DIMENSION_LABELS.get(dimension, dimension),
        "date_from": date_from,
        "date_to": date_to,
        "total_value_cny": total_value,
        "rows": shown,
        "others": {
            "count": len(rest),
            "value_cny": sum((r["value_cny"] for r in rest), ZERO),
            "list_count": sum((r["list_count"] for r in rest), 0),
        },
    }


def _fold_regions(rows: dict[tuple[Any, ...], Measures]) -> dict[tuple[Any, ...], Measures]:
    out: dict[tuple[Any, ...], Measures] = defaultdict(Measures)
    for (key,), m in rows.items():
        out[(str(key)[:1] if key else "7",)].add(m)
    return dict(out)


# --- zones of a province --------------------------------------------------------------------------


def province_comparison(
    session: Session, zone_code: str, date_from: dt.date, date_to: dt.date, filters: Filters = Filters()
) -> dict[str, Any]:
    """The zones of the reader's province ranked by trade value (aggregate figures only)."""
    own = session.get(Zone, zone_code)
    if own is None:
        return {"province": None, "zones": []}
    zones = list(
        session.scalars(select(Zone).where(Zone.province_code == own.province_code).order_by(Zone.code))
    )
    codes = [z.code for z in zones]
    ly_from, ly_to = calc.same_period_last_year(date_from, "day"), calc.same_period_last_year(date_to, "day")
    now = sums_by(
        session, codes, "total", date_from, date_to, filters, group=("zone_code",), include_historical=True
    )
    before = sums_by(
        session, codes, "total", ly_from, ly_to, filters, group=("zone_code",), include_historical=True
    )
    total = sum((m.value_cny for m in now.values()), ZERO)
    rows = []
    for z in zones:
        m = now.get((z.code,), Measures())
        ly = before.get((z.code,))
        rows.append(
            {
                "zone_code": z.code,
                "short": z.short,
                "name": z.name,
                "city": z.city,
                "own": z.code == zone_code,
                **m.as_dict(),
                "share": calc.share(m.value_cny, total),
                "yoy": calc.change_ratio(m.value_cny, ly.value_cny if ly else None),
            }
        )
    rows.sort(key=lambda r: (-r["value_cny"], r["zone_code"]))
    for rank, r in enumerate(rows, start=1):
        r["rank"] = rank
    return {
        "province": own.province,
        "province_code": own.province_code,
        "total_value_cny": total,
        "zones": rows,
    }


# --- monthly figures for targets, the index and reports -------------------------------------------------


def monthly_totals(
    session: Session,
    scope: StatsScope,
    month_from: dt.date,
    month_to: dt.date,
    filters: Filters = Filters(),
    *,
    directions: tuple[str, ...] | None = None,
    trade_modes: tuple[str, ...] | None = None,
    include_historical: bool = True,
) -> dict[dt.date, Measures]:
    flush_pending(session)  # rollup deltas deferred to the end of the transaction
    where = _scope_where(scope, "total", filters, include_historical=include_historical)
    if directions:
        where.append(StatRollup.direction.in_(directions))
    if trade_modes:
        where.append(StatRollup.trade_mode.in_(trade_modes))
    q = (
        select(StatRollup.period, *_SUMS)
        .where(*where, StatRollup.grain == "m", StatRollup.period.between(month_from, month_to))
        .group_by(StatRollup.period)
    )
    return {row[0]: _measures(row, 1) for row in session.execute(q)}


def distinct_keys_by_month(
    session: Session, scope: StatsScope, dimension: str, month_from: dt.date, month_to: dt.date
) -> dict[dt.date, set[str]]:
    """Keys (sellers, countries, chapters) with trade in each month."""
    flush_pending(session)  # rollup deltas deferred to the end of the transaction
    where = _scope_where(scope, dimension, Filters(), include_historical=False)
    q = (
        select(StatRollup.period, StatRollup.dim_key)
        .where(*where, StatRollup.grain == "m", StatRollup.period.between(month_from, month_to))
        .group_by(StatRollup.period, StatRollup.dim_key)
        .having(func.sum(StatRollup.list_count) > 0)
    )
    out: dict[dt.date, set[str]] = defaultdict(set)
    for period, key in session.execute(q):
        if dimension == "country" and key in NOT_PARTNERS:
            continue
        out[period].add(key)
    return out


@dataclass
class IndexPoint:
    month: dt.date
    index: Decimal | None = None
    components: dict[str, Decimal] = field(default_factory=dict)


def development_index(
    session: Session, scope: StatsScope, month_to: dt.date, months: int = 36
) -> list[IndexPoint]:
    """The composite development index for each month: trailing-12-month figures of the platform's
    own lists against the first window (docs/statistics.md). A window counts only once it lies
    wholly after the first month with lists (a partial window would show growth that is not there);
    imported historical totals have no breakdown and are not part of the index."""
    month_to = month_to.replace(day=1)
    start = calc.add_months(month_to, -(months + 11))
    totals_by_month = monthly_totals(session, scope, start, month_to, include_historical=False)
    first_listed = min((m for m, v in totals_by_month.items() if v.list_count > 0), default=None)
    sellers = (
        distinct_keys_by_month(session, scope, "seller", start, month_to) if not scope.is_enterprise else {}
    )
    countries = distinct_keys_by_month(session, scope, "country", start, month_to)
    chapters = distinct_keys_by_month(session, scope, "hs2", start, month_to)
    windows: list[dict[str, Decimal]] = []
    points: list[IndexPoint] = []
    for i in range(months):
        end = calc.add_months(start, 11 + i)
        window = [calc.add_months(end, -j) for j in range(12)]
        value = sum((totals_by_month[m].value_cny for m in window if m in totals_by_month), ZERO)
        count = sum((totals_by_month[m].list_count for m in window if m in totals_by_month), 0)
        comp = {
            "value_cny": value,
            "list_count": Decimal(count),
            "active_sellers": Decimal(len(set().union(*(sellers.get(m, set()) for m in window))))
            if sellers
            else Decimal(1),
            "countries": Decimal(len(set().union(*(countries.get(m, set()) for m in window)))),
            "hs_chapters": Decimal(len(set().union(*(chapters.get(m, set()) for m in window)))),
        }
        if first_listed is None or window[-1] < first_listed:
            comp = {k: Decimal(0) for k in comp}  # not a complete window of list data yet
        windows.append(comp)
        points.append(IndexPoint(end, components=comp))
    for point, index in zip(points, calc.composite_index(windows), strict=True):
        point.index = index
    return points
