"""Trust API: certificates on filings, the platform certificate, signed receipts, ledger proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from silkgate.auth import kinds
from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.declarations import queries
from silkgate.declarations.receipts_out import receipt_document
from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.models.declarations import Declaration
from silkgate.models.trust import EnterpriseCertificate
from silkgate.params import MAX_INT64, DbId
from silkgate.registry import service as registry
from silkgate.trust import ledger, service, signatures
from silkgate.trust.schemas import (
    CertificateCreate,
    CertificatePublic,
    CertificateRevoke,
    CheckpointPublic,
    ConsistencyProof,
    InclusionProof,
)

router = APIRouter(prefix="/api/v1", tags=["trust"])

PEM = "application/x-pem-file"


def certificate_public(row: EnterpriseCertificate) -> CertificatePublic:
    return CertificatePublic(
        id=row.id,
        enterprise_id=row.enterprise_id,
        serial=row.serial_hex,
        subject=row.subject,
        issuer=row.issuer,
        algorithm=row.algorithm,
        key_bits=row.key_bits,
        not_before=row.not_before,
        not_after=row.not_after,
        fingerprint=row.fingerprint,
        source=row.source,
        registered_at=row.registered_at,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
    )


@router.get(
    "/enterprises/{enterprise_id}/certificates",
    response_model=list[CertificatePublic],
    summary="The signing certificates registered on a filing (newest first)",
)
def list_certificates(
    enterprise_id: DbId, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> list[CertificatePublic]:
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
    enterprise = registry.get_enterprise(
        session, principal, enterprise_id, request_path=str(request.url.path)
    )
    return [certificate_public(r) for r in service.list_certificates(session, enterprise.id)]


@router.post(
    "/enterprises/{enterprise_id}/certificates",
    response_model=CertificatePublic,
    status_code=201,
    summary="Register a signing certificate (PEM, SM2 or RSA) on a filing",
)
def create_certificate(
    enterprise_id: DbId, data: CertificateCreate, principal: CurrentPrincipal, session: SessionDep
) -> CertificatePublic:
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE)
    enterprise = registry.enterprise_for_edit(session, principal, enterprise_id)
    row = service.register_certificate(session, enterprise, data.pem.encode(), actor=principal)
    return certificate_public(row)


@router.delete(
    "/enterprises/{enterprise_id}/certificates/{certificate_id}",
    response_model=CertificatePublic,
    summary="Revoke a registered certificate (kept on record; messages signed with it are refused)",
)
def revoke_certificate(
    enterprise_id: DbId,
    certificate_id: DbId,
    principal: CurrentPrincipal,
    session: SessionDep,
    reason: Annotated[str, Query(max_length=500)] = "",
) -> CertificatePublic:
    principal.require(kinds.ENTERPRISE, kinds.ZONE_OFFICE)
    enterprise = registry.enterprise_for_edit(session, principal, enterprise_id)
    row = service.revoke_certificate(
        session, enterprise.id, certificate_id, CertificateRevoke(reason=reason).reason
    )
    return certificate_public(row)


@router.get(
    "/platform/certificate",
    summary="The platform's signing certificate, then its CA certificate (PEM): verifies receipts and checkpoints",
    response_class=Response,
    responses={200: {"content": {PEM: {}}}},
)
def platform_certificate(session: SessionDep) -> Response:
    return Response(service.platform_certificate_pem(session), media_type=PEM)


@router.get(
    "/receipts/{receipt_id}/signature",
    summary="The platform's detached XML-DSig (SM2-SM3) over the bytes GET /receipts/{id}?format=xml answers",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def receipt_signature(receipt_id: DbId, principal: CurrentPrincipal, session: SessionDep) -> Response:
    row = queries.receipt_for(session, principal, receipt_id)
    declaration = session.get(Declaration, row.declaration_id) if row.declaration_id else None
    data = receipt_document(row, declaration, fmt="xml")
    signer = service.platform_signer(session)
    uri = f"/api/v1/receipts/{receipt_id}?format=xml"
    body = signatures.detached_signature(data, uri, signer.key, signer.certificate)
    return Response(body, media_type="application/xml")


@router.get(
    "/ledger/checkpoint", response_model=CheckpointPublic, summary="The latest signed tree head of the log"
)
def get_checkpoint(principal: CurrentPrincipal, session: SessionDep) -> CheckpointPublic:
    row = ledger.latest_checkpoint(session)
    if row is None:
        raise ValidationFailed([FieldError("checkpoint", "no_checkpoint", "溯源日志尚无签名检查点")])
    return CheckpointPublic(**ledger.checkpoint_json(row))


@router.get(
    "/ledger/proof",
    response_model=InclusionProof,
    summary="RFC 9162 inclusion proof of a message (by guid) in the latest signed checkpoint",
)
def get_proof(
    principal: CurrentPrincipal, session: SessionDep, guid: Annotated[str, Query(min_length=1, max_length=64)]
) -> InclusionProof:
    return InclusionProof(**ledger.proof_for_guid(session, principal, guid))


@router.get(
    "/ledger/consistency",
    response_model=ConsistencyProof,
    summary="RFC 9162 consistency proof between two tree sizes",
)
def get_consistency(
    principal: CurrentPrincipal,
    session: SessionDep,
    first: Annotated[int, Query(ge=0, le=MAX_INT64)],
    second: Annotated[int, Query(ge=0, le=MAX_INT64)],
) -> ConsistencyProof:
    size = ledger.tree_size(session)
    if not first <= second <= size:
        raise ValidationFailed(
            [FieldError("second", "size_out_of_range", f"应满足 0 ≤ first ≤ second ≤ {size}")]
        )
    return ConsistencyProof(**ledger.consistency_proof(session, first, second))
