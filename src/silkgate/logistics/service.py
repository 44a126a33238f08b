"""Smart logistics operations: tracking events, the public timeline, warehouses and their stock
feed, multimodal one-bill consignments, the returns centre and the zone's logistics figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.events import TradeEvent
from silkgate.exceptions import Duplicate, FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.finance import pledges
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import rules, schemas
from silkgate.models.declarations import Declaration, DeclarationEvent
from silkgate.models.export import OverseasWarehouse
from silkgate.models.logistics import (
    Consignment,
    ConsignmentLeg,
    ReturnRouting,
    StockMovement,
    TrackingEvent,
    Warehouse,
    WarehouseStock,
)
from silkgate.models.registry import Enterprise

CUSTOMS_STATUS_LABELS = {
    "declared": "电子信息已申报",
    "waiting": "等待三单信息",
    "matched": "三单比对通过",
    "released": "海关放行",
    "rejected": "海关退单",
    "held": "海关查验",
    "withdrawn": "清单已撤销",
    "returned": "已办理退货",
    "departed": "已离境",
    "closed": "已结关",
}
DELIVERED = "DELIVERED"


# --- who may do what --------------------------------------------------------------------------


def _require_role(principal: Principal, *roles: str) -> int:
    if principal.enterprise_id is None or not (set(roles) & principal.roles):
        labels = "、".join(kinds.ROLE_LABELS[r] for r in roles)
        raise Forbidden(f"只有备案为{labels}的企业可以执行此操作")
    return principal.enterprise_id


def _enterprise_by_customs_code(session: Session, code: str) -> Enterprise | None:
    return session.scalar(select(Enterprise).where(Enterprise.customs_code == code))


def enterprise_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).tuples().all()
    )


# --- tracking ---------------------------------------------------------------------------------


def post_tracking_events(
    session: Session, principal: Principal, events: list[schemas.TrackingEventIn], *, source: str = "api"
) -> schemas.TrackingResult:
    """Store a logistics firm's events; a repeat of (waybill, code, time, place) is counted, not stored."""
    carrier_id = _require_role(principal, "logistics")
    assert principal.zone_code is not None
    errors = [
        FieldError(f"events[{i}].event_code", "unknown_event_code", f"事件代码“{e.event_code}”不在代码表中")
        for i, e in enumerate(events)
        if e.event_code not in rules.CARRIER_EVENTS
    ]
    if errors:
        raise ValidationFailed(errors)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    accepted = 0
    now = now_utc()
    for e in events:
        row = {
            "zone_code": principal.zone_code,
            "waybill_no": e.waybill_no.strip(),
            "event_code": e.event_code,
            "occurred_at": rules.normalise_event_time(e.occurred_at),
            "location": e.location.strip(),
            "description": rules.redact_personal(e.description.strip()),
            "carrier_enterprise_id": carrier_id,
            "received_at": now,
            "source": source,
        }
        stored = session.execute(
            insert(TrackingEvent).values(**row).on_conflict_do_nothing().returning(TrackingEvent.id)
        ).first()
        accepted += stored is not None
    return schemas.TrackingResult(accepted=accepted, duplicates=len(events) - accepted)


def recent_waybills(
    session: Session, principal: Principal, limit: int = 10
) -> list[tuple[str, str, dt.datetime]]:
    """The latest waybills with carrier events: the zone's for the zone office and agencies, a carrier's own."""
    if principal.zone_code is None:
        return []
    q = select(TrackingEvent.waybill_no, func.max(TrackingEvent.occurred_at)).where(
        TrackingEvent.zone_code == principal.zone_code
    )
    if not (principal.is_zone_office or principal.is_agency):
        q = q.where(TrackingEvent.carrier_enterprise_id == (principal.enterprise_id or -1))
    rows = session.execute(
        q.group_by(TrackingEvent.waybill_no).order_by(func.max(TrackingEvent.occurred_at).desc()).limit(limit)
    ).all()
    out = []
    for waybill, last in rows:
        code = session.scalar(
            select(TrackingEvent.event_code)
            .where(TrackingEvent.waybill_no == waybill, TrackingEvent.occurred_at == last)
            .limit(1)
        )
        out.append((waybill, rules.CARRIER_EVENTS.get(code or "", code or ""), last))
    return out


