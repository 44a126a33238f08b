"""Shapes of the credit API: agency reports, listings, policies, appeals, repairs, public standing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import BoundedDate, DbId


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class ItemCreate(_In):
    """One fact an agency reports (its remit only: customs reports the customs level, tax the tax grade...)."""

    kind: str = Field(
        description="customs_level, tax_grade, forex_class, court_judgement, admin_penalty, "
        "tax_arrears, fines_arrears, ip_infringement, fx_uncollected, late_summary"
    )
    effective_on: BoundedDate = Field(description="认定/决定/判决日期；欠款为缴纳期限")
    value: str = Field(
        default="",
        max_length=60,
        description="等级类：customs_level 取 advanced_certified/"
        "certified/regular/dishonest/seriously_dishonest；tax_grade A/B/M/C/D；forex_class A/B/C",
    )
    amount: Decimal | None = Field(default=None, description="金额（元），处罚、欠款、判决必填")
    document_no: str | None = Field(default=None, max_length=100, description="决定书/判决书文号")
    summary: str = Field(default="", max_length=2000)
    detail: dict[str, Any] = Field(default_factory=dict, description='如 {"smuggling": true}')
    revokes_item_id: DbId | None = Field(default=None, description="更正或撤销本部门此前报送的一条信息")


class ItemPublic(BaseModel):
    id: int
    kind: str
    value: str
    amount: Decimal | None
    effective_on: dt.date
    source: str
    document_no: str | None
    summary: str
    revokes_item_id: int | None
    recorded_at: dt.datetime


class FactorPublic(BaseModel):
    code: str
    label: str
    points: int
    detail: str


class SupervisionPublic(BaseModel):
    tier: str
    inspection_share: Decimal
    hold_all: bool
    fast_track: bool
    manual_review: bool
    reasons: list[str]


class RecordPublic(BaseModel):
    enterprise_id: int
    name: str
    uscc: str
    tier: str
    score: int
    customs_level: str
    tax_grade: str | None
    forex_class: str | None
    on_negative_list: bool
    declarations_total: int
    released_count: int
    rejected_count: int
    mismatch_count: int
    withdrawn_count: int
    returned_count: int
    factors: list[FactorPublic]
    customs_findings: list[dict[str, str]]
    supervision: SupervisionPublic
    items: list[ItemPublic]


class RecordRowPublic(BaseModel):
    enterprise_id: int
    name: str
    uscc: str
    tier: str
    score: int
    customs_level: str
    on_negative_list: bool


class NegativeListCreate(_In):
    enterprise_id: DbId
    reason_category: str = Field(
        description="smuggling, serious_dishonesty, fake_trade, rebate_fraud, "
        "money_laundering, ip_infringement, product_safety, tax_arrears, other"
    )
    reason: str = Field(max_length=2000)
    listed_on: BoundedDate
    basis_document: str | None = Field(default=None, max_length=120)


class DelistRequest(_In):
    reason: str = Field(max_length=2000)
    delisted_on: BoundedDate


class NegativeListEntryPublic(BaseModel):
    id: int
    enterprise_id: int
    reason_category: str
    reason: str
    listed_on: dt.date
    delisted_on: dt.date | None
    delist_reason: str | None


class PolicyUpdate(_In):
    inspection_share: Decimal = Field(ge=0, le=1)
    manual_review: bool = False
    hold_all: bool = False
    fast_track: bool = False


class PolicyPublic(BaseModel):
    tier: str
    inspection_share: Decimal
    manual_review: bool
    hold_all: bool
    fast_track: bool


class AppealCreate(_In):
    grounds: str = Field(max_length=4000)
    factor_code: str | None = Field(default=None, max_length=40)


class AppealDecision(_In):
    upheld: bool
    outcome: str = Field(max_length=4000)
    revoke_item_id: DbId | None = None


class AppealPublic(BaseModel):
    id: int
    enterprise_id: int
    status: str
    factor_code: str | None
    grounds: str
    due_on: dt.date
    outcome: str | None


class RepairCreate(_In):
    ground: str = Field(
        description="smuggling_penalty, violations_share, tax_overdue, fines_overdue, obstruction"
    )
    corrective_action: str = Field(max_length=4000)
    obligations_fulfilled: bool


class RepairDecision(_In):
    approved: bool
    outcome: str = Field(max_length=4000)


class RepairPublic(BaseModel):
    id: int
    enterprise_id: int
    ground: str
    status: str
    eligible_from: dt.date
    due_on: dt.date
    outcome: str | None


class PublicStandingOut(BaseModel):
    """The public standing of an enterprise: these fields and nothing else."""

    name: str
    uscc: str
    customs_level: str
    customs_level_label: str
    tier: str
    tier_label: str
    on_negative_list: bool
    listed_on: dt.date | None
    reason_category: str | None


class PublicListingOut(BaseModel):
    name: str
    uscc: str
    reason_category: str
    reason_category_label: str
    listed_on: dt.date
    delisted_on: dt.date | None
