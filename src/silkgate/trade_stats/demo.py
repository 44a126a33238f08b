"""Demo step: the rollups already hold the trade the earlier steps declared (through the subscriber);
this step adds the zone's prior monthly statistics as clearly labelled `historical` figures (so that
year-on-year change and trends have a past), and sample indicator values the zone office enters.

The historical figures are synthetic: the zone's live list trade continued backwards at ~35 % a
year (or, with no live trade yet, shaped on the plan's value targets). They are stored with
source = historical and shown as 历史统计.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.demo import DemoContext
from silkgate.models.trade_stats import StatRollup
from silkgate.models.zone import Zone, ZoneTarget
from silkgate.trade_stats import calc
from silkgate.trade_stats.service import HistoricalMonth, import_historical, set_indicator_value

# Share of the zone's trade by direction and mode, and a typical value per list (CNY).
MODE_MIX = (
    ("import", "9610", Decimal("0.18"), Decimal(320)),
    ("import", "1210", Decimal("0.22"), Decimal(260)),
    ("export", "9610", Decimal("0.30"), Decimal(180)),
    ("export", "9710", Decimal("0.20"), Decimal(28000)),
    ("export", "9810", Decimal("0.10"), Decimal(65000)),
)
# Seasonality: the Spring Festival dip, the 618 and 双十一 peaks (sums to 12).
SEASON = (
    Decimal("0.80"),
    Decimal("0.62"),
    Decimal("0.95"),
    Decimal("0.97"),
    Decimal("1.00"),
    Decimal("1.10"),
    Decimal("0.95"),
    Decimal("0.96"),
    Decimal("1.02"),
    Decimal("1.05"),
    Decimal("1.38"),
    Decimal("1.20"),
)
DEMO_SOURCE = "演示数据（综试办录入示例）"


def _annual_values(session: Session, zone: Zone, years: list[int]) -> dict[int, Decimal]:
    """Yearly trade value (CNY) for the historical years: 0.9–1.1 × the zone's value target of that
    year where the plan states one, grown ~45 % a year elsewhere from a 0.8 亿元 start."""
    targets = {
        t.year: t.value
        for t in session.scalars(
            select(ZoneTarget).where(
                ZoneTarget.zone_code == zone.code,
                ZoneTarget.metric.in_(("trade_value", "retail_trade_value")),
                ZoneTarget.value.is_not(None),
                ZoneTarget.year.is_not(None),
            )
        )
        if t.value is not None
    }
    out: dict[int, Decimal] = {}
    previous = Decimal("0.8") * calc.YI
    for i, year in enumerate(sorted(years)):
        if year in targets:
            # Alternate a year that clears its target and one that falls short of it.
            factor = Decimal("1.08") if i % 2 == 0 else Decimal("0.91")
            value = targets[year] * calc.YI * factor
        else:
            value = previous * Decimal("1.45") if i else previous
        out[year] = value
        previous = value
    return out


def _real_annual_level(session: Session, zone_code: str, today: dt.date) -> Decimal | None:
    """The zone's live list trade as a yearly figure: the mean of its complete months × 12."""
    rows = session.execute(
        select(StatRollup.period, func.sum(StatRollup.value_cny))
        .where(
            StatRollup.zone_code == zone_code,
            StatRollup.owner_enterprise_id == 0,
            StatRollup.dimension == "total",
            StatRollup.grain == "m",
            StatRollup.source == "lists",
            StatRollup.period < today.replace(day=1),
        )
        .group_by(StatRollup.period)
    ).all()
    values = [Decimal(v or 0) for _, v in rows if v]
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values) * 12


def _live_mix(
    session: Session, zone_code: str, today: dt.date
) -> tuple[tuple[str, str, Decimal, Decimal], ...] | None:
    """The live trade's own mix (direction, mode, share of value, value per list) over its complete
    months, so that the history continues it: the same modes, the same lists per month."""
    rows = session.execute(
        select(
            StatRollup.direction,
            StatRollup.trade_mode,
            func.sum(StatRollup.list_count),
            func.sum(StatRollup.value_cny),
        )
        .where(
            StatRollup.zone_code == zone_code,
            StatRollup.owner_enterprise_id == 0,
            StatRollup.dimension == "total",
            StatRollup.grain == "m",
            StatRollup.source == "lists",
            StatRollup.period < today.replace(day=1),
        )
        .group_by(StatRollup.direction, StatRollup.trade_mode)
    ).all()
    live = [(d, m, int(n or 0), Decimal(v or 0)) for d, m, n, v in rows if n and v]
    total = sum((v for *_, v in live), Decimal(0))
    if not live or total <= 0:
        return None
    return tuple((d, m, v / total, v / n) for d, m, n, v in sorted(live))


def load(ctx: DemoContext) -> str:
    session, zone_code = ctx.session, ctx.zone_code
    zone = session.get(Zone, zone_code)
    if zone is None:
        return "综试区不存在，跳过"
    first_real = session.scalar(
        select(func.min(StatRollup.period)).where(
            StatRollup.zone_code == zone_code,
            StatRollup.source == "lists",
            StatRollup.grain == "m",
            StatRollup.list_count > 0,
        )
    )
    last_hist = calc.add_months((first_real or ctx.today.replace(day=1)), -1)
    first_hist = dt.date(ctx.today.year - 3, 1, 1)
    years = list(range(first_hist.year, last_hist.year + 1))
    level = _real_annual_level(session, zone_code, ctx.today)
    if level is not None and first_real is not None:
        # Continue the zone's own lists backwards (growing ~35 % a year), so that the trend and
        # year-on-year change join the live figures without a jump.
        annual = {
            y: level
            / Decimal("1.35") ** max(first_real.year - y, 0)
            / (Decimal("1.08") if y == first_real.year else 1)
            for y in years
        }
    else:
        annual = _annual_values(session, zone, years)
    mix = _live_mix(session, zone_code, ctx.today) or MODE_MIX
    rows: list[HistoricalMonth] = []
    month = first_hist
    while month <= last_hist:
        base = annual[month.year] / 12 * SEASON[month.month - 1]
        noise = Decimal(str(round(ctx.rng.uniform(0.93, 1.07), 3)))
        for direction, mode, share, per_list in mix:
            value = (base * share * noise).quantize(Decimal("0.01"))
            count = int(value / per_list)
            # No US-dollar figure: import_historical converts at the zone's rate table.
            rows.append(HistoricalMonth(month, direction, mode, count, value))
        month = calc.add_months(month, 1)
    imported = import_historical(session, zone_code, rows)
    for year in (ctx.today.year - 1, ctx.today.year):
        set_indicator_value(
            session,
            zone_code,
            year=year,
            indicator="policy_measures",
            value=Decimal(14 + (year % 3) * 3),
            source=DEMO_SOURCE,
        )
        set_indicator_value(
            session,
            zone_code,
            year=year,
            indicator="high_tech_enterprises",
            value=Decimal(9 + (year % 4)),
            source=DEMO_SOURCE,
        )
    months = len({r.month for r in rows})
    return f"导入历史统计 {months} 个月（{first_hist:%Y-%m} 至 {last_hist:%Y-%m}，{imported} 行，标注为“历史统计”），录入示例指标 4 项"
