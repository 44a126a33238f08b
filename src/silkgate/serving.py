"""Serving many clients at once: the request's unit of work, request ids, the thread pool, and
database constraint errors turned into answers a client can act on.

The unit of work is a plain ASGI middleware. When the handler's response starts, the middleware
ends the request's transaction in the thread pool (commit on success, rollback on an error
status) before the first byte goes out, so a client never sees a success that was not committed,
and the event loop never waits on the database. A read unit of work's audit entries are then
written by their own short write transaction.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from silkgate.auth.audit import take_pending
from silkgate.db import WRITE
from silkgate.exceptions import Conflict, FieldError, SilkgateError, ValidationFailed

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger("silkgate")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PROBLEM = b"application/problem+json"


def new_request_id() -> str:
    return secrets.token_hex(8)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _REQUEST_ID.match(text):
                return text
    return new_request_id()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the thread pool that runs handlers to the connection pool behind it."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threads
    app.state.password_limiter = anyio.CapacityLimiter(app.state.settings.password_checks)
    yield


def password_limiter(app: Any) -> anyio.CapacityLimiter:
    limiter: anyio.CapacityLimiter | None = getattr(app.state, "password_limiter", None)
    if limiter is None:
        limiter = app.state.password_limiter = anyio.CapacityLimiter(app.state.settings.password_checks)
    return limiter


def _finish(app: Any, db: Session, status: int, commit_on_error: bool) -> SilkgateError | None:
    """End the request's transaction; an error it raises becomes the answer instead."""
    pending = take_pending(db)
    failure: SilkgateError | None = None
    try:
        if db.info.get("mode") == WRITE and (status < 400 or commit_on_error):
            db.commit()
        else:
            db.rollback()
    except IntegrityError as exc:
        db.rollback()
        failure = integrity_problem(exc)
    except DataError as exc:
        db.rollback()
        failure = data_problem(exc)
    except SilkgateError as exc:
        db.rollback()
        failure = exc
    except Exception:
        db.rollback()
        log.exception("commit failed")
        failure = SilkgateError(message="保存失败，未写入任何数据，请重试")
    finally:
        db.close()
    if pending:
        # Reads of personal data stay audited whatever the answer was.
        with app.state.sessionmaker() as audit:
            audit.add_all(pending)
            audit.commit()
    return failure


class UnitOfWorkMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        request_id = _request_id(scope)
        state["request_id"] = request_id
        replaced = False

        async def send_after_commit(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # the handler's own answer was replaced by a commit failure
            if message["type"] == "http.response.start":
                db = state.pop("db", None)
                if db is not None:
                    failure = await run_in_threadpool(
                        _finish, scope["app"], db, message["status"], bool(state.get("commit_on_error"))
                    )
                    if failure is not None:
                        replaced = True
                        await _send_problem(send, failure, request_id)
                        return
                elapsed = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                    # the server's own time for the request, commit included (W3C Server Timing)
                    (b"server-timing", f"app;dur={elapsed:.2f}".encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except BaseException:
            db = state.pop("db", None)
            if db is not None:
                await run_in_threadpool(_finish, scope["app"], db, 500, False)
            raise


async def _send_problem(send: Send, error: SilkgateError, request_id: str) -> None:
    body = error.problem()
    body["request_id"] = request_id
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM),
                (b"content-length", str(len(payload)).encode()),
                (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


_SQLITE_CONSTRAINT = re.compile(r"(NOT NULL|UNIQUE|CHECK|FOREIGN KEY) constraint failed(?:: (.*))?")


def _columns(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip().rsplit(".", 1)[-1] for part in text.split(",") if part.strip()]


def integrity_problem(exc: IntegrityError) -> SilkgateError:
    """A database constraint the input broke, as a 4xx naming the field where the database says."""
    orig = exc.orig
    kind, columns = "", []
    diag = getattr(orig, "diag", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if diag is not None and sqlstate:
        kind = {"23502": "NOT NULL", "23503": "FOREIGN KEY", "23505": "UNIQUE", "23514": "CHECK"}.get(
            sqlstate, ""
        )
        column = getattr(diag, "column_name", None)
        detail = getattr(diag, "message_detail", None) or ""
        columns = [column] if column else re.findall(r"\(([^)=]+)\)=", detail)[:1]
        columns = [c for part in columns for c in _columns(part)]
    else:
        match = _SQLITE_CONSTRAINT.search(str(orig))
        if match:
            kind, columns = match.group(1), _columns(match.group(2))
    fields = columns or ["body"]
    if kind == "UNIQUE":
        return Conflict(
            message="记录已存在：" + "、".join(fields),
            errors=[FieldError(f, "duplicate", "与已有记录重复") for f in fields],
        )
    code, text = {
        "NOT NULL": ("required", "必填字段不能为空"),
        "FOREIGN KEY": ("unknown_reference", "引用的记录不存在"),
        "CHECK": ("out_of_range", "取值不符合约束"),
    }.get(kind, ("constraint_violated", "数据不符合约束"))
    return ValidationFailed([FieldError(f, code, text) for f in fields])


def data_problem(exc: DataError) -> SilkgateError:
    """A value the database cannot hold (too long, out of range, a malformed date)."""
    sqlstate = getattr(exc.orig, "sqlstate", "") or ""
    diag = getattr(exc.orig, "diag", None)
    column = getattr(diag, "column_name", None) or "body"
    text = {
        "22001": "长度超过上限",
        "22003": "数值超出范围",
        "22007": "日期时间格式不正确",
        "22008": "日期时间超出范围",
    }.get(sqlstate, "取值超出数据库允许的范围")
    return ValidationFailed([FieldError(column, "out_of_range", text)])
