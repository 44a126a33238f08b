"""FastAPI factory: API routers under /api/v1, web pages, static files, one error format."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from silkgate import __version__
from silkgate.auth.cache import PrincipalCache
from silkgate.config import Settings, get_settings
from silkgate.db import make_engine, read_session_factory, session_factory
from silkgate.exceptions import SilkgateError
from silkgate.openapi import install as install_openapi
from silkgate.serving import (
    REQUEST_ID_HEADER,
    UnitOfWorkMiddleware,
    data_problem,
    integrity_problem,
    lifespan,
    new_request_id,
)
from silkgate.validation import zh_message

log = logging.getLogger("silkgate")

# Domain packages, in the order their routes are mounted. Each may have `api.py` and `pages.py`
# exposing `router`.
DOMAINS = (
    "auth",
    "registry",
    "declarations",
    "clearance",
    "export",
    "tax",
    "trade_stats",
    "credit",
    "risk",
    "finance",
    "logistics",
    "parks",
    "traceability",
    "trust",
)

PROBLEM = "application/problem+json"

_FIELD_MESSAGES = {
    "missing": "必填字段缺失",
    "string_too_long": "长度超过上限",
    "string_too_short": "长度不足",
    "int_parsing": "应为整数",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是/否（true/false）",
    "string_type": "应为字符串",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "json_invalid": "请求体不是合法的 JSON",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def _problem(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(
        title="silkgate 跨境电商综试区线上综合服务平台 API",
        version=__version__,
        description="One access point for a cross-border e-commerce pilot zone: filing, CEB declarations, "
        "clearance, statistics, credit, risk, finance, logistics and parks. Errors are RFC 9457 problem+json "
        "with a stable `code` and every offending field named.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.read_sessionmaker = read_session_factory(engine)
    app.state.principal_cache = PrincipalCache(settings.auth_cache_seconds)

    app.add_middleware(UnitOfWorkMiddleware)

    @app.exception_handler(SilkgateError)
    async def _silkgate_error(_request: Request, exc: SilkgateError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status == 503 else None
        return _problem(exc.status, exc.problem(), headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        error = integrity_problem(exc)
        return _problem(error.status, error.problem())

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        error = data_problem(exc)
        return _problem(error.status, error.problem())

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
        """Last resort: a problem+json 500 that carries the request id the log carries."""
        request_id = str(getattr(request.state, "request_id", "") or new_request_id())
        log.error(
            "unhandled %s on %s %s request_id=%s",
            type(exc).__name__,
            request.method,
            request.url.path,
            request_id,
            exc_info=exc,
        )
        body = SilkgateError(message=f"服务器内部错误，请求编号 {request_id}，请联系平台运维").problem()
        body["request_id"] = request_id
        return _problem(500, body, headers={REQUEST_ID_HEADER: request_id})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            kind = str(e.get("type", "invalid"))
            msg = zh_message(e) or _FIELD_MESSAGES.get(kind, "取值不正确")
            ctx = e.get("ctx") or {}
            if "max_length" in ctx:
                msg += f"（最多{ctx['max_length']}个字符）"
            errors.append({"field": _field_path(tuple(e.get("loc", ()))), "code": kind, "message": msg})
        return _problem(
            422,
            {
                "type": "https://silkgate.dev/errors/validation_failed",
                "title": "数据校验未通过",
                "status": 422,
                "code": "validation_failed",
                "detail": "提交的数据未通过校验",
                "errors": errors,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: ("not_found", "页面或记录不存在"), 405: ("method_not_allowed", "不支持的请求方法")}
        code, title = codes.get(exc.status_code, ("http_error", str(exc.detail)))
        return _problem(
            exc.status_code,
            {
                "type": f"https://silkgate.dev/errors/{code}",
                "title": title,
                "status": exc.status_code,
                "code": code,
                "detail": str(exc.detail),
            },
            headers=exc.headers,
        )

    static_dir = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    for domain in DOMAINS:
        for part in ("api", "pages"):
            name = f"silkgate.{domain}.{part}"
            if importlib.util.find_spec(f"silkgate.{domain}") and importlib.util.find_spec(name):
                module = importlib.import_module(name)
                app.include_router(module.router)

    install_openapi(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
