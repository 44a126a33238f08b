"""zh-CN pages of the financial services: /finance for enterprises, banks, insurers and the zone
office, and the bank's review page behind the same grant check as the API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from openpyxl import Workbook

from silkgate.auth import kinds
from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotAuthenticated, SilkgateError, ValidationFailed
from silkgate.export.fx import NETTING_KIND_LABELS
from silkgate.finance import rules, schemas, service
from silkgate.finance.access import RequireGrant
from silkgate.kit.cebtime import BEIJING, now_utc
from silkgate.logistics import service as logistics
from silkgate.logistics.service import CUSTOMS_STATUS_LABELS
from silkgate.models.registry import Enterprise
from silkgate.params import DbId
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

LABELS = {
    "slices": rules.SLICE_LABELS,
    "products": rules.PRODUCT_LABELS,
    "statuses": rules.STATUS_LABELS,
    "settlement_kinds": rules.SETTLEMENT_KIND_LABELS,
    "claim_causes": rules.CLAIM_CAUSES,
}


def _context(session: SessionDep, principal: Principal) -> dict[str, Any]:
    ctx: dict[str, Any] = {"labels": LABELS, "now": now_utc()}
    if principal.is_enterprise:
        ctx["grants"] = [service.grant_public(session, g) for g in service.list_grants(session, principal)]
        ctx["institutions"] = service.finance_institutions(session)
        ctx["banks"] = service.finance_institutions(session, kinds.BANK)
        ctx["applications"] = service.list_own_applications(session, principal)
        ctx["bank_names"] = {o.id: o.name for o in ctx["institutions"]}
        ctx["policies"] = [
            (p, service.claims_of(session, p.id)) for p in service.own_policies(session, principal)
        ]
        ctx["settlements"] = service.settlements_for(session, principal)
        ctx["reads"] = service.reads_of_my_record(session, principal)
        ctx["netting"] = service.netting_of(session, principal.enterprise_id or 0)
        ctx["fx"] = service.fx_overview(session, principal.enterprise_id or 0)
        ctx["netting_labels"] = NETTING_KIND_LABELS
        assert principal.enterprise_id is not None
        ctx["stock"] = logistics.overseas_stock_of(session, principal.enterprise_id)
        ent = session.get(Enterprise, principal.enterprise_id)
        ctx["bonded_stock"] = service.bonded_stock_of(session, ent) if ent is not None else []
    elif principal.org_kind == kinds.BANK:
        ctx["inbox"] = service.bank_inbox(session, principal)
        ctx["grants"] = [service.grant_public(session, g) for g in service.list_grants(session, principal)]
    elif principal.org_kind == kinds.INSURER:
        ctx["grants"] = [service.grant_public(session, g) for g in service.list_grants(session, principal)]
        ctx["issued"] = [
            (p, service.claims_of(session, p.id)) for p in service.own_policies(session, principal)
        ]
    elif principal.is_zone_office or principal.is_agency:
        assert principal.zone_code is not None
        ctx["figures"] = service.figures(session, principal.zone_code)
    return ctx


def _page(
    request: Request, session: SessionDep, principal: Principal, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "finance/index.html",
        principal,
        status_code=status_code,
        title="金融服务",
        **_context(session, principal),
        **extra,
    )


def _error_page(
    request: Request, session: SessionDep, principal: Principal, exc: SilkgateError
) -> HTMLResponse:
    session.rollback()
    request.state.commit_on_error = False
    return _page(
        request,
        session,
        principal,
        status_code=exc.status,
        flash=exc.message,
        flash_kind="error",
        errors=exc.errors,
    )


@router.get("/finance", response_class=HTMLResponse)
def finance_home(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    return _page(request, session, principal, flash=request.query_params.get("ok"))


def _done(message: str) -> RedirectResponse:
    return RedirectResponse(f"/finance?ok={quote(message)}", status_code=303)


def _decimal(form: Any, name: str, errors: list[FieldError], label: str) -> Decimal | None:
    raw = str(form.get(name) or "").strip().replace(",", "")
    if not raw:
        errors.append(FieldError(name, "required", f"{label}不能为空"))
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        errors.append(FieldError(name, "decimal_parsing", f"{label}应为数字"))
        return None


@router.post("/finance/grants", response_class=HTMLResponse)
def create_grant(
    request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        days = int(str(form.get("days") or "0"))
        data = schemas.GrantCreate(
            grantee_org_id=int(str(form.get("grantee_org_id") or "0")),
            slices=[str(s) for s in form.getlist("slices")],  # type: ignore[misc]
            purpose=str(form.get("purpose") or "").strip() or "融资/保险审核",
            valid_until=now_utc() + dt.timedelta(days=days),
        )
        service.grant_access(session, principal, data)
    except SilkgateError as exc:
        return _error_page(request, session, principal, exc)
    except ValueError:
        return _error_page(
            request,
            session,
            principal,
            ValidationFailed(
                [FieldError("slices", "required", "请选择被授权机构、至少一项数据范围和授权天数")]
            ),
        )
    return _done("授权已生效")


@router.post("/finance/grants/{grant_id}/revoke", response_class=HTMLResponse)
def revoke_grant(
    grant_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        service.revoke_grant(session, principal, grant_id)
    except SilkgateError as exc:
        return _error_page(request, session, principal, exc)
    return _done("授权已撤销，该机构即时失去访问权限")


@router.post("/finance/applications", response_class=HTMLResponse)
def apply(request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep) -> Response:
    if principal is None:
        return login_redirect(request)
    errors: list[FieldError] = []
    amount = _decimal(form, "amount_requested", errors, "申请金额")
    product = str(form.get("product") or "")
    ids = [
        int(x)
        for x in str(form.get("declaration_ids") or "").replace("，", ",").split(",")
        if x.strip().isdigit()
    ]
    pledge_lines = []
    source, _, stock_id = str(form.get("stock_id") or "").partition(":")
    if product == "warehouse_pledge" and source in ("overseas", "bonded") and stock_id.isdigit():
        qty = _decimal(form, "pledge_quantity", errors, "质押数量")
        if qty is not None:
            pledge_lines.append(schemas.PledgeLineIn(source=source, stock_id=int(stock_id), quantity=qty))  # type: ignore[arg-type]
    try:
        if errors:
            raise ValidationFailed(errors)
        data = schemas.ApplicationCreate(
            bank_org_id=int(str(form.get("bank_org_id") or "0")),
            product=product,  # type: ignore[arg-type]
            amount_requested=amount or Decimal("0"),
            term_days=int(str(form.get("term_days") or "0")),
            purpose=str(form.get("purpose") or ""),
            declaration_ids=ids,
            pledge_lines=pledge_lines,
        )
        service.apply_for_financing(session, principal, data)
    except SilkgateError as exc:
        return _error_page(request, session, principal, exc)
    except ValueError as exc:
        return _error_page(
            request,
            session,
            principal,
            ValidationFailed(
                [FieldError("form", "invalid", f"申请信息不完整或格式不正确：{str(exc).splitlines()[0]}")]
            ),
        )
    return _done("融资申请已提交")


@router.post("/finance/applications/{application_id}/withdraw", response_class=HTMLResponse)
def withdraw(
    application_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        service.withdraw_application(session, principal, application_id)
    except SilkgateError as exc:
        return _error_page(request, session, principal, exc)
    return _done("申请已撤回")


@router.post("/finance/policies/{policy_id}/claims", response_class=HTMLResponse)
def file_claim(
    policy_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    errors: list[FieldError] = []
    amount = _decimal(form, "amount_claimed", errors, "索赔金额")
    try:
        if errors:
            raise ValidationFailed(errors)
        service.file_claim(
            session,
            principal,
            policy_id,
            schemas.ClaimCreate(
                loss_cause=str(form.get("loss_cause") or "buyer_default"),  # type: ignore[arg-type]
                amount_claimed=amount or Decimal("0"),
                note=str(form.get("note") or ""),
            ),
        )
    except SilkgateError as exc:
        return _error_page(request, session, principal, exc)
    return _done("索赔已提交保险机构")


@router.get("/finance/figures.xlsx")
def figures_xlsx(session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        raise NotAuthenticated()
    principal.require(kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    assert principal.zone_code is not None
    fig = service.figures(session, principal.zone_code)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "融资产品"
    ws.append(["产品", "笔数", "批准金额（元）"])
    for row in fig.granted_by_product:
        ws.append([row.label, row.count, float(row.amount)])
    ws2 = wb.create_sheet("银行")
    ws2.append(["银行", "笔数", "批准金额（元）"])
    for row in fig.granted_by_bank:
        ws2.append([row.label, row.count, float(row.amount)])
    ws3 = wb.create_sheet("保险与结算")
    ws3.append(["指标", "数值"])
    ws3.append(["有效保单保险金额（元）", float(fig.insured_value)])
    ws3.append(["已赔付金额（元）", float(fig.claims_paid)])
    ws3.append(["跨境结算折人民币合计（元）", float(fig.settlement_total_cny)])
    ws3.append(["其中跨境人民币结算（元）", float(fig.rmb_total_cny)])
    ws3.append(["人民币结算占比", float(fig.rmb_share) if fig.rmb_share is not None else None])
    buf = io.BytesIO()
    wb.save(buf)
    stamp = now_utc().astimezone(BEIJING).strftime("%Y%m%d")
    return StreamingResponse(
        iter([buf.getvalue()]),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="finance-{fig.zone_code}-{stamp}.xlsx"'},
    )


# --- the bank's review page: the same RequireGrant as the API ----------------------------------

ReviewAccess = Annotated[
    service.GrantAccess | SilkgateError, Depends(RequireGrant(for_application=True, soft=True))
]


def _refused(request: Request, principal: Principal | None, exc: SilkgateError) -> Response:
    if isinstance(exc, NotAuthenticated) or principal is None:
        return login_redirect(request)
    return render(
        request, "finance/refused.html", principal, status_code=exc.status, title="无权查看", error=exc
    )


def _review_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    access: service.GrantAccess,
    application_id: DbId,
    **extra: Any,
) -> HTMLResponse:
    app = service.bank_application(session, access, principal, application_id)
    slices = {s: service.read_slice(session, access, s).data for s in access.slices}
    for extra_slice in [s for s in access.grant.slices if s not in access.slices]:
        # Every slice shown is a read of its own, checked and audited like the API's.
        more = service.check_grant(
            session,
            principal,
            access.enterprise.id,
            (extra_slice,),
            resource="finance.review",
            resource_id=app.id,
            request_path=str(request.url.path),
        )
        slices[extra_slice] = service.read_slice(session, more, extra_slice).data
    return render(
        request,
        "finance/review.html",
        principal,
        title="融资申请审核",
        app=app,
        enterprise=access.enterprise,
        grant=access.grant,
        slices=slices,
        events=service.application_events(session, app.id),
        labels=LABELS,
        customs_labels=CUSTOMS_STATUS_LABELS,
        **extra,
    )


@router.get(
    "/finance/bank/enterprises/{enterprise_id}/applications/{application_id}", response_class=HTMLResponse
)
def review(
    enterprise_id: DbId,
    application_id: DbId,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    access: ReviewAccess,
) -> Response:
    if isinstance(access, SilkgateError):
        return _refused(request, principal, access)
    assert principal is not None
    try:
        return _review_page(
            request, session, principal, access, application_id, flash=request.query_params.get("ok")
        )
    except SilkgateError as exc:
        return _refused(request, principal, exc)


@router.post(
    "/finance/bank/enterprises/{enterprise_id}/applications/{application_id}/{action}",
    response_class=HTMLResponse,
)
def review_action(
    enterprise_id: DbId,
    application_id: DbId,
    action: str,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    access: ReviewAccess,
    form: FormDep,
) -> Response:
    if isinstance(access, SilkgateError):
        return _refused(request, principal, access)
    assert principal is not None
    errors: list[FieldError] = []
    try:
        app = service.bank_application(session, access, principal, application_id)
        if action == "review":
            service.start_review(session, principal, app)
            message = "已受理审核"
        elif action in ("approve", "decline"):
            rate = None
            if action == "approve":
                pct = _decimal(form, "annual_rate_pct", errors, "年利率")
                rate = None if pct is None else pct / 100
            amount_raw = str(form.get("amount_approved") or "").strip()
            if errors:
                raise ValidationFailed(errors)
            service.decide(
                session,
                principal,
                app,
                schemas.DecisionIn(
                    approve=action == "approve",
                    amount_approved=Decimal(amount_raw) if amount_raw else None,
                    annual_rate=rate,
                    note=str(form.get("note") or ""),
                ),
            )
            message = "已批准" if action == "approve" else "已拒绝"
        elif action == "disburse":
            amount = _decimal(form, "amount", errors, "放款金额")
            if errors or amount is None:
                raise ValidationFailed(errors)
            service.disburse(session, principal, app, amount)
            message = "已登记放款"
        elif action == "repay":
            amount = _decimal(form, "amount", errors, "还款金额")
            if errors or amount is None:
                raise ValidationFailed(errors)
            paid_on = dt.date.fromisoformat(str(form.get("paid_on") or now_utc().date().isoformat()))
            service.record_repayment(
                session, principal, app, schemas.RepaymentIn(amount=amount, paid_on=paid_on)
            )
            message = "已登记还款"
        else:
            return _refused(request, principal, SilkgateError(message="未知操作"))
    except SilkgateError as exc:
        session.rollback()
        request.state.commit_on_error = True  # the re-rendered page is a read: keep its audit entries
        fresh = RequireGrant(for_application=True, soft=True)(request, session, principal, enterprise_id)
        if isinstance(fresh, SilkgateError):
            return _refused(request, principal, fresh)
        page = _review_page(
            request,
            session,
            principal,
            fresh,
            application_id,
            flash=exc.message,
            flash_kind="error",
            errors=exc.errors,
        )
        page.status_code = exc.status
        return page
    except ValueError:
        session.rollback()
        return _refused(
            request, principal, ValidationFailed([FieldError("form", "invalid", "金额或日期格式不正确")])
        )
    return RedirectResponse(
        f"/finance/bank/enterprises/{enterprise_id}/applications/{application_id}?ok={quote(message)}",
        status_code=303,
    )
