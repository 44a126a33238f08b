"""Demo step `logistics`: the zone's warehouse network with stock fed through the warehouse API,
carrier tracking events for the demo waybills, a China-Europe rail one-bill consignment and an air
one, and the returns centre receiving routed returns — all through the logistics services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.demo import DemoContext
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import schemas, service
from silkgate.models.declarations import Declaration
from silkgate.models.export import ExportList, OverseasWarehouse
from silkgate.models.logistics import Consignment, Warehouse, WarehouseStock
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise
from silkgate.models.zone import Zone

# (code suffix, name template, kind, country, city, area, capacity, public, services)
WAREHOUSES = (
    (
        "BWH",
        "{city}保税物流中心(B型)保税仓",
        "bonded",
        "142",
        "{city}",
        "12000",
        "60000",
        True,
        ["保税仓储", "分拣"],
    ),
    (
        "SUP",
        "{city}航空口岸跨境电商监管中心",
        "supervised_site",
        "142",
        "{city}",
        "5000",
        "20000",
        True,
        ["查验", "分拨"],
    ),
    (
        "LAX",
        "洛杉矶公共海外仓",
        "overseas",
        "502",
        "洛杉矶",
        "15000",
        "40000",
        True,
        ["仓储", "配送", "退换货", "售后"],
    ),
    ("HAM", "汉堡公共海外仓", "overseas", "304", "汉堡", "9000", "25000", True, ["仓储", "清关", "配送"]),
    (
        "RET",
        "{city}跨境电商退货中心仓",
        "returns",
        "142",
        "{city}",
        "3000",
        "10000",
        True,
        ["退货查验", "重新上架"],
    ),
)
OVERSEAS_ITEMS = (
    ("LAMP", "LED护眼台灯", "65"),
    ("TEA", "陶瓷茶具套装", "120"),
    ("APPLE", "冻干苹果脆片", "18"),
)
CARRIER_PATH = (
    ("PICKED_UP", "首尔", 0),
    ("ARRIVED_HUB", "仁川国际机场", 5),
    ("DEPARTED_ORIGIN", "仁川国际机场", 9),
    ("ARRIVED_DESTINATION", "运城关公机场", 14),
    ("OUT_FOR_DELIVERY", "运城市盐湖区", 30),
    ("DELIVERED", "运城市盐湖区", 34),
)


def _principal(ctx: DemoContext, enterprise_id: int) -> Principal:
    ent = ctx.session.get(Enterprise, enterprise_id)
    assert ent is not None
    org = ctx.session.get(Organisation, ent.org_id)
    assert org is not None
    return principal_for_org(ctx.session, org)


def _city(ctx: DemoContext) -> str:
    zone = ctx.session.get(Zone, ctx.zone_code)
    assert zone is not None
    return zone.city.removesuffix("市")


def ensure_warehouses(ctx: DemoContext) -> dict[str, Warehouse]:
    """The network (idempotent): the finance step pledges overseas stock before this step runs."""
    session = ctx.session
    prefix = f"{ctx.zone_code}-"
    existing = {
        w.code.removeprefix(prefix): w
        for w in session.scalars(select(Warehouse).where(Warehouse.zone_code == ctx.zone_code))
    }
    if len(existing) >= len(WAREHOUSES):
        return existing
    by_role = ctx.shared.get("enterprise_ids_by_role", {})
    operator = _principal(ctx, by_role["warehouse"][0])
    city = _city(ctx)
    filings = list(
        session.scalars(
            select(OverseasWarehouse).where(OverseasWarehouse.zone_code == ctx.zone_code).limit(2)
        )
    )
    sellers = by_role.get("seller", [])[:6]
    when = now_utc() - dt.timedelta(days=20)
    for suffix, name, kind, country, wcity, area, cap, public, services in WAREHOUSES:
        if suffix in existing:
            continue
        filing = filings.pop(0).id if kind == "overseas" and filings else None
        wh = service.register_warehouse(
            session,
            operator,
            schemas.WarehouseCreate(
                code=prefix + suffix,
                name=name.format(city=city),
                kind=kind,
                country=country,  # type: ignore[arg-type]
                city=wcity.format(city=city),
                area_m2=Decimal(area),
                capacity_units=Decimal(cap),
                is_public=public,
                overseas_filing_id=filing,
                services=services,
            ),
        )
        existing[suffix] = wh
        if kind != "overseas":
            continue
        movements = []
        for n, seller_id in enumerate(sellers):
            seller = session.get(Enterprise, seller_id)
            assert seller is not None
            for k, (item, item_name, value) in enumerate(OVERSEAS_ITEMS):
                qty = Decimal(200 + 50 * ((n + k) % 5))
                movements.append(
                    schemas.MovementIn(
                        reference=f"{suffix}-IN-{seller_id}-{k}",
                        kind="inbound",
                        owner_customs_code=seller.customs_code,
                        item_no=f"OW-{item}",
                        item_name=item_name,
                        quantity=qty,
                        unit_value_cny=Decimal(value),
                        occurred_at=when + dt.timedelta(hours=n * 3 + k),
                    )
                )
        service.report_stock(session, operator, wh.id, movements)
    return existing


def _tracking(ctx: DemoContext) -> int:
    session = ctx.session
    waybills = session.execute(
        select(Declaration.logistics_no, Declaration.logistics_enterprise_id, Declaration.released_at)
        .where(
            Declaration.zone_code == ctx.zone_code,
            Declaration.kind == "inventory",
            Declaration.direction == "import",
            Declaration.released_at.is_not(None),
            Declaration.logistics_no.is_not(None),
        )
        .order_by(Declaration.id)
        .limit(60)
    ).all()
    by_carrier: dict[int, list[schemas.TrackingEventIn]] = {}
    for n, (waybill, carrier_id, released_at) in enumerate(waybills):
        if carrier_id is None or waybill is None or released_at is None:
            continue
        start = released_at - dt.timedelta(hours=12)
        steps = CARRIER_PATH if n % 4 else CARRIER_PATH[:4]  # a quarter still on the way
        for code, place, hours in steps:
            by_carrier.setdefault(carrier_id, []).append(
                schemas.TrackingEventIn(
                    waybill_no=waybill,
                    event_code=code,
                    occurred_at=start + dt.timedelta(hours=hours + n % 7),
                    location=place,
                    description="已签收，感谢使用" if code == "DELIVERED" else "",
                )
            )
    accepted = 0
    for carrier_id, events in by_carrier.items():
        # A carrier re-sends its first events (duplicates are counted, not stored).
        result = service.post_tracking_events(session, _principal(ctx, carrier_id), events + events[:3])
        accepted += result.accepted
    return accepted


def _consignments(ctx: DemoContext) -> int:
    session = ctx.session
    if session.scalar(select(Consignment.id).where(Consignment.zone_code == ctx.zone_code)):
        return 0
    by_role = ctx.shared.get("enterprise_ids_by_role", {})
    operator = _principal(ctx, by_role["logistics"][0])
    city = _city(ctx)
    shipper = session.get(Enterprise, by_role["seller"][0])
    assert shipper is not None
    stamp = ctx.today.strftime("%Y%m%d")
    parcels = [
        wb
        for wb in session.scalars(
            select(ExportList.logistics_no)
            .where(ExportList.zone_code == ctx.zone_code, ExportList.country == "304")
            .order_by(ExportList.id)
            .limit(30)
        )
        if wb
    ]
    rail = service.create_consignment(
        session,
        operator,
        schemas.ConsignmentCreate(
            bill_no=f"MT{ctx.zone_code}{stamp}01",
            route_name=f"中欧班列（{city}—西安—杜伊斯堡）",
            origin=city,
            destination="汉堡",
            shipper_customs_code=shipper.customs_code,
            cargo_description="陶瓷茶具、LED台灯、苹果脆片",
            packages=860,
            gross_weight_kg=Decimal("15400"),
            waybill_nos=parcels,
            legs=[
                schemas.LegIn(
                    mode="road",
                    carrier_name=f"{city}顺达公路运输有限公司",
                    from_place=city,
                    to_place="西安国际港站",
                    transport_doc_no="RD-0001",
                ),
                schemas.LegIn(
                    mode="rail",
                    carrier_name="中欧班列（长安号）",
                    from_place="西安国际港站",
                    to_place="杜伊斯堡",
                    transport_doc_no="CIM-SMGS-7781",
                ),
                schemas.LegIn(
                    mode="road",
                    carrier_name="DB Schenker",
                    from_place="杜伊斯堡",
                    to_place="汉堡",
                    transport_doc_no="CMR-55120",
                ),
            ],
        ),
    )
    t0 = now_utc() - dt.timedelta(days=12)
    service.update_leg(session, operator, rail.id, 1, schemas.LegUpdate(status="in_transit", at=t0))
    service.update_leg(
        session, operator, rail.id, 1, schemas.LegUpdate(status="arrived", at=t0 + dt.timedelta(hours=9))
    )
    service.update_leg(
        session, operator, rail.id, 2, schemas.LegUpdate(status="in_transit", at=t0 + dt.timedelta(hours=30))
    )
    air = service.create_consignment(
        session,
        operator,
        schemas.ConsignmentCreate(
            bill_no=f"MT{ctx.zone_code}{stamp}02",
            route_name=f"国际航空货运（{city}—仁川）",
            origin=city,
            destination="首尔",
            packages=120,
            gross_weight_kg=Decimal("1850"),
            legs=[
                schemas.LegIn(
                    mode="road",
                    carrier_name=f"{city}顺达公路运输有限公司",
                    from_place=city,
                    to_place=f"{city}关公机场",
                ),
                schemas.LegIn(
                    mode="air",
                    carrier_name="大韩航空货运",
                    from_place=f"{city}关公机场",
                    to_place="仁川国际机场",
                    transport_doc_no="180-12345675",
                ),
                schemas.LegIn(
                    mode="road", carrier_name="CJ大韩通运", from_place="仁川国际机场", to_place="首尔"
                ),
            ],
        ),
    )
    t1 = now_utc() - dt.timedelta(days=6)
    for seq, (dep, arr) in enumerate(((0, 3), (6, 9), (11, 14)), start=1):
        service.update_leg(
            session,
            operator,
            air.id,
            seq,
            schemas.LegUpdate(status="in_transit", at=t1 + dt.timedelta(hours=dep)),
        )
        service.update_leg(
            session,
            operator,
            air.id,
            seq,
            schemas.LegUpdate(status="arrived", at=t1 + dt.timedelta(hours=arr)),
        )
    return 2


def _receive_returns(ctx: DemoContext, returns_wh: Warehouse) -> int:
    session = ctx.session
    operator = _principal(ctx, returns_wh.operator_enterprise_id)
    received = 0
    for n, r in enumerate(service.list_returns(session, operator)):
        if r.status == "routed" and r.seller_enterprise_id is not None and n % 2 == 0:
            service.receive_return(session, operator, r.id, r.occurred_at + dt.timedelta(days=3))
            received += 1
    return received


def load(ctx: DemoContext) -> str:
    warehouses = ensure_warehouses(ctx)
    events = _tracking(ctx)
    bills = _consignments(ctx)
    received = _receive_returns(ctx, warehouses["RET"])
    stock_rows = len(
        list(
            ctx.session.scalars(
                select(WarehouseStock.id).where(
                    WarehouseStock.warehouse_id.in_([w.id for w in warehouses.values()])
                )
            )
        )
    )
    return (
        f"{len(warehouses)}个仓库（含2个公共海外仓、退货中心仓），{stock_rows}条库存，{events}条物流轨迹，"
        f"{bills}张多式联运单（中欧班列、航空），{received}票退货入仓"
    )
