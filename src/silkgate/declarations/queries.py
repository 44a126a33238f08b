"""Reading declarations, receipts and tax bills, scoped to who asks.

An enterprise sees the documents it sent or that name it (as platform, seller, logistics, payment,
declaring agent or bonded warehouse); the zone office sees its zone; customs, tax, forex and commerce
see their zone's declarations, and every such read is audited. Anything else is "not found".
Personal data is shown masked only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.clearance.match import mask
from silkgate.config import get_settings
from silkgate.declarations.documents import KIND_LABELS, STATUS_LABELS, personal_head
from silkgate.declarations.service import flush_pending
from silkgate.exceptions import NotFound
from silkgate.kit.cebtime import BEIJING
from silkgate.kit.crypto import field_cipher
from silkgate.models.declarations import Declaration, DeclarationEvent, DeclarationLine, Receipt, TaxBill
from silkgate.models.registry import Enterprise

READING_AGENCIES = (kinds.CUSTOMS, kinds.TAX, kinds.FOREX, kinds.COMMERCE)
_ENTERPRISE_COLUMNS = (
    Declaration.ebp_enterprise_id,
    Declaration.ebc_enterprise_id,
    Declaration.logistics_enterprise_id,
    Declaration.payment_enterprise_id,
    Declaration.agent_enterprise_id,
    Declaration.area_enterprise_id,
)


def declaration_scope(principal: Principal) -> ColumnElement[bool]:
    """The declarations `principal` may read."""
    if principal.is_enterprise:
        mine: list[ColumnElement[bool]] = [Declaration.sender_org_id == principal.org_id]
        if principal.enterprise_id is not None:
            mine += [column == principal.enterprise_id for column in _ENTERPRISE_COLUMNS]
        return or_(*mine)
    if principal.is_zone_office or principal.org_kind in READING_AGENCIES:
        return Declaration.zone_code == principal.zone_code if principal.zone_code else false()
    return false()


def tax_bill_scope(principal: Principal) -> Select[Any]:
    """Ids of the tax bills `principal` may read: its own as withholding party or e-commerce
    enterprise; the zone office, customs and tax: their zone."""
    q = select(TaxBill.id)
    if principal.is_enterprise and principal.enterprise_id is not None:
        return q.where(
            or_(
                TaxBill.withholding_enterprise_id == principal.enterprise_id,
                TaxBill.ebc_enterprise_id == principal.enterprise_id,
            )
        )
    if (principal.is_zone_office or principal.org_kind in (kinds.CUSTOMS, kinds.TAX)) and principal.zone_code:
        return q.where(TaxBill.zone_code == principal.zone_code)
    return q.where(false())


@dataclass
class DeclarationFilter:
    kind: str | None = None
    status: str | None = None
    trade_mode: str | None = None
    direction: str | None = "import"
    number: str | None = None  # any business number: order, waybill, list, payment, copNo
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    # Drill-down filters from the statistics pages (the figures behind a chart or table row).
    country: str | None = None  # origin (import) or destination (export), numeric customs code
    hs_chapter: str | None = None  # 2 digits: some line of the list is in this chapter
    hs_heading: str | None = None  # 4 digits
    enterprise_id: int | None = None  # the enterprise in any role (seller, platform, logistics, ...)
    customs_code: str | None = None
    currency: str | None = None


def _beijing_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING).astimezone(dt.UTC)


def search_declarations(
    session: Session, principal: Principal, flt: DeclarationFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[Declaration], int]:
    q = select(Declaration).where(declaration_scope(principal))
    if flt.direction:
        q = q.where(Declaration.direction == flt.direction)
    if flt.kind:
        q = q.where(Declaration.kind == flt.kind)
    if flt.status:
        q = q.where(Declaration.status == flt.status)
    if flt.trade_mode:
        q = q.where(Declaration.trade_mode == flt.trade_mode)
    if flt.number:
        n = flt.number.strip()
        q = q.where(
            or_(
                Declaration.order_no == n,
                Declaration.logistics_no == n,
                Declaration.invt_no == n,
                Declaration.pay_no == n,
                Declaration.cop_no == n,
                Declaration.business_no == n,
            )
        )
    if flt.country:
        q = q.where(Declaration.country == flt.country)
    if flt.customs_code:
        q = q.where(Declaration.customs_code == flt.customs_code)
    if flt.currency:
        q = q.where(Declaration.currency == flt.currency)
    if flt.enterprise_id:
        q = q.where(
            or_(
                Declaration.ebc_enterprise_id == flt.enterprise_id,
                Declaration.ebp_enterprise_id == flt.enterprise_id,
                Declaration.logistics_enterprise_id == flt.enterprise_id,
                Declaration.payment_enterprise_id == flt.enterprise_id,
                Declaration.agent_enterprise_id == flt.enterprise_id,
            )
        )
    hs_prefix = flt.hs_heading or flt.hs_chapter
    if hs_prefix:
        q = q.where(
            select(DeclarationLine.id)
            .where(
                DeclarationLine.declaration_id == Declaration.id,
                DeclarationLine.hs_code.startswith(hs_prefix, autoescape=True),
            )
            .exists()
        )
    # Released figures count by release date, so the drill-down from a statistic does too.
    when = Declaration.released_at if flt.status == "released" else Declaration.created_at
    if flt.date_from:
        q = q.where(when >= _beijing_midnight(flt.date_from))
    if flt.date_to:
        q = q.where(when < _beijing_midnight(flt.date_to + dt.timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(Declaration.id.desc()).limit(limit).offset(offset)))
    if principal.is_audited and rows:
        record_read(
            session,
            principal,
            resource="declaration",
            action="list",
            detail={"count": len(rows), "filter": {k: str(v) for k, v in vars(flt).items() if v}},
            zone_code=principal.zone_code,
        )
    return rows, total


def get_declaration(session: Session, principal: Principal, declaration_id: int) -> Declaration:
    row = session.scalar(
        select(Declaration).where(Declaration.id == declaration_id, declaration_scope(principal))
    )
    if row is None:
        raise NotFound()
    if principal.is_audited:
        record_read(
            session, principal, resource="declaration", resource_id=declaration_id, zone_code=row.zone_code
        )
    return row


def _masked_personal(row: Declaration) -> dict[str, str]:
    plain = personal_head(
        row.kind,
        {
            c: getattr(row, c)
            for c in (
                "buyer_name_enc",
                "buyer_id_enc",
                "buyer_phone_enc",
                "buyer_reg_no_enc",
                "consignee_name_enc",
                "consignee_phone_enc",
                "consignee_address_enc",
            )
        },
        field_cipher(get_settings().data_key),
    )
    return {k: mask(v) for k, v in plain.items() if k != "buyerRegNo"}


def declaration_detail(session: Session, principal: Principal, declaration_id: int) -> dict[str, Any]:
    """The declaration with its timeline, the documents of its transaction, mismatches, the checks'
    results and its tax bill (everything the detail page and GET /declarations/{id} show)."""
    flush_pending(session)
    row = get_declaration(session, principal, declaration_id)
    events = list(
        session.scalars(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == row.id)
            .order_by(DeclarationEvent.id)
        )
    )
    receipts = list(
        session.scalars(
            select(Receipt)
            .where(Receipt.declaration_id == row.id, _receipt_visibility(principal))
            .order_by(Receipt.id)
        )
    )
    lines = list(
        session.scalars(
            select(DeclarationLine)
            .where(DeclarationLine.declaration_id == row.id)
            .order_by(DeclarationLine.g_num)
        )
    )
    related = _transaction_documents(session, principal, row)
    bill = session.scalar(select(TaxBill).where(TaxBill.declaration_id == row.id))
    checks = dict(row.clearance or {})
    mismatches = list((checks.get("match") or {}).get("mismatches") or [])
    enterprises = _enterprise_names(session, row)
    return {
        "declaration": row,
        "kind_label": KIND_LABELS.get(row.kind, row.kind),
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "personal": _masked_personal(row),
        "events": events,
        "receipts": receipts,
        "lines": lines,
        "related": related,
        "checks": checks,
        "mismatches": mismatches,
        "tax_bill": bill,
        "enterprises": enterprises,
    }


def _enterprise_names(session: Session, row: Declaration) -> dict[str, str]:
    ids = {
        "ebp": row.ebp_enterprise_id,
        "ebc": row.ebc_enterprise_id,
        "logistics": row.logistics_enterprise_id,
        "payment": row.payment_enterprise_id,
        "agent": row.agent_enterprise_id,
        "area": row.area_enterprise_id,
    }
    wanted = {v for v in ids.values() if v}
    names = (
        dict(
            session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted)))
            .tuples()
            .all()
        )
        if wanted
        else {}
    )
    return {k: names.get(v, "") for k, v in ids.items() if v}


def _transaction_documents(session: Session, principal: Principal, row: Declaration) -> list[Declaration]:
    """The other documents of the same transaction that the reader may see."""
    if row.direction != "import":
        return []
    conditions: list[ColumnElement[bool]] = []
    if row.order_no and row.ebp_code:
        conditions.append(
            (Declaration.kind.in_(("order", "payment", "inventory")))
            & (Declaration.order_no == row.order_no)
            & (Declaration.ebp_code == row.ebp_code)
        )
    if row.logistics_no and row.logistics_code:
        conditions.append(
            (Declaration.kind.in_(("waybill", "inventory")))
            & (Declaration.logistics_no == row.logistics_no)
            & (Declaration.logistics_code == row.logistics_code)
        )
    conditions.append(Declaration.related_declaration_id == row.id)
    if row.related_declaration_id:
        conditions.append(Declaration.id == row.related_declaration_id)
    # Whoever may read a list may see the documents it was matched with (their numbers and statuses:
    # the mismatches name both sides anyway); from any other document only what the reader may read.
    scope = true() if row.kind == "inventory" else declaration_scope(principal)
    return list(
        session.scalars(
            select(Declaration)
            .where(or_(*conditions), Declaration.id != row.id, scope)
            .order_by(Declaration.id)
        )
    )


def _receipt_visibility(principal: Principal) -> ColumnElement[bool]:
    if principal.is_enterprise:
        return Receipt.recipient_org_id == principal.org_id
    return true()


# --- receipts --------------------------------------------------------------------------------------


def receipts_since(session: Session, principal: Principal, since: int, limit: int) -> list[Receipt]:
    """The caller's receipts after cursor `since`, in id order (ids are assigned in commit order:
    see declarations.service.flush_pending), so reading on from the last id misses nothing."""
    flush_pending(session)
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.recipient_org_id == principal.org_id, Receipt.id > since)
            .order_by(Receipt.id)
            .limit(limit)
        )
    )


def receipt_for(session: Session, principal: Principal, receipt_id: int) -> Receipt:
    flush_pending(session)
    row = session.scalar(
        select(Receipt).where(Receipt.id == receipt_id, Receipt.recipient_org_id == principal.org_id)
    )
    if row is None:
        raise NotFound()
    return row


# --- tax bills -------------------------------------------------------------------------------------


@dataclass
class TaxBillFilter:
    period: str | None = None
    status: str | None = None
    invt_no: str | None = None


def list_tax_bills(
    session: Session, principal: Principal, flt: TaxBillFilter, *, limit: int = 100, offset: int = 0
) -> tuple[list[TaxBill], int, dict[str, Decimal]]:
    q = select(TaxBill).where(TaxBill.id.in_(tax_bill_scope(principal)))
    if flt.period:
        q = q.where(TaxBill.period == flt.period)
    if flt.status:
        q = q.where(TaxBill.status == flt.status)
    if flt.invt_no:
        q = q.where(TaxBill.invt_no == flt.invt_no.strip())
    sub = q.subquery()
    total, tax = session.execute(
        select(func.count(), func.coalesce(func.sum(sub.c.total_tax).filter(sub.c.status != "3"), 0))
    ).one()
    rows = list(session.scalars(q.order_by(TaxBill.id.desc()).limit(limit).offset(offset)))
    if principal.is_audited and rows:
        record_read(
            session,
            principal,
            resource="tax_bill",
            action="list",
            detail={"count": len(rows)},
            zone_code=principal.zone_code,
        )
    return rows, int(total), {"total_tax": Decimal(tax)}
