"""Risk prevention: versioned rules, their hits, alerts with their handling, product-safety alerts,
and consumers' disputes and rights holders' IP complaints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp, intpk


class RiskRule(Base):
    """One version of a rule. Editing a rule adds the next version and retires the current one,
    so every hit points to the exact thresholds that produced it."""

    __tablename__ = "risk_rules"
    __table_args__ = (UniqueConstraint("zone_code", "code", "version"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    current: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(12))
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[Timestamp]


class RiskEvaluation(Base):
    """That a declaration went through the rules (the denominator of each rule's hit rate)."""

    __tablename__ = "risk_evaluations"

    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"), primary_key=True)
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    rule_ids: Mapped[list[Any]] = mapped_column(default=list)
    hit_count: Mapped[int] = mapped_column(default=0)
    at: Mapped[Timestamp]


class RiskAlert(Base):
    """An alert: the hits of one rule on one subject, handled new -> assessed -> disposed ->
    followed_up -> closed; `outcome` confirmed feeds credit."""

    __tablename__ = "risk_alerts"
    __table_args__ = (Index("ix_risk_alerts_zone_status", "zone_code", "status"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"))
    rule_code: Mapped[str] = mapped_column(String(40), index=True)
    rule_version: Mapped[int]
    category: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(250))
    # What the hits share: "enterprise:12", "phone:<blind index>", "declaration:345" ...
    subject_key: Mapped[str] = mapped_column(String(120), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[dt.date]
    hit_count: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(12))  # confirmed, dismissed
    disposal: Mapped[str | None] = mapped_column(Text)
    credit_item_id: Mapped[int | None] = mapped_column(ForeignKey("credit_items.id"))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    closed_at: Mapped[dt.datetime | None]


class RiskHit(Base):
    """One rule firing on one declaration (or on a subject in a scan), with its evidence."""

    __tablename__ = "risk_hits"
    __table_args__ = (Index("ix_risk_hits_rule", "zone_code", "rule_code", "found_at"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(String(6))
    rule_id: Mapped[int] = mapped_column(ForeignKey("risk_rules.id"))
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[int]
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    subject_key: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(12))  # declaration | scan
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("risk_alerts.id"), index=True)
    found_at: Mapped[Timestamp]

    def __str__(self) -> str:
        """How clearance records the hit on the list's timeline."""
        return f"{self.rule_code} v{self.rule_version}：{self.summary}"


class AlertNote(Base):
    """The alert's timeline: every transition and remark, who and when."""

    __tablename__ = "risk_alert_notes"

    id: Mapped[intpk]
    alert_id: Mapped[int] = mapped_column(ForeignKey("risk_alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[Timestamp]
    author_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class AlertAttachment(Base):
    """A file attached to an alert, kept in the database (size-limited) with its SM3 digest."""

    __tablename__ = "risk_alert_attachments"

    id: Mapped[intpk]
    alert_id: Mapped[int] = mapped_column(ForeignKey("risk_alerts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sm3: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[Timestamp]


class ProductSafetyAlert(Base):
    """A product-safety warning the market-regulation agency (or customs) publishes: goods whose HS
    code starts with `hs_prefix`, or whose name/brand contains `keyword`, are flagged while active."""

    __tablename__ = "product_safety_alerts"

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    hs_prefix: Mapped[str | None] = mapped_column(String(10))
    keyword: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    notice_no: Mapped[str | None] = mapped_column(String(100))
    active_from: Mapped[dt.date]
    active_until: Mapped[dt.date | None]
    source_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[Timestamp]


class Complaint(Base):
    """A consumer dispute or a rights holder's IP complaint against an enterprise of the zone."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_enterprise_status", "enterprise_id", "status"),)

    id: Mapped[intpk]
    reference: Mapped[str] = mapped_column(String(24), unique=True)  # given to the complainant
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # dispute | ip
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    complainant_name: Mapped[str] = mapped_column(String(100))
    # Personal data: SM4 ciphertext only.
    complainant_contact_enc: Mapped[str] = mapped_column(Text)
    # Keyed SM3 blind index of the contact: limits how many complaints one contact files a day.
    complainant_contact_index: Mapped[str] = mapped_column(String(64), index=True)
    order_no: Mapped[str | None] = mapped_column(String(60))
    right_type: Mapped[str | None] = mapped_column(String(16))  # trademark, patent, copyright
    right_no: Mapped[str | None] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    # filed -> responded -> resolved (upheld | dismissed | settled)
    status: Mapped[str] = mapped_column(String(12), default="filed")
    response_due_on: Mapped[dt.date]
    resolve_due_on: Mapped[dt.date]
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(12))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    credit_item_id: Mapped[int | None] = mapped_column(ForeignKey("credit_items.id"))
    created_at: Mapped[Timestamp]
