"""Enterprise and commodity filing (一次备案、多主体共享、全流程使用) and the tariff table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Rate, Timestamp, intpk

ENTERPRISE_ROLES = ("platform", "seller", "logistics", "payment", "broker", "warehouse", "trade_service")
FILING_STATUSES = ("pending", "approved", "rejected")


class Enterprise(Base):
    """The filing of one enterprise organisation: one record every agency reads."""

    __tablename__ = "enterprises"

    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    customs_code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    legal_representative: Mapped[str | None] = mapped_column(String(60))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(120))
    registered_address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(40))
    settlement_bank: Mapped[str | None] = mapped_column(String(120))
    settlement_account: Mapped[str | None] = mapped_column(String(40))
    # [{"platform": "Amazon", "shop": "...", "url": "..."}]
    shops: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    version: Mapped[int] = mapped_column(default=1)


class EnterpriseRole(Base):
    __tablename__ = "enterprise_roles"
    __table_args__ = (UniqueConstraint("enterprise_id", "role"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), index=True)


class EnterpriseChange(Base):
    """History of a filing: who changed what, when (field -> [old, new])."""

    __tablename__ = "enterprise_changes"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    at: Mapped[Timestamp]
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))  # filed, updated, approved, rejected, loaded
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)


class Commodity(Base):
    """A filed good: the item a seller or platform declares in its lists."""

    __tablename__ = "commodities"
    __table_args__ = (UniqueConstraint("enterprise_id", "item_no"), Index("ix_commodities_hs", "hs_code"))

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    item_no: Mapped[str] = mapped_column(String(40))  # 企业商品货号
    name: Mapped[str] = mapped_column(String(250))
    hs_code: Mapped[str] = mapped_column(String(10))
    declared_elements: Mapped[str | None] = mapped_column(Text)  # 申报要素
    brand: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(250))  # 规格型号
    origin_country: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(3))  # legal first unit, JGS-20
    unit2: Mapped[str | None] = mapped_column(String(3))
    unit_price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3), default="142")
    barcode: Mapped[str | None] = mapped_column(String(50))
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    consumption_tax_rate: Mapped[Decimal] = mapped_column(Rate)
    tariff_rate: Mapped[Decimal] = mapped_column(Rate)
    positive_list: Mapped[bool]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class TariffLine(Base):
    """Retail-import tax rates and positive-list status per HS code (8 or 10 digits).

    zone_code NULL is the national table shipped with silkgate; a zone office's loaded
    lines override it for that zone.
    """

    __tablename__ = "tariff_lines"
    __table_args__ = (UniqueConstraint("zone_code", "hs_code"),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"))
    hs_code: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(200))
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    consumption_tax_rate: Mapped[Decimal] = mapped_column(Rate)
    tariff_rate: Mapped[Decimal] = mapped_column(Rate)
    positive_list: Mapped[bool]
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[Timestamp]
