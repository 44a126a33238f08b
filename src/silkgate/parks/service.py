"""The offline park platform: parks and similar carriers, their tenants and trade, occupancy and
share of the zone's trade, services and enterprises' requests for them.

Who may do what: the zone office registers parks and manages all of them; a park operator
(organisation kind park_operator) manages its own parks and their tenants and services only;
enterprises see the parks and services and request services; agencies read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.principal import Principal
from silkgate.exceptions import Duplicate, FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import service as logistics
from silkgate.models.org import Organisation
from silkgate.models.parks import PARK_KINDS, Park, ParkService, ParkTenant, ServiceRequest
from silkgate.models.registry import Enterprise
from silkgate.parks import rules, schemas
from silkgate.trade_stats import queries as stats

ZERO = Decimal(0)


# --- counts for the statistics (helper S) ------------------------------------------------------


def counts_by_type(session: Session, zone_code: str) -> dict[str, int]:
    """Parks and similar carriers of a zone by kind (every kind present, 0 when none), excluding closed ones."""
    counts = dict.fromkeys(PARK_KINDS, 0)
    for kind, n in session.execute(
        select(Park.kind, func.count())
        .where(Park.zone_code == zone_code, Park.status != "closed")
        .group_by(Park.kind)
    ):
        counts[kind] = n
    return counts


def entity_counts(session: Session, zone_code: str) -> dict[str, int]:
    """The statistics' market-entity table reads this name: the counts with Chinese labels."""
    return {rules.KIND_LABELS[k]: v for k, v in counts_by_type(session, zone_code).items()}


# --- access -----------------------------------------------------------------------------------


def zone_of(principal: Principal) -> str:
    if principal.zone_code is None:
        raise Forbidden("该机构不属于综试区")
    return principal.zone_code


def may_manage(principal: Principal, park: Park) -> bool:
    if principal.zone_code != park.zone_code:
        return False
    return principal.is_zone_office or (
        principal.org_kind == kinds.PARK_OPERATOR and park.operator_org_id == principal.org_id
    )


def sees_trade(principal: Principal, park: Park) -> bool:
    return may_manage(principal, park) or (principal.is_agency and principal.zone_code == park.zone_code)


def get_park(session: Session, principal: Principal, park_id: int) -> Park:
    park = session.get(Park, park_id)
    if park is None or park.zone_code != principal.zone_code:
        raise NotFound()
    return park


def _managed_park(session: Session, principal: Principal, park_id: int) -> Park:
    park = get_park(session, principal, park_id)
    if not may_manage(principal, park):
        raise Forbidden("只有综试办或该园区的运营方可以管理本园区")
    return park


# --- parks ------------------------------------------------------------------------------------


def create_park(session: Session, principal: Principal, data: schemas.ParkCreate) -> Park:
    principal.require_zone_office()
    zone = zone_of(principal)
    errors = []
    if data.operator_org_id is not None:
        op = session.get(Organisation, data.operator_org_id)
        if op is None or op.kind != kinds.PARK_OPERATOR or op.zone_code != zone:
            errors.append(
                FieldError("operator_org_id", "not_a_park_operator", "运营方须为本综试区登记的园区运营机构")
            )
    if data.level != "none" and data.level_year is None:
        errors.append(FieldError("level_year", "required", "示范等级须注明认定年份"))
    if data.warehouse_id is not None:
        warehouse = logistics.warehouse_by_id(session, data.warehouse_id)
        if warehouse is None or warehouse.zone_code != zone:
            errors.append(
                FieldError(
                    "warehouse_id", "unknown_warehouse", f"仓库{data.warehouse_id}不存在或不属于本综试区"
                )
            )
    if session.scalar(select(Park.id).where(Park.zone_code == zone, Park.name == data.name.strip())):
        raise Duplicate(f"园区“{data.name}”已登记")
    if errors:
        raise ValidationFailed(errors)
    park = Park(zone_code=zone, **{**data.model_dump(), "name": data.name.strip()})
    session.add(park)
    session.flush()
    return park


NULLABLE_PARK_FIELDS = frozenset({"level_year"})


def update_park(session: Session, principal: Principal, park_id: int, data: schemas.ParkUpdate) -> Park:
    park = _managed_park(session, principal, park_id)
    changes = data.model_dump(exclude_unset=True)
    cleared = [k for k, v in changes.items() if v is None and k not in NULLABLE_PARK_FIELDS]
    if cleared:
        raise ValidationFailed([FieldError(k, "required", "该项不能清空（可改为新的值）") for k in cleared])
    if "level" in changes and not principal.is_zone_office:
        raise Forbidden("示范园区等级由综试办认定")
    for key, value in changes.items():
        setattr(park, key, value)
    if park.level != "none" and park.level_year is None:
        raise ValidationFailed([FieldError("level_year", "required", "示范等级须注明认定年份")])
    session.flush()
    return park


