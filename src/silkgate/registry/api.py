"""Registry API: enterprise filings, commodity filings, zones and their targets, the tariff table."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from sqlalchemy import select

from silkgate.auth.deps import BodyDep, CurrentPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotFound, ValidationFailed
from silkgate.models.org import Organisation
from silkgate.models.registry import ENTERPRISE_ROLES, FILING_STATUSES, Enterprise
from silkgate.models.zone import Zone, ZoneTarget
from silkgate.params import MAX_OFFSET, DbId
from silkgate.registry import service
from silkgate.registry.excel import commodities_workbook, enterprises_workbook
from silkgate.registry.files import read_tariff_csv
from silkgate.registry.schemas import (
    CommodityCreate,
    CommodityPage,
    CommodityPublic,
    CommodityUpdate,
    EnterpriseChangePublic,
    EnterpriseCreate,
    EnterpriseDecision,
    EnterprisePage,
    EnterprisePublic,
    EnterpriseUpdate,
    TariffLinePublic,
    TariffRowIn,
    ZonePublic,
    ZoneTargetPublic,
)

router = APIRouter(prefix="/api/v1", tags=["registry"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FIELDS = (
    "id",
    "name",
    "name_en",
    "uscc",
    "customs_code",
    "roles",
    "status",
    "status_reason",
    "district",
    "registered_address",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "contact_email",
    "settlement_bank",
    "settlement_account",
    "shops",
    "created_at",
    "decided_at",
)


def _public(session: SessionDep, enterprise: Enterprise, principal: Principal) -> EnterprisePublic:
    roles = service.roles_by_enterprise(session, [enterprise.id])[enterprise.id]
    return EnterprisePublic.model_validate(service.enterprise_view(enterprise, roles, principal))


@router.get(
    "/enterprises",
    response_model=EnterprisePage,
    response_model_exclude_unset=True,
    summary="Enterprise filings the caller may see (search, filter; ?format=xlsx for Excel)",
    responses={200: {"content": {XLSX: {}}}},
)
def list_enterprises(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    q: Annotated[str | None, Query(description="名称包含，或统一社会信用代码/海关注册编码")] = None,
    role: Annotated[Literal[ENTERPRISE_ROLES] | None, Query()] = None,  # type: ignore[valid-type]
    status: Annotated[Literal[FILING_STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
    district: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    flt = service.EnterpriseFilter(q=q, role=role, status=status, district=district)
    export = format == "xlsx"
    rows, total = service.list_enterprises(
        session,
        principal,
        flt,
        limit=None if export else limit,
        offset=0 if export else offset,
        request_path=str(request.url.path),
        action="export" if export else "list",
    )
    roles = service.roles_by_enterprise(session, [e.id for e in rows])
    views = [service.enterprise_view(e, roles[e.id], principal) for e in rows]
    if export:
        allowed = service.visible_fields(principal)
        fields = [f for f in EXPORT_FIELDS if allowed is None or f in allowed]
        body = enterprises_workbook(views, fields, title="企业备案名录")
        return Response(
            body,
            media_type=XLSX,
            headers={"Content-Disposition": "attachment; filename*=UTF-8''enterprises.xlsx"},
        )
    return EnterprisePage(total=total, items=[EnterprisePublic.model_validate(v) for v in views])


@router.post(
    "/enterprises",
    response_model=EnterprisePublic,
    status_code=201,
    summary="File an enterprise (the zone office on its behalf, or an enterprise organisation its own)",
)
def create_enterprise(
    data: EnterpriseCreate, principal: CurrentPrincipal, session: SessionDep
) -> EnterprisePublic:
    if principal.is_enterprise:
        org = session.get(Organisation, principal.org_id)
        enterprise = service.file_enterprise(
            session, data, zone_code=principal.zone_code or "", actor=principal, org=org
        )
    else:
        principal.require_zone_office()
        enterprise = service.file_enterprise(
            session, data, zone_code=principal.zone_code or "", actor=principal
        )
    return _public(session, enterprise, principal)


@router.get(
    "/enterprises/{enterprise_id}",
    response_model=EnterprisePublic,
    response_model_exclude_unset=True,
    summary="One filing, in the fields of the caller's remit",
)
def get_enterprise(
    enterprise_id: DbId, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> EnterprisePublic:
    enterprise = service.get_enterprise(session, principal, enterprise_id, request_path=str(request.url.path))
    return _public(session, enterprise, principal)


@router.patch(
    "/enterprises/{enterprise_id}",
    response_model=EnterprisePublic,
    summary="Change a filing (history kept; a corrected rejected filing goes back to review)",
)
def update_enterprise(
    enterprise_id: DbId, data: EnterpriseUpdate, principal: CurrentPrincipal, session: SessionDep
) -> EnterprisePublic:
    enterprise = service.enterprise_for_edit(session, principal, enterprise_id)
    service.update_enterprise(session, enterprise, data, principal)
    return _public(session, enterprise, principal)


@router.post(
    "/enterprises/{enterprise_id}/approve",
    response_model=EnterprisePublic,
    summary="Approve a pending filing (zone office)",
)
def approve_enterprise(
    enterprise_id: DbId, principal: CurrentPrincipal, session: SessionDep
) -> EnterprisePublic:
    enterprise = service.approve_enterprise(session, enterprise_id, principal)
    return _public(session, enterprise, principal)


@router.post(
    "/enterprises/{enterprise_id}/reject",
    response_model=EnterprisePublic,
    summary="Reject a pending filing with a reason (zone office)",
)
def reject_enterprise(
    enterprise_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    decision: Annotated[EnterpriseDecision, Body()],
) -> EnterprisePublic:
    enterprise = service.reject_enterprise(session, enterprise_id, principal, decision.reason or "")
    return _public(session, enterprise, principal)


@router.get(
    "/enterprises/{enterprise_id}/history",
    response_model=list[EnterpriseChangePublic],
    summary="Who changed what and when (an agency sees only its remit's fields)",
)
def enterprise_history(
    enterprise_id: DbId, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> list[EnterpriseChangePublic]:
    enterprise = service.get_enterprise(session, principal, enterprise_id, request_path=str(request.url.path))
    allowed = service.visible_fields(principal)
    out = []
    for change in service.history(session, enterprise.id):
        changes = change.changes or {}
        if allowed is not None:
            changes = {k: v for k, v in changes.items() if k in allowed}
        out.append(
            EnterpriseChangePublic(
                at=change.at,
                action=change.action,
                actor_org_id=change.actor_org_id,
                actor_user_id=change.actor_user_id,
                changes=changes,
                note=change.note,
            )
        )
    return out


# ---------------------------------------------------------------- commodities


@router.get(
    "/commodities",
    response_model=CommodityPage,
    summary="Filed goods the caller may see (?format=xlsx for Excel)",
    responses={200: {"content": {XLSX: {}}}},
)
def list_commodities(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    q: Annotated[str | None, Query(description="名称包含，或商品货号")] = None,
    hs_code: Annotated[str | None, Query(description="HS 编码前缀")] = None,
    enterprise_id: DbId | None = None,
    positive_list: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    export = format == "xlsx"
    rows, total = service.list_commodities(
        session,
        principal,
        q=q,
        hs_code=hs_code,
        enterprise_id=enterprise_id,
        positive_list=positive_list,
        limit=None if export else limit,
        offset=0 if export else offset,
        request_path=str(request.url.path),
        action="export" if export else "list",
    )
    if export:
        owners = service.enterprise_names(session, {c.enterprise_id for c in rows})
        return Response(
            commodities_workbook(rows, owners, title="商品备案目录"),
            media_type=XLSX,
            headers={"Content-Disposition": "attachment; filename*=UTF-8''commodities.xlsx"},
        )
    return CommodityPage(total=total, items=[CommodityPublic.model_validate(c) for c in rows])


@router.post(
    "/commodities",
    response_model=CommodityPublic,
    status_code=201,
    summary="File a good (a seller or platform its own; the zone office names enterprise_id)",
)
def create_commodity(
    data: CommodityCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    enterprise_id: DbId | None = None,
) -> CommodityPublic:
    owner = service.commodity_owner_for(session, principal, enterprise_id)
    commodity = service.file_commodity(session, owner, data, actor=principal)
    return CommodityPublic.model_validate(commodity)


@router.get("/commodities/{commodity_id}", response_model=CommodityPublic, summary="One filed good")
def get_commodity(
    commodity_id: DbId, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> CommodityPublic:
    commodity = service.get_commodity(session, principal, commodity_id, request_path=str(request.url.path))
    return CommodityPublic.model_validate(commodity)


@router.patch("/commodities/{commodity_id}", response_model=CommodityPublic, summary="Change a filed good")
def update_commodity(
    commodity_id: DbId, data: CommodityUpdate, principal: CurrentPrincipal, session: SessionDep
) -> CommodityPublic:
    commodity = service.commodity_for_edit(session, principal, commodity_id)
    service.update_commodity(session, commodity, data)
    return CommodityPublic.model_validate(commodity)


# ---------------------------------------------------------------- zones


@router.get("/zones", response_model=list[ZonePublic], summary="Zones hosted by this deployment")
def list_zones(principal: CurrentPrincipal, session: SessionDep) -> list[ZonePublic]:
    return [ZonePublic.model_validate(z) for z in session.scalars(select(Zone).order_by(Zone.code))]


@router.get("/zones/{zone_code}", response_model=ZonePublic, summary="One zone")
def get_zone(zone_code: str, principal: CurrentPrincipal, session: SessionDep) -> ZonePublic:
    zone = session.get(Zone, zone_code)
    if zone is None:
        raise NotFound(f"综试区{zone_code}不存在")
    return ZonePublic.model_validate(zone)


@router.get(
    "/zones/{zone_code}/targets",
    response_model=list[ZoneTargetPublic],
    summary="The quantitative targets of the zone's plan, each with its source",
)
def zone_targets(zone_code: str, principal: CurrentPrincipal, session: SessionDep) -> list[ZoneTargetPublic]:
    if session.get(Zone, zone_code) is None:
        raise NotFound(f"综试区{zone_code}不存在")
    targets = session.scalars(
        select(ZoneTarget).where(ZoneTarget.zone_code == zone_code).order_by(ZoneTarget.id)
    )
    return [ZoneTargetPublic.model_validate(t) for t in targets]


# ---------------------------------------------------------------- tariff


@router.get(
    "/tariff", response_model=list[TariffLinePublic], summary="Tariff lines in force for the caller's zone"
)
def list_tariff(
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    q: Annotated[str | None, Query(description="HS 编码前缀或名称")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[TariffLinePublic]:
    rows, total = service.list_tariff(session, principal.zone_code, q=q, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [TariffLinePublic.model_validate(r) for r in rows]


@router.get("/tariff/{hs_code}", response_model=TariffLinePublic, summary="The line in force for an HS code")
def get_tariff_line(hs_code: str, principal: CurrentPrincipal, session: SessionDep) -> TariffLinePublic:
    line = service.tariff_for(session, principal.zone_code, hs_code)
    if line is None:
        raise NotFound(f"税则表中没有{hs_code}或其8位税号")
    return TariffLinePublic.model_validate(line)


@router.post(
    "/tariff",
    summary="Load tariff lines into the zone's table (zone office): JSON rows or a CSV body (text/csv)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "array", "items": TariffRowIn.model_json_schema()}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
def load_tariff(
    request: Request, principal: CurrentPrincipal, session: SessionDep, body: BodyDep, replace: bool = False
) -> dict[str, int]:
    principal.require_zone_office()
    if request.headers.get("content-type", "").startswith("text/csv"):
        raw, first = read_tariff_csv(body)
    else:
        try:
            parsed = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise ValidationFailed([FieldError("body", "json_invalid", "请求体不是合法的 JSON")]) from exc
        if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
            raise ValidationFailed([FieldError("body", "list_type", "请求体应为税则行的列表")])
        raw, first = parsed, 0
    rows = service.parse_tariff_rows(raw, first_row_number=first)
    added, updated = service.load_tariff(
        session, principal.zone_code, rows, source=f"综试办导入（{principal.org_name}）"
    )
    removed = (
        service.remove_tariff_lines_except(session, principal.zone_code, {r.hs_code for r in rows})
        if replace
        else 0
    )
    return {"rows": len(rows), "added": added, "updated": updated, "removed": removed}
