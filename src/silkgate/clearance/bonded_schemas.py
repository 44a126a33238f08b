"""The 1210 bonded account book over the API: stock-in records and the stock list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from silkgate.models.clearance import BondedStock, BondedStockMovement

Quantity = Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=5)]


class StockInLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_no: str = Field(min_length=1, max_length=40, description="电商企业商品货号（清单 itemNo）")
    quantity: Quantity = Field(description="入区数量（成交计量单位）")
    item_record_no: str | None = Field(default=None, max_length=30, description="账册备案料号")
    item_name: str | None = Field(default=None, max_length=250)
    unit: str | None = Field(default=None, pattern=r"^\d{3}$", description="计量单位代码（JGS-20）")


class StockInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner_code: str = Field(min_length=1, max_length=18, description="货主电商企业的海关注册编码（ebcCode）")
    reference: str = Field(min_length=1, max_length=80, description="入区单证编号（如核注清单号）")
    lines: list[StockInLineIn] = Field(min_length=1, max_length=999)


class StockMovementPublic(BaseModel):
    kind: str
    quantity: str
    balance_after: str
    reference: str
    declaration_id: int | None
    at: dt.datetime

    @classmethod
    def of(cls, m: BondedStockMovement) -> StockMovementPublic:
        return cls(
            kind=m.kind,
            quantity=quantity_text(m.quantity),
            balance_after=quantity_text(m.balance_after),
            reference=m.reference,
            declaration_id=m.declaration_id,
            at=m.at,
        )


class StockPublic(BaseModel):
    id: int
    warehouse_enterprise_id: int
    zone_code: str
    owner_code: str
    item_no: str
    item_record_no: str | None
    item_name: str | None
    unit: str | None
    quantity: str
    updated_at: dt.datetime
    movements: list[StockMovementPublic] = []

    @classmethod
    def of(cls, row: BondedStock, movements: list[BondedStockMovement] | None = None) -> StockPublic:
        return cls(
            id=row.id,
            warehouse_enterprise_id=row.warehouse_enterprise_id,
            zone_code=row.zone_code,
            owner_code=row.owner_code,
            item_no=row.item_no,
            item_record_no=row.item_record_no,
            item_name=row.item_name,
            unit=row.unit,
            quantity=quantity_text(row.quantity),
            updated_at=row.updated_at,
            movements=[StockMovementPublic.of(m) for m in movements or []],
        )


class StockPage(BaseModel):
    items: list[StockPublic]
    limit: int
    offset: int


def quantity_text(value: Decimal) -> str:
    """A quantity as people write it: 12, 1.5 (no trailing zeros, no exponent)."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
