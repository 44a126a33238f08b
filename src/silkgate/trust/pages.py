"""Trust pages: the signing certificates of a filing (register, revoke), and the traceability log
(its signed checkpoints and the proof of a message by guid)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from silkgate.auth import kinds
from silkgate.auth.deps import FormDep, OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, SilkgateError
from silkgate.kit.cebtime import now_utc
from silkgate.models.registry import Enterprise
from silkgate.models.trust import LedgerCheckpoint, LedgerLeaf
from silkgate.params import DbId
from silkgate.registry import service as registry
from silkgate.trust import ledger, service
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

PEM_LIMIT = 20_000
SOURCE_LABELS = {"upload": "企业上传", "issued": "平台CA签发", "load": "批量导入"}
ALGORITHM_LABELS = {"sm2": "SM2（国密）", "rsa": "RSA"}


def _can_edit(principal: Principal, enterprise: Enterprise) -> bool:
    return (principal.is_enterprise and principal.enterprise_id == enterprise.id) or (
        principal.is_zone_office and principal.sees_zone(enterprise.zone_code)
    )


def _page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    enterprise: Enterprise,
    *,
    flash: str | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    rows = service.list_certificates(session, enterprise.id)
    now = now_utc()
    return render(
        request,
        "trust/certificates.html",
        principal,
        status_code=status_code,
        title=f"{enterprise.name} 签名证书",
        enterprise=enterprise,
        rows=rows,
        now=now,
        can_edit=_can_edit(principal, enterprise),
        flash=flash,
        flash_kind="error" if errors else "ok",
        errors=errors or [],
        source_labels=SOURCE_LABELS,
        algorithm_labels=ALGORITHM_LABELS,
    )


@router.get("/enterprises/{enterprise_id}/certificates", response_class=HTMLResponse)
def certificates_page(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    enterprise = registry.get_enterprise(session, principal, enterprise_id, request_path=request.url.path)
    flash = {"added": "证书已登记。", "revoked": "证书已注销，此后用它签名的报文将被拒收。"}.get(
        request.query_params.get("done", "")
    )
    return _page(request, session, principal, enterprise, flash=flash)


@router.post("/enterprises/{enterprise_id}/certificates", response_class=HTMLResponse)
def certificates_add(
    enterprise_id: DbId, request: Request, session: SessionDep, principal: OptionalPrincipal, form: FormDep
) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE)
    enterprise = registry.enterprise_for_edit(session, principal, enterprise_id)
    upload = form.get("file")
    pem = b""
    if isinstance(upload, UploadFile) and upload.filename:
        pem = upload.file.read(PEM_LIMIT + 1)
    text = form.get("pem")
    if not pem and isinstance(text, str):
        pem = text.encode()[: PEM_LIMIT + 1]
    if not pem.strip() or len(pem) > PEM_LIMIT:
        error = FieldError("pem", "required", f"请粘贴或选择PEM格式的证书（不超过{PEM_LIMIT}字节）")
        return _page(
            request, session, principal, enterprise, flash=error.message, errors=[error], status_code=422
        )
    try:
        service.register_certificate(session, enterprise, pem, actor=principal)
    except SilkgateError as exc:
        errors = exc.errors or [FieldError("pem", exc.code, exc.message)]
        return _page(
            request,
            session,
            principal,
            enterprise,
            flash=errors[0].message,
            errors=errors,
            status_code=exc.status,
        )
    return RedirectResponse(f"/enterprises/{enterprise.id}/certificates?done=added", status_code=303)


@router.post("/enterprises/{enterprise_id}/certificates/{certificate_id}/revoke", response_class=HTMLResponse)
def certificates_revoke(
    enterprise_id: DbId,
    certificate_id: DbId,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    form: FormDep,
) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE)
    enterprise = registry.enterprise_for_edit(session, principal, enterprise_id)
    reason = form.get("reason")
    try:
        service.revoke_certificate(
            session, enterprise.id, certificate_id, reason if isinstance(reason, str) else ""
        )
    except SilkgateError as exc:
        return _page(
            request,
            session,
            principal,
            enterprise,
            flash=exc.message,
            errors=[FieldError("certificate", exc.code, exc.message)],
            status_code=exc.status,
        )
    return RedirectResponse(f"/enterprises/{enterprise.id}/certificates?done=revoked", status_code=303)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return login_redirect(request)
    guid = (request.query_params.get("guid") or "").strip()[:64]
    proof: dict[str, Any] | None = None
    proof_error: str | None = None
    if guid:
        try:
            proof = ledger.proof_for_guid(session, principal, guid)
        except SilkgateError as exc:
            proof_error = exc.message
    counts = dict(
        session.execute(select(LedgerLeaf.source, func.count()).group_by(LedgerLeaf.source)).tuples().all()
    )
    checkpoints = list(
        session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(20))
    )
    return render(
        request,
        "trust/ledger.html",
        principal,
        title="溯源存证",
        size=ledger.tree_size(session),
        counts=counts,
        source_labels=ledger.SOURCE_LABELS,
        checkpoints=checkpoints,
        guid=guid,
        proof=proof,
        proof_json=json.dumps(proof, ensure_ascii=False, indent=2) if proof else "",
        proof_error=proof_error,
    )
