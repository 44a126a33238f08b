"""Credit pages (zh-CN): the zone's records, one enterprise's record with its reasons and forms,
the negative list, tiered-supervision policy, complaints routed to an enterprise; and the public
credit pages and complaint form (no login)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from silkgate.auth import kinds
from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.credit import rules, service
from silkgate.exceptions import FieldError, SilkgateError, ValidationFailed
from silkgate.params import DbId
from silkgate.risk import complaints
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

LABELS = {
    "customs_levels": rules.CUSTOMS_LEVELS,
    "tiers": rules.TIERS,
    "item_kinds": rules.ITEM_KINDS,
    "factor": rules.factor_label,
    "trigger": rules.trigger_label,
    "categories": rules.NEGATIVE_LIST_CATEGORIES,
    "criteria": rules.DISHONEST_CRITERIA,
    "complaint_kinds": complaints.KINDS,
    "complaint_statuses": complaints.STATUSES,
    "resolutions": complaints.RESOLUTIONS,
    "right_types": complaints.RIGHT_TYPES,
}


def back(url: str, message: str, kind: str = "ok") -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}{urlencode({'flash': message, 'flash_kind': kind})}", status_code=303)


def error_text(exc: SilkgateError) -> str:
    if exc.errors:
        return "；".join(e.message for e in exc.errors)
    return exc.message


def flash_of(request: Request) -> dict[str, Any]:
    msg = request.query_params.get("flash")
    if not msg:
        return {}
    kind = request.query_params.get("flash_kind", "ok")
    return {"flash": msg[:500], "flash_kind": kind if kind in ("ok", "error", "warn") else "ok"}


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed([FieldError(field, "invalid_date", "日期格式应为 YYYY-MM-DD")]) from exc


def parse_amount(value: str, field: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationFailed([FieldError(field, "not_a_number", "金额应为数字")]) from exc
    if not amount.is_finite():
        raise ValidationFailed([FieldError(field, "not_a_number", "金额应为数字")])
    return amount


@router.get("/credit", response_class=HTMLResponse)
def credit_index(
    request: Request, session: SessionDep, principal: OptionalPrincipal, tier: str = "", q: str = ""
) -> Response:
    if principal is None:
        return login_redirect(request)
    if principal.is_enterprise and principal.enterprise_id:
        return RedirectResponse(f"/credit/{principal.enterprise_id}", status_code=303)
    if not (principal.is_zone_office or principal.is_agency) or principal.zone_code is None:
        return render(request, "credit/forbidden.html", principal, status_code=403, title="信用管理")
    rows = service.zone_records(session, principal, tier=tier or None, query=q or None)
    return render(
        request,
        "credit/index.html",
        principal,
        title="信用管理",
        rows=rows,
        tier=tier,
        q=q,
        distribution=service.tier_distribution(session, principal.zone_code),
        appeals=service.open_appeals(session, principal.zone_code) if principal.is_zone_office else [],
        repairs=service.open_repairs(session, principal.zone_code)
        if principal.org_kind in (kinds.CUSTOMS, kinds.ZONE_OFFICE)
        else [],
        L=LABELS,
        **flash_of(request),
    )


@router.get("/credit/policies", response_class=HTMLResponse)
def policies_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    if not (principal.is_zone_office or principal.is_agency) or principal.zone_code is None:
        return render(request, "credit/forbidden.html", principal, status_code=403, title="分类监管")
    return render(
        request,
        "credit/policies.html",
        principal,
        title="分类监管",
        policies=service.policies_of_zone(session, principal.zone_code),
        defaults=rules.DEFAULT_POLICIES,
        L=LABELS,
        **flash_of(request),
    )


@router.post("/credit/policies/{tier}")
def policies_save(
    session: SessionDep,
    principal: OptionalPrincipal,
    tier: str,
    inspection_share_percent: Annotated[str, Form()],
    manual_review: Annotated[str, Form()] = "",
    hold_all: Annotated[str, Form()] = "",
    fast_track: Annotated[str, Form()] = "",
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        share = parse_amount(inspection_share_percent, "inspection_share")
        service.set_policy(
            session,
            principal,
            tier,
            inspection_share=(share or Decimal("0")) / Decimal("100"),
            manual_review=bool(manual_review),
            hold_all=bool(hold_all),
            fast_track=bool(fast_track),
        )
    except SilkgateError as exc:
        return back("/credit/policies", error_text(exc), "error")
    return back("/credit/policies", f"{rules.TIERS.get(tier, tier)}的监管措施已保存，下一票申报起生效")


@router.get("/credit/complaints", response_class=HTMLResponse)
def complaints_page(
    request: Request, session: SessionDep, principal: OptionalPrincipal, status: str = ""
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        rows = complaints.list_complaints(session, principal, status or None)
    except SilkgateError:
        return render(request, "credit/forbidden.html", principal, status_code=403, title="投诉处理")
    return render(
        request,
        "credit/complaints.html",
        principal,
        title="投诉处理",
        rows=rows,
        status=status,
        today=service.beijing_today(),
        overdue=complaints.overdue,
        L=LABELS,
        **flash_of(request),
    )


@router.post("/credit/complaints/{complaint_id}/response")
def complaint_respond(
    session: SessionDep, principal: OptionalPrincipal, complaint_id: DbId, response: Annotated[str, Form()]
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        c = complaints.respond(session, principal, complaint_id, response)
    except SilkgateError as exc:
        return back("/credit/complaints", error_text(exc), "error")
    return back("/credit/complaints", f"已答复投诉{c.reference}")


@router.post("/credit/complaints/{complaint_id}/resolution")
def complaint_resolve(
    session: SessionDep,
    principal: OptionalPrincipal,
    complaint_id: DbId,
    outcome: Annotated[str, Form()],
    resolution: Annotated[str, Form()],
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        c = complaints.resolve(session, principal, complaint_id, outcome=outcome, resolution=resolution)
    except SilkgateError as exc:
        return back("/credit/complaints", error_text(exc), "error")
    return back("/credit/complaints", f"投诉{c.reference}已办结：{complaints.RESOLUTIONS[c.outcome or '']}")


@router.get("/credit/{enterprise_id}", response_class=HTMLResponse)
def credit_detail(
    request: Request, session: SessionDep, principal: OptionalPrincipal, enterprise_id: DbId
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        view = service.credit_view(session, principal, enterprise_id, request_path=request.url.path)
    except SilkgateError:
        return render(request, "credit/forbidden.html", principal, status_code=404, title="信用档案")
    reportable = rules.REPORTABLE_BY.get(principal.org_kind, ())
    return render(
        request,
        "credit/detail.html",
        principal,
        title=f"信用档案 · {view.enterprise.name}",
        v=view,
        reportable=reportable,
        today=service.beijing_today(),
        L=LABELS,
        **flash_of(request),
    )


@router.post("/credit/{enterprise_id}/items")
def credit_report(
    session: SessionDep,
    principal: OptionalPrincipal,
    enterprise_id: DbId,
    kind: Annotated[str, Form()],
    effective_on: Annotated[str, Form()],
    value: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    document_no: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
    smuggling: Annotated[str, Form()] = "",
) -> Response:
    url = f"/credit/{enterprise_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.report_item(
            session,
            principal,
            enterprise_id,
            service.ItemReport(
                kind=kind,
                effective_on=parse_date(effective_on, "effective_on"),
                value=value,
                amount=parse_amount(amount, "amount"),
                document_no=document_no or None,
                summary=summary,
                detail={"smuggling": True} if smuggling else {},
            ),
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, f"已报送：{rules.ITEM_KINDS.get(kind, kind)}，评级已重新计算")


@router.post("/credit/{enterprise_id}/negative-list")
def credit_list(
    session: SessionDep,
    principal: OptionalPrincipal,
    enterprise_id: DbId,
    reason_category: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    listed_on: Annotated[str, Form()],
    basis_document: Annotated[str, Form()] = "",
) -> Response:
    url = f"/credit/{enterprise_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.list_on_negative_list(
            session,
            principal,
            enterprise_id,
            reason_category=reason_category,
            reason=reason,
            listed_on=parse_date(listed_on, "listed_on"),
            basis_document=basis_document or None,
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "已列入信用负面清单：该企业此后每票申报均人工审核")


@router.post("/credit/negative-list/{entry_id}/delist")
def credit_delist(
    session: SessionDep,
    principal: OptionalPrincipal,
    entry_id: DbId,
    enterprise_id: Annotated[int, Form()],
    reason: Annotated[str, Form()],
    delisted_on: Annotated[str, Form()],
) -> Response:
    url = f"/credit/{enterprise_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.delist(
            session, principal, entry_id, reason=reason, delisted_on=parse_date(delisted_on, "delisted_on")
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "已移出信用负面清单")


@router.post("/credit/appeals")
def credit_appeal(
    session: SessionDep,
    principal: OptionalPrincipal,
    grounds: Annotated[str, Form()],
    factor_code: Annotated[str, Form()] = "",
) -> Response:
    if principal is None or principal.enterprise_id is None:
        return RedirectResponse("/login", status_code=303)
    url = f"/credit/{principal.enterprise_id}"
    try:
        a = service.file_appeal(session, principal, grounds=grounds, factor_code=factor_code or None)
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, f"申诉已提交，综试办将于{a.due_on}前复核")


@router.post("/credit/appeals/{appeal_id}/decision")
def credit_appeal_decide(
    session: SessionDep,
    principal: OptionalPrincipal,
    appeal_id: DbId,
    enterprise_id: Annotated[int, Form()],
    decision: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    revoke_item_id: Annotated[str, Form()] = "",
) -> Response:
    url = f"/credit/{enterprise_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.decide_appeal(
            session,
            principal,
            appeal_id,
            upheld=decision == "upheld",
            outcome=outcome,
            revoke_item_id=int(revoke_item_id) if revoke_item_id.strip().isdigit() else None,
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "申诉已复核，评级已重新计算")


@router.post("/credit/repairs")
def credit_repair(
    session: SessionDep,
    principal: OptionalPrincipal,
    ground: Annotated[str, Form()],
    corrective_action: Annotated[str, Form()],
    obligations_fulfilled: Annotated[str, Form()] = "",
) -> Response:
    if principal is None or principal.enterprise_id is None:
        return RedirectResponse("/login", status_code=303)
    url = f"/credit/{principal.enterprise_id}"
    try:
        a = service.apply_for_repair(
            session,
            principal,
            ground=ground,
            corrective_action=corrective_action,
            obligations_fulfilled=bool(obligations_fulfilled),
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, f"信用修复申请已提交，海关将于{a.due_on}前作出决定")


@router.post("/credit/repairs/{application_id}/decision")
def credit_repair_decide(
    session: SessionDep,
    principal: OptionalPrincipal,
    application_id: DbId,
    enterprise_id: Annotated[int, Form()],
    decision: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
) -> Response:
    url = f"/credit/{enterprise_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.decide_repair(
            session, principal, application_id, approved=decision == "approved", outcome=outcome
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "信用修复申请已办结")


# ---------------------------------------------------------------- public pages (no login)


@router.get("/public/credit", response_class=HTMLResponse)
def public_credit(
    request: Request, session: SessionDep, principal: OptionalPrincipal, q: str = "", zone: str = ""
) -> Response:
    zone_code = service.public_zone(session, zone or None, request.app.state.settings.default_zone)
    return render(
        request,
        "public/credit.html",
        principal,
        title="企业信用公示",
        rows=service.public_standings(session, zone_code, q or None),
        listings=service.public_negative_list(session, zone_code, include_delisted=False),
        q=q,
        L=LABELS,
    )


@router.get("/public/credit/negative-list", response_class=HTMLResponse)
def public_negative_list(
    request: Request, session: SessionDep, principal: OptionalPrincipal, zone: str = ""
) -> Response:
    zone_code = service.public_zone(session, zone or None, request.app.state.settings.default_zone)
    return render(
        request,
        "public/negative_list.html",
        principal,
        title="信用负面清单",
        listings=service.public_negative_list(session, zone_code),
        L=LABELS,
    )


@router.get("/public/complaints", response_class=HTMLResponse)
def public_complaint_form(request: Request, principal: OptionalPrincipal, ref: str = "") -> Response:
    return render(
        request, "public/complaint.html", principal, title="投诉与知识产权保护", form={}, errors={}, L=LABELS
    )


@router.post("/public/complaints", response_class=HTMLResponse)
def public_complaint_submit(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    kind: Annotated[str, Form()] = "",
    enterprise: Annotated[str, Form()] = "",
    complainant_name: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    order_no: Annotated[str, Form()] = "",
    right_type: Annotated[str, Form()] = "",
    right_no: Annotated[str, Form()] = "",
) -> Response:
    form = complaints.ComplaintForm(
        kind=kind,
        enterprise=enterprise,
        complainant_name=complainant_name,
        contact=contact,
        subject=subject,
        description=description,
        order_no=order_no or None,
        right_type=right_type or None,
        right_no=right_no or None,
    )
    zone_code = service.public_zone(session, None, request.app.state.settings.default_zone)
    try:
        c = complaints.file_complaint(session, zone_code, form)
    except ValidationFailed as exc:
        return render(
            request,
            "public/complaint.html",
            principal,
            status_code=422,
            title="投诉与知识产权保护",
            form=form.__dict__,
            errors={e.field: e.message for e in exc.errors},
            L=LABELS,
        )
    return render(request, "public/complaint_done.html", principal, title="投诉已受理", c=c, L=LABELS)


@router.get("/public/complaints/status", response_class=HTMLResponse)
def public_complaint_status(
    request: Request, session: SessionDep, principal: OptionalPrincipal, ref: str = ""
) -> Response:
    c = complaints.public_status(session, ref) if ref.strip() else None
    return render(
        request, "public/complaint_status.html", principal, title="投诉进度查询", c=c, ref=ref, L=LABELS
    )
