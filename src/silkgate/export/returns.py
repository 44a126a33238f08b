"""Export returns (出口退货, CEB213 of the 202205 edition) against the original list.

海关总署公告2020年第44号: all or part of the goods of a list may be returned (第三条), within one year
of release (第四条); the quantities returned, over all returns of a list, never exceed what left.
Statistics (TradeEvent "returned") and the seller's tax records follow the accepted return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate import events
from silkgate.export import rules
from silkgate.export.pipeline import RS_REJECTED, RS_RELEASED, doc_lines, now, publish, receipt, timeline
from silkgate.kit.cebtime import BEIJING
from silkgate.kit.money import round_cent
from silkgate.models.declarations import Declaration
from silkgate.models.export import ExportList, ExportReturn, ExportReturnLine

ZERO = Decimal("0")


def exported_lines(session: Session, lst: ExportList) -> dict[int, rules.ExportedLine]:
    decl = session.get(Declaration, lst.declaration_id)
    out = {}
    for ln in doc_lines(session, decl) if decl is not None else []:
        out[int(ln["gnum"])] = rules.ExportedLine(
            g_num=int(ln["gnum"]),
            hs_code=ln.get("gcode", ""),
            unit=ln.get("unit", ""),
            unit1=ln.get("unit1", ""),
            unit2=ln.get("unit2") or None,
            qty=Decimal(ln.get("qty", "0")),
            qty1=Decimal(ln.get("qty1", "0")),
            qty2=Decimal(ln["qty2"]) if ln.get("qty2") else None,
            price=Decimal(ln.get("price", "0")),
        )
    return out


def already_returned(session: Session, lst: ExportList) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    rows = session.execute(
        select(
            ExportReturnLine.g_num,
            func.sum(ExportReturnLine.qty),
            func.sum(ExportReturnLine.qty1),
            func.coalesce(func.sum(ExportReturnLine.qty2), 0),
        )
        .join(ExportReturn, ExportReturn.id == ExportReturnLine.return_id)
        .where(ExportReturn.list_id == lst.id)
        .group_by(ExportReturnLine.g_num)
    )
    return {int(g): (Decimal(q or 0), Decimal(q1 or 0), Decimal(q2 or 0)) for g, q, q1, q2 in rows}


def fully_returned(session: Session, lst: ExportList) -> bool:
    done = already_returned(session, lst)
    return all(done.get(g, (ZERO, ZERO, ZERO))[0] >= ln.qty for g, ln in exported_lines(session, lst).items())


def _request_lines(lines: Sequence[dict[str, str]]) -> tuple[list[rules.ReturnRequestLine], list[str]]:
    out, bad = [], []
    for i, ln in enumerate(lines, start=1):
        try:
            out.append(
                rules.ReturnRequestLine(
                    g_num=int(ln.get("gnum", "0")),
                    hs_code=ln.get("gcode", ""),
                    unit=ln.get("unit", ""),
                    unit1=ln.get("unit1", ""),
                    qty=Decimal(ln.get("qty", "0")),
                    qty1=Decimal(ln.get("qty1", "0")),
                    qty2=Decimal(ln["qty2"]) if ln.get("qty2") else None,
                    unit2=ln.get("unit2") or None,
                )
            )
        except (ValueError, ArithmeticError):
            bad.append(f"InvtRefundList[{i}]")
    return out, bad


def declare_return_from_message(
    session: Session, declaration: Declaration, lines: list[dict[str, str]]
) -> None:
    """CEB213: check against the original list; accept (放行) or refuse (退单) naming each reason."""
    h = declaration.head
    invt_no = h.get("invtNo", "")
    lst = session.scalar(select(ExportList).where(ExportList.invt_no == invt_no))
    if lst is None or lst.ebc_code != h.get("ebcCode"):
        declaration.status = "rejected"
        receipt(session, declaration, RS_REJECTED, f"原出口清单{invt_no}不存在或电商企业不符")
        return
    requested, bad = _request_lines(lines)
    returned_on = now(session).astimezone(BEIJING).date()
    released_on = lst.released_at.astimezone(BEIJING).date() if lst.released_at else None
    errors = rules.check_return(
        list_status=lst.status,
        released_on=released_on,
        returned_on=returned_on,
        exported=exported_lines(session, lst),
        already_returned=already_returned(session, lst),
        requested=requested,
    )
    if errors or bad:
        declaration.status = "rejected"
        declaration.related_declaration_id = lst.declaration_id
        receipt(
            session,
            declaration,
            RS_REJECTED,
            "退货申请退单：" + "；".join(e.message for e in errors[:5]),
            errors,
        )
        return
    accept_return(
        session,
        lst,
        requested,
        co_el_no=h.get("coElNo", declaration.cop_no or ""),
        reason=h.get("reason", ""),
        returned_on=returned_on,
        declaration=declaration,
    )
    receipt(session, declaration, RS_RELEASED, "退货申请放行")


def accept_return(
    session: Session,
    lst: ExportList,
    requested: Sequence[rules.ReturnRequestLine],
    *,
    co_el_no: str,
    reason: str,
    returned_on: dt.date,
    declaration: Declaration | None,
) -> ExportReturn:
    exported = exported_lines(session, lst)
    list_decl = session.get(Declaration, lst.declaration_id)
    originals = {int(ln["gnum"]): ln for ln in (doc_lines(session, list_decl) if list_decl else [])}
    rate = (lst.value_cny / lst.goods_value) if lst.value_cny is not None and lst.goods_value else None
    value = ZERO
    ret = ExportReturn(
        zone_code=lst.zone_code,
        seller_enterprise_id=lst.seller_enterprise_id,
        list_id=lst.id,
        declaration_id=declaration.id if declaration else None,
        co_el_no=co_el_no[:30],
        invt_no=lst.invt_no,
        reason=reason[:500],
        returned_on=returned_on,
        value=ZERO,
    )
    session.add(ret)
    session.flush()
    trade_lines = []
    for r in requested:
        orig = exported[r.g_num]
        line_value = round_cent(orig.price * r.qty)
        value += line_value
        session.add(
            ExportReturnLine(
                return_id=ret.id,
                g_num=r.g_num,
                hs_code=r.hs_code,
                g_name=originals.get(r.g_num, {}).get("gname", "")[:250],
                qty=r.qty,
                qty1=r.qty1,
                qty2=r.qty2,
                value=line_value,
            )
        )
        trade_lines.append(
            events.TradeLine(
                hs_code=r.hs_code,
                item_no=originals.get(r.g_num, {}).get("itemNo", ""),
                quantity=r.qty,
                value=line_value,
                value_cny=round_cent(line_value * rate) if rate is not None else ZERO,
            )
        )
    ret.value = value
    ret.value_cny = round_cent(value * rate) if rate is not None else None
    session.flush()
    if declaration is not None:
        declaration.status = "released"
        declaration.related_declaration_id = lst.declaration_id
    if list_decl is not None:
        if fully_returned(session, lst):
            lst.status = "returned"
            list_decl.status = "returned"
        timeline(session, list_decl, "return", f"出口退货{value}（{reason}）", return_id=ret.id)
        publish(session, lst, list_decl, "returned", lines=trade_lines, value=value)
    return ret
