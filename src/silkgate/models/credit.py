"""Credit ("一库三系统"): the credit database, the zone rating, supervision policy and the negative list.

Agency reports and platform findings are append-only `CreditItem` rows (dated, sourced, never
overwritten); `CreditRecord` is the one current summary per enterprise that clearance reads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Rate, Timestamp, intpk


class CreditRecord(Base):
    """One record per enterprise: platform facts (counted from declarations and events), the
    current agency grades, and the current zone rating with its explained factors."""

    __tablename__ = "credit_records"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), unique=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    # Platform facts (all counts since the enterprise's first declaration).
    declarations_total: Mapped[int] = mapped_column(default=0)
    released_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    mismatch_count: Mapped[int] = mapped_column(default=0)
    held_count: Mapped[int] = mapped_column(default=0)
    withdrawn_count: Mapped[int] = mapped_column(default=0)
    returned_count: Mapped[int] = mapped_column(default=0)
    released_value_cny: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    # Current agency grades (the newest CreditItem of each kind; history stays in credit_items).
    customs_level: Mapped[str] = mapped_column(String(24), default="regular")
    tax_grade: Mapped[str | None] = mapped_column(String(2))
    forex_class: Mapped[str | None] = mapped_column(String(2))
    # Zone rating.
    score: Mapped[int] = mapped_column(default=100)
    tier: Mapped[str] = mapped_column(String(1), default="C", index=True)
    factors: Mapped[list[Any]] = mapped_column(default=list)
    # Findings against the customs dishonest criteria the platform can evaluate (shown to customs).
    customs_findings: Mapped[list[Any]] = mapped_column(default=list)
    on_negative_list: Mapped[bool] = mapped_column(default=False)
    rated_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class CreditItem(Base):
    """One dated, sourced fact about an enterprise; never updated. A correction is a new item
    that `revokes_item_id` the earlier one."""

    __tablename__ = "credit_items"
    __table_args__ = (Index("ix_credit_items_enterprise_kind", "enterprise_id", "kind"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    # customs_level, tax_grade, forex_class, court_judgement, admin_penalty, tax_arrears,
    # fines_arrears, risk_case_confirmed, complaint_upheld, ip_infringement, late_summary,
    # fx_uncollected, credit_repair
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(60), default="")
    amount: Mapped[Decimal | None]
    # The date the fact took effect (judgement date, penalty decision, grade date, due date).
    effective_on: Mapped[dt.date]
    # Who reported it: an agency kind, "zone_office" or "platform" (computed by silkgate).
    source: Mapped[str] = mapped_column(String(24))
    source_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_no: Mapped[str | None] = mapped_column(String(100))  # 决定书/判决书文号
    summary: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revokes_item_id: Mapped[int | None] = mapped_column(ForeignKey("credit_items.id"))
    recorded_at: Mapped[Timestamp]


class RatingSnapshot(Base):
    """Each change of an enterprise's zone rating, with the factors that made it (the history)."""

    __tablename__ = "credit_rating_snapshots"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(6))
    score: Mapped[int]
    tier: Mapped[str] = mapped_column(String(1))
    previous_tier: Mapped[str | None] = mapped_column(String(1))
    factors: Mapped[list[Any]] = mapped_column(default=list)
    trigger: Mapped[str] = mapped_column(String(60))
    at: Mapped[Timestamp]


class NegativeListEntry(Base):
    """Listing on the zone's credit negative list (信用负面清单), and its delisting."""

    __tablename__ = "negative_list_entries"
    __table_args__ = (Index("ix_negative_list_zone_active", "zone_code", "delisted_at"),)

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"))
    reason_category: Mapped[str] = mapped_column(String(32))  # public
    reason: Mapped[str] = mapped_column(Text)  # not public
    basis_document: Mapped[str | None] = mapped_column(String(120))
    listed_on: Mapped[dt.date]
    listed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delisted_on: Mapped[dt.date | None]
    delisted_at: Mapped[dt.datetime | None]
    delist_reason: Mapped[str | None] = mapped_column(Text)
    delisted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[Timestamp]


class SupervisionPolicy(Base):
    """A zone's override of the default supervision for one credit tier (分类监管)."""

    __tablename__ = "supervision_policies"
    __table_args__ = (UniqueConstraint("zone_code", "tier"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"))
    tier: Mapped[str] = mapped_column(String(1))
    inspection_share: Mapped[Decimal] = mapped_column(Rate)
    manual_review: Mapped[bool] = mapped_column(default=False)
    hold_all: Mapped[bool] = mapped_column(default=False)
    fast_track: Mapped[bool] = mapped_column(default=False)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[Timestamp]


class RatingAppeal(Base):
    """An enterprise's appeal against its zone rating: filed -> upheld | rejected."""

    __tablename__ = "credit_rating_appeals"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("credit_rating_snapshots.id"))
    factor_code: Mapped[str | None] = mapped_column(String(40))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="filed")  # filed, upheld, rejected
    filed_at: Mapped[Timestamp]
    due_on: Mapped[dt.date]
    decided_at: Mapped[dt.datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    revoked_item_id: Mapped[int | None] = mapped_column(ForeignKey("credit_items.id"))


class CreditRepairApplication(Base):
    """信用修复: an enterprise asks customs to lift a dishonest level after the waiting period."""

    __tablename__ = "credit_repair_applications"

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    level_item_id: Mapped[int] = mapped_column(ForeignKey("credit_items.id"))
    ground: Mapped[str] = mapped_column(String(32))  # which dishonest criterion it was (code)
    corrective_action: Mapped[str] = mapped_column(Text)
    obligations_fulfilled: Mapped[bool]
    eligible_from: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(12), default="filed")  # filed, approved, rejected
    filed_at: Mapped[Timestamp]
    due_on: Mapped[dt.date]
    decided_at: Mapped[dt.datetime | None]
    decided_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
