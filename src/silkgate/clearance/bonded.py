"""The 1210 bonded account book (网购保税进口 账册): what each bonded warehouse holds, per owner
(the seller, by customs code) and item (the seller's SKU, itemNo).

Goods entered into the bonded area are recorded as stock-in; each released 1210 list deducts its
lines (二线出区核减), all or nothing; a list with insufficient stock is rejected with its shortfalls;
a return within the period restores the quantities. Every change leaves a history row.

Exact under concurrency: the rows of one deduction are locked in a fixed order (PostgreSQL
SELECT ... FOR UPDATE; SQLite BEGIN IMMEDIATE), checked and changed under the lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.audit import record_read
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, Forbidden, ValidationFailed
from silkgate.finance.pledges import bonded_position_key, pledged_quantity
from silkgate.kit.cebtime import now_utc
from silkgate.models.clearance import BondedStock, BondedStockMovement
from silkgate.registry import service as registry_service

ZERO = Decimal("0")


@dataclass(frozen=True)
class StockInLine:
    item_no: str
    quantity: Decimal
    item_record_no: str | None = None
    item_name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Shortfall:
    item_no: str
    gnums: tuple[str, ...]  # the list lines asking for the item
    requested: Decimal
    available: Decimal

    @property
    def message(self) -> str:
        lines = "、".join(self.gnums)
        return (
            f"第{lines}项商品（货号{self.item_no}）申报数量{self.requested:f}，"
            f"保税账册库存仅{self.available:f}，库存不足"
        )

    def as_field_error(self) -> FieldError:
        return FieldError(f"InventoryList[{self.gnums[0]}].qty", "bonded_stock_insufficient", self.message)


def _row_key(owner_code: str, item_no: str) -> tuple[str, str]:
    return owner_code.strip(), item_no.strip()


def _lock_rows(
    session: Session, warehouse_enterprise_id: int, owner_code: str, item_nos: Sequence[str]
) -> dict[str, BondedStock]:
    """The stock rows of these items, locked, in item order (a fixed order: no deadlocks)."""
    rows = session.scalars(
        select(BondedStock)
        .where(
            BondedStock.warehouse_enterprise_id == warehouse_enterprise_id,
            BondedStock.owner_code == owner_code,
            BondedStock.item_no.in_(sorted(set(item_nos))),
        )
        .order_by(BondedStock.item_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {r.item_no: r for r in rows}


def stock_in(
    session: Session,
    *,
    warehouse_enterprise_id: int,
    zone_code: str,
    owner_code: str,
    lines: Sequence[StockInLine],
    reference: str,
    actor_org_id: int | None = None,
) -> list[BondedStock]:
    """Record goods entered into the bonded warehouse (入区); returns the updated book rows."""
    errors: list[FieldError] = []
    owner = owner_code.strip()
    if not owner or len(owner) > 18:
        errors.append(FieldError("owner_code", "owner_code_format", "货主（电商企业）海关编码应为1-18位"))
    if not reference.strip() or len(reference) > 80:
        errors.append(FieldError("reference", "reference_format", "入区单证编号不能为空且不超过80个字符"))
    if not lines:
        errors.append(FieldError("lines", "lines_empty", "至少需要一项入库商品"))
    seen: set[str] = set()
    for n, line in enumerate(lines):
        item = line.item_no.strip()
        if not item or len(item) > 40:
            errors.append(
                FieldError(f"lines[{n}].item_no", "item_no_format", "商品货号不能为空且不超过40个字符")
            )
        elif item in seen:
            errors.append(
                FieldError(f"lines[{n}].item_no", "item_no_repeated", f"货号{item}在本次入库中重复")
            )
        seen.add(item)
        if line.quantity <= ZERO:
            errors.append(FieldError(f"lines[{n}].quantity", "quantity_not_positive", "入库数量应大于0"))
    if errors:
        raise ValidationFailed(errors, "入库记录未通过校验")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for line in lines:
        session.execute(
            insert(BondedStock)
            .values(
                warehouse_enterprise_id=warehouse_enterprise_id,
                zone_code=zone_code,
                owner_code=owner,
                item_no=line.item_no.strip(),
                item_record_no=line.item_record_no,
                item_name=line.item_name,
                unit=line.unit,
                quantity=ZERO,
                updated_at=now_utc(),
            )
            .on_conflict_do_nothing(index_elements=["warehouse_enterprise_id", "owner_code", "item_no"])
        )
    rows = _lock_rows(session, warehouse_enterprise_id, owner, [line.item_no.strip() for line in lines])
    now = now_utc()
    for line in lines:
        row = rows[line.item_no.strip()]
        row.quantity = Decimal(row.quantity) + line.quantity
        row.updated_at = now
        for attr in ("item_record_no", "item_name", "unit"):
            value = getattr(line, attr)
            if value:
                setattr(row, attr, value)
        session.add(
            BondedStockMovement(
                stock_id=row.id,
                kind="stock_in",
                quantity=line.quantity,
                balance_after=row.quantity,
                reference=reference.strip(),
                actor_org_id=actor_org_id,
            )
        )
    session.flush()
    return [rows[line.item_no.strip()] for line in lines]


def _requested(
    lines: Iterable[Mapping[str, str]],
) -> tuple[dict[str, Decimal], dict[str, list[str]], list[FieldError]]:
    """Quantities asked per item (a list may name one item on several lines)."""
    wanted: dict[str, Decimal] = {}
    gnums: dict[str, list[str]] = {}
    errors: list[FieldError] = []
    for n, line in enumerate(lines, start=1):
        gnum = str(line.get("gnum") or n)
        item = str(line.get("itemNo") or "").strip()
        if not item:
            errors.append(
                FieldError(f"InventoryList[{gnum}].itemNo", "item_no_missing", "保税进口清单须填写商品货号")
            )
            continue
        try:
            qty = Decimal(str(line.get("qty") or "").strip())
        except InvalidOperation:
            errors.append(FieldError(f"InventoryList[{gnum}].qty", "qty_format", "数量应为数字"))
            continue
        if not qty.is_finite() or qty <= ZERO:
            errors.append(FieldError(f"InventoryList[{gnum}].qty", "quantity_not_positive", "数量应大于0"))
            continue
        wanted[item] = wanted.get(item, ZERO) + qty
        gnums.setdefault(item, []).append(gnum)
    return wanted, gnums, errors


def deduct_for_list(
    session: Session,
    warehouse_enterprise_id: int,
    lines: Sequence[Mapping[str, str]],
    *,
    owner_code: str,
    reference: str = "",
    declaration_id: int | None = None,
) -> list[Shortfall]:
    """Deduct a released 1210 list's lines (CEB InventoryList dicts: gnum, itemNo, qty) from the book.

    All or nothing: any shortfall and nothing is deducted; the shortfalls are returned (empty = done).
    """
    wanted, gnums, errors = _requested(lines)
    if errors:
        raise ValidationFailed(errors, "保税清单表体无法核减账册")
    owner = owner_code.strip()
    rows = _lock_rows(session, warehouse_enterprise_id, owner, list(wanted))
    # Goods pledged as a warehouse receipt (仓单质押) are locked against release: only the
    # unpledged quantity is available to a list.
    free = {
        item: Decimal(row.quantity) - pledged_quantity(session, "bonded", bonded_position_key(row.id))
        for item, row in rows.items()
    }
    shortfalls = [
        Shortfall(
            item_no=item,
            gnums=tuple(gnums[item]),
            requested=qty,
            available=free.get(item, ZERO),
        )
        for item, qty in sorted(wanted.items())
        if free.get(item, ZERO) < qty
    ]
    if shortfalls:
        return shortfalls
    now = now_utc()
    for item, qty in sorted(wanted.items()):
        row = rows[item]
        row.quantity = Decimal(row.quantity) - qty
        row.updated_at = now
        session.add(
            BondedStockMovement(
                stock_id=row.id,
                kind="deduct",
                quantity=-qty,
                balance_after=row.quantity,
                reference=reference[:80],
                declaration_id=declaration_id,
            )
        )
    session.flush()
    return []


def restore_for_return(
    session: Session,
    warehouse_enterprise_id: int,
    lines: Sequence[Mapping[str, str]],
    *,
    owner_code: str,
    reference: str = "",
    declaration_id: int | None = None,
) -> None:
    """Put returned goods (CEB lines: gnum, itemNo, qty) back into the book they were deducted from."""
    wanted, _gnums, errors = _requested(lines)
    owner = owner_code.strip()
    rows = _lock_rows(session, warehouse_enterprise_id, owner, list(wanted))
    for item in wanted:
        if item not in rows:
            errors.append(
                FieldError("itemNo", "bonded_item_unknown", f"货号{item}不在该仓库的保税账册中，无法退回")
            )
    if errors:
        raise ValidationFailed(errors, "退货无法恢复保税账册")
    now = now_utc()
    for item, qty in sorted(wanted.items()):
        row = rows[item]
        row.quantity = Decimal(row.quantity) + qty
        row.updated_at = now
        session.add(
            BondedStockMovement(
                stock_id=row.id,
                kind="restore",
                quantity=qty,
                balance_after=row.quantity,
                reference=reference[:80],
                declaration_id=declaration_id,
            )
        )
    session.flush()


@dataclass(frozen=True)
class StockFilter:
    owner_code: str | None = None
    item_no: str | None = None
    warehouse_enterprise_id: int | None = None


def list_stock(
    session: Session,
    *,
    zone_code: str | None,
    flt: StockFilter,
    visible_to: ColumnElement[bool] | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[BondedStock]:
    """Book rows matching the filter, within `visible_to` (what the reader may see) when given."""
    q = select(BondedStock)
    if zone_code is not None:
        q = q.where(BondedStock.zone_code == zone_code)
    if visible_to is not None:
        q = q.where(visible_to)
    if flt.owner_code:
        q = q.where(BondedStock.owner_code == flt.owner_code)
    if flt.item_no:
        q = q.where(BondedStock.item_no == flt.item_no)
    if flt.warehouse_enterprise_id is not None:
        q = q.where(BondedStock.warehouse_enterprise_id == flt.warehouse_enterprise_id)
    q = q.order_by(BondedStock.warehouse_enterprise_id, BondedStock.owner_code, BondedStock.item_no)
    return list(session.scalars(q.limit(limit).offset(offset)))


def history_of(
    session: Session, stock_ids: Sequence[int], limit: int = 50
) -> dict[int, list[BondedStockMovement]]:
    """The latest movements of each book row."""
    out: dict[int, list[BondedStockMovement]] = {i: [] for i in stock_ids}
    if not stock_ids:
        return out
    rows = session.scalars(
        select(BondedStockMovement)
        .where(BondedStockMovement.stock_id.in_(list(stock_ids)))
        .order_by(BondedStockMovement.id.desc())
    )
    for m in rows:
        if len(out[m.stock_id]) < limit:
            out[m.stock_id].append(m)
    return out


# ---------------------------------------------------------------- access by principal (API)


def record_stock_in(
    session: Session,
    principal: Principal,
    *,
    owner_code: str,
    reference: str,
    lines: Sequence[StockInLine],
) -> list[BondedStock]:
    """Stock-in by a warehouse enterprise into its own book; the owner must be a filed enterprise."""
    if not principal.is_enterprise or "warehouse" not in principal.roles or principal.enterprise_id is None:
        raise Forbidden("只有已备案的仓储企业可以登记保税入区（入库）")
    if principal.zone_code is None:
        raise Forbidden("仓储企业未关联综试区")
    owner = registry_service.enterprise_by_customs_code(session, owner_code.strip())
    if owner is None or owner.status != "approved":
        raise ValidationFailed(
            [FieldError("owner_code", "owner_not_filed", f"货主海关编码{owner_code}不是已备案通过的企业")],
            "入库记录未通过校验",
        )
    return stock_in(
        session,
        warehouse_enterprise_id=principal.enterprise_id,
        zone_code=principal.zone_code,
        owner_code=owner.customs_code,
        lines=lines,
        reference=reference,
        actor_org_id=principal.org_id,
    )


def visible_stock(
    session: Session,
    principal: Principal,
    flt: StockFilter,
    *,
    limit: int = 200,
    offset: int = 0,
    request_path: str | None = None,
) -> list[BondedStock]:
    """Book rows the principal may see: a warehouse its own book, a seller its own goods in any
    warehouse, the zone office and the customs of the zone everything in the zone (customs reads
    are audited); nobody else."""
    if principal.is_enterprise:
        if principal.enterprise_id is None:
            raise Forbidden()
        me = registry_service.get_enterprise(session, principal, principal.enterprise_id)
        mine: ColumnElement[bool] = BondedStock.owner_code == me.customs_code
        if "warehouse" in principal.roles:
            mine = or_(mine, BondedStock.warehouse_enterprise_id == me.id)
        return list_stock(session, zone_code=None, flt=flt, visible_to=mine, limit=limit, offset=offset)
    if principal.is_zone_office or principal.org_kind == kinds.CUSTOMS:
        rows = list_stock(session, zone_code=principal.zone_code, flt=flt, limit=limit, offset=offset)
        record_read(
            session,
            principal,
            resource="bonded_stock",
            detail={"rows": len(rows), "owner_code": flt.owner_code, "item_no": flt.item_no},
            request_path=request_path,
        )
        return rows
    raise Forbidden("您的机构无权查看保税账册")
