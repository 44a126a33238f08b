"""Pydantic models in and out of the finance API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import BoundedDate, Count, DbId

Slice = Literal["filings", "declarations", "fx", "credit"]
Product = Literal["order", "warehouse_pledge", "receivables", "term_advance"]


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee_org_id: DbId
    slices: list[Slice] = Field(min_length=1)
    purpose: str = Field(min_length=1, max_length=200)
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    grantee_org_id: int
    grantee_name: str = ""
    enterprise_name: str = ""
    slices: list[str]
    purpose: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None
    active: bool = False


class PledgeLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["overseas", "bonded"]
    stock_id: DbId
    quantity: Decimal = Field(gt=0)


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_org_id: DbId
    product: Product
    amount_requested: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    term_days: Count = Field(ge=7, le=1095)
    purpose: str = Field(min_length=1, max_length=500)
    declaration_ids: list[DbId] = Field(default_factory=list, max_length=5000)
    pledge_lines: list[PledgeLineIn] = Field(default_factory=list, max_length=200)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    amount_approved: Decimal | None = Field(default=None, gt=0, max_digits=19, decimal_places=2)
    annual_rate: Decimal | None = Field(default=None, gt=0, lt=1)
    note: str = Field(default="", max_length=500)


class DisbursementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=2)


class RepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    paid_on: BoundedDate


class ApplicationEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    status: str
    amount: Decimal | None
    note: str | None


class ApplicationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    bank_org_id: int
    product: str
    status: str
    currency: str
    amount_requested: Decimal
    term_days: int
    purpose: str
    collateral: dict[str, Any]
    collateral_value: Decimal
    amount_approved: Decimal | None
    annual_rate: Decimal | None
    decision_note: str | None
    amount_disbursed: Decimal
    amount_repaid: Decimal
    created_at: dt.datetime
    decided_at: dt.datetime | None
    disbursed_at: dt.datetime | None
    closed_at: dt.datetime | None


class ApplicationDetail(BaseModel):
    application: ApplicationPublic
    events: list[ApplicationEventPublic]


class InboxItem(BaseModel):
    id: int
    enterprise_id: int
    enterprise_name: str
    product: str
    amount_requested: Decimal
    status: str
    created_at: dt.datetime


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_no: str = Field(min_length=1, max_length=40)
    buyer_name: str = Field(min_length=1, max_length=200)
    buyer_country: str = Field(min_length=3, max_length=3)
    insured_value: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    premium: Decimal = Field(ge=0, max_digits=19, decimal_places=2)
    declaration_ids: list[DbId] = Field(default_factory=list, max_length=5000)
    starts_on: BoundedDate
    ends_on: BoundedDate


class PolicyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_no: str
    insurer_org_id: int
    enterprise_id: int
    buyer_name: str
    buyer_country: str
    currency: str
    insured_value: Decimal
    premium: Decimal
    declaration_ids: list[int]
    starts_on: dt.date
    ends_on: dt.date
    status: str


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declaration_id: DbId | None = None
    loss_cause: Literal["buyer_default", "insolvency", "refusal", "political"]
    amount_claimed: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    note: str = Field(default="", max_length=500)


class ClaimDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay: bool
    amount_paid: Decimal | None = Field(default=None, gt=0, max_digits=19, decimal_places=2)
    note: str = Field(default="", max_length=500)


class ClaimPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_id: int
    declaration_id: int | None
    loss_cause: str
    amount_claimed: Decimal
    amount_paid: Decimal | None
    status: str
    note: str | None
    filed_at: dt.datetime
    decided_at: dt.datetime | None


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=60)
    enterprise_customs_code: str = Field(min_length=10, max_length=10)
    kind: Literal["fx_receipt", "fx_settlement", "fx_purchase", "rmb_receipt", "rmb_payment"]
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
    amount: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    amount_cny: Decimal = Field(gt=0, max_digits=19, decimal_places=2)
    counterparty_country: str | None = Field(default=None, min_length=3, max_length=3)
    settled_on: BoundedDate
    declaration_id: DbId | None = None


class SettlementBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[SettlementIn] = Field(min_length=1, max_length=5000)


class SettlementResult(BaseModel):
    accepted: int
    duplicates: int


class SettlementPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    payment_org_id: int
    reference: str
    kind: str
    currency: str
    amount: Decimal
    amount_cny: Decimal
    counterparty_country: str | None
    settled_on: dt.date
    declaration_id: int | None


class SliceOut(BaseModel):
    enterprise_id: int
    slice: str
    grant_id: int
    data: dict[str, Any]


class AmountByKey(BaseModel):
    key: str
    label: str
    count: int
    amount: Decimal


class FinanceFigures(BaseModel):
    zone_code: str
    granted_by_product: list[AmountByKey]
    granted_by_bank: list[AmountByKey]
    applications_by_status: list[AmountByKey]
    outstanding: Decimal
    insured_value: Decimal
    policies_active: int
    claims_paid: Decimal
    settlement_total_cny: Decimal
    rmb_total_cny: Decimal
    rmb_share: Decimal | None
