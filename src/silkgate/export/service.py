"""Export declarations through the shared pipeline: list release (清单核放), departure, withdrawal,
returns, collections and enterprise-sent summary applications.

`on_export_document(session, declaration)` is called by `declarations.service.ingest` for every
accepted export document, inside the message's transaction. Each outcome adds a receipt through
the pipeline's `issue_receipt` and, for release / departure / withdrawal / return, a TradeEvent.

The look-ups of every message are pre-built statements keyed on indexed columns (see sql.py): a
list's release costs the same whatever the size of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from silkgate.exceptions import FieldError
from silkgate.export import fx, returns, rules, summary
from silkgate.export.pipeline import (
    RS_CLOSED,
    RS_DONE,
    RS_REJECTED,
    RS_RELEASED,
    declaration_path,
    doc_lines,
    lines_of,
    now,
    parcel_numbers,
    publish,
    receipt,
    timeline,
)
from silkgate.export.sql import query
from silkgate.kit.cebtime import parse_app_time, parse_date
from silkgate.models.declarations import Declaration
from silkgate.models.export import (
    B2BExportFiling,
    ExportConveyance,
    ExportList,
    FxCollection,
    OverseasWarehouse,
)
from silkgate.models.registry import Enterprise

ZERO = Decimal("0")
LIVE_STATUSES = ("stored", "declared", "waiting", "matched", "released", "departed", "closed", "held")
B2B_MODES = (rules.B2B_DIRECT_EXPORT, rules.OVERSEAS_WAREHOUSE_EXPORT)

DECLARATIONS = cast(Table, Declaration.__table__)
CONVEYANCES = cast(Table, ExportConveyance.__table__)
B2B_FILINGS = cast(Table, B2BExportFiling.__table__)
WAREHOUSES = cast(Table, OverseasWarehouse.__table__)
COLLECTIONS = cast(Table, FxCollection.__table__)


def _live_document(kind: str, number: str, party: str) -> Any:
    """The newest live export document of `kind` by its business number and the party it belongs to."""
    d = DECLARATIONS.c
    return (
        select(d.id, d.head)
        .where(
            d.kind == kind,
            d[number] == bindparam("number"),
            d[party] == bindparam("party"),
            d.status.in_(LIVE_STATUSES),
            d.direction == "export",
        )
        .order_by(d.id.desc())
        .limit(1)
    )


# Pre-built statements (index in brackets): declarations (kind, order_no) / (kind, logistics_no);
# export_conveyances (kind, logistics_code, logistics_no) / (bill_no); export_lists (declaration_id)
# / (ebp_code, order_no) / (logistics_code, logistics_no); filings and warehouses (enterprise_id).
_FIND_ORDER = _live_document("order", "order_no", "ebp_code")
_FIND_WAYBILL = _live_document("waybill", "logistics_no", "logistics_code")
_CONVEYANCE_AT = (
    select(CONVEYANCES.c.at)
    .where(
        CONVEYANCES.c.kind == bindparam("kind"),
        CONVEYANCES.c.logistics_code == bindparam("logistics_code"),
        CONVEYANCES.c.logistics_no == bindparam("logistics_no"),
    )
    .order_by(CONVEYANCES.c.id)
    .limit(1)
)
_CONVEYANCE_AT_BY_BILL = (
    select(CONVEYANCES.c.at)
    .where(
        CONVEYANCES.c.kind == bindparam("kind"),
        CONVEYANCES.c.bill_no == bindparam("bill_no"),
        CONVEYANCES.c.logistics_no.is_(None),
    )
    .order_by(CONVEYANCES.c.id)
    .limit(1)
)
_INSERT_CONVEYANCE = insert(CONVEYANCES)
_HAS_B2B_FILING = (
    select(B2B_FILINGS.c.id)
    .where(
        B2B_FILINGS.c.enterprise_id == bindparam("enterprise_id"),
        B2B_FILINGS.c.trade_mode == bindparam("trade_mode"),
        B2B_FILINGS.c.status == "approved",
    )
    .limit(1)
)
_WAREHOUSE_FOR = (
    select(WAREHOUSES.c.id)
    .where(
        WAREHOUSES.c.enterprise_id == bindparam("enterprise_id"),
        WAREHOUSES.c.country == bindparam("country"),
        WAREHOUSES.c.status == "approved",
    )
    .order_by(WAREHOUSES.c.id)
    .limit(1)
)
_COLLECTION_OF_DECLARATION = select(COLLECTIONS.c.id).where(
    COLLECTIONS.c.declaration_id == bindparam("declaration_id")
)
_LIST_OF_DECLARATION = select(ExportList).where(ExportList.declaration_id == bindparam("declaration_id"))
_WAITING_FOR_ORDER = select(ExportList).where(
    ExportList.ebp_code == bindparam("ebp_code"),
    ExportList.order_no == bindparam("order_no"),
    ExportList.status == "waiting",
)
_WAITING_FOR_WAYBILL = select(ExportList).where(
    ExportList.logistics_code == bindparam("logistics_code"),
    ExportList.logistics_no == bindparam("logistics_no"),
    ExportList.status == "waiting",
)
_LISTS_OF_PARCELS = select(ExportList).where(
    ExportList.logistics_code == bindparam("logistics_code"),
    ExportList.logistics_no.in_(bindparam("numbers", expanding=True)),
    ExportList.status == bindparam("status"),
)
_LISTS_OF_CARRIER = (
    select(ExportList, Declaration.head)
    .join(Declaration, Declaration.id == ExportList.declaration_id)
    .where(
        ExportList.logistics_code == bindparam("logistics_code"),
        ExportList.status == bindparam("status"),
        Declaration.kind == "inventory",
        Declaration.direction == "export",
    )
)


class Document(NamedTuple):
    """A stored document as the release check reads it: its id (for its lines) and head fields."""

    id: int
    head: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Dispatch


def on_export_document(session: Session, declaration: Declaration) -> None:
    """Act on one accepted export document (called by the pipeline inside its transaction)."""
    handler = _HANDLERS.get(declaration.kind)
    if handler is None:
        return
    if declaration.app_status == "1":  # 暂存: stored only, nothing happens until declared
        return
    handler(session, declaration)


def _on_inventory(session: Session, declaration: Declaration) -> None:
    h = declaration.head
    if declaration.app_type == "3":
        lst = session.scalar(_LIST_OF_DECLARATION, {"declaration_id": declaration.id})
        if lst is not None and lst.status == "waiting":
            lst.status = "withdrawn"
        return
    lines = doc_lines(session, declaration)
    lst = session.scalar(_LIST_OF_DECLARATION, {"declaration_id": declaration.id})
    if lst is None:
        lst = ExportList(declaration_id=declaration.id)
        session.add(lst)
    elif lst.status == "withdrawn" and lst.mismatches:
        lst.mismatches = []  # a refused list declared again (appType=2) is checked afresh
        lst.missing = []
    elif lst.status != "waiting":
        return  # a released list is changed only by withdrawal and re-declaration
    ie_date = _date(h.get("ieDate")) or now(session).date()
    currency = (lines[0].get("currency") if lines else None) or "142"
    goods_value = sum((Decimal(ln.get("totalPrice", "0")) for ln in lines), ZERO)
    lst.zone_code = declaration.zone_code
    lst.seller_enterprise_id = declaration.ebc_enterprise_id
    lst.platform_enterprise_id = declaration.ebp_enterprise_id
    lst.logistics_enterprise_id = declaration.logistics_enterprise_id
    lst.agent_enterprise_id = declaration.agent_enterprise_id
    lst.trade_mode = h.get("tradeMode", "9610")
    lst.statistics_flag = h.get("statisticsFlag", "B")
    lst.cop_no = h.get("copNo", declaration.cop_no or "")
    lst.invt_no = h.get("invtNo") or declaration.invt_no or _invt_no(session, declaration, ie_date)
    if not declaration.invt_no:
        declaration.invt_no = lst.invt_no[:18]
    lst.order_no = h.get("orderNo", "")
    lst.ebp_code = h.get("ebpCode", "")
    lst.ebc_code = h.get("ebcCode", "")
    lst.owner_code = h.get("ownerCode", "")
    lst.agent_code = h.get("agentCode", "")
    lst.logistics_code = h.get("logisticsCode", "")
    lst.logistics_no = h.get("logisticsNo", "")
    lst.customs_code = h.get("customsCode", "")
    lst.port_code = h.get("portCode", "")
    lst.traf_mode = h.get("trafMode", "")
    lst.country = h.get("country", "")
    lst.loct_no = h.get("loctNo") or None
    lst.ie_date = ie_date
    lst.currency = currency
    lst.goods_value = goods_value
    lst.gross_weight = Decimal(h.get("grossWeight", "0") or "0")
    lst.net_weight = Decimal(h.get("netWeight", "0") or "0")
    lst.status = "waiting"
    lst.value_cny = fx.to_cny(session, goods_value, currency, ie_date, declaration.zone_code)
    declaration.currency = currency
    declaration.goods_value = goods_value
    declaration.value_cny = lst.value_cny
    session.flush()
    fx.match_open_collections(session, lst)
    try_release(session, lst, declaration)


def _invt_no(session: Session, declaration: Declaration, ie_date: dt.date) -> str:
    """清单编号 as customs forms it: 4-digit customs + 4-digit year + E + 9-digit sequence."""
    customs = (declaration.head.get("customsCode") or "0000")[:4]
    return f"{customs}{ie_date.year:04d}E{declaration.id:09d}"


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def _moment(session: Session, value: str | None) -> dt.datetime:
    try:
        return parse_app_time(value) if value else now(session)
    except ValueError:
        return now(session)


def _document(session: Session, statement: Any, number: str, party: str) -> Document | None:
    row = query(session, statement, {"number": number, "party": party}).first()
    return Document(int(row[0]), dict(row[1] or {})) if row is not None else None


def find_order(session: Session, lst: ExportList) -> Document | None:
    return _document(session, _FIND_ORDER, lst.order_no, lst.ebp_code)


def find_waybill(session: Session, lst: ExportList) -> Document | None:
    return _document(session, _FIND_WAYBILL, lst.logistics_no, lst.logistics_code)


def _conveyance(session: Session, lst: ExportList, kind: str, bill_no: str | None) -> dt.datetime | None:
    """When the list's parcel arrived (or left): by its waybill number, else by its bill of lading."""
    at: dt.datetime | None = query(
        session,
        _CONVEYANCE_AT,
        {"kind": kind, "logistics_code": lst.logistics_code, "logistics_no": lst.logistics_no},
    ).scalar()
    if at is None and bill_no:
        at = query(session, _CONVEYANCE_AT_BY_BILL, {"kind": kind, "bill_no": bill_no}).scalar()
    return at


