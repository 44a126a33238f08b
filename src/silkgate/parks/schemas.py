"""Pydantic models in and out of the parks API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import BoundedDate, Count, DbId

ParkKind = Literal[
    "industrial_park",
    "incubator",
    "bonded_logistics_centre",
    "public_overseas_warehouse",
    "training_base",
    "showroom",
]
LayoutRole = Literal["core", "wing", "featured", "hub", "park"]
ParkStatus = Literal["planned", "under_construction", "operating", "closed"]
Level = Literal["none", "city", "provincial", "national"]
TenantRole = Literal[
    "manufacturer",
    "platform",
    "warehouse_logistics",
    "finance",
    "trade_service",
    "agency_operator",
    "photography",
    "promotion_training",
    "express",
    "seller",
]
ServiceCategory = Literal[
    "training",
    "brand_building",
    "compliance",
    "legal",
    "agency_operation",
    "incubation",
    "live_streaming",
    "clearance",
    "logistics",
    "finance",
]


class ParkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: ParkKind
    layout_role: LayoutRole = "park"
    county: str = Field(default="", max_length=40)
    country: str = Field(default="142", min_length=3, max_length=3)
    address: str = Field(default="", max_length=300)
    operator_org_id: DbId | None = None
    operator_name: str = Field(default="", max_length=200)
    area_m2: Decimal = Field(default=Decimal("0"), ge=0)
    tenant_capacity: Count = Field(default=0, ge=0)
    theme_industries: list[str] = Field(default_factory=list, max_length=20)
    status: ParkStatus = "operating"
    level: Level = "none"
    level_year: Count | None = Field(default=None, ge=2015, le=2100)
    warehouse_id: DbId | None = None
    source_note: str = Field(default="", max_length=1000)


class ParkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, max_length=300)
    area_m2: Decimal | None = Field(default=None, ge=0)
    tenant_capacity: Count | None = Field(default=None, ge=0)
    theme_industries: list[str] | None = None
    status: ParkStatus | None = None
    level: Level | None = None
    level_year: Count | None = Field(default=None, ge=2015, le=2100)
    operator_name: str | None = Field(default=None, max_length=200)


class ParkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    zone_code: str
    name: str
    kind: str
    layout_role: str
    county: str
    country: str
    address: str
    operator_org_id: int | None
    operator_name: str
    area_m2: Decimal
    tenant_capacity: int
    theme_industries: list[str]
    status: str
    level: str
    level_year: int | None
    warehouse_id: int | None


class TenantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: DbId
    role: TenantRole
    moved_in_on: BoundedDate
    area_m2: Decimal = Field(default=Decimal("0"), ge=0)


class TenantPublic(BaseModel):
    id: int
    enterprise_id: int
    enterprise_name: str
    role: str
    moved_in_on: dt.date
    moved_out_on: dt.date | None
    area_m2: Decimal
    import_cny: Decimal | None = None
    export_cny: Decimal | None = None


class ParkTrade(BaseModel):
    date_from: dt.date
    date_to: dt.date
    import_cny: Decimal
    export_cny: Decimal
    total_cny: Decimal
    zone_total_cny: Decimal
    share_of_zone: Decimal | None


class ParkDetail(BaseModel):
    park: ParkPublic
    active_tenants: int
    occupancy: Decimal | None
    tenants: list[TenantPublic]
    trade: ParkTrade | None


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: ServiceCategory
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    provider: str = Field(default="", max_length=200)


class ServicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    park_id: int
    category: str
    title: str
    description: str
    provider: str
    active: bool


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=1000)


class RequestReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["accepted", "declined", "done"]
    reply: str = Field(default="", max_length=1000)


class RequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int
    enterprise_id: int
    note: str
    status: str
    reply: str | None
    created_at: dt.datetime
