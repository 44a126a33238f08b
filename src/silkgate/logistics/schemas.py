"""Pydantic models in and out of the logistics API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import Count, DbId

WarehouseKind = Literal["bonded", "supervised_site", "overseas", "returns", "consolidation", "domestic"]
Mode = Literal["air", "rail", "sea", "road"]


class TrackingEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waybill_no: str = Field(min_length=1, max_length=60)
    event_code: str = Field(min_length=1, max_length=20)
    occurred_at: dt.datetime
    location: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=300)


class TrackingBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[TrackingEventIn] = Field(min_length=1, max_length=5000)


class TrackingResult(BaseModel):
    accepted: int
    duplicates: int


class TimelineEntryOut(BaseModel):
    at: dt.datetime
    source: str
    code: str
    label: str
    location: str
    detail: str


class TrackingPublic(BaseModel):
    waybill_no: str
    entries: list[TimelineEntryOut]


class WarehouseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    kind: WarehouseKind
    country: str = Field(default="142", min_length=3, max_length=3)
    city: str = Field(default="", max_length=60)
    address: str = Field(default="", max_length=300)
    area_m2: Decimal = Field(ge=0)
    capacity_units: Decimal = Field(gt=0)
    is_public: bool = False
    overseas_filing_id: DbId | None = None
    services: list[str] = Field(default_factory=list)
    operator_enterprise_id: DbId | None = None


class WarehousePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    zone_code: str
    code: str
    name: str
    kind: str
    operator_enterprise_id: int
    country: str
    city: str
    address: str
    area_m2: Decimal
    capacity_units: Decimal
    is_public: bool
    overseas_filing_id: int | None
    services: list[str]
    status: str


class MovementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=60)
    kind: Literal["inbound", "outbound", "stocktake"]
    owner_customs_code: str = Field(min_length=10, max_length=10)
    item_no: str = Field(min_length=1, max_length=40)
    item_name: str = Field(default="", max_length=250)
    regime: Literal["cbec", "general"] = "cbec"
    quantity: Decimal = Field(ge=0)
    unit_value_cny: Decimal | None = Field(default=None, ge=0)
    occurred_at: dt.datetime


class StockReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    movements: list[MovementIn] = Field(min_length=1, max_length=5000)


class StockReportResult(BaseModel):
    accepted: int
    duplicates: int


class StockPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    warehouse_id: int
    owner_enterprise_id: int
    item_no: str
    item_name: str
    regime: str
    quantity: Decimal
    pledged_quantity: Decimal
    unit_value_cny: Decimal


class WarehouseDetail(BaseModel):
    warehouse: WarehousePublic
    stock_units: Decimal
    utilisation: Decimal | None
    inbound_30d: Decimal
    outbound_30d: Decimal
    stock: list[StockPublic]


class LegIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Mode
    carrier_name: str = Field(min_length=1, max_length=200)
    from_place: str = Field(min_length=1, max_length=100)
    to_place: str = Field(min_length=1, max_length=100)
    transport_doc_no: str = Field(default="", max_length=60)


class ConsignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bill_no: str = Field(min_length=1, max_length=40)
    route_name: str = Field(min_length=1, max_length=100)
    origin: str = Field(min_length=1, max_length=100)
    destination: str = Field(min_length=1, max_length=100)
    shipper_customs_code: str | None = Field(default=None, min_length=10, max_length=10)
    cargo_description: str = Field(default="", max_length=300)
    packages: Count = Field(default=0, ge=0)
    gross_weight_kg: Decimal = Field(default=Decimal("0"), ge=0)
    waybill_nos: list[str] = Field(default_factory=list, max_length=10000)
    legs: list[LegIn] = Field(min_length=1, max_length=10)


class LegUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["in_transit", "arrived"]
    at: dt.datetime


class LegPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    mode: str
    carrier_name: str
    from_place: str
    to_place: str
    transport_doc_no: str
    status: str
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None


class ConsignmentPublic(BaseModel):
    id: int
    bill_no: str
    route_name: str
    origin: str
    destination: str
    status: str
    packages: int
    gross_weight_kg: Decimal
    waybill_nos: list[str]
    legs: list[LegPublic]


class ReturnPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    declaration_id: int
    business_no: str
    direction: str
    trade_mode: str
    seller_enterprise_id: int | None
    warehouse_id: int | None
    value_cny: Decimal
    occurred_at: dt.datetime
    status: str
    received_at: dt.datetime | None


class DurationStats(BaseModel):
    count: int
    median_hours: float | None
    p90_hours: float | None


class RouteVolume(BaseModel):
    route_name: str
    mode: str
    consignments: int
    packages: int
    gross_weight_kg: Decimal


class LogisticsFigures(BaseModel):
    zone_code: str
    routes: list[RouteVolume]
    clearance: DurationStats
    delivery: DurationStats
    tracking_events: int
    warehouses: int
    returns_open: int