def _has_b2b_filing(session: Session, lst: ExportList) -> bool:
    if lst.seller_enterprise_id is None:
        return False
    params = {"enterprise_id": lst.seller_enterprise_id, "trade_mode": lst.trade_mode}
    return query(session, _HAS_B2B_FILING, params).first() is not None


def _warehouse_for(session: Session, lst: ExportList) -> int | None:
    if lst.seller_enterprise_id is None:
        return None
    params = {"enterprise_id": lst.seller_enterprise_id, "country": lst.country}
    found = query(session, _WAREHOUSE_FOR, params).scalar()
    return int(found) if found is not None else None


def try_release(session: Session, lst: ExportList, declaration: Declaration | None = None) -> None:
    """Release the list (清单核放) once its documents are in, match, and the goods have arrived."""
    if lst.status != "waiting":
        return
    declaration = declaration or session.get(Declaration, lst.declaration_id)
    if declaration is None:
        return
    if declaration.status == "deleted":  # deleted by the enterprise (appType=3) before release
        lst.status = "withdrawn"
        lst.missing = []
        return
    path = declaration_path(session, lst.seller_enterprise_id)
    order = find_order(session, lst)
    waybill = find_waybill(session, lst)
    bill_no = declaration.head.get("billNo") or None
    arrived_at = _conveyance(session, lst, "arrival", bill_no)
    warehouse_id = _warehouse_for(session, lst) if lst.trade_mode == rules.OVERSEAS_WAREHOUSE_EXPORT else None
    missing = rules.missing_for_release(
        trade_mode=lst.trade_mode,
        declaration_path=path,
        has_order=order is not None,
        # asked only where the rules use it: the collection where it is required, the filing for 9710/9810
        has_collection=rules.collection_required(lst.trade_mode, path) and fx.has_collection(session, lst),
        has_waybill=waybill is not None,
        arrived=arrived_at is not None,
        has_b2b_filing=lst.trade_mode not in B2B_MODES or _has_b2b_filing(session, lst),
        has_warehouse_filing=warehouse_id is not None,
    )
    lst.warehouse_id = warehouse_id
    lst.arrived_at = arrived_at
    mismatches: list[rules.Mismatch] = []
    if order is not None:
        mismatches += rules.match_list_to_order(
            declaration.head,
            doc_lines(session, declaration),
            order.head,
            lines_of(session, order.id),
            lst.trade_mode,
        )
    if waybill is not None:
        mismatches += rules.match_list_to_waybill(declaration.head, waybill.head)
    over = rules.b2b_list_value_error(lst.trade_mode, lst.value_cny)
    if over is not None:
        mismatches.append(over)
    if mismatches:
        lst.status = "withdrawn"
        lst.mismatches = [{"field": m.field, "code": m.code, "message": m.message} for m in mismatches]
        declaration.status = "rejected"
        declaration.decided_at = now(session)
        timeline(session, declaration, "match", "单证比对不一致，清单退单", mismatches=lst.mismatches)
        receipt(
            session,
            declaration,
            RS_REJECTED,
            "清单退单：" + "；".join(m.message for m in mismatches),
            [_field_error(m) for m in mismatches],
        )
        return
    if missing != lst.missing:
        lst.missing = missing
        if missing:
            declaration.status = "waiting"
            text = "、".join(rules.MISSING_LABELS[m] for m in missing)
            timeline(session, declaration, "match", f"等待{text}", missing=missing)
    if missing:
        return
    release(session, lst, declaration)


