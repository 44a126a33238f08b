"""The audit log: every read of another organisation's data by an agency, bank or insurer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.db import READ
from silkgate.models.org import AuditEntry

PENDING = "silkgate_pending_audit"


def record_read(
    session: Session,
    principal: Principal,
    *,
    resource: str,
    resource_id: str | int | None = None,
    subject_org_id: int | None = None,
    action: str = "read",
    detail: dict[str, Any] | None = None,
    request_path: str | None = None,
    always: bool = False,
    zone_code: str | None = None,
) -> None:
    """Write an audit entry when the reader is an audited kind reading someone else's data.

    `always=True` audits regardless of kind (reads of personal data: buyer IDs, names, phones).
    `zone_code` is the subject's zone, so the zone office sees reads by banks (which have none).
    """
    if not always:
        if not principal.is_audited:
            return
        if subject_org_id is not None and subject_org_id == principal.org_id:
            return
    entry = AuditEntry(
        zone_code=zone_code or principal.zone_code,
        actor_org_id=principal.org_id,
        actor_user_id=principal.user_id,
        actor_kind=principal.org_kind,
        action=action,
        resource=resource,
        resource_id=None if resource_id is None else str(resource_id),
        subject_org_id=subject_org_id,
        detail=detail or {},
        request_path=request_path or session.info.get("request_path"),
    )
    if session.info.get("mode") == READ:
        # A read unit of work never writes: the entry is written by its own short write
        # transaction right after the read ends (app.py), before the response goes out.
        session.info.setdefault(PENDING, []).append(entry)
    else:
        session.add(entry)


def take_pending(session: Session) -> list[AuditEntry]:
    """The audit entries a read unit of work has collected (and forget them)."""
    pending: list[AuditEntry] = session.info.pop(PENDING, [])
    return pending


def list_entries(
    session: Session,
    zone_code: str,
    *,
    actor_kind: str | None = None,
    resource: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    q = select(AuditEntry).where(AuditEntry.zone_code == zone_code)
    if actor_kind:
        q = q.where(AuditEntry.actor_kind == actor_kind)
    if resource:
        q = q.where(AuditEntry.resource == resource)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)))
    return rows, total
