"""The one exception tree. Every error has a stable code, an HTTP status and a Chinese message.

Services raise these; app.py turns them into application/problem+json in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One offending field: `field` is a path (e.g. `items[2].hs_code`), `code` is stable."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class SilkgateError(Exception):
    message: str = "服务器内部错误"
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "内部错误"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://silkgate.dev/errors/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


class ValidationFailed(SilkgateError):
    status = 422
    code = "validation_failed"
    title = "数据校验未通过"

    def __init__(self, errors: list[FieldError], message: str = "提交的数据未通过校验") -> None:
        super().__init__(message=message, errors=list(errors))


class Conflict(SilkgateError):
    status = 409
    code = "conflict"
    title = "数据冲突"


class Duplicate(Conflict):
    code = "duplicate"
    title = "记录已存在"


class InvalidState(Conflict):
    code = "invalid_state"
    title = "当前状态不允许此操作"


class NotAuthenticated(SilkgateError):
    status = 401
    code = "not_authenticated"
    title = "未登录或凭证无效"

    def __init__(self, message: str = "请提供有效的 API 密钥或先登录") -> None:
        super().__init__(message=message)


class Forbidden(SilkgateError):
    status = 403
    code = "forbidden"
    title = "无权访问"

    def __init__(self, message: str = "您的机构无权执行此操作") -> None:
        super().__init__(message=message)


class NotFound(SilkgateError):
    """Also what another tenant's record looks like: no existence leak."""

    status = 404
    code = "not_found"
    title = "记录不存在"

    def __init__(self, message: str = "记录不存在或无权查看") -> None:
        super().__init__(message=message)


class ServiceBusy(SilkgateError):
    """The server is saturated for a moment (a writer queue timed out): the client should retry."""

    status = 503
    code = "service_busy"
    title = "系统繁忙"


class PayloadTooLarge(SilkgateError):
    status = 413
    code = "payload_too_large"
    title = "报文过大"
