"""Organisations, users and API keys: creation and authentication."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.passwords import hash_password, verify_password
from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotAuthenticated, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.kit.crypto import api_key_digest, new_api_key
from silkgate.models.org import ApiKey, Organisation, User
from silkgate.models.registry import Enterprise, EnterpriseRole
from silkgate.models.zone import Zone


def create_organisation(
    session: Session, *, kind: str, name: str, uscc: str | None = None, zone_code: str | None = None
) -> Organisation:
    errors: list[FieldError] = []
    if kind not in kinds.ORG_KINDS:
        errors.append(
            FieldError("kind", "unknown_kind", f"机构类型“{kind}”不存在，可选：{'、'.join(kinds.ORG_KINDS)}")
        )
    if not name.strip():
        errors.append(FieldError("name", "required", "机构名称不能为空"))
    if zone_code is not None and session.get(Zone, zone_code) is None:
        errors.append(FieldError("zone", "unknown_zone", f"综试区代码“{zone_code}”不存在"))
    if zone_code is None and kind not in (kinds.BANK, kinds.INSURER):
        errors.append(FieldError("zone", "required", "该类机构必须属于一个综试区"))
    if uscc is not None:
        from silkgate.kit.checkdigits import uscc_problems

        errors.extend(FieldError("uscc", c, m) for c, m in uscc_problems(uscc))
        if not errors and session.scalar(select(Organisation.id).where(Organisation.uscc == uscc)):
            errors.append(FieldError("uscc", "duplicate", f"统一社会信用代码{uscc}已登记"))
    if errors:
        raise ValidationFailed(errors)
    org = Organisation(kind=kind, name=name.strip(), uscc=uscc, zone_code=zone_code)
    session.add(org)
    session.flush()
    return org


def create_user(session: Session, *, org_id: int, username: str, password: str, display_name: str) -> User:
    errors: list[FieldError] = []
    if len(username) < 3:
        errors.append(FieldError("username", "too_short", "用户名至少3个字符"))
    if len(password) < 8:
        errors.append(FieldError("password", "too_short", "密码至少8个字符"))
    if session.scalar(select(User.id).where(User.username == username)):
        errors.append(FieldError("username", "duplicate", f"用户名“{username}”已被使用"))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        org_id=org_id, username=username, password_hash=hash_password(password), display_name=display_name
    )
    session.add(user)
    session.flush()
    return user


def create_api_key(session: Session, org_id: int, label: str = "") -> str:
    """Create a key and return it: the only time its plaintext exists."""
    if session.get(Organisation, org_id) is None:
        raise NotFound(f"机构{org_id}不存在")
    key = new_api_key()
    session.add(ApiKey(org_id=org_id, prefix=key[:9], digest=api_key_digest(key), label=label))
    session.flush()
    return key


def principal_for_org(session: Session, org: Organisation, user: User | None = None) -> Principal:
    enterprise_id = None
    roles: frozenset[str] = frozenset()
    if org.kind == kinds.ENTERPRISE:
        ent = session.scalar(select(Enterprise).where(Enterprise.org_id == org.id))
        if ent is not None:
            enterprise_id = ent.id
            roles = frozenset(
                session.scalars(select(EnterpriseRole.role).where(EnterpriseRole.enterprise_id == ent.id))
            )
    return Principal(
        org_id=org.id,
        org_kind=org.kind,
        org_name=org.name,
        zone_code=org.zone_code,
        user_id=user.id if user else None,
        username=user.username if user else None,
        enterprise_id=enterprise_id,
        roles=roles,
        via="session" if user else "api_key",
    )


def authenticate_api_key(session: Session, key: str) -> Principal:
    row = session.execute(
        select(ApiKey, Organisation)
        .join(Organisation, Organisation.id == ApiKey.org_id)
        .where(
            ApiKey.digest == api_key_digest(key), ApiKey.revoked_at.is_(None), Organisation.active.is_(True)
        )
    ).first()
    if row is None:
        raise NotAuthenticated("API 密钥无效或已吊销")
    return principal_for_org(session, row[1])


def login_candidate(session: Session, username: str) -> tuple[int, str] | None:
    """The id and password hash of an active user, for verification outside any transaction."""
    row = session.execute(
        select(User.id, User.password_hash).where(User.username == username, User.active.is_(True))
    ).first()
    return None if row is None else (row[0], row[1])


def record_login(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(last_login_at=now_utc()))


def authenticate_password(session: Session, username: str, password: str) -> User | None:
    """Verify a password inside one unit of work (CLI and tests; the web login splits it)."""
    candidate = login_candidate(session, username)
    if not verify_password(candidate[1] if candidate else None, password) or candidate is None:
        return None
    record_login(session, candidate[0])
    return session.get(User, candidate[0])


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    org = session.get(Organisation, user.org_id)
    if org is None or not org.active:
        return None
    return principal_for_org(session, org, user)
