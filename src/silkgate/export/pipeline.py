"""The export domain's hooks into the shared declaration pipeline: receipts through the pipeline's
`issue_receipt`, timeline entries, the goods lines of a stored document, and TradeEvents.

The per-message look-ups are pre-built statements (see sql.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from silkgate import events
from silkgate.declarations.service import add_event, issue_receipt, now_for
from silkgate.exceptions import FieldError
from silkgate.export.sql import query
from silkgate.kit.money import round_cent
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.export import ExportList, ExportSellerSetting

ZERO = Decimal("0")

# Receipt status codes (FIELDS.md §3.1).
RS_DONE = "399"  # 海关审结
RS_RELEASED = "800"  # 放行
RS_CLOSED = "899"  # 结关
RS_REJECTED = "100"  # 海关退单

LINES = cast(Table, DeclarationLine.__table__)
SETTINGS = cast(Table, ExportSellerSetting.__table__)
_SELECT_LINES = (
    select(
        LINES.c.g_num,
        LINES.c.item_no,
        LINES.c.item_name,
        LINES.c.hs_code,
        LINES.c.g_name,
        LINES.c.g_model,
        LINES.c.unit,
        LINES.c.unit1,
        LINES.c.unit2,
        LINES.c.currency,
        LINES.c.country,
        LINES.c.qty,
        LINES.c.qty1,
        LINES.c.qty2,
        LINES.c.price,
        LINES.c.total_price,
    )
    .where(LINES.c.declaration_id == bindparam("declaration_id"))
    .order_by(LINES.c.g_num)
)
_SELECT_PATH = select(SETTINGS.c.declaration_path).where(
    SETTINGS.c.enterprise_id == bindparam("enterprise_id")
)


def receipt(
    session: Session, declaration: Declaration, status: str, info: str, errors: Sequence[FieldError] = ()
) -> None:
    """A receipt to the document's sender, through the pipeline's one receipt path."""
    issue_receipt(session, declaration, status, info, errors)


def timeline(session: Session, declaration: Declaration, step: str, info: str, **detail: Any) -> None:
    add_event(session, declaration.id, declaration.status, step, info, detail)


def now(session: Session) -> dt.datetime:
    """The pipeline's clock: the message's own time when the demo replays history."""
    return now_for(session)


def raw_lines(session: Session, declaration: Declaration) -> list[dict[str, str]]:
    """The document's lines exactly as declared (CEB names): for the parts `doc_lines` does not keep,
    the waybill numbers of CEB507/509 and the list numbers of CEB701."""
    return list(declaration.line_fields or [])


def seller_setting(session: Session, enterprise_id: int | None) -> ExportSellerSetting | None:
    if enterprise_id is None:
        return None
    return session.scalar(
        select(ExportSellerSetting).where(ExportSellerSetting.enterprise_id == enterprise_id)
    )


def declaration_path(session: Session, enterprise_id: int | None) -> str:
    if enterprise_id is None:
        return "summary_declaration"
    path = query(session, _SELECT_PATH, {"enterprise_id": enterprise_id}).scalar()
    return str(path) if path else "summary_declaration"


def doc_lines(session: Session, declaration: Declaration) -> list[dict[str, str]]:
    """The document's goods lines with CEB field names (from the stored `DeclarationLine` rows)."""
    return lines_of(session, declaration.id)


def lines_of(session: Session, declaration_id: int) -> list[dict[str, str]]:
    """The goods lines of the stored document `declaration_id` (see `doc_lines`)."""
    out = []
    for row in query(session, _SELECT_LINES, {"declaration_id": declaration_id}):
        (g_num, item_no, item_name, hs_code, g_name, g_model, unit, unit1, unit2, currency, country) = row[
            :11
        ]
        d = {
            "gnum": str(g_num),
            "itemNo": item_no or "",
            "itemName": item_name or "",
            "gcode": hs_code or "",
            "gname": g_name or "",
            "gmodel": g_model or "",
            "unit": unit or "",
            "unit1": unit1 or "",
            "unit2": unit2 or "",
            "currency": currency or "",
            "country": country or "",
        }
        for name, value in zip(_AMOUNTS, row[11:], strict=True):
            if value is not None:
                d[name] = f"{value.normalize():f}"
        out.append(d)
    return out


_AMOUNTS = ("qty", "qty1", "qty2", "price", "totalPrice")


def parcel_numbers(session: Session, declaration: Declaration) -> list[str]:
    """The waybill numbers a CEB507/509 lists (ArrivalList/DepartureList logisticsNo)."""
    return [ln["logisticsNo"] for ln in raw_lines(session, declaration) if ln.get("logisticsNo")]


def publish(
    session: Session,
    lst: ExportList,
    declaration: Declaration,
    kind: str,
    lines: Sequence[events.TradeLine] | None = None,
    value: Decimal | None = None,
    currency: str | None = None,
    value_cny: Decimal | None = None,
) -> None:
    """A TradeEvent for the list: the whole list, or (returns, collections) the part given."""
    rate = (lst.value_cny / lst.goods_value) if (lst.value_cny is not None and lst.goods_value) else None
    if lines is None:
        lines = [
            events.TradeLine(
                hs_code=ln.get("gcode", ""),
                item_no=ln.get("itemNo", ""),
                quantity=Decimal(ln.get("qty", "0")),
                value=Decimal(ln.get("totalPrice", "0")),
                value_cny=round_cent(Decimal(ln.get("totalPrice", "0")) * rate) if rate is not None else ZERO,
            )
            for ln in doc_lines(session, declaration)
        ]
    total = value if value is not None else lst.goods_value
    roles = {
        "seller": lst.seller_enterprise_id,
        "platform": lst.platform_enterprise_id,
        "logistics": lst.logistics_enterprise_id,
        "agent": lst.agent_enterprise_id,
    }
    events.publish(
        session,
        events.TradeEvent(
            kind=kind,
            zone_code=lst.zone_code or "",
            direction="export",
            trade_mode=lst.trade_mode,
            declaration_id=lst.declaration_id,
            business_no=lst.invt_no,
            occurred_at=now_for(session),
            enterprise_ids={k: v for k, v in roles.items() if v is not None},
            customs_code=lst.customs_code,
            country=lst.country,
            currency=currency or lst.currency,
            total_value=total,
            total_value_cny=value_cny
            if value_cny is not None
            else (round_cent(total * rate) if rate is not None else ZERO),
            lines=tuple(lines),
            extra={
                "statistics_flag": lst.statistics_flag,
                "rate_missing": rate is None,
                "warehouse_id": lst.warehouse_id,
            },
        ),
    )
