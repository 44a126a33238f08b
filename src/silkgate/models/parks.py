"""The offline park platform (线下产业园区平台): parks, incubators, bonded logistics centres,
public overseas warehouses and training bases, their tenants, services and service requests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp, intpk

PARK_KINDS = (
    "industrial_park",
    "incubator",
    "bonded_logistics_centre",
    "public_overseas_warehouse",
    "training_base",
    "showroom",
)
LAYOUT_ROLES = ("core", "wing", "featured", "hub", "park")
PARK_STATUSES = ("planned", "under_construction", "operating", "closed")
PARK_LEVELS = ("none", "city", "provincial", "national")
TENANT_ROLES = (
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
)
SERVICE_CATEGORIES = (
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
)


class Park(Base):
    __tablename__ = "parks"
    __table_args__ = (UniqueConstraint("zone_code", "name"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(28), index=True)
    layout_role: Mapped[str] = mapped_column(String(10), default="park")
    county: Mapped[str] = mapped_column(String(40), default="")
    country: Mapped[str] = mapped_column(String(3), default="142")  # a park may lie abroad (OFF-01)
    address: Mapped[str] = mapped_column(String(300), default="")
    operator_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    operator_name: Mapped[str] = mapped_column(String(200), default="")
    area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    tenant_capacity: Mapped[int] = mapped_column(default=0)
    theme_industries: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="operating")
    level: Mapped[str] = mapped_column(String(12), default="none")
    level_year: Mapped[int | None]
    # A public overseas warehouse park is the same place as a logistics warehouse.
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    source_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Timestamp]


class ParkTenant(Base):
    __tablename__ = "park_tenants"
    __table_args__ = (Index("ix_park_tenants_park_enterprise", "park_id", "enterprise_id"),)

    id: Mapped[intpk]
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    moved_in_on: Mapped[dt.date]
    moved_out_on: Mapped[dt.date | None]
    area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    created_at: Mapped[Timestamp]


class ParkService(Base):
    __tablename__ = "park_services"

    id: Mapped[intpk]
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Timestamp]


class ServiceRequest(Base):
    __tablename__ = "park_service_requests"

    id: Mapped[intpk]
    service_id: Mapped[int] = mapped_column(ForeignKey("park_services.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        String(12), default="requested"
    )  # requested, accepted, done, declined
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
