"""Demo step `parks`: the zone's layout of parks with their tenants, services and service requests.

For Yuncheng the parks are the carriers its plan names (晋政办发〔2023〕58号): the core in the
Yuncheng development zone with its import-export showroom and CBEC incubation base, the bonded
logistics centre (type B) being applied for with its bonded-import supervision site, and the county
e-commerce parks of 万荣、平陆、夏县、芮城、临猗、垣曲. Other zones get their city's generic layout.
Areas, capacities and tenants are synthetic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.demo import DemoContext
from silkgate.models.logistics import Warehouse
from silkgate.models.org import Organisation
from silkgate.models.registry import Enterprise
from silkgate.models.zone import Zone
from silkgate.parks import schemas, service

SOURCE_YC = "晋政办发〔2023〕58号 中国(运城)跨境电子商务综合试验区建设实施方案"
# (name, kind, layout, county, status, capacity, area, themes, operated by the demo park operator)
YUNCHENG = (
    (
        "运城经济技术开发区跨境电子商务综合园区",
        "industrial_park",
        "core",
        "运城经济技术开发区",
        "operating",
        60,
        "52000",
        ["跨境电商综合服务", "直播电商", "供应链"],
        True,
    ),
    (
        "运城进出口商品展示体验中心",
        "showroom",
        "core",
        "运城经济技术开发区",
        "operating",
        20,
        "6800",
        ["进口商品展示", "O2O体验"],
        True,
    ),
    (
        "运城跨境电子商务产业孵化基地",
        "incubator",
        "core",
        "运城经济技术开发区",
        "operating",
        40,
        "9500",
        ["创业孵化", "人才实训"],
        True,
    ),
    (
        "运城保税物流中心(B型)",
        "bonded_logistics_centre",
        "hub",
        "运城经济技术开发区",
        "under_construction",
        30,
        "120000",
        ["保税仓储", "简单加工", "退税"],
        False,
    ),
    (
        "运城大型网购保税进口监管场所",
        "bonded_logistics_centre",
        "hub",
        "运城经济技术开发区",
        "planned",
        10,
        "30000",
        ["网购保税进口"],
        False,
    ),
    (
        "万荣县电子商务产业园",
        "industrial_park",
        "featured",
        "万荣县",
        "operating",
        25,
        "18000",
        ["苹果", "农产品直播"],
        False,
    ),
    (
        "平陆县电子商务产业园",
        "industrial_park",
        "featured",
        "平陆县",
        "operating",
        20,
        "12000",
        ["果品", "特色农产品"],
        False,
    ),
    (
        "夏县电子商务产业园",
        "industrial_park",
        "featured",
        "夏县",
        "operating",
        15,
        "9000",
        ["特色食品"],
        False,
    ),
    (
        "芮城县电子商务产业园",
        "industrial_park",
        "featured",
        "芮城县",
        "operating",
        15,
        "8500",
        ["文旅产品", "果品"],
        False,
    ),
    (
        "临猗县电子商务产业园",
        "industrial_park",
        "featured",
        "临猗县",
        "operating",
        25,
        "16000",
        ["苹果", "冷链"],
        False,
    ),
    (
        "垣曲县电子商务产业园",
        "industrial_park",
        "featured",
        "垣曲县",
        "operating",
        10,
        "6000",
        ["有色金属制品"],
        False,
    ),
)
GENERIC = (
    (
        "{city}跨境电子商务综合园区",
        "industrial_park",
        "core",
        "",
        "operating",
        50,
        "40000",
        ["跨境电商综合服务"],
        True,
    ),
    ("{city}跨境电子商务孵化基地", "incubator", "core", "", "operating", 30, "8000", ["创业孵化"], True),
    ("{city}跨境电商人才实训基地", "training_base", "park", "", "operating", 20, "3000", ["人才实训"], False),
)
SERVICES = (
    ("training", "跨境电商运营实训（亚马逊、速卖通、TikTok Shop）", "园区实训中心"),
    ("brand_building", "出海品牌设计与商标境外注册辅导", "园区品牌服务中心"),
    ("compliance", "出口合规辅导：欧盟CE、美国FCC认证与VAT申报", "园区合规服务站"),
    ("legal", "跨境知识产权与合同纠纷法律咨询", "驻园律师事务所"),
    ("live_streaming", "直播间与主播孵化", "园区直播基地"),
)
TENANT_ROLE_BY_REGISTRY = {
    "seller": "seller",
    "platform": "platform",
    "logistics": "warehouse_logistics",
    "warehouse": "warehouse_logistics",
    "trade_service": "trade_service",
    "payment": "finance",
    "broker": "trade_service",
}


def _principal(ctx: DemoContext, org_id: int) -> Principal:
    org = ctx.session.get(Organisation, org_id)
    assert org is not None
    return principal_for_org(ctx.session, org)


def load(ctx: DemoContext) -> str:
    session = ctx.session
    zone = session.get(Zone, ctx.zone_code)
    assert zone is not None
    city = zone.city.removesuffix("市")
    org_ids = ctx.shared.get("org_ids_by_kind", {})
    office = _principal(ctx, ctx.shared["zone_office_org_id"])
    operator_org = (org_ids.get(kinds.PARK_OPERATOR) or [None])[0]
    operator_name = session.get(Organisation, operator_org).name if operator_org else ""  # type: ignore[union-attr]
    rows = YUNCHENG if zone.short == "YC" else GENERIC
    parks = []
    for name, kind, layout, county, status, capacity, area, themes, operated in rows:
        parks.append(
            service.create_park(
                session,
                office,
                schemas.ParkCreate(
                    name=name.format(city=city),
                    kind=kind,
                    layout_role=layout,
                    county=county,
                    status=status,  # type: ignore[arg-type]
                    address=f"{zone.province}{zone.city}{county}",
                    operator_org_id=operator_org if operated else None,
                    operator_name=operator_name if operated else f"{county or city}电子商务发展中心",
                    area_m2=Decimal(area),
                    tenant_capacity=capacity,
                    theme_industries=themes,
                    source_note=SOURCE_YC if zone.short == "YC" else "",
                ),
            )
        )
    overseas = session.scalars(
        select(Warehouse).where(
            Warehouse.zone_code == zone.code, Warehouse.kind == "overseas", Warehouse.is_public.is_(True)
        )
    ).all()
    for wh in overseas:
        parks.append(
            service.create_park(
                session,
                office,
                schemas.ParkCreate(
                    name=f"{wh.name}（{city}综试区公共海外仓）",
                    kind="public_overseas_warehouse",
                    layout_role="park",
                    country=wh.country,
                    address=wh.city,
                    operator_name="海外仓运营企业",
                    area_m2=wh.area_m2,
                    warehouse_id=wh.id,
                    theme_industries=["海外仓储", "退换货"],
                ),
            )
        )
    operating = [p for p in parks if p.status == "operating" and p.kind != "public_overseas_warehouse"]
    by_role = ctx.shared.get("enterprise_ids_by_role", {})
    placed: set[int] = set()
    tenants = 0
    for role, ids in by_role.items():
        for n, ent_id in enumerate(ids):
            if ent_id in placed:
                continue
            park = operating[(n + len(placed)) % len(operating)]
            ent = session.get(Enterprise, ent_id)
            assert ent is not None
            service.add_tenant(
                session,
                office,
                park.id,
                schemas.TenantIn(
                    enterprise_id=ent_id,
                    role=TENANT_ROLE_BY_REGISTRY.get(role, "seller"),  # type: ignore[arg-type]
                    moved_in_on=ctx.today - dt.timedelta(days=30 + 17 * len(placed)),
                    area_m2=Decimal(120 + 10 * n),
                ),
            )
            placed.add(ent_id)
            tenants += 1
    managed = [p for p in parks if p.operator_org_id == operator_org and operator_org]
    services = []
    if managed:
        operator = _principal(ctx, operator_org)  # type: ignore[arg-type]
        for k, (category, title, provider) in enumerate(SERVICES):
            services.append(
                service.add_service(
                    session,
                    operator,
                    managed[k % len(managed)].id,
                    schemas.ServiceIn(category=category, title=title, provider=provider),  # type: ignore[arg-type]
                )
            )
        requesters = by_role.get("seller", [])[:4]
        for k, ent_id in enumerate(requesters):
            ent = session.get(Enterprise, ent_id)
            assert ent is not None
            req = service.request_service(
                session,
                _principal(ctx, ent.org_id),
                services[k % len(services)].id,
                schemas.RequestIn(note="希望下月安排"),
            )
            if k % 2 == 0:
                service.reply_request(
                    session, operator, req.id, schemas.RequestReply(status="accepted", reply="已安排专人对接")
                )
    return f"{len(parks)}个园区与载体（核心区、孵化基地、保税物流中心、县域园区、公共海外仓），{tenants}家入驻企业，{len(services)}项园区服务"
