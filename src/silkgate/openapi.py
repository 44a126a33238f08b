"""The OpenAPI document, told truthfully.

FastAPI documents each operation's success and a 422 in its own JSON shape. The server answers
every error as RFC 9457 `application/problem+json` (app.py), so this module rewrites the document:
every error status an operation can return is listed with the problem schema — 401/403/429 where a
caller must authenticate, 404 everywhere (another tenant's record looks absent), 409 and 503 where
it writes, 400/413 where it takes a body, 422 where it takes any input, 500 everywhere (the last
resort, with a request id) — and operations that authenticate say so in `security`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_MEDIA_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable, `title`/`detail` are Chinese.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "description": "Stable machine-readable code"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "请求格式错误（例如无法解析的表单或请求体）",
    "401": "未登录或 API 密钥无效",
    "403": "无权执行此操作（角色或 CSRF 校验）",
    "404": "记录不存在或无权查看",
    "409": "数据冲突（重复、状态不允许）",
    "413": "请求体过大",
    "422": "数据校验未通过，`errors` 列出每个字段",
    "429": "请求过于频繁，稍后重试（见 Retry-After）",
    "500": "服务器内部错误（带请求编号）",
    "503": "系统繁忙，稍后重试（见 Retry-After）",
}

# Operations anyone may call without logging in.
PUBLIC_PREFIXES = ("/api/v1/public/", "/api/v1/logistics/tracking/")
PUBLIC_OPERATIONS = {("/api/v1/tax/import-quote", "post")}
WRITE_METHODS = {"post", "put", "patch", "delete"}
SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}, {"webSession": []}]


def _is_public(path: str, method: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES) or (path, method) in PUBLIC_OPERATIONS


def _error_codes(path: str, method: str, op: dict[str, Any]) -> list[str]:
    codes = ["404", "422", "500"]
    if not _is_public(path, method):
        codes += ["401", "403", "429"]
    if method in WRITE_METHODS:
        codes += ["409", "503"]
    if "requestBody" in op:
        codes += ["400", "413"]
    return sorted(set(codes))


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in spec.get("paths", {}).items():
        for method, op in operations.items():
            if not _is_public(path, method):
                op.setdefault("security", SECURITY)
            else:
                op.pop("security", None)
            responses = op.setdefault("responses", {})
            for code in _error_codes(path, method, op):
                responses[code] = {
                    "description": DESCRIPTIONS[code],
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                }
    app.openapi_schema = spec
    return spec


def install(app: FastAPI) -> None:
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
