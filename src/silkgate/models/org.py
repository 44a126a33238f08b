"""Organisations (tenants), users, API keys and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp, intpk


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[intpk]
    # zone_office, enterprise, customs, tax, forex, commerce, market_regulation, bank, insurer, park_operator
    kind: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    zone_code: Mapped[str | None] = mapped_column(ForeignKey("zones.code"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Timestamp]


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Timestamp]
    last_login_at: Mapped[dt.datetime | None]


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[intpk]
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists, e.g. "sgk_Ab3dE"
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SM3 of the key
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[Timestamp]
    revoked_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    """A read of another organisation's data (or of personal data), append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_zone_at", "zone_code", "at"),)

    id: Mapped[intpk]
    at: Mapped[Timestamp]
    zone_code: Mapped[str | None] = mapped_column(String(6))
    actor_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_kind: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(40))  # read, list, export, read_personal
    resource: Mapped[str] = mapped_column(String(60))  # enterprise, commodity, declaration, ...
    resource_id: Mapped[str | None] = mapped_column(String(64))
    subject_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_path: Mapped[str | None] = mapped_column(Text)
