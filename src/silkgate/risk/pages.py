"""Risk pages (zh-CN): the alert queue, one alert's handling (assess, dispose, follow up, review),
the rules and their versions, reports, and product-safety alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.credit import service as credit_service
from silkgate.credit.pages import back, error_text, flash_of, parse_date
from silkgate.exceptions import SilkgateError
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Enterprise
from silkgate.params import DbId
from silkgate.risk import reports, service
from silkgate.risk import rules as R
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

LABELS = {
    "statuses": R.ALERT_STATUSES,
    "severities": R.SEVERITIES,
    "categories": R.CATEGORIES,
    "outcomes": R.OUTCOMES,
    "next": R.NEXT_STATUS,
    "catalogue": R.CATALOGUE_BY_CODE,
}


def _allowed(principal: Principal) -> bool:
    return principal.is_zone_office or principal.is_agency


def _forbidden(request: Request, principal: Principal) -> Response:
    return render(request, "credit/forbidden.html", principal, status_code=403, title="风险防控")


@router.get("/risk", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    status: str = "",
    rule_code: str = "",
    severity: str = "",
) -> Response:
    if principal is None:
        return login_redirect(request)
    if not _allowed(principal) or principal.zone_code is None:
        return _forbidden(request, principal)
    alerts = service.list_alerts(
        session, principal, status=status or None, rule_code=rule_code or None, severity=severity or None
    )
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(
                Enterprise.id.in_({a.enterprise_id for a in alerts if a.enterprise_id})
            )
        ).all()
    )
    return render(
        request,
        "risk/alerts.html",
        principal,
        title="风险预警",
        alerts=alerts,
        names=names,
        status=status,
        rule_code=rule_code,
        severity=severity,
        outcome=service.report_by_outcome(session, principal.zone_code),
        rules=service.ensure_rules(session, principal.zone_code),
        today=credit_service.beijing_today(),
        L=LABELS,
        **flash_of(request),
    )


@router.get("/risk/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(
    request: Request, session: SessionDep, principal: OptionalPrincipal, alert_id: DbId
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        alert = service.get_alert(session, principal, alert_id)
    except SilkgateError:
        return _forbidden(request, principal)
    ent = session.get(Enterprise, alert.enterprise_id) if alert.enterprise_id else None
    handlers = list(
        session.execute(
            select(User.id, User.display_name, Organisation.name)
            .join(Organisation, Organisation.id == User.org_id)
            .where(
                Organisation.zone_code == alert.zone_code,
                Organisation.kind != "enterprise",
                User.active.is_(True),
            )
            .order_by(Organisation.name, User.display_name)
        ).all()
    )
    owner = session.get(User, alert.owner_user_id) if alert.owner_user_id else None
    return render(
        request,
        "risk/alert.html",
        principal,
        title=f"风险预警 #{alert.id}",
        a=alert,
        enterprise=ent,
        owner=owner,
        handlers=handlers,
        hits=service.alert_hits(session, alert.id),
        notes=service.alert_notes(session, alert.id),
        attachments=service.alert_attachments(session, alert.id),
        today=credit_service.beijing_today(),
        L=LABELS,
        **flash_of(request),
    )


@router.post("/risk/alerts/{alert_id}/advance")
def alert_advance(
    session: SessionDep,
    principal: OptionalPrincipal,
    alert_id: DbId,
    to_status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    deadline: Annotated[str, Form()] = "",
) -> Response:
    url = f"/risk/alerts/{alert_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        alert = service.advance_alert(
            session,
            principal,
            alert_id,
            to_status=to_status,
            note=note,
            outcome=outcome or None,
            deadline=parse_date(deadline, "deadline") if deadline.strip() else None,
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    extra = "；已记入企业信用档案" if alert.credit_item_id and to_status == "disposed" else ""
    return back(url, f"预警已进入“{R.ALERT_STATUSES[alert.status]}”{extra}")


@router.post("/risk/alerts/{alert_id}/note")
def alert_note(
    session: SessionDep, principal: OptionalPrincipal, alert_id: DbId, text: Annotated[str, Form()] = ""
) -> Response:
    url = f"/risk/alerts/{alert_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.add_note(session, principal, alert_id, text)
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "备注已添加")


@router.post("/risk/alerts/{alert_id}/owner")
def alert_owner(
    session: SessionDep, principal: OptionalPrincipal, alert_id: DbId, owner_user_id: Annotated[int, Form()]
) -> Response:
    url = f"/risk/alerts/{alert_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.assign_alert(session, principal, alert_id, owner_user_id)
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "负责人已指定")


@router.post("/risk/alerts/{alert_id}/attachment")
def alert_attachment(
    session: SessionDep, principal: OptionalPrincipal, alert_id: DbId, file: UploadFile
) -> Response:
    url = f"/risk/alerts/{alert_id}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    data = file.file.read(service.MAX_ATTACHMENT_BYTES + 1)
    try:
        service.attach_file(
            session,
            principal,
            alert_id,
            filename=file.filename or "",
            content_type=file.content_type or "",
            data=data,
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, "附件已上传")


@router.get("/risk/attachments/{attachment_id}/download")
def attachment_download(session: SessionDep, principal: OptionalPrincipal, attachment_id: DbId) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    att = service.get_attachment(session, principal, attachment_id)
    return Response(
        att.data,
        media_type=att.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{reports.quote_filename(att.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/risk/rules", response_class=HTMLResponse)
def rules_page(
    request: Request, session: SessionDep, principal: OptionalPrincipal, code: str = ""
) -> Response:
    if principal is None:
        return login_redirect(request)
    if not _allowed(principal) or principal.zone_code is None:
        return _forbidden(request, principal)
    rules = service.ensure_rules(session, principal.zone_code)
    selected = next((r for r in rules if r.code == code), None)
    return render(
        request,
        "risk/rules.html",
        principal,
        title="风险规则",
        rules=rules,
        selected=selected,
        spec=R.CATALOGUE_BY_CODE.get(code),
        versions=service.rule_versions(session, principal.zone_code, code) if selected else [],
        L=LABELS,
        **flash_of(request),
    )


@router.post("/risk/rules/{code}")
def rules_save(
    request: Request, session: SessionDep, principal: OptionalPrincipal, code: str, form: FormDep
) -> Response:
    url = f"/risk/rules?code={code}"
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    spec = R.CATALOGUE_BY_CODE.get(code)
    thresholds = {p.key: str(form.get(f"t_{p.key}", "")) for p in spec.params} if spec else {}
    try:
        rule = service.edit_rule(
            session,
            principal,
            code,
            enabled=bool(form.get("enabled")),
            thresholds=thresholds,
            severity=str(form.get("severity", "")) or None,
            note=str(form.get("note", "")),
        )
    except SilkgateError as exc:
        return back(url, error_text(exc), "error")
    return back(url, f"规则{rule.code}已保存为第{rule.version}版")


@router.post("/risk/scan")
def scan_now(session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        principal.require_zone_office()
        assert principal.zone_code is not None
        result = service.scan(session, principal.zone_code)
    except SilkgateError as exc:
        return back("/risk", error_text(exc), "error")
    return back("/risk", f"扫描完成：评估{result.evaluated}票清单，新增命中{result.hits}次")


@router.get("/risk/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    if not _allowed(principal):
        return _forbidden(request, principal)
    return render(
        request,
        "risk/reports.html",
        principal,
        title="风险分析报告",
        r=reports.reports_out(session, principal),
        labels=reports.OUTCOME_LABELS,
        L=LABELS,
    )


@router.get("/risk/reports.xlsx")
def reports_xlsx(session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return Response(
        reports.reports_workbook(session, principal),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=risk-reports.xlsx"},
    )


@router.get("/risk/safety", response_class=HTMLResponse)
def safety_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    if not _allowed(principal) or principal.zone_code is None:
        return _forbidden(request, principal)
    return render(
        request,
        "risk/safety.html",
        principal,
        title="产品质量安全预警",
        rows=service.safety_alerts(session, principal.zone_code),
        today=credit_service.beijing_today(),
        **flash_of(request),
    )


@router.post("/risk/safety")
def safety_save(
    session: SessionDep,
    principal: OptionalPrincipal,
    title: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    hs_prefix: Annotated[str, Form()] = "",
    keyword: Annotated[str, Form()] = "",
    active_from: Annotated[str, Form()] = "",
    active_until: Annotated[str, Form()] = "",
    notice_no: Annotated[str, Form()] = "",
) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    try:
        service.publish_safety_alert(
            session,
            principal,
            title=title,
            reason=reason,
            hs_prefix=hs_prefix or None,
            keyword=keyword or None,
            active_from=parse_date(active_from, "active_from"),
            active_until=parse_date(active_until, "active_until") if active_until.strip() else None,
            notice_no=notice_no or None,
        )
    except SilkgateError as exc:
        return back("/risk/safety", error_text(exc), "error")
    return back("/risk/safety", "预警已发布，此后申报的商品将据此核对")
