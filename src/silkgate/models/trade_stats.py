"""Statistics & monitoring (统计监测): additive rollups kept current by the TradeEvent subscriber,
the per-list ledger that makes change/withdrawal/return exact, historical figures a zone imports,
manual indicator values and the assessment weights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Money, Timestamp, intpk

# Grains of the rollups: day and month (a month row is the first day of the month).
GRAINS = ("d", "m")
# Where a rollup figure comes from: released lists through the subscriber, or a zone's prior
# statistics imported as such (shown labelled "历史统计" wherever they appear).
SOURCES = ("lists", "historical")


class StatRollup(Base):
    """One additive cell: the released lists of a zone (or of one enterprise) for one period,
    direction and trade mode, grouped by one dimension (country, HS chapter, seller, ...).

    `owner_enterprise_id` is 0 for the zone's own figures and an enterprise id for the copy an
    enterprise reads of its own trade. Every measure is a sum, so a withdrawal or return is a
    negative delta and the dashboard never reads the raw lists.
    """

    __tablename__ = "stat_rollups"
    __table_args__ = (
        # The key, ordered for the dashboard's look-ups: one zone (or owner), one dimension, one
        # grain, a range of periods.
        UniqueConstraint(
            "zone_code",
            "owner_enterprise_id",
            "dimension",
            "grain",
            "period",
            "direction",
            "trade_mode",
            "dim_key",
            "source",
            name="uq_stat_rollups_cell",
        ),
    )

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(String(6))
    owner_enterprise_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    dimension: Mapped[str] = mapped_column(String(12))  # total, country, hs2, hs4, seller, ...
    grain: Mapped[str] = mapped_column(String(1))  # d | m
    period: Mapped[dt.date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(6))  # import | export
    trade_mode: Mapped[str] = mapped_column(String(4))  # 9610 | 1210 | 1239 | 9710 | 9810
    dim_key: Mapped[str] = mapped_column(String(24))  # "" for total; a code or an enterprise id
    source: Mapped[str] = mapped_column(String(10), default="lists")
    list_count: Mapped[int] = mapped_column(default=0)
    # In the list's own currency: meaningful only on the "currency" dimension (0 elsewhere).
    value_orig: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    value_cny: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    value_usd: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax_cny: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    returned_count: Mapped[int] = mapped_column(default=0)
    returned_value_cny: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class StatListLedger(Base):
    """What each list currently contributes to the rollups, so that a repeated release, a change,
    a withdrawal or a return subtracts exactly what was added (and nothing twice)."""

    __tablename__ = "stat_list_ledger"

    declaration_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    zone_code: Mapped[str] = mapped_column(String(6), index=True)
    counted: Mapped[bool] = mapped_column(default=True)
    # The list's remaining contribution: base key and per-(dimension, key) measures (decimal strings).
    contribution: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[Timestamp]


class StatIndicatorValue(Base):
    """A figure the platform cannot count itself, entered by the zone office with its source:
    high-tech enterprises, policy measures implemented, parks or overseas warehouses before the
    park registry holds them, the city's total foreign trade (for a share target)."""

    __tablename__ = "stat_indicator_values"
    __table_args__ = (UniqueConstraint("zone_code", "year", "indicator"),)

    id: Mapped[intpk]
    zone_code: Mapped[str] = mapped_column(ForeignKey("zones.code"), index=True)
    year: Mapped[int]
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    entered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[Timestamp]


class AssessmentWeights(Base):
    """The weights of the zone assessment's indicators (no official weights are published).

    zone_code NULL is the deployment default; a zone's row overrides it. `weights` maps
    indicator -> weight (decimal string); they are normalised to sum to 1 when scored.
    """

    __tablename__ = "stat_assessment_weights"
    __table_args__ = (Index("ix_stat_assessment_weights_zone", "zone_code", unique=True),)

    id: Mapped[intpk]
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"))
    weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[Timestamp]