def public_timeline(session: Session, waybill_no: str) -> list[rules.TimelineEntry] | None:
    """The buyer's view of a waybill: customs statuses and carrier events in time order.

    Shows statuses, times and places only — never names, IDs, phones or addresses. None when the
    platform knows nothing of the waybill.
    """
    waybill_no = waybill_no.strip()
    if not waybill_no:
        return None
    entries: list[rules.TimelineEntry] = []
    declaration_ids = list(
        session.scalars(
            select(Declaration.id).where(
                Declaration.logistics_no == waybill_no, Declaration.kind.in_(("inventory", "waybill"))
            )
        )
    )
    if declaration_ids:
        rows = session.scalars(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id.in_(declaration_ids))
            .order_by(DeclarationEvent.at, DeclarationEvent.id)
        )
        for ev in rows:
            label = CUSTOMS_STATUS_LABELS.get(ev.status)
            if label is None:
                continue
            entries.append(rules.TimelineEntry(ev.at, "customs", ev.status, label, "", "海关状态"))
    for te in session.scalars(select(TrackingEvent).where(TrackingEvent.waybill_no == waybill_no)):
        entries.append(
            rules.TimelineEntry(
                te.occurred_at,
                "carrier",
                te.event_code,
                rules.CARRIER_EVENTS.get(te.event_code, te.event_code),
                te.location,
                te.description,
            )
        )
    if not entries:
        return None
    return rules.merge_timeline(entries)


# --- warehouses -------------------------------------------------------------------------------


def register_warehouse(session: Session, principal: Principal, data: schemas.WarehouseCreate) -> Warehouse:
    if principal.is_zone_office:
        if data.operator_enterprise_id is None:
            raise ValidationFailed(
                [FieldError("operator_enterprise_id", "required", "综试办登记仓库时须指定运营企业")]
            )
        operator = session.get(Enterprise, data.operator_enterprise_id)
        if operator is None or operator.zone_code != principal.zone_code:
            raise ValidationFailed(
                [FieldError("operator_enterprise_id", "unknown_enterprise", "运营企业不存在或不属于本综试区")]
            )
        operator_id = operator.id
    else:
        operator_id = _require_role(principal, "warehouse", "logistics")
    assert principal.zone_code is not None
    errors = []
    if data.kind == "overseas" and data.country == "142":
        errors.append(FieldError("country", "overseas_in_china", "海外仓所在国家不能是中国（142）"))
    if data.kind != "overseas" and data.overseas_filing_id is not None:
        errors.append(FieldError("overseas_filing_id", "not_overseas", "只有海外仓可以关联9810海外仓备案"))
    elif data.overseas_filing_id is not None:
        filing = session.get(OverseasWarehouse, data.overseas_filing_id)
        if filing is None or filing.zone_code != principal.zone_code:
            errors.append(
                FieldError("overseas_filing_id", "unknown_filing", "9810海外仓备案不存在或不属于本综试区")
            )
    if session.scalar(
        select(Warehouse.id).where(Warehouse.zone_code == principal.zone_code, Warehouse.code == data.code)
    ):
        raise Duplicate(f"仓库编码“{data.code}”已登记")
    if errors:
        raise ValidationFailed(errors)
    wh = Warehouse(
        zone_code=principal.zone_code,
        operator_enterprise_id=operator_id,
        **data.model_dump(exclude={"operator_enterprise_id"}),
    )
    session.add(wh)
    session.flush()
    if wh.kind == "returns":
        route_pending_returns(session, wh)
    return wh


def list_warehouses(session: Session, principal: Principal, kind: str | None = None) -> list[Warehouse]:
    """The zone's warehouses: everyone in the zone sees the network (a public directory, LOG-02)."""
    if principal.zone_code is None:
        raise Forbidden("该机构不属于综试区，无法查看仓储网络")
    q = select(Warehouse).where(Warehouse.zone_code == principal.zone_code)
    if kind:
        q = q.where(Warehouse.kind == kind)
    return list(session.scalars(q.order_by(Warehouse.kind, Warehouse.code)))


