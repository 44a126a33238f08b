"""One answer names every error: a schema whose shape check fails still runs its domain rules.

A filing is checked in two stages: its shape (Pydantic: known keys, types, lengths) and its rules
(`registry/rules.py`: check digits, code lists). When the first stage failed, the request used to
be answered with the shape errors alone — an unknown key hid a bad USCC, and the caller fixed one
and met the other on the next try. `RuleChecked` runs the rules over the fields whose shape was
right and answers both sets together; a field the shape check already named is not named twice.

Rule errors travel inside Pydantic's ValidationError as custom errors carrying our stable code and
Chinese message (`ctx["zh"]`), which the API's problem+json handler and `field_errors` read back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError, ValidatorFunctionWrapHandler, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core._pydantic_core import list_all_errors

from silkgate.exceptions import FieldError

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_loc(path: str) -> tuple[str | int, ...]:
    """`shops[0].url` -> ("shops", 0, "url"): a FieldError's path as a Pydantic location."""
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def rule_error(error: FieldError, value: Any = None) -> InitErrorDetails:
    """A rule's FieldError as a Pydantic error line (type = our code, message in ctx["zh"])."""
    return {
        "type": PydanticCustomError(error.code, "{zh}", {"zh": error.message}),
        "loc": field_loc(error.field),
        "input": value,
    }


def _as_line(error: Any) -> InitErrorDetails:
    line: InitErrorDetails = {"type": error["type"], "loc": tuple(error["loc"]), "input": error.get("input")}
    if "ctx" in error:
        line["ctx"] = error["ctx"]
    if error["type"] not in _BUILTIN_TYPES:  # a custom error raised by a validator of the schema
        line["type"] = PydanticCustomError(error["type"], error["msg"], error.get("ctx"))
    return line


_BUILTIN_TYPES = frozenset(e["type"] for e in list_all_errors())


class RuleChecked(BaseModel):
    """A schema with domain rules: override `input_rules` (the input dict -> FieldErrors).

    The rules run here only when the shape check failed; when it passed, the service runs them as
    before (it also needs the database for duplicates and zone districts)."""

    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError] | None:
        """The rule errors of `data` (only the fields whose shape was right); None: no rules."""
        return None

    @model_validator(mode="wrap")
    @classmethod
    def _every_error_at_once(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, Mapping):
                raise
            failed = {e["loc"][0] for e in exc.errors() if e["loc"]}
            shaped = {
                k: (v.strip() if isinstance(v, str) else v)
                for k, v in data.items()
                if k in cls.model_fields and k not in failed
            }
            try:
                found = cls.input_rules(shaped)
            except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError):
                raise exc from None  # input too broken for the rules: the shape errors say enough
            if found is None:
                raise
            extra = [e for e in found if field_loc(e.field)[:1] and field_loc(e.field)[0] not in failed]
            if not extra:
                raise
            lines = [_as_line(e) for e in exc.errors()]
            lines += [rule_error(e, shaped.get(str(field_loc(e.field)[0]))) for e in extra]
            raise ValidationError.from_exception_data(exc.title, lines) from None


def zh_message(error: Mapping[str, Any]) -> str | None:
    """The Chinese message of a rule error carried in a ValidationError line, if it is one."""
    ctx = error.get("ctx") or {}
    zh = ctx.get("zh")
    return zh if isinstance(zh, str) else None
