"""Export side (出口): list release state, summary declarations (汇总申报), returns (出口退货),
B2B and overseas-warehouse filings (9710/9810), FX collections and netting, rate table, seller settings.

The business documents themselves (CEB303/403/505/507/509/603/605/213) are `Declaration` rows of the
shared pipeline; `ExportList` is the export state of one CEB603 list (what it still waits for, when it
arrived, left, which summary it went into), so that the pages and the summaries read one table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Money, Timestamp, intpk

# 清单核放、汇总申报 (FX settlement / rebates) vs 清单核放、汇总统计 (neither): 海关总署公告2018年第194号.
DECLARATION_PATHS = ("summary_declaration", "summary_statistics")
# Whether the seller holds valid purchase invoices (有效进货凭证) for its exports (财税〔2018〕103号).
PURCHASE_INVOICE_STATES = ("none", "held")
EXPORT_LIST_STATUSES = ("waiting", "released", "departed", "withdrawn", "returned")
SUMMARY_STATUSES = ("proposed", "submitted", "accepted", "rejected", "cancelled")
FX_MATCH_STATUSES = ("unmatched", "matched")
NETTING_KINDS = ("storage", "logistics", "overseas_tax", "platform_fee", "other")

RateType = Numeric(16, 8, asdecimal=True)


class ExportSellerSetting(Base):
    """Per-seller export settings: declaration path, invoices, and the facts the CIT rates need."""

    __tablename__ = "export_seller_settings"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), unique=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    declaration_path: Mapped[str] = mapped_column(String(24), default="summary_declaration")
    purchase_invoices: Mapped[str] = mapped_column(String(8), default="none")
    # 核定征收 accepted by the tax office (国家税务总局公告2019年第36号 第三条: 鉴定).
    deemed_levy_approved: Mapped[bool] = mapped_column(default=False)
    # 小型微利企业 tests (财政部 税务总局公告2023年第12号 / 2023年第6号): from the seller's own figures.
    employees: Mapped[int | None]
    total_assets: Mapped[Decimal | None] = mapped_column(Money)
    restricted_industry: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[Timestamp]


class ExportZoneSetting(Base):
    """Per-zone export facts the zone office keeps: the customs offices in the zone (综试区所在地海关)."""

    __tablename__ = "export_zone_settings"

    zone_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    customs_codes: Mapped[list[str]] = mapped_column(default=list)
    updated_at: Mapped[Timestamp]


class ExemptionExcludedGoods(Base):
    """Goods for which export rebates/exemptions were cancelled (财税〔2018〕103号 第一条第（三）项),
    by HS prefix, as the zone office loads them with their source document."""

    __tablename__ = "export_excluded_goods"
    __table_args__ = (UniqueConstraint("zone_code", "hs_prefix"),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6))
    hs_prefix: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))


class ExportList(Base):
    """The export state of one CEB603 inventory list (出口申报清单)."""

    __tablename__ = "export_lists"
    __table_args__ = (
        Index("ix_export_lists_seller_status", "seller_enterprise_id", "status"),
        Index("ix_export_lists_zone_departed", "zone_code", "departed_at"),
        Index("ix_export_lists_order", "ebp_code", "order_no"),
        Index("ix_export_lists_seller_order", "seller_enterprise_id", "order_no"),  # bank collections
        Index("ix_export_lists_logistics", "logistics_code", "logistics_no"),
    )

    id: Mapped[intpk]
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), unique=True)
    zone_code: Mapped[str | None] = mapped_column(String(6), index=True)
    seller_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    platform_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    logistics_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    agent_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    trade_mode: Mapped[str] = mapped_column(String(4))
    statistics_flag: Mapped[str] = mapped_column(String(1))  # A 简化申报 (汇总统计) | B 汇总申报
    cop_no: Mapped[str] = mapped_column(String(30))
    invt_no: Mapped[str] = mapped_column(String(20), index=True)
    order_no: Mapped[str] = mapped_column(String(60))
    ebp_code: Mapped[str] = mapped_column(String(18))
    ebc_code: Mapped[str] = mapped_column(String(18))
    owner_code: Mapped[str] = mapped_column(String(18))
    agent_code: Mapped[str] = mapped_column(String(18))
    logistics_code: Mapped[str] = mapped_column(String(18))
    logistics_no: Mapped[str] = mapped_column(String(32))
    customs_code: Mapped[str] = mapped_column(String(4))
    port_code: Mapped[str] = mapped_column(String(4))
    traf_mode: Mapped[str] = mapped_column(String(1))
    country: Mapped[str] = mapped_column(String(3))
    loct_no: Mapped[str | None] = mapped_column(String(10))
    ie_date: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(String(3))
    goods_value: Mapped[Decimal] = mapped_column(Money)
    value_cny: Mapped[Decimal | None] = mapped_column(Money)
    gross_weight: Mapped[Decimal] = mapped_column(Money)
    net_weight: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    # What the list still waits for: ["order", "collection", "waybill", "arrival"].
    missing: Mapped[list[str]] = mapped_column(default=list)
    mismatches: Mapped[list[Any]] = mapped_column(default=list)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("export_overseas_warehouses.id"))
    arrived_at: Mapped[dt.datetime | None]
    released_at: Mapped[dt.datetime | None]
    departed_at: Mapped[dt.datetime | None]
    summary_id: Mapped[int | None] = mapped_column(ForeignKey("export_summaries.id"), index=True)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class ExportSummary(Base):
    """One proposed / submitted summary declaration (汇总申请单, CEB701): one group of lists under
    海关总署公告2018年第194号 第十一条 that becomes one export declaration (出口货物报关单)."""

    __tablename__ = "export_summaries"
    __table_args__ = (Index("ix_export_summaries_seller_period", "seller_enterprise_id", "period"),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6), index=True)
    seller_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM the lists were closed (结关) in
    due_date: Mapped[dt.date]
    cop_no: Mapped[str] = mapped_column(String(30), unique=True)
    guid: Mapped[str] = mapped_column(String(36))
    # The grouping key (清单表头): ebc_code, traf_mode, owner_code, country, port_code, + trade_mode, customs_code.
    group_key: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The merged goods items (清单表体): [{"country","hs_code","currency","unit","qty","qty1","unit1","value","lists"}]
    items: Mapped[list[Any]] = mapped_column(default=list)
    list_count: Mapped[int] = mapped_column(default=0)
    total_value_cny: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    gross_weight: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    net_weight: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    decl_agent_code: Mapped[str] = mapped_column(String(18))
    decl_agent_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    sum_no: Mapped[str | None] = mapped_column(String(18))
    entry_id: Mapped[str | None] = mapped_column(String(18))  # 报关单编号 once accepted
    status_info: Mapped[str | None] = mapped_column(Text)
    message_xml: Mapped[str | None] = mapped_column(Text)  # the CEB701 as submitted
    created_at: Mapped[Timestamp]
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]


class ExportAuditEvent(Base):
    """Audit trail of export records: summary review/submission, netting, settings, returns."""

    __tablename__ = "export_audit_events"
    __table_args__ = (Index("ix_export_audit_subject", "subject", "subject_id"),)

    id: Mapped[intpk]
    at: Mapped[Timestamp]
    zone_code: Mapped[str | None] = mapped_column(String(6))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))  # summary, netting, fx, setting, return, rate
    subject_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(30))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ExportReturn(Base):
    """An export return (出口退货, CEB213) against one released list (海关总署公告2020年第44号)."""

    __tablename__ = "export_returns"

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6), index=True)
    seller_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("export_lists.id"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"))
    co_el_no: Mapped[str] = mapped_column(String(30))
    invt_no: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    returned_on: Mapped[dt.date]
    value: Mapped[Decimal] = mapped_column(Money)  # in the list's currency
    value_cny: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[Timestamp]


class ExportReturnLine(Base):
    __tablename__ = "export_return_lines"

    id: Mapped[intpk]
    return_id: Mapped[int] = mapped_column(ForeignKey("export_returns.id", ondelete="CASCADE"), index=True)
    g_num: Mapped[int]
    hs_code: Mapped[str] = mapped_column(String(10))
    g_name: Mapped[str] = mapped_column(String(250))
    qty: Mapped[Decimal] = mapped_column(Money)
    qty1: Mapped[Decimal] = mapped_column(Money)
    qty2: Mapped[Decimal | None] = mapped_column(Money)
    value: Mapped[Decimal] = mapped_column(Money)


class B2BExportFiling(Base):
    """跨境电商B2B出口企业备案 per mode (海关总署公告2020年第75号): 9710 direct export, 9810 overseas warehouse."""

    __tablename__ = "export_b2b_filings"
    __table_args__ = (UniqueConstraint("enterprise_id", "trade_mode"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    trade_mode: Mapped[str] = mapped_column(String(4))  # 9710 | 9810
    customs_code: Mapped[str] = mapped_column(String(4))  # 主管海关
    business_scope: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="approved")
    filed_at: Mapped[Timestamp]


class OverseasWarehouse(Base):
    """海外仓备案 for 9810 (海关总署公告2020年第75号 附件: 海外仓名称、地址、面积、所在国家、经营主体、使用证明)."""

    __tablename__ = "export_overseas_warehouses"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(300))
    area_m2: Mapped[Decimal] = mapped_column(Money)
    operator: Mapped[str] = mapped_column(String(200))  # 经营主体
    ownership: Mapped[str] = mapped_column(String(8))  # own | leased
    contract_no: Mapped[str | None] = mapped_column(String(60))
    contract_valid_until: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(12), default="approved")
    filed_at: Mapped[Timestamp]


class ExchangeRate(Base):
    """Currency conversion rate (1 unit of `currency` = rate_to_cny CNY) from `valid_from` on.

    zone_code NULL is the deployment-wide table; a zone's own row overrides it. Shared with the
    statistics (helper S) through `silkgate.export.fx.rate_to_cny`.
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("zone_code", "currency", "valid_from"),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6))
    currency: Mapped[str] = mapped_column(String(3), index=True)  # numeric customs code, 502 美元
    rate_to_cny: Mapped[Decimal] = mapped_column(RateType)
    valid_from: Mapped[dt.date]
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[Timestamp]


