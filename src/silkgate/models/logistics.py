"""Smart logistics (智能物流体系): carrier tracking events, warehouses and their stock, multimodal
one-bill consignments and the returns centre."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp, intpk

WAREHOUSE_KINDS = ("bonded", "supervised_site", "overseas", "returns", "consolidation", "domestic")
TRANSPORT_MODES = ("air", "rail", "sea", "road")
Quantity = Numeric(19, 5, asdecimal=True)


class TrackingEvent(Base):
    """One carrier event on a waybill. The unique key makes a re-sent event a no-op (dedupe)."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("waybill_no", "event_code", "occurred_at", "location"),
        Index("ix_tracking_events_waybill_at", "waybill_no", "occurred_at"),
    )

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    waybill_no: Mapped[str] = mapped_column(String(60))
    event_code: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[dt.datetime]
    location: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    carrier_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    received_at: Mapped[Timestamp]
    source: Mapped[str] = mapped_column(String(8), default="api")  # api | file


class Warehouse(Base):
    """A bonded warehouse, supervised site, public overseas warehouse or returns warehouse (LOG-02/05/12)."""

    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("zone_code", "code"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    operator_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    country: Mapped[str] = mapped_column(String(3), default="142")
    city: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    area_m2: Mapped[Decimal] = mapped_column(Quantity)
    capacity_units: Mapped[Decimal] = mapped_column(Quantity)  # storage positions (件/托)
    is_public: Mapped[bool] = mapped_column(default=False)
    # The export issue's 9810 overseas-warehouse filing this warehouse corresponds to.
    overseas_filing_id: Mapped[int | None]
    services: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default="operating")
    created_at: Mapped[Timestamp]


class WarehouseStock(Base):
    """The stock of one owner's item in one warehouse, under one customs regime (LOG-15 同仓储存)."""

    __tablename__ = "warehouse_stock"
    __table_args__ = (UniqueConstraint("warehouse_id", "owner_enterprise_id", "item_no", "regime"),)

    id: Mapped[intpk]
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    owner_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    item_no: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(250), default="")
    regime: Mapped[str] = mapped_column(String(12), default="cbec")  # cbec | general
    quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    unit_value_cny: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    updated_at: Mapped[Timestamp]


class StockMovement(Base):
    """Inbound, outbound, stocktake or return receipt reported by the warehouse (the data feed)."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "reference"),
        Index("ix_stock_movements_wh_at", "warehouse_id", "occurred_at"),
    )

    id: Mapped[intpk]
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("warehouse_stock.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # inbound, outbound, stocktake, return_in
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    occurred_at: Mapped[dt.datetime]
    reference: Mapped[str] = mapped_column(String(60))
    reported_by_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[Timestamp]


class Consignment(Base):
    """A multimodal one-bill (多式联运 一单制) consignment: one bill end to end across legs."""

    __tablename__ = "consignments"

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    bill_no: Mapped[str] = mapped_column(String(40), unique=True)
    operator_enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    shipper_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    route_name: Mapped[str] = mapped_column(String(100))  # 中欧班列（运城—杜伊斯堡）
    origin: Mapped[str] = mapped_column(String(100))
    destination: Mapped[str] = mapped_column(String(100))
    cargo_description: Mapped[str] = mapped_column(String(300), default="")
    packages: Mapped[int] = mapped_column(default=0)
    gross_weight_kg: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    waybill_nos: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default="booked")  # booked, in_transit, delivered
    created_at: Mapped[Timestamp]


class ConsignmentLeg(Base):
    __tablename__ = "consignment_legs"
    __table_args__ = (UniqueConstraint("consignment_id", "seq"),)

    id: Mapped[intpk]
    consignment_id: Mapped[int] = mapped_column(ForeignKey("consignments.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    mode: Mapped[str] = mapped_column(String(6))
    carrier_name: Mapped[str] = mapped_column(String(200))
    from_place: Mapped[str] = mapped_column(String(100))
    to_place: Mapped[str] = mapped_column(String(100))
    transport_doc_no: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned, in_transit, arrived
    departed_at: Mapped[dt.datetime | None]
    arrived_at: Mapped[dt.datetime | None]


class ReturnRouting(Base):
    """A returned list routed to the zone's returns warehouse (LOG-12), from the trade 'returned' event."""

    __tablename__ = "return_routings"
    __table_args__ = (UniqueConstraint("declaration_id", "occurred_at"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    declaration_id: Mapped[int] = mapped_column(index=True)
    business_no: Mapped[str] = mapped_column(String(60))
    direction: Mapped[str] = mapped_column(String(6))
    trade_mode: Mapped[str] = mapped_column(String(4))
    seller_enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    value_cny: Mapped[Decimal]
    lines: Mapped[list[Any]] = mapped_column(default=list)
    occurred_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(12), default="routed")  # routed, received, restocked
    received_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
