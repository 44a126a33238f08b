"""API shapes for organisations, the caller itself, and audit entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class MePublic(BaseModel):
    org_id: int
    org_kind: str
    org_name: str
    zone_code: str | None
    enterprise_id: int | None
    roles: list[str]
    username: str | None


class AuditEntryPublic(BaseModel):
    id: int
    at: dt.datetime
    actor_org_id: int
    actor_kind: str
    action: str
    resource: str
    resource_id: str | None
    subject_org_id: int | None
    detail: dict[str, Any]
    request_path: str | None


class AuditPage(BaseModel):
    total: int
    items: list[AuditEntryPublic]
