"""Shapes of the risk API: rules, alerts and their handling, product-safety alerts, complaints, reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import BoundedDate, DbId


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class RulePublic(BaseModel):
    id: int
    code: str
    version: int
    enabled: bool
    name: str
    category: str
    severity: str
    thresholds: dict[str, Any]
    change_note: str
    created_at: dt.datetime


class RuleUpdate(_In):
    """Editing a rule creates its next version."""

    enabled: bool
    thresholds: dict[str, Any] = Field(default_factory=dict)
    severity: str | None = None
    note: str = Field(max_length=500, description="修改原因")


class HitPublic(BaseModel):
    id: int
    rule_code: str
    rule_version: int
    declaration_id: int | None
    enterprise_id: int | None
    severity: str
    summary: str
    evidence: dict[str, Any]
    source: str
    found_at: dt.datetime


class NotePublic(BaseModel):
    id: int
    at: dt.datetime
    author_user_id: int | None
    from_status: str | None
    to_status: str | None
    text: str


class AttachmentPublic(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sm3: str
    uploaded_at: dt.datetime


class AlertPublic(BaseModel):
    id: int
    rule_code: str
    rule_version: int
    category: str
    severity: str
    title: str
    enterprise_id: int | None
    status: str
    owner_user_id: int | None
    deadline: dt.date
    hit_count: int
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AlertDetail(AlertPublic):
    hits: list[HitPublic]
    notes: list[NotePublic]
    attachments: list[AttachmentPublic]


class Transition(_In):
    to_status: str = Field(description="assessed, disposed, followed_up, closed — one step at a time")
    note: str = Field(max_length=4000)
    outcome: str | None = Field(
        default=None, description="disposed 时必填：confirmed（查实）或 dismissed（排除）"
    )
    deadline: BoundedDate | None = None


class NoteCreate(_In):
    text: str = Field(max_length=4000)


class OwnerUpdate(_In):
    owner_user_id: DbId


class SafetyAlertCreate(_In):
    title: str = Field(max_length=200)
    reason: str = Field(max_length=4000)
    hs_prefix: str | None = Field(default=None, max_length=10)
    keyword: str | None = Field(default=None, max_length=60)
    active_from: BoundedDate
    active_until: BoundedDate | None = None
    notice_no: str | None = Field(default=None, max_length=100)


class SafetyAlertPublic(BaseModel):
    id: int
    title: str
    hs_prefix: str | None
    keyword: str | None
    reason: str
    notice_no: str | None
    active_from: dt.date
    active_until: dt.date | None


class ScanRequest(_In):
    since: dt.datetime | None = None


class ScanOut(BaseModel):
    evaluated: int
    hits: int
    by_rule: dict[str, int]


class RuleReportOut(BaseModel):
    code: str
    name: str
    version: int
    enabled: bool
    evaluated: int
    declarations_hit: int
    hits: int
    alerts: int
    confirmed: int
    dismissed: int
    hit_rate: Decimal | None
    confirmed_rate: Decimal | None


class EnterpriseReportOut(BaseModel):
    enterprise_id: int
    name: str
    alerts: int
    open_alerts: int
    confirmed: int
    dismissed: int


class ReportsOut(BaseModel):
    by_rule: list[RuleReportOut]
    by_enterprise: list[EnterpriseReportOut]
    by_outcome: dict[str, int]


class ComplaintCreate(_In):
    """A consumer dispute or an IP complaint (no login)."""

    kind: str = Field(description="dispute（消费纠纷）或 ip（知识产权）")
    enterprise: str = Field(max_length=200, description="被投诉企业的统一社会信用代码或全称")
    complainant_name: str = Field(max_length=100)
    contact: str = Field(max_length=120, description="11位手机号或电子邮箱（加密保存）")
    subject: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    order_no: str | None = Field(default=None, max_length=60)
    right_type: str | None = Field(default=None, description="trademark, patent, copyright")
    right_no: str | None = Field(default=None, max_length=60)
    zone: str | None = Field(default=None, max_length=6)


class ComplaintReceipt(BaseModel):
    reference: str
    status: str
    response_due_on: dt.date
    resolve_due_on: dt.date


class ComplaintPublic(BaseModel):
    id: int
    reference: str
    kind: str
    enterprise_id: int
    complainant_name: str
    order_no: str | None
    right_type: str | None
    right_no: str | None
    subject: str
    description: str
    status: str
    response_due_on: dt.date
    resolve_due_on: dt.date
    response: str | None
    outcome: str | None
    resolution: str | None
    created_at: dt.datetime


class ComplaintResponse(_In):
    response: str = Field(max_length=5000)


class ComplaintResolution(_In):
    outcome: str = Field(description="upheld, dismissed, settled")
    resolution: str = Field(max_length=4000)
