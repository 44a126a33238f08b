"""FastAPI dependencies: the unit of work, the current principal (API key or web session), CSRF,
and the request body as a form or as bytes.

Everything here that touches the database is a plain `def`, so FastAPI runs it in the thread
pool and the event loop never waits on a query. The principal is resolved with its own short read
transaction (or from the principal cache), so a write request takes its write lock only when its
handler first touches the database.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from silkgate.auth.cache import PrincipalCache
from silkgate.auth.principal import Principal
from silkgate.auth.service import authenticate_api_key, principal_for_user
from silkgate.db import READ, WRITE
from silkgate.exceptions import Forbidden, NotAuthenticated, PayloadTooLarge
from silkgate.kit.crypto import api_key_digest

SESSION_COOKIE = "sg_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Declared for the OpenAPI document (securitySchemes); the checks themselves are below.
bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="apiKey", description="API 密钥：`Authorization: Bearer sg_…`"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, scheme_name="webSession", description="网页登录会话"
)


def writes_on_read(endpoint: Any) -> Any:
    """Mark a GET route whose handler must write (it gets a write unit of work)."""
    endpoint._silkgate_writes = True
    return endpoint


def unit_of_work_mode(request: Request) -> str:
    endpoint = request.scope.get("endpoint")
    if request.method in SAFE_METHODS and not getattr(endpoint, "_silkgate_writes", False):
        return READ
    return WRITE


async def get_session(request: Request) -> Session:
    """The request's unit of work; the middleware in app.py commits or rolls it back.

    No I/O happens here (the transaction begins with the first query), so it runs on the loop.
    """
    existing = getattr(request.state, "db", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    mode = unit_of_work_mode(request)
    maker = request.app.state.read_sessionmaker if mode == READ else request.app.state.sessionmaker
    session: Session = maker()
    session.info["mode"] = mode
    session.info["request_path"] = request.url.path
    request.state.db = session
    return session


SessionDep = Annotated[Session, Depends(get_session)]


async def read_form(request: Request) -> FormData:
    """The form of a form post, parsed once (Starlette's limits: 1,000 fields and files)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


async def read_body(request: Request) -> bytes:
    """The raw body, refused past 20 MB (413) without reading further."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(message=f"请求体{declared}字节，超过上限{MAX_UPLOAD_BYTES}字节")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(message=f"请求体超过上限{MAX_UPLOAD_BYTES}字节")
        chunks.append(chunk)
    return b"".join(chunks)


BodyDep = Annotated[bytes, Depends(read_body)]


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


def _cache(request: Request) -> PrincipalCache:
    cache: PrincipalCache | None = getattr(request.app.state, "principal_cache", None)
    if cache is None:
        cache = request.app.state.principal_cache = PrincipalCache(
            request.app.state.settings.auth_cache_seconds
        )
    return cache


def _resolve(request: Request, key: tuple[str, str], token: str | int) -> Principal | None:
    cache = _cache(request)
    principal = cache.get(key)
    if principal is not None:
        return principal
    with request.app.state.read_sessionmaker() as session:
        session.info["mode"] = READ
        if key[0] == "key":
            assert isinstance(token, str)
            principal = authenticate_api_key(session, token)
        else:
            assert isinstance(token, int)
            principal = principal_for_user(session, token)
    if principal is not None:
        cache.put(key, principal)
    return principal


def _principal(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    auth = request.headers.get("authorization", "")
    principal: Principal | None = None
    if auth:
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 200:
            raise NotAuthenticated("Authorization 头应为“Bearer <API密钥>”")
        principal = _resolve(request, ("key", api_key_digest(token)), token)
    else:
        data = read_web_session(request)
        if data and isinstance(data.get("uid"), int):
            principal = _resolve(request, ("user", str(data["uid"])), data["uid"])
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


async def csrf_form(request: Request) -> FormData | None:
    """The form of a cookie-authenticated form post, read here (async) for the CSRF check."""
    if request.method in SAFE_METHODS or "authorization" in request.headers:
        return None
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return None
    return await request.form()


def _check_csrf(request: Request, principal: Principal, form: FormData | None) -> None:
    """Cookie-authenticated writes must carry the session's CSRF token (form field or header)."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return
    expected = csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试")


CsrfForm = Annotated[FormData | None, Depends(csrf_form)]
_Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
_Cookie = Annotated[str | None, Depends(cookie_scheme)]


def current_principal(request: Request, form: CsrfForm, _bearer: _Bearer, _cookie: _Cookie) -> Principal:
    principal = _principal(request)
    if principal is None:
        raise NotAuthenticated()
    _check_csrf(request, principal, form)
    return principal


def optional_principal(request: Request, form: CsrfForm) -> Principal | None:
    principal = _principal(request)
    if principal is not None:
        _check_csrf(request, principal, form)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
