"""JSON routes: who am I, and the audit log for the zone office."""

from __future__ import annotations

from fastapi import APIRouter, Query

from silkgate.auth.audit import list_entries
from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.auth.schemas import AuditEntryPublic, AuditPage, MePublic
from silkgate.params import MAX_OFFSET

router = APIRouter(prefix="/api/v1", tags=["access"])


@router.get("/me", response_model=MePublic, summary="The calling organisation and its roles")
def me(principal: CurrentPrincipal) -> MePublic:
    return MePublic(
        org_id=principal.org_id,
        org_kind=principal.org_kind,
        org_name=principal.org_name,
        zone_code=principal.zone_code,
        enterprise_id=principal.enterprise_id,
        roles=sorted(principal.roles),
        username=principal.username,
    )


@router.get("/audit", response_model=AuditPage, summary="Audit log of the zone (zone office only)")
def audit_log(
    principal: CurrentPrincipal,
    session: SessionDep,
    actor_kind: str | None = None,
    resource: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> AuditPage:
    principal.require_zone_office()
    assert principal.zone_code is not None
    rows, total = list_entries(
        session, principal.zone_code, actor_kind=actor_kind, resource=resource, limit=limit, offset=offset
    )
    return AuditPage(
        total=total, items=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    )
