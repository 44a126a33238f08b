"""Read models of the export pages and API: filtered lists, summaries, returns, a seller's KPIs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.export import fx, rules
from silkgate.export.summary import STATUS_LABELS as SUMMARY_STATUS_LABELS
from silkgate.kit import codelists
from silkgate.kit.cebtime import BEIJING
from silkgate.models.declarations import DeclarationEvent
from silkgate.models.export import ExportList, ExportReturn, ExportSummary, FxCollection
from silkgate.models.registry import Enterprise

ZERO = Decimal("0")
LIST_STATUS_LABELS = {
    "waiting": "待放行",
    "released": "已放行",
    "departed": "已离境结关",
    "withdrawn": "已撤销/退单",
    "returned": "已全部退货",
}


def search_lists(
    session: Session,
    *,
    zone_code: str | None,
    seller_id: int | None,
    status: str | None = None,
    trade_mode: str | None = None,
    period: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ExportList], int]:
    q = select(ExportList)
    if seller_id is not None:
        q = q.where(ExportList.seller_enterprise_id == seller_id)
    elif zone_code is not None:
        q = q.where(ExportList.zone_code == zone_code)
    if status:
        q = q.where(ExportList.status == status)
    if trade_mode:
        q = q.where(ExportList.trade_mode == trade_mode)
    if period:
        year, month = (int(p) for p in period.split("-"))
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
        q = q.where(ExportList.ie_date >= start, ExportList.ie_date < end)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(
        session.scalars(
            q.order_by(ExportList.ie_date.desc(), ExportList.id.desc()).limit(limit).offset(offset)
        )
    )
    return rows, total


def summaries(
    session: Session, *, zone_code: str | None, seller_id: int | None, include_cancelled: bool = False
) -> list[ExportSummary]:
    q = select(ExportSummary)
    if seller_id is not None:
        q = q.where(ExportSummary.seller_enterprise_id == seller_id)
    elif zone_code is not None:
        q = q.where(ExportSummary.zone_code == zone_code)
    if not include_cancelled:
        q = q.where(ExportSummary.status != "cancelled")
    return list(session.scalars(q.order_by(ExportSummary.period.desc(), ExportSummary.id)))


def returns_of(
    session: Session, *, zone_code: str | None, seller_id: int | None
) -> list[tuple[ExportReturn, ExportList]]:
    q = select(ExportReturn, ExportList).join(ExportList, ExportList.id == ExportReturn.list_id)
    if seller_id is not None:
        q = q.where(ExportReturn.seller_enterprise_id == seller_id)
    elif zone_code is not None:
        q = q.where(ExportReturn.zone_code == zone_code)
    return [
        (r, lst)
        for r, lst in session.execute(
            q.order_by(ExportReturn.returned_on.desc(), ExportReturn.id.desc()).limit(500)
        )
    ]


@dataclass
class Overview:
    by_status: dict[str, int]
    by_mode: dict[str, tuple[int, Decimal]]
    shipped_cny: Decimal
    due: list[tuple[str, dt.date, int]]  # periods with closed lists not yet in a submitted summary


def overview(session: Session, *, zone_code: str | None, seller_id: int | None, today: dt.date) -> Overview:
    base = select(ExportList)
    if seller_id is not None:
        base = base.where(ExportList.seller_enterprise_id == seller_id)
    elif zone_code is not None:
        base = base.where(ExportList.zone_code == zone_code)
    sub = base.subquery()
    by_status = {s: n for s, n in session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))}
    by_mode: dict[str, tuple[int, Decimal]] = {}
    shipped = ZERO
    for mode, n, value in session.execute(
        select(sub.c.trade_mode, func.count(), func.coalesce(func.sum(sub.c.value_cny), 0))
        .where(sub.c.status.in_(("released", "departed", "returned")))
        .group_by(sub.c.trade_mode)
    ):
        by_mode[mode] = (n, Decimal(value))
        shipped += Decimal(value)
    due = []
    if seller_id is not None:
        unsummarised = session.execute(
            select(sub.c.departed_at).where(
                sub.c.status == "departed", sub.c.statistics_flag == "B", sub.c.summary_id.is_(None)
            )
        )
        periods: dict[str, int] = {}
        for (at,) in unsummarised:
            p = rules.summary_period(at.astimezone(BEIJING).date())
            periods[p] = periods.get(p, 0) + 1
        due = [(p, rules.summary_due_date(p), n) for p, n in sorted(periods.items())]
    return Overview(by_status, by_mode, shipped, due)


def list_detail(session: Session, lst: ExportList) -> dict[str, Any]:
    collections = list(
        session.scalars(
            select(FxCollection).where(FxCollection.list_id == lst.id).order_by(FxCollection.collected_on)
        )
    )
    events = list(
        session.scalars(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == lst.declaration_id)
            .order_by(DeclarationEvent.id)
        )
    )
    rets = list(
        session.scalars(select(ExportReturn).where(ExportReturn.list_id == lst.id).order_by(ExportReturn.id))
    )
    s = session.get(ExportSummary, lst.summary_id) if lst.summary_id else None
    seller = session.get(Enterprise, lst.seller_enterprise_id) if lst.seller_enterprise_id else None
    return {
        "collections": collections,
        "collection_status": fx.list_collection_status(session, lst),
        "events": events,
        "returns": rets,
        "summary": s,
        "seller": seller,
    }


def list_public(lst: ExportList) -> dict[str, Any]:
    return {
        "id": lst.id,
        "invt_no": lst.invt_no,
        "order_no": lst.order_no,
        "logistics_no": lst.logistics_no,
        "trade_mode": lst.trade_mode,
        "trade_mode_label": rules.TRADE_MODE_LABELS.get(lst.trade_mode, lst.trade_mode),
        "statistics_flag": lst.statistics_flag,
        "status": lst.status,
        "status_label": LIST_STATUS_LABELS.get(lst.status, lst.status),
        "missing": [rules.MISSING_LABELS.get(m, m) for m in lst.missing],
        "mismatches": lst.mismatches,
        "ie_date": lst.ie_date.isoformat(),
        "country": lst.country,
        "country_name": codelists.country_name(lst.country),
        "currency": lst.currency,
        "goods_value": str(lst.goods_value),
        "value_cny": None if lst.value_cny is None else str(lst.value_cny),
        "customs_code": lst.customs_code,
        "port_code": lst.port_code,
        "released_at": lst.released_at.isoformat() if lst.released_at else None,
        "departed_at": lst.departed_at.isoformat() if lst.departed_at else None,
        "summary_id": lst.summary_id,
        "seller_enterprise_id": lst.seller_enterprise_id,
    }


def summary_public(s: ExportSummary, invt_nos: list[str] | None = None) -> dict[str, Any]:
    out = {
        "id": s.id,
        "period": s.period,
        "due_date": s.due_date.isoformat(),
        "cop_no": s.cop_no,
        "status": s.status,
        "status_label": SUMMARY_STATUS_LABELS.get(s.status, s.status),
        "status_info": s.status_info,
        "group_key": s.group_key,
        "items": s.items,
        "list_count": s.list_count,
        "total_value_cny": str(s.total_value_cny),
        "sum_no": s.sum_no,
        "entry_id": s.entry_id,
        "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
        "decided_at": s.decided_at.isoformat() if s.decided_at else None,
    }
    if invt_nos is not None:
        out["invt_nos"] = invt_nos
    return out
