"""The export domain's hooks into the shared declaration pipeline: receipts through the pipeline's
`issue_receipt`, timeline entries, the goods lines of a stored document, and TradeEvents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate import events
from silkgate.declarations.messages import MessageRejected, ParsedDocument, ParsedMessage, parse_message
from silkgate.declarations.service import add_event, issue_receipt, now_for
from silkgate.exceptions import FieldError
from silkgate.kit.money import round_cent
from silkgate.models.declarations import Declaration, DeclarationLine, RawMessage
from silkgate.models.export import ExportList, ExportSellerSetting

ZERO = Decimal("0")

# Receipt status codes (FIELDS.md §3.1).
RS_DONE = "399"  # 海关审结
RS_RELEASED = "800"  # 放行
RS_CLOSED = "899"  # 结关
RS_REJECTED = "100"  # 海关退单


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


def parsed_document(session: Session, declaration: Declaration) -> ParsedDocument | None:
    """The document re-read from its stored raw message (for the parts `declaration_lines` does not
    keep: the waybill numbers of CEB507/509 and the list numbers of CEB701)."""
    if declaration.raw_message_id is None:
        return None
    cache: dict[int, ParsedMessage | None] = session.info.setdefault("export.parsed_raw", {})
    if declaration.raw_message_id not in cache:
        raw = session.get(RawMessage, declaration.raw_message_id)
        msg: ParsedMessage | None = None
        if raw is not None:
            try:
                msg = parse_message(
                    raw.body,
                    content_type="application/json" if raw.fmt == "json" else None,
                    max_bytes=max(raw.size, 1) + 1,
                )
            except MessageRejected:
                msg = None
        cache[declaration.raw_message_id] = msg
    msg = cache[declaration.raw_message_id]
    if msg is None:
        return None
    for doc in msg.documents:
        if doc.guid == declaration.guid:
            return doc
    return None


def raw_lines(session: Session, declaration: Declaration) -> list[dict[str, str]]:
    doc = parsed_document(session, declaration)
    return list(doc.lines) if doc is not None else []


def seller_setting(session: Session, enterprise_id: int | None) -> ExportSellerSetting | None:
    if enterprise_id is None:
        return None
    return session.scalar(
        select(ExportSellerSetting).where(ExportSellerSetting.enterprise_id == enterprise_id)
    )


def declaration_path(session: Session, enterprise_id: int | None) -> str:
    s = seller_setting(session, enterprise_id)
    return s.declaration_path if s else "summary_declaration"


def doc_lines(session: Session, declaration: Declaration) -> list[dict[str, str]]:
    """The document's goods lines with CEB field names (from the stored `DeclarationLine` rows)."""
    out = []
    rows = session.scalars(
        select(DeclarationLine)
        .where(DeclarationLine.declaration_id == declaration.id)
        .order_by(DeclarationLine.g_num)
    )
    for ln in rows:
        d = {
            "gnum": str(ln.g_num),
            "itemNo": ln.item_no or "",
            "itemName": ln.item_name or "",
            "gcode": ln.hs_code or "",
            "gname": ln.g_name or "",
            "gmodel": ln.g_model or "",
            "unit": ln.unit or "",
            "unit1": ln.unit1 or "",
            "unit2": ln.unit2 or "",
            "currency": ln.currency or "",
            "country": ln.country or "",
        }
        for name, value in (
            ("qty", ln.qty),
            ("qty1", ln.qty1),
            ("qty2", ln.qty2),
            ("price", ln.price),
            ("totalPrice", ln.total_price),
        ):
            if value is not None:
                d[name] = f"{value.normalize():f}"
        out.append(d)
    return out


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