def _field_error(m: rules.Mismatch) -> FieldError:
    return FieldError(m.field, m.code, m.message)


def release(session: Session, lst: ExportList, declaration: Declaration) -> None:
    moment = now(session)
    lst.status = "released"
    lst.missing = []
    lst.released_at = moment
    declaration.status = "released"
    declaration.released_at = moment
    declaration.decided_at = moment
    if lst.value_cny is None:
        lst.value_cny = fx.to_cny(session, lst.goods_value, lst.currency, lst.ie_date, lst.zone_code)
    timeline(session, declaration, "decision", "清单核放：订单、收款、运单一致，货物已运抵")
    receipt(session, declaration, RS_RELEASED, "放行")
    publish(session, lst, declaration, "released")
    fx.match_open_collections(session, lst)
    departed_at = _conveyance(session, lst, "departure", declaration.head.get("billNo") or None)
    if departed_at is not None:
        depart(session, lst, declaration, departed_at)


def depart(session: Session, lst: ExportList, declaration: Declaration, at: dt.datetime) -> None:
    """Departure (离境, CEB509) closes a released list (结关): it counts for the month's summary."""
    lst.status = "departed"
    lst.departed_at = at
    declaration.status = "departed"
    timeline(session, declaration, "departure", "货物已离境，清单结关")
    receipt(session, declaration, RS_CLOSED, "结关")
    publish(session, lst, declaration, "departed")


