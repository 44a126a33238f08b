"""The pledge lock of a stock position (仓单质押): one row per position, locked by every pledge and by
every release of that stock, so a quantity is never pledged twice nor shipped out while pledged.

This module imports only models, so the stock owners (logistics, clearance's bonded book) can call
`lock_position` / `pledged_quantity` before they take stock out, without an import cycle.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.models.finance import PledgePosition

PLEDGE_SOURCES = ("bonded", "overseas")


def overseas_position_key(stock_id: int) -> str:
    """A row of logistics' warehouse stock (overseas warehouses)."""
    return f"stock:{stock_id}"


def bonded_position_key(bonded_stock_id: int) -> str:
    """A row of clearance's 1210 account book (bonded_stock). Its release deduction should take
    `pledged_quantity(session, "bonded", bonded_position_key(row.id))` off the available quantity."""
    return f"bonded:{bonded_stock_id}"


def lock_position(
    session: Session, source: str, position_key: str, *, enterprise_id: int, item_no: str
) -> PledgePosition:
    """Return the position row, created if new, locked FOR UPDATE until the transaction ends.

    On SQLite every write transaction is BEGIN IMMEDIATE (db.py), which serialises the same way.
    """
    dialect = session.get_bind().dialect.name
    values = {
        "source": source,
        "position_key": position_key,
        "enterprise_id": enterprise_id,
        "item_no": item_no,
        "pledged_quantity": Decimal("0"),
        "updated_at": now_utc(),
    }
    if dialect == "postgresql":
        session.execute(postgresql.insert(PledgePosition).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(PledgePosition).values(**values).on_conflict_do_nothing())
    position = session.scalar(
        select(PledgePosition)
        .where(PledgePosition.source == source, PledgePosition.position_key == position_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert position is not None
    return position


def pledged_quantity(session: Session, source: str, position_key: str) -> Decimal:
    """The quantity currently pledged on a position (0 when never pledged); no lock."""
    value = session.scalar(
        select(PledgePosition.pledged_quantity).where(
            PledgePosition.source == source, PledgePosition.position_key == position_key
        )
    )
    return value if value is not None else Decimal("0")


def add_pledge(position: PledgePosition, quantity: Decimal, available: Decimal, field: str) -> None:
    """Pledge `quantity` more on a locked position whose physical stock is `available`."""
    free = available - position.pledged_quantity
    if quantity > free:
        raise ValidationFailed(
            [
                FieldError(
                    field,
                    "pledge_exceeds_free_stock",
                    f"货号{position.item_no}可质押数量不足：库存{available:f}，已质押"
                    f"{position.pledged_quantity:f}，本次申请{quantity:f}（不得重复质押）",
                )
            ],
            message="质押数量超过未质押库存",
        )
    position.pledged_quantity += quantity
    position.updated_at = now_utc()


def release_pledge(position: PledgePosition, quantity: Decimal) -> None:
    position.pledged_quantity = max(position.pledged_quantity - quantity, Decimal("0"))
    position.updated_at = now_utc()
