"""Three sources reconciled (三单对碰 at zone level): what the inventory lists, the waybills and the
payments received each say per day, the gaps between them, and the records missing a counterpart.

This reads the declarations themselves (it is the tool for finding missing or wrong data), over a
bounded range of at most 31 days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from silkgate.models.declarations import Declaration
from silkgate.trade_stats.queries import check_range
from silkgate.trade_stats.rollup import beijing_day
from silkgate.trade_stats.service import StatsScope

SOURCES = {"inventory": "清单", "waybill": "运单", "payment": "支付单"}
# Documents that never became trade do not count (rejected, deleted before release, withdrawn).
VOID_STATUSES = ("rejected", "deleted", "withdrawn")
MAX_DAYS = 31
ZERO = Decimal(0)


def _utc_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    bj = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime.combine(date_from, dt.time(), bj).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), bj).astimezone(dt.UTC)
    return start, end


def _scoped(scope: StatsScope, d: Any) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [d.zone_code == scope.zone_code]
    if scope.is_enterprise:
        e = scope.owner_enterprise_id
        where.append(
            (d.ebc_enterprise_id == e)
            | (d.ebp_enterprise_id == e)
            | (d.logistics_enterprise_id == e)
            | (d.payment_enterprise_id == e)
            | (d.agent_enterprise_id == e)
        )
    return where


def _value(d: Declaration | Any) -> Any:
    return func.coalesce(d.value_cny, d.goods_value, 0)


def reconcile(
    session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date, *, sample: int = 50
) -> dict[str, Any]:
    check_range(date_from, date_to, max_days=MAX_DAYS)
    start, end = _utc_bounds(date_from, date_to)
    d = aliased(Declaration)
    base = [*_scoped(scope, d), d.created_at >= start, d.created_at < end, d.status.not_in(VOID_STATUSES)]
    per_day: dict[dt.date, dict[str, dict[str, Any]]] = defaultdict(
        lambda: {k: {"count": 0, "value_cny": ZERO} for k in SOURCES}
    )
    q = select(d.kind, d.created_at, _value(d)).where(*base, d.kind.in_(list(SOURCES)))
    for kind, created, value in session.execute(q):
        cell = per_day[beijing_day(created)][kind]
        cell["count"] += 1
        cell["value_cny"] += Decimal(value or 0)
    days = []
    day = date_from
    while day <= date_to:
        c = per_day.get(day) or {k: {"count": 0, "value_cny": ZERO} for k in SOURCES}
        inv, way, pay = c["inventory"], c["waybill"], c["payment"]
        days.append(
            {
                "day": day,
                **{k: v for k, v in c.items()},
                "gap_waybill_count": inv["count"] - way["count"],
                "gap_payment_count": inv["count"] - pay["count"],
                "gap_payment_value_cny": inv["value_cny"] - pay["value_cny"],
            }
        )
        day += dt.timedelta(days=1)
    missing = _missing_counterparts(session, scope, start, end, sample)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "days": days,
        "missing": missing,
        "missing_counts": {k: v["total"] for k, v in missing.items()},
    }


def _missing_counterparts(
    session: Session, scope: StatsScope, start: dt.datetime, end: dt.datetime, sample: int
) -> dict[str, dict[str, Any]]:
    """Lists with no waybill / no payment, and waybills / payments with no list (sample + total)."""
    lst = aliased(Declaration)
    other = aliased(Declaration)
    base = [
        *_scoped(scope, lst),
        lst.created_at >= start,
        lst.created_at < end,
        lst.status.not_in(VOID_STATUSES),
    ]

    def counterpart(kind: str, left_key: Any, right_key: Any) -> Any:
        return exists().where(
            other.kind == kind,
            other.zone_code == lst.zone_code,
            right_key == left_key,
            other.status.not_in(VOID_STATUSES),
        )

    checks = {
        "list_without_waybill": ("inventory", counterpart("waybill", lst.logistics_no, other.logistics_no)),
        "list_without_payment": ("inventory", counterpart("payment", lst.order_no, other.order_no)),
        "waybill_without_list": ("waybill", counterpart("inventory", lst.logistics_no, other.logistics_no)),
        "payment_without_list": ("payment", counterpart("inventory", lst.order_no, other.order_no)),
    }
    labels = {
        "list_without_waybill": "有清单无运单",
        "list_without_payment": "有清单无支付单",
        "waybill_without_list": "有运单无清单",
        "payment_without_list": "有支付单无清单",
    }
    out: dict[str, dict[str, Any]] = {}
    for key, (kind, has) in checks.items():
        cond = and_(*base, lst.kind == kind, ~has)
        total = session.scalar(select(func.count()).select_from(lst).where(cond)) or 0
        if not sample:
            out[key] = {"label": labels[key], "total": int(total), "records": []}
            continue
        rows = session.execute(
            select(
                lst.id,
                lst.business_no,
                lst.order_no,
                lst.logistics_no,
                lst.trade_mode,
                lst.status,
                lst.created_at,
                _value(lst),
            )
            .where(cond)
            .order_by(lst.created_at.desc())
            .limit(sample)
        )
        out[key] = {
            "label": labels[key],
            "total": int(total),
            "records": [
                {
                    "declaration_id": r[0],
                    "business_no": r[1],
                    "order_no": r[2],
                    "logistics_no": r[3],
                    "trade_mode": r[4],
                    "status": r[5],
                    "created_at": r[6],
                    "value_cny": Decimal(r[7] or 0),
                }
                for r in rows
            ],
        }
    return out


def gap_alerts(session: Session, scope: StatsScope, today: dt.date, days: int = 3) -> list[dict[str, Any]]:
    """Alerts for the home page: counterparts missing among the last few days' documents.
    Documents younger than 2 hours are not counted yet (their counterparts may still be on the way)."""
    start, _ = _utc_bounds(today - dt.timedelta(days=days - 1), today)
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    if end <= start:
        return []
    missing = _missing_counterparts(session, scope, start, end, sample=0)
    return [
        {"key": k, "label": v["label"], "count": v["total"], "days": days}
        for k, v in missing.items()
        if v["total"] > 0
    ]