def _lists_for_parcels(
    session: Session, logistics_code: str, numbers: Sequence[str], bill_no: str | None, status: str
) -> list[ExportList]:
    """The lists in `status` of the parcels a CEB507/509 names: by waybill number, else (a message
    without parcel lines) by the bill of lading of the lists."""
    if numbers:
        params = {"logistics_code": logistics_code, "numbers": list(numbers), "status": status}
        return list(session.scalars(_LISTS_OF_PARCELS, params))
    if not bill_no:
        return []
    rows = session.execute(_LISTS_OF_CARRIER, {"logistics_code": logistics_code, "status": status})
    return [lst for lst, head in rows if (head or {}).get("billNo") == bill_no]


def _record_conveyance(
    session: Session, declaration: Declaration, kind: str, numbers: Sequence[str], at: dt.datetime
) -> None:
    h = declaration.head
    parcels: list[str | None] = [*numbers] or [None]  # None: the whole bill of lading
    query(
        session,
        _INSERT_CONVEYANCE,
        [
            {
                "kind": kind,
                "declaration_id": declaration.id,
                "logistics_code": h.get("logisticsCode", ""),
                "logistics_no": n,
                "bill_no": h.get("billNo") or None,
                "customs_code": h.get("customsCode"),
                "at": at,
            }
            for n in parcels
        ],
    )


def _on_arrival(session: Session, declaration: Declaration) -> None:
    h = declaration.head
    at = _moment(session, h.get("appTime"))
    numbers = parcel_numbers(session, declaration)
    _record_conveyance(session, declaration, "arrival", numbers, at)
    # only a waiting list can be released by its parcel's arrival
    waiting = _lists_for_parcels(
        session, h.get("logisticsCode", ""), numbers, h.get("billNo") or None, "waiting"
    )
    for lst in waiting:
        try_release(session, lst)
    receipt(session, declaration, RS_DONE, f"运抵{len(numbers) or '按提运单'}票")


def _on_departure(session: Session, declaration: Declaration) -> None:
    h = declaration.head
    at = _moment(session, h.get("leaveTime"))
    numbers = parcel_numbers(session, declaration)
    _record_conveyance(session, declaration, "departure", numbers, at)
    closed = 0
    # a released list is closed by its parcel's departure; a waiting one when it is released
    released = _lists_for_parcels(
        session, h.get("logisticsCode", ""), numbers, h.get("billNo") or None, "released"
    )
    for lst in released:
        decl = session.get(Declaration, lst.declaration_id)
        if decl is not None:
            depart(session, lst, decl, at)
            closed += 1
    receipt(session, declaration, RS_DONE, f"离境{len(numbers)}票，其中{closed}票清单结关")


