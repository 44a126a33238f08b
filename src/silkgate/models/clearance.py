"""Clearance tables: the local identity registry, buyers' annual quota, the 1210 bonded account book.

No plain personal data: ID numbers only as keyed SM3 blind indexes, names SM4-encrypted plus an index.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Money, Timestamp, intpk


class IdentityRecord(Base):
    """One person of the local identity registry (个人身份信息核查库) the zone loads."""

    __tablename__ = "identity_records"

    id: Mapped[intpk]
    id_index: Mapped[str] = mapped_column(String(64), unique=True)  # blind index of the ID number
    name_index: Mapped[str] = mapped_column(String(64))  # blind index of the name, for comparing
    name_enc: Mapped[str] = mapped_column(Text)  # SM4-GCM
    source: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class BuyerAnnualQuota(Base):
    """How much of the annual limit (财关税〔2018〕49号: 26,000 CNY) one buyer has used in one year."""

    __tablename__ = "buyer_annual_quotas"
    __table_args__ = (
        UniqueConstraint("buyer_id_index", "year"),
        CheckConstraint("used >= 0", name="used_not_negative"),
    )

    id: Mapped[intpk]
    buyer_id_index: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    used: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    updated_at: Mapped[Timestamp]


class QuotaMovement(Base):
    """History of a buyer's quota: each reservation (list released) and release (withdrawal, return)."""

    __tablename__ = "quota_movements"
    __table_args__ = (Index("ix_quota_movements_buyer_year", "buyer_id_index", "year"),)

    id: Mapped[intpk]
    buyer_id_index: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))  # reserve | release
    amount: Mapped[Decimal] = mapped_column(Money)  # positive for reserve, negative for release
    used_after: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(80), default="")
    at: Mapped[Timestamp]


class BondedStock(Base):
    """The 1210 account book: quantity of one item of one owner held in one bonded warehouse."""

    __tablename__ = "bonded_stock"
    __table_args__ = (
        UniqueConstraint("warehouse_enterprise_id", "owner_code", "item_no"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[intpk]
    warehouse_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    owner_code: Mapped[str] = mapped_column(String(18), index=True)  # the seller's customs code (ebcCode)
    item_no: Mapped[str] = mapped_column(String(40))  # the seller's SKU (itemNo)
    item_record_no: Mapped[str | None] = mapped_column(String(30))  # 账册备案料号
    item_name: Mapped[str | None] = mapped_column(String(250))
    unit: Mapped[str | None] = mapped_column(String(3))
    quantity: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    updated_at: Mapped[Timestamp]


class BondedStockMovement(Base):
    """History of the account book: stock-in, deduction for a released list, restoration for a return."""

    __tablename__ = "bonded_stock_movements"

    id: Mapped[intpk]
    stock_id: Mapped[int] = mapped_column(ForeignKey("bonded_stock.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # stock_in | deduct | restore
    quantity: Mapped[Decimal] = mapped_column(Money)  # signed change
    balance_after: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(80), default="")  # entry no., list no., return no.
    declaration_id: Mapped[int | None]
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    at: Mapped[Timestamp]
    note: Mapped[str | None] = mapped_column(Text)