def list_parks(session: Session, principal: Principal, kind: str | None = None) -> list[Park]:
    q = select(Park).where(Park.zone_code == zone_of(principal))
    if kind:
        q = q.where(Park.kind == kind)
    order = [Park.layout_role != "core", Park.kind, Park.name]
    return list(session.scalars(q.order_by(*order)))


def managed_parks(session: Session, principal: Principal) -> list[Park]:
    return [p for p in list_parks(session, principal) if may_manage(principal, p)]


# --- tenants ----------------------------------------------------------------------------------


def add_tenant(session: Session, principal: Principal, park_id: int, data: schemas.TenantIn) -> ParkTenant:
    park = _managed_park(session, principal, park_id)
    ent = session.get(Enterprise, data.enterprise_id)
    if ent is None or ent.zone_code != park.zone_code or ent.status != "approved":
        raise ValidationFailed(
            [FieldError("enterprise_id", "not_filed", "入驻企业须为本综试区备案通过的企业")]
        )
    if session.scalar(
        select(ParkTenant.id).where(
            ParkTenant.park_id == park.id,
            ParkTenant.enterprise_id == ent.id,
            ParkTenant.moved_out_on.is_(None),
        )
    ):
        raise Duplicate(f"{ent.name}已在本园区入驻")
    tenant = ParkTenant(park_id=park.id, **data.model_dump())
    session.add(tenant)
    session.flush()
    return tenant


def end_tenancy(
    session: Session, principal: Principal, park_id: int, tenant_id: int, on: dt.date
) -> ParkTenant:
    park = _managed_park(session, principal, park_id)
    tenant = session.get(ParkTenant, tenant_id)
    if tenant is None or tenant.park_id != park.id:
        raise NotFound()
    if tenant.moved_out_on is not None:
        raise InvalidState("该企业已迁出")
    if on < tenant.moved_in_on:
        raise ValidationFailed([FieldError("moved_out_on", "before_move_in", "迁出日期早于入驻日期")])
    tenant.moved_out_on = on
    session.flush()
    return tenant


def active_tenants(session: Session, park_id: int) -> list[tuple[ParkTenant, Enterprise]]:
    return [
        (t, e)
        for t, e in session.execute(
            select(ParkTenant, Enterprise)
            .join(Enterprise, Enterprise.id == ParkTenant.enterprise_id)
            .where(ParkTenant.park_id == park_id, ParkTenant.moved_out_on.is_(None))
            .order_by(ParkTenant.moved_in_on, Enterprise.name)
        ).all()
    ]


# --- trade roll-up ----------------------------------------------------------------------------


def tenant_trade(
    session: Session, zone_code: str, enterprise_ids: list[int], date_from: dt.date, date_to: dt.date
) -> dict[int, dict[str, Decimal]]:
    """Each tenant's released trade as seller (电商企业) by direction, from the statistics rollups."""
    out: dict[int, dict[str, Decimal]] = {e: {"import": ZERO, "export": ZERO} for e in enterprise_ids}
    if not enterprise_ids:
        return out
    rows = stats.sums_by(session, [zone_code], "seller", date_from, date_to, group=("dim_key", "direction"))
    for (key, direction), m in rows.items():
        if str(key).isdigit() and int(key) in out:
            out[int(key)][direction] = out[int(key)][direction] + m.value_cny
    return out


def zone_trade(session: Session, zone_code: str, date_from: dt.date, date_to: dt.date) -> Decimal:
    rows = stats.sums_by(session, [zone_code], "total", date_from, date_to, group=("direction",))
    return sum((m.value_cny for m in rows.values()), ZERO)


