"""Risk API: rules (versioned), alerts and their handling, attachments, product-safety alerts,
scans and reports; complaints (filing needs no login)."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.credit import service as credit_service
from silkgate.models.risk import Complaint, RiskAlert, RiskRule
from silkgate.params import DbId
from silkgate.risk import complaints, reports, service
from silkgate.risk.schemas import (
    AlertDetail,
    AlertPublic,
    AttachmentPublic,
    ComplaintCreate,
    ComplaintPublic,
    ComplaintReceipt,
    ComplaintResolution,
    ComplaintResponse,
    HitPublic,
    NoteCreate,
    NotePublic,
    OwnerUpdate,
    ReportsOut,
    RulePublic,
    RuleUpdate,
    SafetyAlertCreate,
    SafetyAlertPublic,
    ScanOut,
    ScanRequest,
    Transition,
)

router = APIRouter(prefix="/api/v1", tags=["risk"])


def _rule(r: RiskRule) -> RulePublic:
    return RulePublic.model_validate(r, from_attributes=True)


def _alert(a: RiskAlert) -> AlertPublic:
    return AlertPublic.model_validate(a, from_attributes=True)


@router.get("/risk/rules", response_model=list[RulePublic], summary="The zone's current rule versions")
def list_rules(session: SessionDep, principal: CurrentPrincipal) -> list[RulePublic]:
    service.require_handler(principal)
    assert principal.zone_code is not None
    return [_rule(r) for r in service.ensure_rules(session, principal.zone_code)]


@router.get("/risk/rules/{code}/versions", response_model=list[RulePublic])
def rule_versions(session: SessionDep, principal: CurrentPrincipal, code: str) -> list[RulePublic]:
    service.require_handler(principal)
    assert principal.zone_code is not None
    return [_rule(r) for r in service.rule_versions(session, principal.zone_code, code)]


@router.put("/risk/rules/{code}", response_model=RulePublic, summary="Edit a rule (creates its next version)")
def edit_rule(session: SessionDep, principal: CurrentPrincipal, code: str, body: RuleUpdate) -> RulePublic:
    return _rule(
        service.edit_rule(
            session,
            principal,
            code,
            enabled=body.enabled,
            thresholds=body.thresholds,
            severity=body.severity,
            note=body.note,
        )
    )


@router.post("/risk/scan", response_model=ScanOut, summary="Run the rules over history now")
def run_scan(session: SessionDep, principal: CurrentPrincipal, body: ScanRequest) -> ScanOut:
    principal.require_zone_office()
    assert principal.zone_code is not None
    result = service.scan(session, principal.zone_code, body.since)
    return ScanOut(evaluated=result.evaluated, hits=result.hits, by_rule=result.by_rule)


@router.get("/risk/alerts", response_model=list[AlertPublic])
def list_alerts(
    session: SessionDep,
    principal: CurrentPrincipal,
    status: str | None = None,
    rule_code: str | None = None,
    severity: str | None = None,
    enterprise_id: DbId | None = None,
) -> list[AlertPublic]:
    rows = service.list_alerts(
        session, principal, status=status, rule_code=rule_code, severity=severity, enterprise_id=enterprise_id
    )
    return [_alert(a) for a in rows]


def _detail(session: SessionDep, alert: RiskAlert) -> AlertDetail:
    return AlertDetail(
        **_alert(alert).model_dump(),
        hits=[
            HitPublic.model_validate(h, from_attributes=True) for h in service.alert_hits(session, alert.id)
        ],
        notes=[
            NotePublic.model_validate(n, from_attributes=True) for n in service.alert_notes(session, alert.id)
        ],
        attachments=[
            AttachmentPublic.model_validate(a, from_attributes=True)
            for a in service.alert_attachments(session, alert.id)
        ],
    )


@router.get("/risk/alerts/{alert_id}", response_model=AlertDetail)
def get_alert(session: SessionDep, principal: CurrentPrincipal, alert_id: DbId) -> AlertDetail:
    return _detail(session, service.get_alert(session, principal, alert_id))


@router.post(
    "/risk/alerts/{alert_id}/transition", response_model=AlertDetail, summary="Move an alert one step"
)
def transition(
    session: SessionDep, principal: CurrentPrincipal, alert_id: DbId, body: Transition
) -> AlertDetail:
    alert = service.advance_alert(
        session,
        principal,
        alert_id,
        to_status=body.to_status,
        note=body.note,
        outcome=body.outcome,
        deadline=body.deadline,
    )
    return _detail(session, alert)


@router.post("/risk/alerts/{alert_id}/notes", response_model=NotePublic, status_code=201)
def add_note(
    session: SessionDep, principal: CurrentPrincipal, alert_id: DbId, body: NoteCreate
) -> NotePublic:
    return NotePublic.model_validate(
        service.add_note(session, principal, alert_id, body.text), from_attributes=True
    )


@router.post("/risk/alerts/{alert_id}/owner", response_model=AlertPublic)
def set_owner(
    session: SessionDep, principal: CurrentPrincipal, alert_id: DbId, body: OwnerUpdate
) -> AlertPublic:
    return _alert(service.assign_alert(session, principal, alert_id, body.owner_user_id))


@router.post("/risk/alerts/{alert_id}/attachments", response_model=AttachmentPublic, status_code=201)
def upload(
    session: SessionDep, principal: CurrentPrincipal, alert_id: DbId, file: UploadFile
) -> AttachmentPublic:
    data = file.file.read(service.MAX_ATTACHMENT_BYTES + 1)
    att = service.attach_file(
        session,
        principal,
        alert_id,
        filename=file.filename or "",
        content_type=file.content_type or "",
        data=data,
    )
    return AttachmentPublic.model_validate(att, from_attributes=True)


@router.get("/risk/attachments/{attachment_id}", summary="Download an attachment")
def download(session: SessionDep, principal: CurrentPrincipal, attachment_id: DbId) -> Response:
    att = service.get_attachment(session, principal, attachment_id)
    return Response(
        att.data,
        media_type=att.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{reports.quote_filename(att.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/risk/safety-alerts", response_model=SafetyAlertPublic, status_code=201)
def publish_safety_alert(
    session: SessionDep, principal: CurrentPrincipal, body: SafetyAlertCreate
) -> SafetyAlertPublic:
    row = service.publish_safety_alert(
        session,
        principal,
        title=body.title,
        reason=body.reason,
        hs_prefix=body.hs_prefix,
        keyword=body.keyword,
        active_from=body.active_from,
        active_until=body.active_until,
        notice_no=body.notice_no,
    )
    return SafetyAlertPublic.model_validate(row, from_attributes=True)


@router.get("/risk/safety-alerts", response_model=list[SafetyAlertPublic])
def list_safety_alerts(session: SessionDep, principal: CurrentPrincipal) -> list[SafetyAlertPublic]:
    service.require_handler(principal)
    assert principal.zone_code is not None
    return [
        SafetyAlertPublic.model_validate(a, from_attributes=True)
        for a in service.safety_alerts(session, principal.zone_code)
    ]


@router.get("/risk/reports", response_model=ReportsOut, summary="Which rules work: hit rate, confirmed rate")
def get_reports(session: SessionDep, principal: CurrentPrincipal) -> ReportsOut:
    return reports.reports_out(session, principal)


@router.get("/risk/reports.xlsx", summary="The reports as an Excel workbook")
def get_reports_xlsx(session: SessionDep, principal: CurrentPrincipal) -> Response:
    body = reports.reports_workbook(session, principal)
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=risk-reports.xlsx"},
    )


def _complaint(c: Complaint) -> ComplaintPublic:
    return ComplaintPublic.model_validate(c, from_attributes=True)


@router.post(
    "/public/complaints",
    response_model=ComplaintReceipt,
    status_code=201,
    summary="File a complaint (no login)",
)
def file_complaint(request: Request, session: SessionDep, body: ComplaintCreate) -> ComplaintReceipt:
    zone = credit_service.public_zone(session, body.zone, request.app.state.settings.default_zone)
    c = complaints.file_complaint(
        session,
        zone,
        complaints.ComplaintForm(
            kind=body.kind,
            enterprise=body.enterprise,
            complainant_name=body.complainant_name,
            contact=body.contact,
            subject=body.subject,
            description=body.description,
            order_no=body.order_no,
            right_type=body.right_type,
            right_no=body.right_no,
        ),
    )
    return ComplaintReceipt(
        reference=c.reference,
        status=c.status,
        response_due_on=c.response_due_on,
        resolve_due_on=c.resolve_due_on,
    )


@router.get("/complaints", response_model=list[ComplaintPublic], summary="Complaints routed to the caller")
def list_complaints(
    session: SessionDep, principal: CurrentPrincipal, status: str | None = None
) -> list[ComplaintPublic]:
    return [_complaint(c) for c in complaints.list_complaints(session, principal, status)]


@router.post("/complaints/{complaint_id}/response", response_model=ComplaintPublic)
def respond(
    session: SessionDep, principal: CurrentPrincipal, complaint_id: DbId, body: ComplaintResponse
) -> ComplaintPublic:
    return _complaint(complaints.respond(session, principal, complaint_id, body.response))


@router.post("/complaints/{complaint_id}/resolution", response_model=ComplaintPublic)
def resolve(
    session: SessionDep, principal: CurrentPrincipal, complaint_id: DbId, body: ComplaintResolution
) -> ComplaintPublic:
    return _complaint(
        complaints.resolve(session, principal, complaint_id, outcome=body.outcome, resolution=body.resolution)
    )
