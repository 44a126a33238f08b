"""Web pages (zh-CN) of import declarations: search, detail with timeline, receipts, tax bills and the
monthly tax summary with Excel export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.clearance import pipeline
from silkgate.clearance.match import DOCUMENT_LABELS, FIELD_LABELS
from silkgate.declarations import queries, taxbills
from silkgate.declarations.documents import KIND_LABELS, STATUS_LABELS
from silkgate.declarations.service import flush_pending
from silkgate.exceptions import SilkgateError
from silkgate.models.declarations import Receipt
from silkgate.params import MAX_OFFSET, DbId
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE = 50

CHECK_LABELS = {
    "filing": "备案核验",
    "match": "三单对碰",
    "identity": "身份核验",
    "limits": "限值与额度",
    "tax": "税款计算",
    "bonded": "保税账册核减",
    "decision": "放行决定",
    "inspection": "查验结果",
    "withdrawal": "撤销",
    "returned": "退货",
}
STEP_LABELS = {
    "received": "接收",
    "match": "三单对碰",
    "filing": "备案核验",
    "identity": "身份核验",
    "limits": "限值",
    "tax": "税款",
    "bonded": "保税账册",
    "decision": "决定",
    "inspection": "查验",
    "withdrawal": "撤销",
    "return": "退货",
    "change": "变更",
}
RETURN_STATUS_LABELS = {
    "1": "暂存",
    "2": "申报中",
    "100": "退单",
    "120": "入库",
    "399": "审结",
    "500": "查验",
    "800": "放行",
    "899": "结关",
}


def _common() -> dict[str, Any]:
    return {
        "KIND_LABELS_DECL": KIND_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "CHECK_LABELS": CHECK_LABELS,
        "STEP_LABELS": STEP_LABELS,
        "RETURN_STATUS_LABELS": RETURN_STATUS_LABELS,
        "DOCUMENT_LABELS": DOCUMENT_LABELS,
        "FIELD_LABELS": FIELD_LABELS,
    }


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/declarations", response_class=HTMLResponse)
def declarations_page(
    request: Request,
    principal: OptionalPrincipal,
    session: SessionDep,
    kind: str = "inventory",
    status: str = "",
    trade_mode: str = "",
    number: str = "",
    date_from: str = "",
    date_to: str = "",
    direction: str = "import",
    country: str = "",
    hs_chapter: str = "",
    hs_heading: str = "",
    enterprise_id: str = "",
    customs_code: str = "",
    currency: str = "",
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    flt = queries.DeclarationFilter(
        kind=kind or None,
        status=status or None,
        trade_mode=trade_mode or None,
        direction=direction if direction in ("import", "export") else None,
        number=number or None,
        date_from=_date(date_from),
        date_to=_date(date_to),
        country=country or None,
        hs_chapter=hs_chapter or None,
        hs_heading=hs_heading or None,
        enterprise_id=int(enterprise_id) if enterprise_id.isdigit() else None,
        customs_code=customs_code or None,
        currency=currency or None,
    )
    rows, total = queries.search_declarations(session, principal, flt, limit=PAGE, offset=offset)
    params = {
        "kind": kind,
        "status": status,
        "trade_mode": trade_mode,
        "number": number,
        "date_from": date_from,
        "date_to": date_to,
        "direction": direction,
        **{
            k: v
            for k, v in {
                "country": country,
                "hs_chapter": hs_chapter,
                "hs_heading": hs_heading,
                "enterprise_id": enterprise_id,
                "customs_code": customs_code,
                "currency": currency,
            }.items()
            if v
        },
    }
    return render(
        request,
        "declarations/index.html",
        principal,
        rows=rows,
        total=total,
        offset=offset,
        page=PAGE,
        params=params,
        tab="declarations",
        **_common(),
    )


@router.get("/declarations/receipts", response_class=HTMLResponse)
def receipts_page(
    request: Request,
    principal: OptionalPrincipal,
    session: SessionDep,
    since: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    rows = (
        queries.receipts_since(session, principal, since, PAGE + 1)
        if since
        else _latest_receipts(session, principal)
    )
    more = len(rows) > PAGE
    return render(
        request,
        "declarations/receipts.html",
        principal,
        rows=rows[:PAGE],
        more=more,
        since=since,
        tab="receipts",
        **_common(),
    )


def _latest_receipts(session: Any, principal: Any) -> list[Any]:
    flush_pending(session)
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.recipient_org_id == principal.org_id)
            .order_by(Receipt.id.desc())
            .limit(PAGE)
        )
    )


@router.get("/declarations/tax", response_class=HTMLResponse)
def tax_page(
    request: Request,
    principal: OptionalPrincipal,
    session: SessionDep,
    period: str = "",
    export: str = "",
) -> Response:
    if principal is None:
        return login_redirect(request)
    period_ok = period if len(period) == 7 and period[4] == "-" else None
    summary = taxbills.monthly_summary(session, queries.tax_bill_scope(principal), period=period_ok)
    if export == "xlsx":
        return _summary_xlsx(summary, period_ok)
    bills, total, sums = queries.list_tax_bills(
        session, principal, queries.TaxBillFilter(period=period_ok), limit=PAGE
    )
    return render(
        request,
        "declarations/tax.html",
        principal,
        summary=summary,
        bills=bills,
        total=total,
        sums=sums,
        period=period,
        tab="tax",
        **_common(),
    )


def _summary_xlsx(rows: list[taxbills.MonthlyTaxRow], period: str | None) -> Response:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "月度税款汇总"
    ws.append(["跨境电商零售进口税款月度汇总（代收代缴义务人）" + (f" {period}" if period else "")])
    ws["A1"].font = Font(bold=True, size=13)
    header = [
        "月份",
        "代收代缴义务人",
        "海关编码",
        "税单数",
        "作废税单数",
        "完税价格合计（元）",
        "关税（元）",
        "增值税（元）",
        "消费税（元）",
        "税款合计（元）",
    ]
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(
            [
                r.period,
                r.withholding_name,
                r.withholding_code,
                r.bills,
                r.voided,
                r.taxable_value,
                r.customs_tax,
                r.value_added_tax,
                r.consumption_tax,
                r.total_tax,
            ]
        )
    for row in ws.iter_rows(min_row=3, min_col=6, max_col=10):
        for cell in row:
            cell.number_format = "#,##0.00"
    for column, width in zip("ABCDEFGHIJ", (10, 36, 14, 10, 12, 18, 12, 14, 12, 14), strict=True):
        ws.column_dimensions[column].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    name = f"tax-summary-{period or 'all'}.xlsx"
    return StreamingResponse(
        buffer,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/declarations/{declaration_id:int}", response_class=HTMLResponse)
def declaration_page(
    request: Request, declaration_id: DbId, principal: OptionalPrincipal, session: SessionDep, flash: str = ""
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        detail = queries.declaration_detail(session, principal, declaration_id)
    except SilkgateError as exc:
        return render(
            request,
            "declarations/missing.html",
            principal,
            status_code=exc.status,
            message=exc.message,
            tab="declarations",
            **_common(),
        )
    bill = detail["tax_bill"]
    return render(
        request,
        "declarations/detail.html",
        principal,
        d=detail["declaration"],
        detail=detail,
        bill=taxbills.ceb816_fields(bill) if bill is not None else None,
        bill_row=bill,
        flash=flash,
        can_conclude=principal.is_zone_office or principal.org_kind == "customs",
        tab="declarations",
        **_common(),
    )


@router.post("/declarations/{declaration_id:int}/inspection")
def conclude_inspection_form(
    request: Request,
    declaration_id: DbId,
    principal: OptionalPrincipal,
    session: SessionDep,
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    if principal is None:
        return login_redirect(request)
    note = note.strip() or ("货证相符" if outcome == "pass" else "货证不符")
    try:
        pipeline.conclude_inspection(
            session, declaration_id, principal, passed=outcome == "pass", note=note[:500]
        )
    except SilkgateError as exc:
        request.state.commit_on_error = False
        return RedirectResponse(f"/declarations/{declaration_id}?flash={exc.message}", status_code=303)
    return RedirectResponse(f"/declarations/{declaration_id}?flash=查验结果已登记", status_code=303)
