"""zh-CN pages of smart logistics: /logistics (warehouses, multimodal bills, returns, figures) and
the public buyer-facing tracking page /track."""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from openpyxl import Workbook

from silkgate.auth import kinds
from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotAuthenticated, SilkgateError, ValidationFailed
from silkgate.logistics import rules, schemas, service
from silkgate.params import DbId
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

LABELS = {
    "modes": rules.MODE_LABELS,
    "warehouse_kinds": rules.WAREHOUSE_KIND_LABELS,
    "legs": rules.LEG_STATUS_LABELS,
    "consignments": rules.CONSIGNMENT_STATUS_LABELS,
    "returns": rules.RETURN_STATUS_LABELS,
    "movements": rules.MOVEMENT_LABELS,
}


@router.get("/track", response_class=HTMLResponse)
def track(request: Request, session: SessionDep, principal: OptionalPrincipal, waybill: str = "") -> Response:
    """Anyone with a waybill number sees its path: statuses, times and places, nothing personal."""
    waybill = waybill.strip()[:60]
    entries = service.public_timeline(session, waybill) if waybill else None
    status = 404 if waybill and entries is None else 200
    return render(
        request,
        "public/tracking.html",
        principal,
        status_code=status,
        title="物流轨迹查询",
        waybill=waybill,
        entries=entries,
    )


def _home_context(session: SessionDep, principal: Principal) -> dict[str, Any]:
    warehouses = service.list_warehouses(session, principal) if principal.zone_code else []
    figures = None
    if (principal.is_zone_office or principal.is_agency) and principal.zone_code:
        figures = service.figures(session, principal.zone_code)
    return {
        "title": "智慧物流",
        "warehouses": warehouses,
        "operators": service.enterprise_names(session, {w.operator_enterprise_id for w in warehouses}),
        "consignments": [
            service.consignment_public(session, c) for c in service.list_consignments(session, principal)
        ],
        "returns": service.list_returns(session, principal),
        "waybills": service.recent_waybills(session, principal),
        "figures": figures,
        "labels": LABELS,
        "may_register": principal.is_enterprise and bool({"warehouse", "logistics"} & principal.roles),
    }


@router.get("/logistics", response_class=HTMLResponse)
def logistics_home(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    return render(request, "logistics/index.html", principal, **_home_context(session, principal))


@router.post("/logistics/warehouses", response_class=HTMLResponse)
def register_warehouse(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    """A warehouse or logistics firm registers a warehouse it operates."""
    if principal is None:
        return login_redirect(request)
    try:
        try:
            data = schemas.WarehouseCreate(
                code=str(form.get("code") or "").strip(),
                name=str(form.get("name") or "").strip(),
                kind=str(form.get("kind") or ""),  # type: ignore[arg-type]
                country=str(form.get("country") or "142").strip(),
                city=str(form.get("city") or "").strip(),
                address=str(form.get("address") or "").strip(),
                area_m2=Decimal(str(form.get("area_m2") or "0").replace(",", "")),
                capacity_units=Decimal(str(form.get("capacity_units") or "0").replace(",", "")),
                is_public=form.get("is_public") == "1",
            )
        except (ValueError, InvalidOperation) as exc:
            raise ValidationFailed(
                [FieldError("form", "invalid", "请填写仓库编码、名称、类型，面积与库容应为数字且库容大于0")]
            ) from exc
        wh = service.register_warehouse(session, principal, data)
    except SilkgateError as exc:
        session.rollback()
        return render(
            request,
            "logistics/index.html",
            principal,
            status_code=exc.status,
            flash=exc.message,
            flash_kind="error",
            errors=exc.errors,
            **_home_context(session, principal),
        )
    return RedirectResponse(f"/logistics/warehouses/{wh.id}", status_code=303)


@router.get("/logistics/warehouses/{warehouse_id}", response_class=HTMLResponse)
def warehouse_page(
    warehouse_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    detail = service.warehouse_detail(session, principal, warehouse_id)
    owners = service.enterprise_names(session, {s.owner_enterprise_id for s in detail.stock})
    return render(
        request,
        "logistics/warehouse.html",
        principal,
        title=detail.warehouse.name,
        detail=detail,
        owners=owners,
        labels=LABELS,
    )


@router.get("/logistics/figures.xlsx")
def figures_xlsx(session: SessionDep, principal: OptionalPrincipal) -> Response:
    """The zone's logistics figures as a workbook (zone office and agencies)."""
    if principal is None:
        raise NotAuthenticated()
    principal.require(kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    assert principal.zone_code is not None
    fig = service.figures(session, principal.zone_code)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "线路与运输方式"
    ws.append(["线路", "运输方式", "联运单", "件数", "毛重（千克）"])
    for r in fig.routes:
        modes = "+".join(rules.MODE_LABELS.get(m, m) for m in r.mode.split("+"))
        ws.append([r.route_name, modes, r.consignments, r.packages, float(r.gross_weight_kg)])
    times = wb.create_sheet("时效")
    times.append(["指标", "票数", "中位数（小时）", "90分位（小时）"])
    times.append(
        ["通关时长（申报至放行）", fig.clearance.count, fig.clearance.median_hours, fig.clearance.p90_hours]
    )
    times.append(
        ["配送时长（放行至签收）", fig.delivery.count, fig.delivery.median_hours, fig.delivery.p90_hours]
    )
    buf = io.BytesIO()
    wb.save(buf)
    return StreamingResponse(
        iter([buf.getvalue()]),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="logistics-{fig.zone_code}.xlsx"'},
    )
