"""CEB business documents (import and export) as received, their timelines, receipts and tax bills.

One `Declaration` row per business document (order, payment, waybill, inventory list, withdrawal,
return, export documents...). Personal data (buyer / payer / consignee names, ID numbers, phones,
addresses) is never stored in plain text: SM4-GCM ciphertext (`*_enc`) plus a keyed SM3 blind
index (`*_index`) for equality look-ups (quota per ID, buyer = payer, order consignee = waybill
consignee). `head` holds the document's other head fields exactly as declared, without personal data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Money, Timestamp, intpk

# Life cycle of a declaration (FIELDS.md §3.1 receipt codes in brackets where one applies).
DECLARATION_STATUSES = (
    "stored",  # 暂存 (appStatus=1) [1]
    "declared",  # 申报, accepted into the platform [2/120]
    "waiting",  # inventory list waiting for its order / payment / waybill
    "matched",  # three documents matched, checks under way
    "released",  # 放行 [800]
    "rejected",  # 退单 [100]
    "held",  # 查验 [500]
    "withdrawn",  # 撤销 (CEB623 accepted)
    "returned",  # 退货 (CEB625 accepted)
    "deleted",  # appType=3 before release
    "departed",  # export: left the country
    "closed",  # 结关 [899]
)
DIRECTIONS = ("import", "export")
RAW_OUTCOMES = ("accepted", "rejected", "replayed")


class RawMessage(Base):
    """Every message received, byte for byte, append-only, with its SM3 digest.

    Kept even when the message is refused (malformed, XXE, oversize, unauthorised sender), so that
    what was received can always be proved. `response` holds the receipts returned for it, so that
    a replay of the same guid returns exactly the same answer.
    """

    __tablename__ = "raw_messages"
    __table_args__ = (
        Index("ix_raw_messages_sender_guid", "sender_org_id", "guid"),
        Index("ix_raw_messages_received_at", "received_at"),
    )

    id: Mapped[intpk]
    received_at: Mapped[Timestamp]
    sender_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    message_type: Mapped[str | None] = mapped_column(String(12))  # CEB621, ... (None: unreadable)
    guid: Mapped[str | None] = mapped_column(String(64))
    edition: Mapped[str | None] = mapped_column(String(8))  # 2018 | 202205
    fmt: Mapped[str] = mapped_column(String(8), default="xml")  # xml | json
    sm3: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(12))  # accepted | rejected | replayed
    # The receipts answered for this message (list of receipt dicts, no personal data).
    response: Mapped[list[Any]] = mapped_column(default=list)


class BrokerAuthorisation(Base):
    """An enterprise's authorisation of a customs broker (报关企业) to declare on its behalf.

    A message is accepted from the enterprise named in its codes, or from a broker that enterprise
    has authorised (and not revoked) — 海关总署公告2018年第194号: the e-commerce enterprise or its
    agent (代理人) declares the list.
    """

    __tablename__ = "broker_authorisations"
    __table_args__ = (UniqueConstraint("principal_enterprise_id", "broker_enterprise_id"),)

    id: Mapped[intpk]
    principal_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    broker_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    valid_from: Mapped[dt.date | None]
    valid_until: Mapped[dt.date | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]


class Declaration(Base):
    """One business document of a CEB message (import or export)."""

    __tablename__ = "declarations"
    __table_args__ = (
        UniqueConstraint("kind", "sender_org_id", "guid"),
        Index("ix_declarations_kind_order_no", "kind", "order_no"),
        Index("ix_declarations_kind_logistics_no", "kind", "logistics_no"),
        Index("ix_declarations_kind_invt_no", "kind", "invt_no"),
        Index("ix_declarations_kind_cop_no", "kind", "cop_no"),
        Index("ix_declarations_kind_pay_no", "kind", "pay_no"),
        Index("ix_declarations_kind_guid", "kind", "guid"),  # a sender's guid reused (ingest)
        Index("ix_declarations_zone_status_released", "zone_code", "status", "released_at"),
        Index("ix_declarations_zone_created", "zone_code", "created_at"),
        # the newest lists of a zone first (the declarations page and API): read in index order
        Index("ix_declarations_zone_direction_id", "zone_code", "direction", "id"),
        Index("ix_declarations_ebc_created", "ebc_enterprise_id", "created_at"),
        # Risk rules (risk.service): every history look-up is a range scan bounded by key and window.
        Index("ix_declarations_phone_created", "phone_index", "created_at"),
        Index("ix_declarations_address_created", "address_index", "created_at"),
        Index("ix_declarations_buyer_created", "buyer_id_index", "created_at"),
        # REPEAT_VIOLATIONS: an enterprise's lists at the window's first, partial hour (index only).
        Index(
            "ix_declarations_ebc_kind_created",
            "ebc_enterprise_id",
            "kind",
            "created_at",
            "zone_code",
            "status",
        ),
        # REPEAT_VIOLATIONS counts an enterprise's rejected lists (few) without walking the others.
        Index("ix_declarations_ebc_status_kind_created", "ebc_enterprise_id", "status", "kind", "created_at"),
        Index(
            "ix_declarations_ebc_direction_kind_created",
            "ebc_enterprise_id",
            "direction",
            "kind",
            "created_at",
        ),
        # PRICE_OUTLIER on SQLite reads a walked line's list from this index, not from its wide row.
        Index(
            "ix_declarations_id_zone_direction_kind_created",
            "id",
            "zone_code",
            "direction",
            "kind",
            "created_at",
        ),
    )

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6))
    direction: Mapped[str] = mapped_column(String(6))  # import | export
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # order | payment | waybill | inventory | cancel | refund ...
    message_type: Mapped[str] = mapped_column(String(12))  # CEB311, CEB621, ...
    edition: Mapped[str | None] = mapped_column(String(8))
    guid: Mapped[str] = mapped_column(String(64))  # the document's own guid (head guid)
    message_guid: Mapped[str | None] = mapped_column(String(64))  # the root guid of the message
    raw_message_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id"))
    sender_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    business_no: Mapped[str] = mapped_column(String(64))
    trade_mode: Mapped[str | None] = mapped_column(String(4))

    ebp_code: Mapped[str | None] = mapped_column(String(18))
    ebc_code: Mapped[str | None] = mapped_column(String(18))
    logistics_code: Mapped[str | None] = mapped_column(String(18))
    pay_code: Mapped[str | None] = mapped_column(String(18))
    agent_code: Mapped[str | None] = mapped_column(String(18))
    area_code: Mapped[str | None] = mapped_column(String(18))  # 1210: bonded warehouse enterprise
    ebp_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    ebc_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    logistics_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    payment_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    agent_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    area_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))

    order_no: Mapped[str | None] = mapped_column(String(60))
    logistics_no: Mapped[str | None] = mapped_column(String(60))
    invt_no: Mapped[str | None] = mapped_column(String(18))
    pay_no: Mapped[str | None] = mapped_column(String(60))  # payTransactionId / payNo
    cop_no: Mapped[str | None] = mapped_column(String(20))
    pre_no: Mapped[str | None] = mapped_column(String(18))
    # For a withdrawal / return: the inventory list it concerns; for a list: its order.
    related_declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), index=True)

    status: Mapped[str] = mapped_column(String(12))
    app_type: Mapped[str] = mapped_column(String(1), default="1")
    app_status: Mapped[str] = mapped_column(String(3), default="2")
    version: Mapped[int] = mapped_column(default=1)  # +1 for each accepted appType=2 change
    head: Mapped[dict[str, Any]] = mapped_column(default=dict)  # CEB head fields, NO personal data
    # The goods lines exactly as declared (CEB names); lists and returns also get DeclarationLine rows.
    line_fields: Mapped[list[Any]] = mapped_column(default=list)
    # Outcome of each clearance check (filing, match, identity, quota, tax, bonded, decision).
    clearance: Mapped[dict[str, Any]] = mapped_column(default=dict)

    currency: Mapped[str | None] = mapped_column(String(3))
    goods_value: Mapped[Decimal | None] = mapped_column(Money)
    freight: Mapped[Decimal | None] = mapped_column(Money)
    insured_fee: Mapped[Decimal | None] = mapped_column(Money)
    discount: Mapped[Decimal | None] = mapped_column(Money)
    tax_total: Mapped[Decimal | None] = mapped_column(Money)
    actual_paid: Mapped[Decimal | None] = mapped_column(Money)
    value_cny: Mapped[Decimal | None] = mapped_column(Money)
    country: Mapped[str | None] = mapped_column(String(3))
    customs_code: Mapped[str | None] = mapped_column(String(4))
    port_code: Mapped[str | None] = mapped_column(String(4))

    # Personal data: encrypted values and blind indexes only.
    buyer_id_index: Mapped[str | None] = mapped_column(String(64))  # indexed with created_at
    buyer_name_index: Mapped[str | None] = mapped_column(String(64))
    buyer_name_enc: Mapped[str | None] = mapped_column(Text)
    buyer_id_enc: Mapped[str | None] = mapped_column(Text)
    buyer_phone_enc: Mapped[str | None] = mapped_column(Text)
    buyer_reg_no_enc: Mapped[str | None] = mapped_column(Text)
    consignee_name_enc: Mapped[str | None] = mapped_column(Text)
    consignee_phone_enc: Mapped[str | None] = mapped_column(Text)
    consignee_address_enc: Mapped[str | None] = mapped_column(Text)
    consignee_name_index: Mapped[str | None] = mapped_column(String(64))
    # The risk rules (brushing: many buyers at one address or phone) look these blind indexes up.
    address_index: Mapped[str | None] = mapped_column(String(64))  # indexed with created_at
    phone_index: Mapped[str | None] = mapped_column(String(64))  # indexed with created_at

    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    decided_at: Mapped[dt.datetime | None]
    released_at: Mapped[dt.datetime | None]


class ListHourCount(Base):
    """How many inventory lists each e-commerce enterprise (ebc) declared in each hour (UTC epoch
    hours), kept as lists are stored (`declarations.service`): a per-seller count over a window adds
    up the window's hours instead of counting every list in it (risk rule REPEAT_VIOLATIONS)."""

    __tablename__ = "list_hour_counts"

    zone_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True)  # floor(created_at epoch seconds / 3600)
    lists: Mapped[int] = mapped_column(default=0)