def warehouse_by_id(session: Session, warehouse_id: int) -> Warehouse | None:
    """A warehouse by id, whoever asks (for other domains' reference checks)."""
    return session.get(Warehouse, warehouse_id)


def get_warehouse(session: Session, principal: Principal, warehouse_id: int) -> Warehouse:
    wh = session.get(Warehouse, warehouse_id)
    if wh is None or wh.zone_code != principal.zone_code:
        raise NotFound()
    return wh


def _may_see_stock(principal: Principal, wh: Warehouse) -> bool:
    return (
        principal.is_zone_office
        or principal.is_agency
        or principal.enterprise_id == wh.operator_enterprise_id
    )


def warehouse_detail(session: Session, principal: Principal, warehouse_id: int) -> schemas.WarehouseDetail:
    """Capacity, stock and 30-day throughput. Stock lines: the operator, the zone office and agencies
    see all; an owner enterprise sees its own lines only."""
    wh = get_warehouse(session, principal, warehouse_id)
    q = select(WarehouseStock).where(WarehouseStock.warehouse_id == wh.id)
    all_stock = list(session.scalars(q.order_by(WarehouseStock.owner_enterprise_id, WarehouseStock.item_no)))
    visible = [
        s
        for s in all_stock
        if _may_see_stock(principal, wh) or s.owner_enterprise_id == principal.enterprise_id
    ]
    total_units = sum((s.quantity for s in all_stock), Decimal("0"))
    since = now_utc() - dt.timedelta(days=30)
    flows = dict(
        session.execute(
            select(StockMovement.kind, func.sum(StockMovement.quantity))
            .where(StockMovement.warehouse_id == wh.id, StockMovement.occurred_at >= since)
            .group_by(StockMovement.kind)
        ).all()
    )
    return schemas.WarehouseDetail(
        warehouse=schemas.WarehousePublic.model_validate(wh),
        stock_units=total_units,
        utilisation=(total_units / wh.capacity_units).quantize(Decimal("0.0001"))
        if wh.capacity_units
        else None,
        inbound_30d=Decimal(flows.get("inbound") or 0) + Decimal(flows.get("return_in") or 0),
        outbound_30d=Decimal(flows.get("outbound") or 0),
        stock=[
            schemas.StockPublic(
                id=s.id,
                warehouse_id=s.warehouse_id,
                owner_enterprise_id=s.owner_enterprise_id,
                item_no=s.item_no,
                item_name=s.item_name,
                regime=s.regime,
                quantity=s.quantity,
                pledged_quantity=pledges.pledged_quantity(
                    session, "overseas", pledges.overseas_position_key(s.id)
                ),
                unit_value_cny=s.unit_value_cny,
            )
            for s in visible
        ],
    )


def _stock_row(
    session: Session, warehouse_id: int, owner_id: int, item_no: str, regime: str, item_name: str
) -> WarehouseStock:
    row = session.scalar(
        select(WarehouseStock)
        .where(
            WarehouseStock.warehouse_id == warehouse_id,
            WarehouseStock.owner_enterprise_id == owner_id,
            WarehouseStock.item_no == item_no,
            WarehouseStock.regime == regime,
        )
        .with_for_update()
    )
    if row is None:
        row = WarehouseStock(
            warehouse_id=warehouse_id,
            owner_enterprise_id=owner_id,
            item_no=item_no,
            item_name=item_name,
            regime=regime,
            quantity=Decimal("0"),
            unit_value_cny=Decimal("0"),
        )
        session.add(row)
        session.flush()
    return row


