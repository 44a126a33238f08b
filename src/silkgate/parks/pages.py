"""zh-CN pages of the offline park platform: /parks (the zone's layout) and /parks/{id} (the
park's console for its operator: tenants, trade, services, requests)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from openpyxl import Workbook

from silkgate.auth import kinds
from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.exceptions import FieldError, NotAuthenticated, SilkgateError, ValidationFailed
from silkgate.params import DbId
from silkgate.parks import rules, schemas, service
from silkgate.parks.api import year_to_date
from silkgate.registry import service as registry
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

LABELS = {
    "kinds": rules.KIND_LABELS,
    "layout": rules.LAYOUT_LABELS,
    "status": rules.STATUS_LABELS,
    "levels": rules.LEVEL_LABELS,
    "roles": rules.TENANT_ROLE_LABELS,
    "services": rules.SERVICE_LABELS,
    "requests": rules.REQUEST_STATUS_LABELS,
}


@router.get("/parks", response_class=HTMLResponse)
def parks_home(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    parks = service.list_parks(session, principal) if principal.zone_code else []
    counts = service.counts_by_type(session, principal.zone_code) if principal.zone_code else {}
    occupancy = {p.id: (len(service.active_tenants(session, p.id)), p.tenant_capacity) for p in parks}
    return render(
        request,
        "parks/index.html",
        principal,
        title="产业园区",
        parks=parks,
        counts=counts,
        labels=LABELS,
        occupancy=occupancy,
        services=service.services_of(session, [p.id for p in parks]),
        requests=service.requests_for(session, principal) if principal.zone_code else [],
        park_names={p.id: p.name for p in parks},
        flash=request.query_params.get("ok"),
    )


def _detail(
    request: Request, session: SessionDep, principal: Any, park_id: DbId, **extra: Any
) -> HTMLResponse:
    date_from, date_to = year_to_date(None, None)
    detail = service.park_detail(session, principal, park_id, date_from, date_to)
    park = service.get_park(session, principal, park_id)
    return render(
        request,
        "parks/park.html",
        principal,
        title=detail.park.name,
        detail=detail,
        labels=LABELS,
        manage=service.may_manage(principal, park),
        services=service.services_of(session, [park_id]),
        **extra,
    )


@router.get("/parks/{park_id:int}", response_class=HTMLResponse)
def park_page(park_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    return _detail(request, session, principal, park_id, flash=request.query_params.get("ok"))


@router.post("/parks/{park_id:int}/tenants", response_class=HTMLResponse)
def add_tenant(
    park_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        raw = str(form.get("enterprise") or "").strip().upper()
        ent = registry.enterprise_by_customs_code(session, raw) if len(raw) == 10 else None
        ent = ent or (registry.enterprise_by_uscc(session, raw) if len(raw) == 18 else None)
        if ent is None:
            raise ValidationFailed(
                [
                    FieldError(
                        "enterprise",
                        "unknown_enterprise",
                        "请填写入驻企业的海关编码（10位）或统一社会信用代码（18位）",
                    )
                ]
            )
        service.add_tenant(
            session,
            principal,
            park_id,
            schemas.TenantIn(
                enterprise_id=ent.id,
                role=str(form.get("role") or "seller"),  # type: ignore[arg-type]
                moved_in_on=dt.date.fromisoformat(
                    str(form.get("moved_in_on") or dt.date.today().isoformat())
                ),
            ),
        )
    except SilkgateError as exc:
        session.rollback()
        page = _detail(
            request, session, principal, park_id, flash=exc.message, flash_kind="error", errors=exc.errors
        )
        page.status_code = exc.status
        return page
    return RedirectResponse(f"/parks/{park_id}?ok={quote('已登记入驻企业')}", status_code=303)


@router.post("/parks/{park_id:int}/services", response_class=HTMLResponse)
def add_service(
    park_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        try:
            data = schemas.ServiceIn(
                category=str(form.get("category") or ""),  # type: ignore[arg-type]
                title=str(form.get("title") or "").strip(),
                description=str(form.get("description") or "").strip(),
                provider=str(form.get("provider") or "").strip(),
            )
        except ValueError as exc:
            raise ValidationFailed([FieldError("title", "required", "请选择服务类别并填写服务名称")]) from exc
        service.add_service(session, principal, park_id, data)
    except SilkgateError as exc:
        session.rollback()
        page = _detail(
            request, session, principal, park_id, flash=exc.message, flash_kind="error", errors=exc.errors
        )
        page.status_code = exc.status
        return page
    return RedirectResponse(f"/parks/{park_id}?ok={quote('已发布园区服务')}", status_code=303)


@router.post("/parks/services/{service_id}/requests", response_class=HTMLResponse)
def request_service(
    service_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        service.request_service(
            session, principal, service_id, schemas.RequestIn(note=str(form.get("note") or ""))
        )
    except SilkgateError as exc:
        return RedirectResponse(f"/parks?ok={quote(exc.message)}", status_code=303)
    return RedirectResponse(f"/parks?ok={quote('服务申请已提交，园区运营方会尽快联系您')}", status_code=303)


@router.post("/parks/requests/{request_id}/reply", response_class=HTMLResponse)
def reply(
    request_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        service.reply_request(
            session,
            principal,
            request_id,
            schemas.RequestReply(status=str(form.get("status") or ""), reply=str(form.get("reply") or "")),  # type: ignore[arg-type]
        )
    except (SilkgateError, ValueError) as exc:
        message = exc.message if isinstance(exc, SilkgateError) else "请选择处理结果"
        return RedirectResponse(f"/parks?ok={quote(message)}", status_code=303)
    return RedirectResponse(f"/parks?ok={quote('已回复服务申请')}", status_code=303)


@router.get("/parks/export.xlsx")
def parks_xlsx(session: SessionDep, principal: OptionalPrincipal) -> Response:
    """Every park with occupancy, tenants' trade year to date and share of the zone (zone office, agencies)."""
    if principal is None:
        raise NotAuthenticated()
    principal.require(kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    date_from, date_to = year_to_date(None, None)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "园区"
    ws.append(
        [
            "名称",
            "类型",
            "布局定位",
            "县（市、区）",
            "状态",
            "示范等级",
            "面积（㎡）",
            "入驻企业",
            "容量",
            "入驻率",
            f"入驻企业进出口（元，{date_from}至{date_to}）",
            "占全区比重",
        ]
    )
    for park in service.list_parks(session, principal):
        d = service.park_detail(session, principal, park.id, date_from, date_to)
        ws.append(
            [
                park.name,
                rules.KIND_LABELS[park.kind],
                rules.LAYOUT_LABELS[park.layout_role],
                park.county,
                rules.STATUS_LABELS[park.status],
                rules.LEVEL_LABELS[park.level],
                float(park.area_m2),
                d.active_tenants,
                park.tenant_capacity,
                float(d.occupancy) if d.occupancy is not None else None,
                float(d.trade.total_cny) if d.trade else None,
                float(d.trade.share_of_zone) if d.trade and d.trade.share_of_zone is not None else None,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return StreamingResponse(
        iter([buf.getvalue()]),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="parks.xlsx"'},
    )