class DeclarationLine(Base):
    """One goods line of an order, inventory list, return or export document."""

    __tablename__ = "declaration_lines"
    __table_args__ = (
        Index("ix_declaration_lines_decl_gnum", "declaration_id", "g_num"),
        # PRICE_OUTLIER: the latest same-HS, same-currency prices, walked backwards by list.
        Index(
            "ix_declaration_lines_hs_currency_decl_price", "hs_code", "currency", "declaration_id", "price"
        ),
    )

    id: Mapped[intpk]
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    g_num: Mapped[int]
    item_no: Mapped[str | None] = mapped_column(String(30), index=True)
    item_record_no: Mapped[str | None] = mapped_column(String(30))
    item_name: Mapped[str | None] = mapped_column(String(250))
    g_name: Mapped[str | None] = mapped_column(String(250))
    g_model: Mapped[str | None] = mapped_column(String(510))
    bar_code: Mapped[str | None] = mapped_column(String(50))
    hs_code: Mapped[str | None] = mapped_column(String(10))  # indexed with currency, list, price
    qty: Mapped[Decimal | None] = mapped_column(Money)
    unit: Mapped[str | None] = mapped_column(String(3))
    qty1: Mapped[Decimal | None] = mapped_column(Money)
    unit1: Mapped[str | None] = mapped_column(String(3))
    qty2: Mapped[Decimal | None] = mapped_column(Money)
    unit2: Mapped[str | None] = mapped_column(String(3))
    price: Mapped[Decimal | None] = mapped_column(Money)
    total_price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String(3))
    trade_country: Mapped[str | None] = mapped_column(String(3))
    commodity_id: Mapped[int | None] = mapped_column(ForeignKey("commodities.id"))
    note: Mapped[str | None] = mapped_column(Text)