def report_stock(
    session: Session, principal: Principal, warehouse_id: int, movements: list[schemas.MovementIn]
) -> schemas.StockReportResult:
    """The warehouse's data feed: inbound, outbound and stocktake lines, all or nothing.

    A reference already reported is skipped (idempotent). An outbound may not take pledged stock:
    the position is locked and the free quantity checked (仓单质押 — the pledge holds the goods).
    """
    wh = get_warehouse(session, principal, warehouse_id)
    if principal.enterprise_id != wh.operator_enterprise_id:
        raise Forbidden("只有仓库运营企业可以报送库存数据")
    owners: dict[str, Enterprise] = {}
    errors: list[FieldError] = []
    seen_refs: set[str] = set()
    for i, m in enumerate(movements):
        owner = owners.get(m.owner_customs_code) or _enterprise_by_customs_code(session, m.owner_customs_code)
        if owner is None:
            errors.append(
                FieldError(f"movements[{i}].owner_customs_code", "unknown_enterprise", "货主海关编码未备案")
            )
        else:
            owners[m.owner_customs_code] = owner
        if m.kind != "stocktake" and m.quantity <= 0:
            errors.append(FieldError(f"movements[{i}].quantity", "not_positive", "出入库数量必须大于0"))
        if m.reference in seen_refs:
            errors.append(FieldError(f"movements[{i}].reference", "duplicate_in_batch", "同一批次内单号重复"))
        seen_refs.add(m.reference)
    if errors:
        raise ValidationFailed(errors)
    existing = set(
        session.scalars(
            select(StockMovement.reference).where(
                StockMovement.warehouse_id == wh.id, StockMovement.reference.in_(seen_refs)
            )
        )
    )
    accepted = 0
    index_of = {id(m): i for i, m in enumerate(movements)}
    for m in sorted(movements, key=lambda mv: mv.occurred_at):
        if m.reference in existing:
            continue
        owner = owners[m.owner_customs_code]
        stock = _stock_row(session, wh.id, owner.id, m.item_no, m.regime, m.item_name)
        if m.item_name:
            stock.item_name = m.item_name
        if m.unit_value_cny is not None:
            stock.unit_value_cny = m.unit_value_cny
        if m.kind == "inbound":
            stock.quantity += m.quantity
        elif m.kind == "outbound":
            position = pledges.lock_position(
                session,
                "overseas",
                pledges.overseas_position_key(stock.id),
                enterprise_id=owner.id,
                item_no=m.item_no,
            )
            free = stock.quantity - position.pledged_quantity
            if m.quantity > free:
                raise ValidationFailed(
                    [
                        FieldError(
                            f"movements[{index_of[id(m)]}].quantity",
                            "stock_pledged_or_short",
                            f"货号{m.item_no}可出库数量不足：库存{stock.quantity:f}，其中已质押"
                            f"{position.pledged_quantity:f}，本次出库{m.quantity:f}",
                        )
                    ],
                    message="出库数量超过未质押库存，本批次未写入",
                )
            stock.quantity -= m.quantity
        else:
            stock.quantity = m.quantity
        stock.updated_at = now_utc()
        session.add(
            StockMovement(
                warehouse_id=wh.id,
                stock_id=stock.id,
                kind=m.kind,
                quantity=m.quantity,
                occurred_at=m.occurred_at,
                reference=m.reference,
                reported_by_org_id=principal.org_id,
            )
        )
        accepted += 1
    session.flush()
    return schemas.StockReportResult(accepted=accepted, duplicates=len(movements) - accepted)