class FxCollection(Base):
    """A payment collection (收款) for an export order: from CEB403 or a bank record, matched to the list."""

    __tablename__ = "export_fx_collections"
    __table_args__ = (Index("ix_export_fx_seller_order", "seller_enterprise_id", "order_no"),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6), index=True)
    seller_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), unique=True)
    source: Mapped[str] = mapped_column(String(12))  # ceb403 | bank
    ebp_code: Mapped[str | None] = mapped_column(String(18))
    order_no: Mapped[str] = mapped_column(String(60))
    pay_no: Mapped[str | None] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    rate_to_cny: Mapped[Decimal | None] = mapped_column(RateType)
    amount_cny: Mapped[Decimal | None] = mapped_column(Money)
    collected_on: Mapped[dt.date]
    list_id: Mapped[int | None] = mapped_column(ForeignKey("export_lists.id"), index=True)
    match_status: Mapped[str] = mapped_column(String(10), default="unmatched")
    created_at: Mapped[Timestamp]


class NettingEntry(Base):
    """An overseas cost netted against export proceeds (轧差): kept so the gross can be restored (FIN-07)."""

    __tablename__ = "export_netting_entries"

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(String(6), index=True)
    seller_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    counterparty: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    amount_cny: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str | None] = mapped_column(Text)
    reversed_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]


class ExportConveyance(Base):
    """A parcel's arrival at the supervised site (运抵, CEB507) or departure (离境, CEB509), kept per
    waybill so that it counts whether it comes before or after the list."""

    __tablename__ = "export_conveyances"
    __table_args__ = (Index("ix_export_conveyances_parcel", "kind", "logistics_code", "logistics_no"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(10))  # arrival | departure
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), index=True)
    logistics_code: Mapped[str] = mapped_column(String(18))
    logistics_no: Mapped[str | None] = mapped_column(String(32))
    bill_no: Mapped[str | None] = mapped_column(String(37), index=True)
    customs_code: Mapped[str | None] = mapped_column(String(4))
    at: Mapped[dt.datetime]