class DeclarationEvent(Base):
    """The timeline of a declaration: each step with what it found (no personal data in detail)."""

    __tablename__ = "declaration_events"

    id: Mapped[intpk]
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(12))
    step: Mapped[str] = mapped_column(
        String(20)
    )  # received, filing, match, identity, quota, tax, bonded, decision...
    info: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))


class Receipt(Base):
    """A receipt addressed to one organisation. `id` is the resumable cursor of GET /receipts."""

    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_recipient_id", "recipient_org_id", "id"),)

    id: Mapped[intpk]
    recipient_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), index=True)
    raw_message_id: Mapped[int | None] = mapped_column(ForeignKey("raw_messages.id"), index=True)
    message_type: Mapped[str] = mapped_column(String(12))  # the receipt type, e.g. CEB622
    declared_type: Mapped[str | None] = mapped_column(String(12))  # the declaration type, e.g. CEB621
    guid: Mapped[str] = mapped_column(String(64))  # the declared document's guid
    business_no: Mapped[str] = mapped_column(String(64))
    return_status: Mapped[str] = mapped_column(String(10))
    return_info: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[Timestamp]


class TaxBill(Base):
    """电子税单 (CEB816 TaxHeadRd/TaxListRd) for one released import list.

    status as the standard: 1 已生成, 2 已汇总, 3 作废 (withdrawn or returned in time: not levied).
    The withholding party (代扣代缴义务人) is the e-commerce enterprise or its agent
    (财关税〔2016〕18号 第三条; 海关总署公告2018年第194号).
    """

    __tablename__ = "tax_bills"
    __table_args__ = (
        Index("ix_tax_bills_withholder_period", "withholding_enterprise_id", "period"),
        Index("ix_tax_bills_zone_period", "zone_code", "period"),
    )

    id: Mapped[intpk]
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), unique=True)
    zone_code: Mapped[str | None] = mapped_column(String(6))
    tax_no: Mapped[str] = mapped_column(String(50), unique=True)
    invt_no: Mapped[str] = mapped_column(String(18))
    ebc_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    withholding_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    ebc_code: Mapped[str | None] = mapped_column(String(18))
    agent_code: Mapped[str | None] = mapped_column(String(18))
    logistics_code: Mapped[str | None] = mapped_column(String(18))
    assure_code: Mapped[str | None] = mapped_column(String(30))
    customs_code: Mapped[str | None] = mapped_column(String(4))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM (Beijing time of release)
    taxable_value: Mapped[Decimal] = mapped_column(Money)
    customs_tax: Mapped[Decimal] = mapped_column(Money)
    value_added_tax: Mapped[Decimal] = mapped_column(Money)
    consumption_tax: Mapped[Decimal] = mapped_column(Money)
    total_tax: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(1), default="1")
    # [{"gnum", "gcode", "taxPrice", "customsTax", "valueAddedTax", "consumptionTax"}] as decimal strings
    lines: Mapped[list[Any]] = mapped_column(default=list)
    issued_at: Mapped[Timestamp]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