def park_detail(
    session: Session, principal: Principal, park_id: int, date_from: dt.date, date_to: dt.date
) -> schemas.ParkDetail:
    """The park with its tenants; trade (tenants' trade as seller over the period, and the park's share of
    the zone's trade) for the zone office, the park's operator and agencies."""
    park = get_park(session, principal, park_id)
    tenants = active_tenants(session, park.id)
    trade: schemas.ParkTrade | None = None
    by_tenant: dict[int, dict[str, Decimal]] = {}
    if sees_trade(principal, park):
        by_tenant = tenant_trade(session, park.zone_code, [e.id for _, e in tenants], date_from, date_to)
        imp = sum((v["import"] for v in by_tenant.values()), ZERO)
        exp = sum((v["export"] for v in by_tenant.values()), ZERO)
        whole = zone_trade(session, park.zone_code, date_from, date_to)
        trade = schemas.ParkTrade(
            date_from=date_from,
            date_to=date_to,
            import_cny=imp,
            export_cny=exp,
            total_cny=imp + exp,
            zone_total_cny=whole,
            share_of_zone=rules.share(imp + exp, whole),
        )
    return schemas.ParkDetail(
        park=schemas.ParkPublic.model_validate(park),
        active_tenants=len(tenants),
        occupancy=rules.occupancy(len(tenants), park.tenant_capacity),
        tenants=[
            schemas.TenantPublic(
                id=t.id,
                enterprise_id=e.id,
                enterprise_name=e.name,
                role=t.role,
                moved_in_on=t.moved_in_on,
                moved_out_on=t.moved_out_on,
                area_m2=t.area_m2,
                import_cny=by_tenant[e.id]["import"] if e.id in by_tenant else None,
                export_cny=by_tenant[e.id]["export"] if e.id in by_tenant else None,
            )
            for t, e in tenants
        ],
        trade=trade,
    )


# --- services and requests --------------------------------------------------------------------


def add_service(session: Session, principal: Principal, park_id: int, data: schemas.ServiceIn) -> ParkService:
    park = _managed_park(session, principal, park_id)
    svc = ParkService(park_id=park.id, **data.model_dump())
    session.add(svc)
    session.flush()
    return svc


def services_of(session: Session, park_ids: list[int]) -> list[ParkService]:
    if not park_ids:
        return []
    return list(
        session.scalars(
            select(ParkService)
            .where(ParkService.park_id.in_(park_ids), ParkService.active.is_(True))
            .order_by(ParkService.park_id, ParkService.category)
        )
    )


def request_service(
    session: Session, principal: Principal, service_id: int, data: schemas.RequestIn
) -> ServiceRequest:
    if principal.enterprise_id is None:
        raise Forbidden("只有备案企业可以申请园区服务")
    svc = session.get(ParkService, service_id)
    park = session.get(Park, svc.park_id) if svc is not None else None
    if svc is None or park is None or park.zone_code != principal.zone_code or not svc.active:
        raise NotFound()
    if session.scalar(
        select(ServiceRequest.id).where(
            ServiceRequest.service_id == svc.id,
            ServiceRequest.enterprise_id == principal.enterprise_id,
            ServiceRequest.status.in_(("requested", "accepted")),
        )
    ):
        raise Duplicate("您已申请该服务，正在办理中")
    req = ServiceRequest(service_id=svc.id, enterprise_id=principal.enterprise_id, note=data.note.strip())
    session.add(req)
    session.flush()
    return req


def requests_for(session: Session, principal: Principal) -> list[tuple[ServiceRequest, ParkService, Park]]:
    """An enterprise's own requests; an operator's (or the zone office's) requests to the parks it manages."""
    q = (
        select(ServiceRequest, ParkService, Park)
        .join(ParkService, ParkService.id == ServiceRequest.service_id)
        .join(Park, Park.id == ParkService.park_id)
        .where(Park.zone_code == principal.zone_code)
    )
    if principal.enterprise_id is not None:
        q = q.where(ServiceRequest.enterprise_id == principal.enterprise_id)
    elif principal.org_kind == kinds.PARK_OPERATOR:
        q = q.where(Park.operator_org_id == principal.org_id)
    elif not principal.is_zone_office:
        return []
    return [(r, s, p) for r, s, p in session.execute(q.order_by(ServiceRequest.id.desc())).all()]


def reply_request(
    session: Session, principal: Principal, request_id: int, data: schemas.RequestReply
) -> ServiceRequest:
    req = session.get(ServiceRequest, request_id)
    svc = session.get(ParkService, req.service_id) if req is not None else None
    park = session.get(Park, svc.park_id) if svc is not None else None
    if req is None or park is None or not may_manage(principal, park):
        raise NotFound()
    if data.status not in rules.REQUEST_TRANSITIONS.get(req.status, ()):
        raise InvalidState(
            f"申请当前为“{rules.REQUEST_STATUS_LABELS[req.status]}”，不能改为“{rules.REQUEST_STATUS_LABELS[data.status]}”"
        )
    req.status = data.status
    req.reply = data.reply.strip() or req.reply
    req.updated_at = now_utc()
    session.flush()
    return req
