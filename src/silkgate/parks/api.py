"""JSON routes of the offline park platform under /api/v1/parks."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.kit.cebtime import now_utc, to_beijing
from silkgate.params import BoundedDate, DbId
from silkgate.parks import schemas, service

router = APIRouter(prefix="/api/v1/parks", tags=["parks"])


def year_to_date(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    today = to_beijing(now_utc()).date()
    return date_from or today.replace(month=1, day=1), date_to or today


@router.get("", response_model=list[schemas.ParkPublic], summary="The zone's parks and similar carriers")
def list_parks(
    principal: CurrentPrincipal, session: SessionDep, kind: str | None = None
) -> list[schemas.ParkPublic]:
    return [schemas.ParkPublic.model_validate(p) for p in service.list_parks(session, principal, kind)]


@router.get("/counts", summary="Counts by kind (market-entity statistics)")
def counts(principal: CurrentPrincipal, session: SessionDep) -> dict[str, int]:
    return service.counts_by_type(session, service.zone_of(principal))


@router.post("", response_model=schemas.ParkPublic, status_code=201, summary="Register a park (zone office)")
def create_park(
    data: schemas.ParkCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ParkPublic:
    return schemas.ParkPublic.model_validate(service.create_park(session, principal, data))


@router.get("/{park_id}", response_model=schemas.ParkDetail, summary="Park with tenants, occupancy and trade")
def park(
    park_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> schemas.ParkDetail:
    start, end = year_to_date(date_from, date_to)
    return service.park_detail(session, principal, park_id, start, end)


@router.patch("/{park_id}", response_model=schemas.ParkPublic)
def update_park(
    park_id: DbId, data: schemas.ParkUpdate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ParkPublic:
    return schemas.ParkPublic.model_validate(service.update_park(session, principal, park_id, data))


@router.post(
    "/{park_id}/tenants", status_code=201, summary="Add a tenant (zone office or the park's operator)"
)
def add_tenant(
    park_id: DbId, data: schemas.TenantIn, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, int]:
    return {"id": service.add_tenant(session, principal, park_id, data).id}


@router.post("/{park_id}/tenants/{tenant_id}/move-out", summary="End a tenancy")
def move_out(
    park_id: DbId,
    tenant_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    on: BoundedDate | None = None,
) -> dict[str, str]:
    t = service.end_tenancy(session, principal, park_id, tenant_id, on or to_beijing(now_utc()).date())
    return {"moved_out_on": str(t.moved_out_on)}


@router.post("/{park_id}/services", response_model=schemas.ServicePublic, status_code=201)
def add_service(
    park_id: DbId, data: schemas.ServiceIn, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ServicePublic:
    return schemas.ServicePublic.model_validate(service.add_service(session, principal, park_id, data))


@router.get("/{park_id}/services", response_model=list[schemas.ServicePublic])
def services(park_id: DbId, principal: CurrentPrincipal, session: SessionDep) -> list[schemas.ServicePublic]:
    park_ = service.get_park(session, principal, park_id)
    return [schemas.ServicePublic.model_validate(s) for s in service.services_of(session, [park_.id])]


@router.post("/services/{service_id}/requests", response_model=schemas.RequestPublic, status_code=201)
def request_service(
    service_id: DbId, data: schemas.RequestIn, principal: CurrentPrincipal, session: SessionDep
) -> schemas.RequestPublic:
    return schemas.RequestPublic.model_validate(service.request_service(session, principal, service_id, data))


@router.get(
    "/requests/mine", response_model=list[schemas.RequestPublic], summary="My requests / requests to my parks"
)
def my_requests(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.RequestPublic]:
    return [schemas.RequestPublic.model_validate(r) for r, _, _ in service.requests_for(session, principal)]


@router.post("/requests/{request_id}/reply", response_model=schemas.RequestPublic)
def reply(
    request_id: DbId, data: schemas.RequestReply, principal: CurrentPrincipal, session: SessionDep
) -> schemas.RequestPublic:
    return schemas.RequestPublic.model_validate(service.reply_request(session, principal, request_id, data))
