"""zh-CN pages of the clearance domain.

Bonded account book (helper C): /bonded — a warehouse's book with its stock-in form, a seller's goods
in bonded warehouses, the zone office's and customs' view of the zone; Excel export.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.clearance import bonded
from silkgate.clearance.bonded_schemas import quantity_text
from silkgate.exceptions import FieldError, Forbidden, SilkgateError, ValidationFailed
from silkgate.models.clearance import BondedStock
from silkgate.models.registry import Enterprise
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

# ---------------------------------------------------------------- bonded account book (helper C)

STOCK_IN_ROWS = 5
MOVEMENT_LABELS = {"stock_in": "入区入库", "deduct": "清单核减", "restore": "退货恢复"}


def _names(session: Session, rows: list[BondedStock]) -> tuple[dict[int, str], dict[str, str]]:
    warehouses = {r.warehouse_enterprise_id for r in rows}
    owners = {r.owner_code for r in rows}
    found = session.scalars(
        select(Enterprise).where(Enterprise.id.in_(warehouses) | Enterprise.customs_code.in_(owners))
    ).all()
    return {e.id: e.name for e in found}, {e.customs_code: e.name for e in found}


def _can_stock_in(principal: Principal) -> bool:
    return principal.is_enterprise and "warehouse" in principal.roles


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    owner_code: str,
    item_no: str,
    errors: list[FieldError] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    flt = bonded.StockFilter(owner_code=owner_code or None, item_no=item_no or None)
    try:
        rows = bonded.visible_stock(session, principal, flt, limit=500, request_path=request.url.path)
    except Forbidden:
        return render(
            request, "clearance/bonded.html", principal, status_code=403, title="保税账册", forbidden=True
        )
    history = bonded.history_of(session, [r.id for r in rows], limit=10)
    warehouse_names, owner_names = _names(session, rows)
    flash = request.query_params.get("flash")
    return render(
        request,
        "clearance/bonded.html",
        principal,
        status_code=status_code,
        title="保税账册（1210）",
        rows=rows,
        history=history,
        warehouse_names=warehouse_names,
        owner_names=owner_names,
        owner_code=owner_code,
        item_no=item_no,
        can_stock_in=_can_stock_in(principal),
        errors=errors or [],
        form=form or {"owner_code": "", "reference": "", "lines": [{} for _ in range(STOCK_IN_ROWS)]},
        movement_labels=MOVEMENT_LABELS,
        qty=quantity_text,
        total=sum((Decimal(r.quantity) for r in rows), Decimal("0")),
        flash=flash[:300] if flash else None,
        flash_kind="ok",
        export_query=urlencode({"owner_code": owner_code, "item_no": item_no}),
    )


@router.get("/bonded", response_class=HTMLResponse)
def bonded_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    owner_code: str = "",
    item_no: str = "",
) -> Response:
    if principal is None:
        return login_redirect(request)
    return _page(
        request, session, principal, owner_code=owner_code.strip()[:18], item_no=item_no.strip()[:40]
    )


@router.post("/bonded/stock-in", response_class=HTMLResponse)
def bonded_stock_in_form(
    request: Request, session: SessionDep, principal: OptionalPrincipal, data: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    owner_code = str(data.get("owner_code") or "").strip()
    reference = str(data.get("reference") or "").strip()
    columns = {
        name: [str(v) for v in data.getlist(name)]
        for name in ("item_no", "quantity", "item_name", "item_record_no", "unit")
    }
    typed = [
        {name: (columns[name][n].strip() if n < len(columns[name]) else "") for name in columns}
        for n in range(max((len(v) for v in columns.values()), default=0))
    ]
    form = {"owner_code": owner_code, "reference": reference, "lines": typed}
    lines: list[bonded.StockInLine] = []
    errors: list[FieldError] = []
    for n, line in enumerate(typed):
        if not line["item_no"] and not line["quantity"]:
            continue
        try:
            quantity = Decimal(line["quantity"])
        except InvalidOperation:
            errors.append(FieldError(f"lines[{n}].quantity", "quantity_format", f"第{n + 1}行数量应为数字"))
            continue
        lines.append(
            bonded.StockInLine(
                item_no=line["item_no"],
                quantity=quantity,
                item_record_no=line["item_record_no"] or None,
                item_name=line["item_name"] or None,
                unit=line["unit"] or None,
            )
        )
    try:
        if errors:
            raise ValidationFailed(errors, "入库记录未通过校验")
        bonded.record_stock_in(session, principal, owner_code=owner_code, reference=reference, lines=lines)
    except SilkgateError as exc:
        failures = exc.errors or [FieldError("", exc.code, exc.message)]
        return _page(
            request,
            session,
            principal,
            owner_code="",
            item_no="",
            errors=failures,
            form=form,
            status_code=exc.status,
        )
    message = f"已登记入区 {reference}：{len(lines)}项商品"
    return RedirectResponse(f"/bonded?{urlencode({'flash': message})}", status_code=303)


@router.get("/bonded/export.xlsx")
def bonded_export(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    owner_code: str = "",
    item_no: str = "",
) -> Response:
    if principal is None:
        return login_redirect(request)
    flt = bonded.StockFilter(owner_code=owner_code.strip() or None, item_no=item_no.strip() or None)
    rows = bonded.visible_stock(session, principal, flt, limit=100000, request_path=request.url.path)
    warehouse_names, owner_names = _names(session, rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "保税账册"
    sheet.append(
        [
            "仓储企业",
            "货主海关编码",
            "货主",
            "商品货号",
            "账册备案料号",
            "品名",
            "计量单位",
            "结存数量",
            "更新时间(UTC)",
        ]
    )
    for r in rows:
        sheet.append(
            [
                warehouse_names.get(r.warehouse_enterprise_id, str(r.warehouse_enterprise_id)),
                r.owner_code,
                owner_names.get(r.owner_code, ""),
                r.item_no,
                r.item_record_no or "",
                r.item_name or "",
                r.unit or "",
                Decimal(r.quantity),
                r.updated_at.replace(tzinfo=None),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="bonded-stock.xlsx"'},
    )
