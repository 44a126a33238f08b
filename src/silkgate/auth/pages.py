"""Web login and logout, and the zone office's audit log page."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from silkgate.auth import kinds
from silkgate.auth.audit import list_entries
from silkgate.auth.deps import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    OptionalPrincipal,
    SessionDep,
    make_web_session_cookie,
)
from silkgate.auth.passwords import verify_password
from silkgate.auth.service import login_candidate, record_login
from silkgate.db import READ
from silkgate.models.org import Organisation
from silkgate.params import DbId, Offset
from silkgate.serving import password_limiter
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect to another host after login.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", None, next=_safe_next(next), demo_hint=_demo_hint(request))


def _demo_hint(request: Request) -> str | None:
    return getattr(request.app.state, "demo_hint", None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The password is checked outside any transaction, a bounded number at a time, so a flood of
    logins slows logins and nothing else."""
    app = request.app
    candidate = await run_in_threadpool(_login_candidate, app, username.strip())
    ok = await anyio.to_thread.run_sync(
        verify_password, candidate[1] if candidate else None, password, limiter=password_limiter(app)
    )
    if not ok or candidate is None:
        return render(
            request,
            "auth/login.html",
            None,
            status_code=401,
            error="用户名或密码错误",
            username=username,
            next=_safe_next(next),
            demo_hint=_demo_hint(request),
        )
    await run_in_threadpool(_record_login, app, candidate[0])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        make_web_session_cookie(request, candidate[0]),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
    )
    return response


def _login_candidate(app: Any, username: str) -> tuple[int, str] | None:
    with app.state.read_sessionmaker() as session:
        session.info["mode"] = READ
        return login_candidate(session, username)


def _record_login(app: Any, user_id: DbId) -> None:
    with app.state.sessionmaker() as session:
        record_login(session, user_id)
        session.commit()


@router.post("/logout")
def logout(request: Request, principal: OptionalPrincipal) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    actor_kind: str | None = None,
    resource: str | None = None,
    offset: Offset = 0,
) -> Response:
    if principal is None:
        return login_redirect(request)
    principal.require_zone_office()
    assert principal.zone_code is not None
    entries, total = list_entries(
        session,
        principal.zone_code,
        actor_kind=actor_kind or None,
        resource=resource or None,
        offset=max(offset, 0),
    )
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_(
                    {e.actor_org_id for e in entries}
                    | {e.subject_org_id for e in entries if e.subject_org_id}
                )
            )
        )
        .tuples()
        .all()
    )
    rows = [
        (e, names.get(e.actor_org_id, ""), names.get(e.subject_org_id) if e.subject_org_id else None)
        for e in entries
    ]
    return render(
        request,
        "auth/audit.html",
        principal,
        title="审计日志",
        rows=rows,
        total=total,
        offset=offset,
        actor_kind=actor_kind,
        resource=resource,
        audited_kinds=kinds.AUDITED_KINDS,
    )