def _retry_lists(session: Session, statement: Any, params: dict[str, str]) -> None:
    for lst in session.scalars(statement, params):
        try_release(session, lst)


def _on_order(session: Session, declaration: Declaration) -> None:
    _retry_lists(
        session,
        _WAITING_FOR_ORDER,
        {"order_no": declaration.order_no or "", "ebp_code": declaration.ebp_code or ""},
    )


def _on_waybill(session: Session, declaration: Declaration) -> None:
    _retry_lists(
        session,
        _WAITING_FOR_WAYBILL,
        {"logistics_no": declaration.logistics_no or "", "logistics_code": declaration.logistics_code or ""},
    )


def _on_receipts(session: Session, declaration: Declaration) -> None:
    """CEB403 收款单: an FX collection record, matched to its order's list."""
    h = declaration.head
    if query(session, _COLLECTION_OF_DECLARATION, {"declaration_id": declaration.id}).first() is not None:
        return
    collected = _moment(session, h.get("accountingDate"))
    seller = declaration.ebc_enterprise_id
    c = FxCollection(
        zone_code=declaration.zone_code,
        seller_enterprise_id=seller,
        declaration_id=declaration.id,
        source="ceb403",
        ebp_code=h.get("ebpCode"),
        order_no=h.get("orderNo", ""),
        pay_no=h.get("payNo") or None,
        currency=h.get("currency", "142"),
        amount=Decimal(h.get("charge", "0")),
        collected_on=collected.date(),
    )
    session.add(c)
    lst = fx.match_collection(session, c)
    session.flush()
    if lst is not None:
        try_release(session, lst)
        if lst.status in ("released", "departed", "returned"):
            decl = session.get(Declaration, lst.declaration_id)
            if decl is not None:
                st = fx.list_collection_status(session, lst)
                publish(
                    session,
                    lst,
                    decl,
                    "payment_collected",
                    lines=(),
                    value=c.amount,
                    currency=c.currency,
                    value_cny=c.amount_cny,
                )
                timeline(
                    session,
                    decl,
                    "collection",
                    f"收款{c.amount}（{rules.COLLECTION_LABELS[st.status]}）",
                    status=st.status,
                )


def _on_cancel(session: Session, declaration: Declaration) -> None:
    """CEB605 撤销申请单 against a list (not after departure, not once summarised)."""
    h = declaration.head
    invt_no = h.get("invtNo", "")
    lst = session.scalar(select(ExportList).where(ExportList.invt_no == invt_no))
    if lst is None or lst.ebc_code != h.get("ebcCode"):
        declaration.status = "rejected"
        receipt(session, declaration, RS_REJECTED, f"清单{invt_no}不存在或收发货人不符")
        return
    if lst.status in ("departed", "returned"):
        declaration.status = "rejected"
        receipt(session, declaration, RS_REJECTED, "货物已离境，不能撤销清单，请申报出口退货")
        return
    if lst.status == "withdrawn":
        declaration.status = "rejected"
        receipt(session, declaration, RS_REJECTED, "清单已撤销")
        return
    was_released = lst.status == "released"
    lst.status = "withdrawn"
    declaration.status = "released"
    declaration.related_declaration_id = lst.declaration_id
    decl = session.get(Declaration, lst.declaration_id)
    if decl is not None:
        decl.status = "withdrawn"
        timeline(session, decl, "withdrawal", f"清单撤销：{h.get('reason', '')}")
        if was_released:
            publish(session, lst, decl, "withdrawn")
    summary.drop_from_proposal(session, lst)
    receipt(session, declaration, RS_DONE, "撤销申请已审结，清单已撤销")


def _on_export_refund(session: Session, declaration: Declaration) -> None:
    returns.declare_return_from_message(session, declaration, doc_lines(session, declaration))


def _on_summary(session: Session, declaration: Declaration) -> None:
    summary.accept_summary_message(session, declaration)


_HANDLERS: dict[str, Callable[[Session, Declaration], None]] = {
    "inventory": _on_inventory,
    "order": _on_order,
    "waybill": _on_waybill,
    "receipts": _on_receipts,
    "arrival": _on_arrival,
    "departure": _on_departure,
    "cancel": _on_cancel,
    "export_refund": _on_export_refund,
    "summary": _on_summary,
}


def seller_of(session: Session, enterprise_id: int | None) -> Enterprise | None:
    return session.get(Enterprise, enterprise_id) if enterprise_id else None
