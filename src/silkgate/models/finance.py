"""Financial services (金融服务体系): consent grants to banks and insurers, financing applications
with their collateral locks, export credit insurance, and cross-border settlement records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Rate, Timestamp, intpk

# The slices of an enterprise's record a grant may open (FIN-04).
GRANT_SLICES = ("filings", "declarations", "fx", "credit")
# Supply-chain finance products (FIN-02).
FINANCING_PRODUCTS = ("order", "warehouse_pledge", "receivables", "term_advance")
FINANCING_STATUSES = ("applied", "under_review", "approved", "declined", "disbursed", "closed", "withdrawn")


class DataGrant(Base):
    """An enterprise's consent that a named bank or insurer may read slices of its record for a period."""

    __tablename__ = "finance_grants"
    __table_args__ = (Index("ix_finance_grants_grantee_enterprise", "grantee_org_id", "enterprise_id"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    grantee_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    slices: Mapped[list[str]] = mapped_column(default=list)
    purpose: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    created_at: Mapped[Timestamp]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FinancingApplication(Base):
    """One application for a supply-chain finance product, addressed to one bank."""

    __tablename__ = "financing_applications"

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    bank_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_requested: Mapped[Decimal]
    term_days: Mapped[int]
    purpose: Mapped[str] = mapped_column(Text)
    # What backs the application: declaration ids (order / receivables lists), or the pledge lines.
    collateral: Mapped[dict[str, Any]] = mapped_column(default=dict)
    collateral_value: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    amount_approved: Mapped[Decimal | None]
    annual_rate: Mapped[Decimal | None] = mapped_column(Rate)
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]
    amount_disbursed: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    disbursed_at: Mapped[dt.datetime | None]
    amount_repaid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    closed_at: Mapped[dt.datetime | None]
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class FinancingEvent(Base):
    """The application's timeline: every state change, who made it and why."""

    __tablename__ = "financing_events"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("financing_applications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[Timestamp]
    status: Mapped[str] = mapped_column(String(16))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    amount: Mapped[Decimal | None]
    note: Mapped[str | None] = mapped_column(Text)


class Repayment(Base):
    __tablename__ = "financing_repayments"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(
        ForeignKey("financing_applications.id", ondelete="CASCADE"), index=True
    )
    paid_on: Mapped[dt.date]
    amount: Mapped[Decimal]
    recorded_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[Timestamp]


class PledgePosition(Base):
    """The pledged quantity of one stock position (source + key): the row every pledge and every
    release of that stock locks, so that a quantity is never pledged twice nor released while pledged."""

    __tablename__ = "pledge_positions"
    __table_args__ = (UniqueConstraint("source", "position_key"),)

    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(12))  # bonded | overseas
    position_key: Mapped[str] = mapped_column(String(120))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    item_no: Mapped[str] = mapped_column(String(40))
    pledged_quantity: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    updated_at: Mapped[Timestamp]


class PledgeLock(Base):
    """One application's lock on a stock position; released when the loan closes or is declined."""

    __tablename__ = "pledge_locks"

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("financing_applications.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("pledge_positions.id"), index=True)
    quantity: Mapped[Decimal]
    unit_value: Mapped[Decimal]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Timestamp]
    released_at: Mapped[dt.datetime | None]


class InsurancePolicy(Base):
    """Export credit insurance (出口信用保险) on an enterprise's shipments to a named buyer."""

    __tablename__ = "insurance_policies"

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    policy_no: Mapped[str] = mapped_column(String(40), unique=True)
    insurer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_country: Mapped[str] = mapped_column(String(3))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    insured_value: Mapped[Decimal]
    premium: Mapped[Decimal]
    # Shipments covered: export declaration ids (lists).
    declaration_ids: Mapped[list[Any]] = mapped_column(default=list)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, expired, cancelled
    created_at: Mapped[Timestamp]


class InsuranceClaim(Base):
    __tablename__ = "insurance_claims"

    id: Mapped[intpk]
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    declaration_id: Mapped[int | None]
    loss_cause: Mapped[str] = mapped_column(String(20))  # buyer_default, insolvency, political, refusal
    amount_claimed: Mapped[Decimal]
    amount_paid: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(12), default="filed")  # filed, paid, rejected
    note: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[Timestamp]
    decided_at: Mapped[dt.datetime | None]


class SettlementRecord(Base):
    """A cross-border settlement: FX receipt/settlement/purchase or cross-border RMB (FIN-09, ONL-13)."""

    __tablename__ = "settlement_records"
    __table_args__ = (UniqueConstraint("payment_org_id", "reference"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    payment_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reference: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # fx_receipt, fx_settlement, fx_purchase, rmb_receipt, rmb_payment
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217 as the bank reports it
    amount: Mapped[Decimal]
    amount_cny: Mapped[Decimal]
    counterparty_country: Mapped[str | None] = mapped_column(String(3))
    settled_on: Mapped[dt.date]
    declaration_id: Mapped[int | None]
    created_at: Mapped[Timestamp]
