"""FastAPI dependencies: the unit of work, the current principal (API key or web session), CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.auth.service import authenticate_api_key, principal_for_user
from silkgate.exceptions import Forbidden, NotAuthenticated

SESSION_COOKIE = "sg_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed by the commit middleware in app.py, rolled back on error."""
    session: Session = request.app.state.sessionmaker()
    request.state.db = session
    try:
        yield session
    except BaseException:
        session.rollback()
        raise


SessionDep = Annotated[Session, Depends(get_session)]


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="silkgate-session")


def read_web_session(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def make_web_session_cookie(request: Request, user_id: int) -> str:
    return _serializer(request).dumps({"uid": user_id, "csrf": secrets.token_urlsafe(24)})


def _principal(request: Request, session: Session) -> Principal | None:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    auth = request.headers.get("authorization", "")
    principal: Principal | None = None
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Authorization 头应为“Bearer <API密钥>”")
        principal = authenticate_api_key(session, token.strip())
    else:
        data = read_web_session(request)
        if data and isinstance(data.get("uid"), int):
            principal = principal_for_user(session, data["uid"])
            if principal is not None:
                request.state.csrf = data.get("csrf")
    request.state.principal = principal
    return principal


def csrf_token(request: Request) -> str:
    token = getattr(request.state, "csrf", None)
    if token is None:
        data = read_web_session(request)
        token = data.get("csrf") if data else None
    return str(token or "")


async def _check_csrf(request: Request, principal: Principal) -> None:
    """Cookie-authenticated writes must carry the session's CSRF token (form field or header)."""
    if principal.via != "session" or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试")


async def current_principal(request: Request, session: SessionDep) -> Principal:
    principal = _principal(request, session)
    if principal is None:
        raise NotAuthenticated()
    await _check_csrf(request, principal)
    return principal


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    principal = _principal(request, session)
    if principal is not None:
        await _check_csrf(request, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
