"""Zones hosted by a deployment (one per pilot city) and the targets their plans state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Rate, intpk


class Zone(Base):
    __tablename__ = "zones"

    # GB/T 2260 administrative division code of the zone's city, e.g. 140800 Yuncheng.
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    short: Mapped[str] = mapped_column(String(8), unique=True)  # YC, HZ, SD-ZZ, ...
    name: Mapped[str] = mapped_column(String(100))  # 中国(运城)跨境电子商务综合试验区
    city: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[str] = mapped_column(String(6))
    approval_doc: Mapped[str] = mapped_column(String(60))  # 国函〔2022〕126号
    batch: Mapped[int]
    plan_doc: Mapped[str] = mapped_column(String(80))
    plan_date: Mapped[dt.date]
    portal_name: Mapped[str | None] = mapped_column(String(100))
    # Settings: inspection share (0..1) for the import clearance until credit tiers drive it.
    inspection_share: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.05"))
    inspection_seed: Mapped[int] = mapped_column(default=20260401)
    districts: Mapped[list[str]] = mapped_column(default=list)


class ZoneTarget(Base):
    """A quantitative target of a zone plan, with its bound as the seed words it."""

    __tablename__ = "zone_targets"
    __table_args__ = (UniqueConstraint("zone_code", "ref"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    ref: Mapped[str] = mapped_column(String(12))  # YC-T1
    metric: Mapped[str] = mapped_column(String(40))  # trade_value, enterprises, parks, ...
    label: Mapped[str] = mapped_column(String(200))
    horizon: Mapped[str] = mapped_column(String(40))  # "2025", "3-5 years", ...
    year: Mapped[int | None]
    value: Mapped[Decimal | None]
    value_max: Mapped[Decimal | None]
    unit: Mapped[str] = mapped_column(String(20))
    # gt (突破/超过), ge (以上/达到/实现), eq, range, increment (新增), share_ge, none (no number)
    bound: Mapped[str] = mapped_column(String(12))
    bound_zh: Mapped[str] = mapped_column(String(20))
    source_phrase: Mapped[str] = mapped_column(String(200))
    source_note: Mapped[str] = mapped_column(Text)
