"""JSON routes of smart logistics under /api/v1/logistics (tracking lookup is public)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from silkgate.auth import kinds
from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.exceptions import NotFound
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import schemas, service
from silkgate.params import DbId

router = APIRouter(prefix="/api/v1/logistics", tags=["logistics"])


@router.post(
    "/tracking-events", response_model=schemas.TrackingResult, summary="Logistics firm posts tracking events"
)
def post_events(
    batch: schemas.TrackingBatch, principal: CurrentPrincipal, session: SessionDep
) -> schemas.TrackingResult:
    return service.post_tracking_events(session, principal, batch.events)


@router.get(
    "/tracking/{waybill_no}", response_model=schemas.TrackingPublic, summary="Public timeline of a waybill"
)
def tracking(waybill_no: str, session: SessionDep) -> schemas.TrackingPublic:
    entries = service.public_timeline(session, waybill_no)
    if entries is None:
        raise NotFound("未查到该运单的物流或通关信息")
    return schemas.TrackingPublic(
        waybill_no=waybill_no, entries=[schemas.TimelineEntryOut(**e.__dict__) for e in entries]
    )


@router.post("/warehouses", response_model=schemas.WarehousePublic, status_code=201)
def register_warehouse(
    data: schemas.WarehouseCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.WarehousePublic:
    return schemas.WarehousePublic.model_validate(service.register_warehouse(session, principal, data))


@router.get("/warehouses", response_model=list[schemas.WarehousePublic])
def list_warehouses(
    principal: CurrentPrincipal, session: SessionDep, kind: str | None = None
) -> list[schemas.WarehousePublic]:
    return [
        schemas.WarehousePublic.model_validate(w) for w in service.list_warehouses(session, principal, kind)
    ]


@router.get("/warehouses/{warehouse_id}", response_model=schemas.WarehouseDetail)
def warehouse(
    warehouse_id: DbId, principal: CurrentPrincipal, session: SessionDep
) -> schemas.WarehouseDetail:
    return service.warehouse_detail(session, principal, warehouse_id)


@router.post(
    "/warehouses/{warehouse_id}/stock-reports",
    response_model=schemas.StockReportResult,
    summary="Warehouse data feed: inbound, outbound, stocktake (all or nothing, idempotent per reference)",
)
def report_stock(
    warehouse_id: DbId, report: schemas.StockReport, principal: CurrentPrincipal, session: SessionDep
) -> schemas.StockReportResult:
    return service.report_stock(session, principal, warehouse_id, report.movements)


@router.post(
    "/consignments", response_model=schemas.ConsignmentPublic, status_code=201, summary="Multimodal one bill"
)
def create_consignment(
    data: schemas.ConsignmentCreate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ConsignmentPublic:
    return service.consignment_public(session, service.create_consignment(session, principal, data))


@router.get("/consignments", response_model=list[schemas.ConsignmentPublic])
def list_consignments(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.ConsignmentPublic]:
    return [service.consignment_public(session, c) for c in service.list_consignments(session, principal)]


@router.get("/consignments/{consignment_id}", response_model=schemas.ConsignmentPublic)
def consignment(
    consignment_id: DbId, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ConsignmentPublic:
    return service.consignment_public(session, service.get_consignment(session, principal, consignment_id))


@router.post("/consignments/{consignment_id}/legs/{seq}", response_model=schemas.ConsignmentPublic)
def update_leg(
    consignment_id: DbId, seq: DbId, data: schemas.LegUpdate, principal: CurrentPrincipal, session: SessionDep
) -> schemas.ConsignmentPublic:
    return service.consignment_public(
        session, service.update_leg(session, principal, consignment_id, seq, data)
    )


@router.get("/returns", response_model=list[schemas.ReturnPublic])
def returns(principal: CurrentPrincipal, session: SessionDep) -> list[schemas.ReturnPublic]:
    return [schemas.ReturnPublic.model_validate(r) for r in service.list_returns(session, principal)]


@router.post("/returns/{routing_id}/receive", response_model=schemas.ReturnPublic)
def receive_return(
    routing_id: DbId, principal: CurrentPrincipal, session: SessionDep, at: dt.datetime | None = None
) -> schemas.ReturnPublic:
    return schemas.ReturnPublic.model_validate(
        service.receive_return(session, principal, routing_id, at or now_utc())
    )


@router.get("/figures", response_model=schemas.LogisticsFigures, summary="Zone logistics figures")
def figures(principal: CurrentPrincipal, session: SessionDep) -> schemas.LogisticsFigures:
    principal.require(kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    assert principal.zone_code is not None
    return service.figures(session, principal.zone_code)
