"""Market entities, plan targets against actuals, and the zone assessment (national evaluation shape).

The value metric differs by zone (REQUIREMENTS.md §2, STA-11): YC counts import+export value,
DT only *retail* import+export (9610/1210/1239), the Shandong zones "transaction scale" or "annual
transaction value" (all modes), HZ a *share* of the city's foreign trade; they are never summed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth.kinds import ROLE_LABELS
from silkgate.models.registry import Enterprise, EnterpriseRole
from silkgate.models.zone import Zone, ZoneTarget
from silkgate.trade_stats import calc
from silkgate.trade_stats.queries import Filters, distinct_keys_by_month, monthly_totals, sums_by
from silkgate.trade_stats.service import StatsScope, indicator_values, weights_for

ZERO = Decimal(0)
RETAIL_MODES = ("9610", "1210", "1239")
# Zones whose value target counts retail trade only (DT-T1 「零售進出口額」).
RETAIL_VALUE_ZONES = ("DT",)
TRADE_VALUE_METRICS = ("trade_value", "retail_trade_value", "transaction_scale", "annual_transaction_value")


# --- market entities ----------------------------------------------------------------------------


def _parks_module() -> Any:
    name = "silkgate.parks.service"
    if importlib.util.find_spec("silkgate.parks") is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _parks_counts(session: Session, zone_code: str) -> dict[str, int] | None:
    """Parks, incubators and overseas warehouses by their Chinese label, from the park registry when
    it is installed (`silkgate.parks.service.entity_counts(session, zone_code)`)."""
    module = _parks_module()
    fn = getattr(module, "entity_counts", None) if module else None
    if not callable(fn):
        return None
    return {str(k): int(v) for k, v in dict(fn(session, zone_code)).items()}


# Park registry kinds -> the indicators and target metrics they count for.
CARRIER_METRICS = {
    "industrial_park": "parks",
    "public_overseas_warehouse": "overseas_warehouses",
    "training_base": "training_bases",
    "incubator": "incubators",
}


def _carrier_counts(session: Session, zone_code: str) -> dict[str, int]:
    """Carrier counts keyed by indicator (parks, overseas_warehouses, ...); empty without the registry."""
    module = _parks_module()
    fn = getattr(module, "counts_by_type", None) if module else None
    if not callable(fn):
        return {}
    counts = dict(fn(session, zone_code))
    return {metric: int(counts.get(kind, 0)) for kind, metric in CARRIER_METRICS.items()}


def market_entities(
    session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date
) -> dict[str, Any]:
    """Enterprises filed (approved) and active (with released lists in the period) by role, and new
    filings in the period; parks and overseas warehouses from the park registry."""
    zone = scope.zone_code
    filed = dict(
        session.execute(
            select(EnterpriseRole.role, func.count(func.distinct(Enterprise.id)))
            .join(Enterprise, Enterprise.id == EnterpriseRole.enterprise_id)
            .where(Enterprise.zone_code == zone, Enterprise.status == "approved")
            .group_by(EnterpriseRole.role)
        ).all()
    )
    bj = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime.combine(date_from, dt.time(), bj)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), bj)
    new = dict(
        session.execute(
            select(EnterpriseRole.role, func.count(func.distinct(Enterprise.id)))
            .join(Enterprise, Enterprise.id == EnterpriseRole.enterprise_id)
            .where(Enterprise.zone_code == zone, Enterprise.created_at >= start, Enterprise.created_at < end)
            .group_by(EnterpriseRole.role)
        ).all()
    )
    zone_scope = StatsScope(zone)
    role_dims = {
        "seller": "seller",
        "platform": "platform",
        "logistics": "logistics",
        "payment": "payment",
        "broker": "agent",
        "warehouse": "warehouse",
    }
    active: dict[str, int] = {}
    for role, dim in role_dims.items():
        rows = sums_by(session, zone_scope, dim, date_from, date_to)
        active[role] = sum(1 for m in rows.values() if m.list_count > 0)
    total_filed = (
        session.scalar(
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.zone_code == zone, Enterprise.status == "approved")
        )
        or 0
    )
    total_new = (
        session.scalar(
            select(func.count())
            .select_from(Enterprise)
            .where(Enterprise.zone_code == zone, Enterprise.created_at >= start, Enterprise.created_at < end)
        )
        or 0
    )
    roles = [
        {
            "role": role,
            "label": label,
            "filed": int(filed.get(role, 0)),
            "active": active.get(role),
            "new": int(new.get(role, 0)),
        }
        for role, label in ROLE_LABELS.items()
    ]
    return {
        "date_from": date_from,
        "date_to": date_to,
        "filed_total": int(total_filed),
        "new_total": int(total_new),
        "roles": roles,
        "parks": _parks_counts(session, zone),
    }


# --- actuals for targets and indicators -------------------------------------------------------------


def year_value(
    session: Session, zone: Zone, year: int, *, retail_only: bool = False, b2b_export: bool = False
) -> Decimal:
    scope = StatsScope(zone.code)
    months = monthly_totals(
        session,
        scope,
        dt.date(year, 1, 1),
        dt.date(year, 12, 1),
        directions=("export",) if b2b_export else None,
        trade_modes=("9710",) if b2b_export else (RETAIL_MODES if retail_only else None),
    )
    return sum((m.value_cny for m in months.values()), ZERO)


def monthly_history(
    session: Session, zone: Zone, today: dt.date, *, retail_only: bool = False, b2b_export: bool = False
) -> list[Decimal]:
    """Complete months up to the one before `today`, oldest first (gaps are zero)."""
    last = calc.add_months(today.replace(day=1), -1)
    first = calc.add_months(last, -23)
    months = monthly_totals(
        session,
        StatsScope(zone.code),
        first,
        last,
        directions=("export",) if b2b_export else None,
        trade_modes=("9710",) if b2b_export else (RETAIL_MODES if retail_only else None),
    )
    out = []
    m = first
    while m <= last:
        out.append(months[m].value_cny if m in months else ZERO)
        m = calc.add_months(m, 1)
    # Leading months before the zone had any figure are not part of its trend.
    while out and out[0] == 0:
        out.pop(0)
    return out


def approved_enterprises(session: Session, zone_code: str, *, until: dt.date | None = None) -> int:
    q = (
        select(func.count())
        .select_from(Enterprise)
        .where(Enterprise.zone_code == zone_code, Enterprise.status == "approved")
    )
    if until is not None:
        bj = dt.timezone(dt.timedelta(hours=8))
        q = q.where(Enterprise.created_at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), bj))
    return int(session.scalar(q) or 0)


def exporting_enterprises(session: Session, zone_code: str, year: int) -> int:
    rows = sums_by(
        session,
        StatsScope(zone_code),
        "seller",
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        Filters(direction="export"),
    )
    return sum(1 for m in rows.values() if m.list_count > 0)


def _zone_value_kind(zone: Zone, metric: str) -> dict[str, bool]:
    retail = metric == "retail_trade_value" or zone.short in RETAIL_VALUE_ZONES
    return {"retail_only": retail, "b2b_export": metric == "b2b_export_value"}


def target_actual(
    session: Session, zone: Zone, target: ZoneTarget, today: dt.date, manual: dict[tuple[int, str], Decimal]
) -> tuple[Decimal | None, bool, str]:
    """(actual in the target's unit, is a flow over the year, note) for one target."""
    year = target.year or today.year
    metric = target.metric
    if metric in TRADE_VALUE_METRICS or metric == "b2b_export_value":
        kind = _zone_value_kind(zone, metric)
        value = year_value(session, zone, year, **kind)
        note = (
            "零售进出口额（9610/1210/1239）"
            if kind["retail_only"]
            else ("9710 B2B直接出口额" if kind["b2b_export"] else "跨境电商进出口额（全部模式）")
        )
        return calc.to_yi(value) if target.unit.startswith("亿") else value, True, note
    if metric in ("trade_share", "share_of_foreign_trade"):
        foreign = manual.get((year, "foreign_trade_total"))
        if not foreign:
            return None, False, "需综试办录入当年全市外贸进出口总额"
        value = year_value(session, zone, year)
        return (value / foreign * 100).quantize(Decimal("0.01")), False, "跨境电商交易额 ÷ 全市外贸进出口总额"
    if metric in ("growth_rate", "annual_growth", "average_growth"):
        base_year = zone.plan_date.year - 1
        last_year = min(year, today.year - 1)
        first = year_value(session, zone, base_year)
        last = year_value(session, zone, last_year)
        growth = calc.average_annual_growth(first, last, last_year - base_year)
        if growth is None:
            return None, False, f"缺少{base_year}年基数"
        return (growth * 100).quantize(Decimal("0.01")), False, f"{base_year}—{last_year}年复合年均增长"
    if metric in ("enterprises", "cbec_enterprises"):
        return Decimal(approved_enterprises(session, zone.code)), False, "已备案（审核通过）企业"
    if metric in ("export_enterprises", "exporting_enterprises"):
        return (
            Decimal(exporting_enterprises(session, zone.code, min(year, today.year))),
            False,
            "当年有出口实绩企业",
        )
    if (year, metric) in manual:
        return manual[(year, metric)], False, "综试办录入"
    carriers = _carrier_counts(session, zone.code)
    if metric in carriers:
        return Decimal(carriers[metric]), False, "产业园区系统（在册且未关闭）"
    latest = max((y for (y, m) in manual if m == metric), default=None)
    if latest is not None:
        return manual[(latest, metric)], False, f"综试办录入（{latest}年）"
    return None, False, ""


def plain(value: Decimal | None) -> Decimal | None:
    """20.00000 -> 20 (targets are shown as the plan words them)."""
    return None if value is None else Decimal(format(value.normalize(), "f"))


def targets_progress(session: Session, zone_code: str, today: dt.date) -> list[calc.TargetProgress]:
    zone = session.get(Zone, zone_code)
    if zone is None:
        return []
    manual = indicator_values(session, zone_code)
    out = []
    targets = sorted(
        session.scalars(select(ZoneTarget).where(ZoneTarget.zone_code == zone_code)),
        key=lambda t: (len(t.ref), t.ref),  # YC-T2 before YC-T10
    )
    for t in targets:
        actual, is_flow, note = target_actual(session, zone, t, today, manual)
        history: list[Decimal] = []
        if is_flow and t.year is not None and t.year >= today.year:
            kind = _zone_value_kind(zone, t.metric)
            history = monthly_history(session, zone, today, **kind)
            if t.unit.startswith("亿"):
                history = [calc.to_yi(v) for v in history]
        baseline = manual.get((zone.plan_date.year, t.metric), ZERO) if t.bound == "increment" else ZERO
        progress, met, pace, forecast, forecast_met, status = calc.assess_target(
            actual=actual,
            bound=t.bound,
            target=t.value,
            target_max=t.value_max,
            year=t.year,
            today=today,
            monthly_history=history,
            cumulative_in_year=is_flow,
            baseline=baseline,
        )
        if t.bound == "increment" and actual is not None:
            note = (note + "；" if note else "") + f"新增量，以{zone.plan_date.year}年存量{baseline}为基数"
        out.append(
            calc.TargetProgress(
                ref=t.ref,
                label=t.label,
                metric=t.metric,
                year=t.year,
                horizon=t.horizon,
                unit=t.unit,
                bound=t.bound,
                bound_zh=t.bound_zh,
                target=plain(t.value),
                target_max=plain(t.value_max),
                actual=actual,
                progress=progress,
                met=met,
                pace_needed_per_month=pace,
                forecast=forecast,
                forecast_met=forecast_met,
                status=status,
                status_zh=calc.STATUS_ZH[status],
                note=note,
                source_phrase=t.source_phrase,
            )
        )
    return out


# --- assessment ---------------------------------------------------------------------------------


def indicator_values_for_year(
    session: Session, zone: Zone, year: int, today: dt.date
) -> dict[str, Decimal | None]:
    manual = indicator_values(session, zone.code)
    scope = StatsScope(zone.code)
    value = year_value(session, zone, year)
    previous = year_value(session, zone, year - 1)
    value_target = session.scalar(
        select(ZoneTarget).where(
            ZoneTarget.zone_code == zone.code,
            ZoneTarget.year == year,
            ZoneTarget.metric.in_(TRADE_VALUE_METRICS),
            ZoneTarget.value.is_not(None),
        )
    )
    attainment: Decimal | None = None
    if value_target is not None and value_target.value:
        kind = _zone_value_kind(zone, value_target.metric)
        v = year_value(session, zone, year, **kind)
        target_cny = (
            value_target.value * calc.YI if value_target.unit.startswith("亿") else value_target.value
        )
        attainment = v / target_cny
    y_from, y_to = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    export = sums_by(
        session, scope, "total", y_from, y_to, Filters(direction="export"), group=("trade_mode",)
    )
    export_total = sum((m.value_cny for m in export.values()), ZERO)
    new_modes = sum((m.value_cny for (mode,), m in export.items() if mode in ("9710", "9810")), ZERO)
    sellers = distinct_keys_by_month(session, scope, "seller", y_from.replace(day=1), y_to.replace(day=1))
    countries = distinct_keys_by_month(session, scope, "country", y_from.replace(day=1), y_to.replace(day=1))
    bj = dt.timezone(dt.timedelta(hours=8))
    new_enterprises = session.scalar(
        select(func.count())
        .select_from(Enterprise)
        .where(
            Enterprise.zone_code == zone.code,
            Enterprise.created_at >= dt.datetime.combine(y_from, dt.time(), bj),
            Enterprise.created_at < dt.datetime.combine(y_to + dt.timedelta(days=1), dt.time(), bj),
        )
    )
    parks = _carrier_counts(session, zone.code)

    def manual_or(key: str, fallback: Decimal | None = None) -> Decimal | None:
        if (year, key) in manual:
            return manual[(year, key)]
        if key in parks:
            return Decimal(parks[key])
        return fallback

    return {
        "trade_value_attainment": attainment,
        "trade_growth": calc.change_ratio(value, previous) if previous else None,
        "enterprises_filed": Decimal(approved_enterprises(session, zone.code, until=y_to)),
        "active_enterprises": Decimal(len(set().union(*sellers.values()))) if sellers else Decimal(0),
        "new_enterprises": Decimal(new_enterprises or 0),
        "parks": manual_or("parks"),
        "overseas_warehouses": manual_or("overseas_warehouses"),
        "high_tech_enterprises": manual_or("high_tech_enterprises"),
        "new_mode_share": (new_modes / export_total) if export_total else None,
        "markets_reached": Decimal(len(set().union(*countries.values()))) if countries else Decimal(0),
        "policy_measures": manual_or("policy_measures"),
    }


def _benchmarks(session: Session, zone_code: str) -> dict[str, Decimal]:
    """A zone's own plan targets replace the generic benchmarks where the plan gives one."""
    out: dict[str, Decimal] = {}
    mapping = {
        "enterprises": "enterprises_filed",
        "parks": "parks",
        "overseas_warehouses": "overseas_warehouses",
    }
    for t in session.scalars(
        select(ZoneTarget).where(ZoneTarget.zone_code == zone_code, ZoneTarget.value.is_not(None))
    ):
        key = mapping.get(t.metric)
        if key and t.value:
            out[key] = max(out.get(key, ZERO), t.value)
    return out


def zone_assessment(session: Session, zone_code: str, year: int, today: dt.date) -> calc.Assessment:
    zone = session.get(Zone, zone_code)
    if zone is None:
        return calc.assess(year, {}, calc.DEFAULT_WEIGHTS)
    values = indicator_values_for_year(session, zone, year, today)
    return calc.assess(year, values, weights_for(session, zone_code), _benchmarks(session, zone_code))