def stock_for_pledge(session: Session, stock_id: int) -> WarehouseStock | None:
    """The stock row a pledge stands on, locked. Lock order everywhere: stock row, then pledge position."""
    return session.scalar(
        select(WarehouseStock)
        .where(WarehouseStock.id == stock_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def overseas_stock_of(session: Session, enterprise_id: int) -> list[tuple[WarehouseStock, Warehouse]]:
    """An enterprise's stock in overseas warehouses (what it may pledge)."""
    return [
        (s, w)
        for s, w in session.execute(
            select(WarehouseStock, Warehouse)
            .join(Warehouse, Warehouse.id == WarehouseStock.warehouse_id)
            .where(WarehouseStock.owner_enterprise_id == enterprise_id, Warehouse.kind == "overseas")
            .order_by(Warehouse.code, WarehouseStock.item_no)
        ).all()
    ]


# --- multimodal one bill ----------------------------------------------------------------------


def create_consignment(
    session: Session, principal: Principal, data: schemas.ConsignmentCreate
) -> Consignment:
    operator_id = _require_role(principal, "logistics")
    assert principal.zone_code is not None
    if session.scalar(select(Consignment.id).where(Consignment.bill_no == data.bill_no)):
        raise Duplicate(f"多式联运单号“{data.bill_no}”已存在")
    errors = []
    shipper_id = None
    if data.shipper_customs_code:
        shipper = _enterprise_by_customs_code(session, data.shipper_customs_code)
        if shipper is None:
            errors.append(FieldError("shipper_customs_code", "unknown_enterprise", "托运人海关编码未备案"))
        else:
            shipper_id = shipper.id
    for i in range(1, len(data.legs)):
        if data.legs[i].from_place != data.legs[i - 1].to_place:
            errors.append(
                FieldError(
                    f"legs[{i}].from_place",
                    "legs_not_connected",
                    f"第{i + 1}段起点“{data.legs[i].from_place}”应与上一段终点“{data.legs[i - 1].to_place}”一致",
                )
            )
    if data.legs[0].from_place != data.origin:
        errors.append(FieldError("legs[0].from_place", "origin_mismatch", "第一段起点应为全程起运地"))
    if data.legs[-1].to_place != data.destination:
        errors.append(
            FieldError(
                f"legs[{len(data.legs) - 1}].to_place", "destination_mismatch", "最后一段终点应为全程目的地"
            )
        )
    if errors:
        raise ValidationFailed(errors)
    c = Consignment(
        zone_code=principal.zone_code,
        operator_enterprise_id=operator_id,
        shipper_enterprise_id=shipper_id,
        **data.model_dump(exclude={"legs", "shipper_customs_code"}),
    )
    session.add(c)
    session.flush()
    for seq, leg in enumerate(data.legs, start=1):
        session.add(ConsignmentLeg(consignment_id=c.id, seq=seq, **leg.model_dump()))
    session.flush()
    return c


def _consignment_visible(principal: Principal, c: Consignment) -> bool:
    if principal.zone_code != c.zone_code:
        return False
    return (
        principal.is_zone_office
        or principal.is_agency
        or principal.enterprise_id in (c.operator_enterprise_id, c.shipper_enterprise_id)
    )


def get_consignment(session: Session, principal: Principal, consignment_id: int) -> Consignment:
    c = session.get(Consignment, consignment_id)
    if c is None or not _consignment_visible(principal, c):
        raise NotFound()
    return c


def legs_of(session: Session, consignment_id: int) -> list[ConsignmentLeg]:
    return list(
        session.scalars(
            select(ConsignmentLeg)
            .where(ConsignmentLeg.consignment_id == consignment_id)
            .order_by(ConsignmentLeg.seq)
        )
    )


def consignment_public(session: Session, c: Consignment) -> schemas.ConsignmentPublic:
    return schemas.ConsignmentPublic(
        id=c.id,
        bill_no=c.bill_no,
        route_name=c.route_name,
        origin=c.origin,
        destination=c.destination,
        status=c.status,
        packages=c.packages,
        gross_weight_kg=c.gross_weight_kg,
        waybill_nos=list(c.waybill_nos),
        legs=[schemas.LegPublic.model_validate(leg) for leg in legs_of(session, c.id)],
    )


def list_consignments(session: Session, principal: Principal) -> list[Consignment]:
    if principal.zone_code is None:
        return []
    q = select(Consignment).where(Consignment.zone_code == principal.zone_code)
    if not (principal.is_zone_office or principal.is_agency):
        eid = principal.enterprise_id or -1
        q = q.where((Consignment.operator_enterprise_id == eid) | (Consignment.shipper_enterprise_id == eid))
    return list(session.scalars(q.order_by(Consignment.id.desc())))


def update_leg(
    session: Session, principal: Principal, consignment_id: int, seq: int, data: schemas.LegUpdate
) -> Consignment:
    """Move one leg on: a leg departs only after the previous one arrived; the bill follows its legs."""
    c = get_consignment(session, principal, consignment_id)
    if principal.enterprise_id != c.operator_enterprise_id:
        raise Forbidden("只有多式联运经营人可以更新运输段状态")
    legs = legs_of(session, c.id)
    leg = next((x for x in legs if x.seq == seq), None)
    if leg is None:
        raise NotFound(f"第{seq}段不存在")
    at = rules.normalise_event_time(data.at)
    if data.status == "in_transit":
        if leg.status != "planned":
            raise InvalidState(f"第{seq}段当前为“{rules.LEG_STATUS_LABELS[leg.status]}”，不能再次发运")
        prev = legs[seq - 2] if seq > 1 else None
        if prev is not None and prev.status != "arrived":
            raise InvalidState(f"第{seq - 1}段尚未到达，第{seq}段不能发运")
        if prev is not None and prev.arrived_at is not None and at < prev.arrived_at:
            raise ValidationFailed(
                [FieldError("at", "before_previous_arrival", "发运时间早于上一段到达时间")]
            )
        leg.status, leg.departed_at = "in_transit", at
        c.status = "in_transit"
    else:
        if leg.status != "in_transit":
            raise InvalidState(f"第{seq}段尚未发运，不能登记到达")
        if leg.departed_at is not None and at < leg.departed_at:
            raise ValidationFailed([FieldError("at", "before_departure", "到达时间早于发运时间")])
        leg.status, leg.arrived_at = "arrived", at
        if all(x.status == "arrived" for x in legs):
            c.status = "delivered"
    session.flush()
    return c


# --- returns centre ---------------------------------------------------------------------------


def on_returned(session: Session, event: TradeEvent) -> None:
    """A 'returned' trade event routes the goods to the zone's returns warehouse (LOG-12).

    Returns themselves (the CEB625/export return and the quota/statistics reversal) belong to
    clearance and statistics; this only records where the goods go and their arrival.
    """
    warehouse_id = session.scalar(
        select(Warehouse.id)
        .where(
            Warehouse.zone_code == event.zone_code,
            Warehouse.kind == "returns",
            Warehouse.status == "operating",
        )
        .order_by(Warehouse.id)
        .limit(1)
    )
    exists = session.scalar(
        select(ReturnRouting.id).where(
            ReturnRouting.declaration_id == event.declaration_id,
            ReturnRouting.occurred_at == event.occurred_at,
        )
    )
    if exists:
        return
    session.add(
        ReturnRouting(
            zone_code=event.zone_code,
            declaration_id=event.declaration_id,
            business_no=event.business_no,
            direction=event.direction,
            trade_mode=event.trade_mode,
            seller_enterprise_id=event.enterprise_ids.get("seller"),
            warehouse_id=warehouse_id,
            value_cny=event.total_value_cny,
            lines=[
                {
                    "item_no": ln.item_no,
                    "hs_code": ln.hs_code,
                    "quantity": str(ln.quantity),
                    "value_cny": str(ln.value_cny),
                }
                for ln in event.lines
            ],
            occurred_at=event.occurred_at,
            status="routed" if warehouse_id else "unrouted",
        )
    )
    session.flush()


def route_pending_returns(session: Session, warehouse: Warehouse) -> int:
    """Returns that arrived while the zone had no returns warehouse go to the one just registered."""
    pending = list(
        session.scalars(
            select(ReturnRouting).where(
                ReturnRouting.zone_code == warehouse.zone_code, ReturnRouting.status == "unrouted"
            )
        )
    )
    for r in pending:
        r.warehouse_id, r.status = warehouse.id, "routed"
    session.flush()
    return len(pending)


def list_returns(session: Session, principal: Principal) -> list[ReturnRouting]:
    if principal.zone_code is None:
        return []
    q = select(ReturnRouting).where(ReturnRouting.zone_code == principal.zone_code)
    if not (principal.is_zone_office or principal.is_agency):
        eid = principal.enterprise_id or -1
        operated = select(Warehouse.id).where(Warehouse.operator_enterprise_id == eid)
        q = q.where((ReturnRouting.seller_enterprise_id == eid) | ReturnRouting.warehouse_id.in_(operated))
    return list(session.scalars(q.order_by(ReturnRouting.occurred_at.desc())))


def receive_return(session: Session, principal: Principal, routing_id: int, at: dt.datetime) -> ReturnRouting:
    """The returns warehouse confirms arrival: the returned quantities enter its stock for the seller."""
    r = session.get(ReturnRouting, routing_id)
    if r is None or r.zone_code != principal.zone_code or r.warehouse_id is None:
        raise NotFound()
    wh = session.get(Warehouse, r.warehouse_id)
    assert wh is not None
    if principal.enterprise_id != wh.operator_enterprise_id:
        raise NotFound()
    if r.status != "routed":
        raise InvalidState("该退货已入仓")
    if r.seller_enterprise_id is None:
        raise InvalidState("退货事件未载明电商企业，无法入账")
    at = rules.normalise_event_time(at)
    for n, line in enumerate(r.lines):
        stock = _stock_row(session, wh.id, r.seller_enterprise_id, line["item_no"], "cbec", "")
        qty = Decimal(line["quantity"])
        stock.quantity += qty
        session.add(
            StockMovement(
                warehouse_id=wh.id,
                stock_id=stock.id,
                kind="return_in",
                quantity=qty,
                occurred_at=at,
                reference=f"RT{r.id}-{n + 1}",
                reported_by_org_id=principal.org_id,
            )
        )
    r.status, r.received_at = "received", at
    session.flush()
    return r


# --- figures ----------------------------------------------------------------------------------


def _durations(pairs: list[tuple[dt.datetime, dt.datetime]]) -> schemas.DurationStats:
    hours = [rules.duration_hours(a, b) for a, b in pairs if b >= a]
    med = rules.percentile(hours, 50)
    p90 = rules.percentile(hours, 90)
    return schemas.DurationStats(
        count=len(hours),
        median_hours=None if med is None else round(med, 2),
        p90_hours=None if p90 is None else round(p90, 2),
    )


def figures(session: Session, zone_code: str, since: dt.datetime | None = None) -> schemas.LogisticsFigures:
    """Volumes by route and mode; clearance time (list declared -> released) and delivery time
    (released -> first DELIVERED event) as median and 90th percentile of real timestamps."""
    routes: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    for c in session.scalars(select(Consignment).where(Consignment.zone_code == zone_code)):
        modes = sorted({leg.mode for leg in legs_of(session, c.id)})
        cell = routes[(c.route_name, "+".join(modes))]
        cell[0] += 1
        cell[1] += c.packages
        cell[2] += c.gross_weight_kg
    lists = select(Declaration.logistics_no, Declaration.created_at, Declaration.released_at).where(
        Declaration.zone_code == zone_code,
        Declaration.kind == "inventory",
        Declaration.released_at.is_not(None),
    )
    if since is not None:
        lists = lists.where(Declaration.released_at >= since)
    released = session.execute(lists).all()
    delivered = dict(
        session.execute(
            select(TrackingEvent.waybill_no, func.min(TrackingEvent.occurred_at))
            .where(TrackingEvent.zone_code == zone_code, TrackingEvent.event_code == DELIVERED)
            .group_by(TrackingEvent.waybill_no)
        ).all()
    )
    clearance_pairs = [(r.created_at, r.released_at) for r in released]
    delivery_pairs = [
        (r.released_at, delivered[r.logistics_no]) for r in released if r.logistics_no in delivered
    ]
    return schemas.LogisticsFigures(
        zone_code=zone_code,
        routes=[
            schemas.RouteVolume(
                route_name=k[0], mode=k[1], consignments=int(v[0]), packages=int(v[1]), gross_weight_kg=v[2]
            )
            for k, v in sorted(routes.items())
        ],
        clearance=_durations(clearance_pairs),
        delivery=_durations(delivery_pairs),
        tracking_events=session.scalar(
            select(func.count()).select_from(TrackingEvent).where(TrackingEvent.zone_code == zone_code)
        )
        or 0,
        warehouses=session.scalar(
            select(func.count()).select_from(Warehouse).where(Warehouse.zone_code == zone_code)
        )
        or 0,
        returns_open=session.scalar(
            select(func.count())
            .select_from(ReturnRouting)
            .where(ReturnRouting.zone_code == zone_code, ReturnRouting.status != "received")
        )
        or 0,
    )
