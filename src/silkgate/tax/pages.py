"""zh-CN page of the tax domain: /tax/quote, the retail import tax calculator for a proposed order."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.clearance.rules import DECISION_LABELS
from silkgate.exceptions import ValidationFailed
from silkgate.tax import service
from silkgate.tax.schemas import TaxQuotePublic, TaxQuoteRequest
from silkgate.web import render

router = APIRouter(include_in_schema=False)

ROWS = 5
_TYPE_MESSAGES = {
    "decimal_parsing": "应为数字",
    "greater_than_equal": "不能为负数",
    "greater_than": "应大于0",
    "less_than_equal": "不能超过100%",
    "string_pattern_mismatch": "应为8位或10位数字",
    "decimal_max_places": "小数位数过多",
    "decimal_max_digits": "数值过大",
    "too_short": "至少填写一项商品",
    "missing": "必填",
}
_FIELD_LABELS = {
    "hs_code": "商品编码",
    "unit_price": "单价",
    "quantity": "数量",
    "vat_rate": "增值税率",
    "consumption_tax_rate": "消费税率",
    "tariff_rate": "关税税率",
    "freight": "运费",
    "insurance": "保险费",
    "discount": "非现金抵扣",
    "year_to_date": "本年度已累计交易额",
    "items": "商品",
}


def _percent(value: str) -> str | None:
    """A percentage typed in the form (13 or 13%) as the API's fraction (0.13); blank = from the table."""
    text = value.strip().rstrip("%").strip()
    if not text:
        return None
    try:
        return str(Decimal(text) / 100)
    except InvalidOperation:
        return text  # let validation name it


def as_percent(fraction: str) -> str:
    """0.13 -> 13%, 0.065 -> 6.5%."""
    text = f"{Decimal(fraction) * 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _label(loc: tuple[Any, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "items":
        return f"第{int(loc[1]) + 1}行{_FIELD_LABELS.get(str(loc[2]), str(loc[2]))}"
    return _FIELD_LABELS.get(str(loc[0]), str(loc[0])) if loc else "输入"


@router.get("/tax/quote", response_class=HTMLResponse)
def quote_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    hs_code: list[str] = Query([]),
    unit_price: list[str] = Query([]),
    quantity: list[str] = Query([]),
    vat: list[str] = Query([]),
    ct: list[str] = Query([]),
    tariff: list[str] = Query([]),
    freight: str = "",
    insurance: str = "",
    discount: str = "",
    year_to_date: str = "",
) -> Response:
    """Fill in an order (up to five goods lines) and see each tax, the decision and the quota left."""
    rows = []
    for n in range(ROWS):

        def at(values: list[str], n: int = n) -> str:
            return values[n].strip() if n < len(values) else ""

        rows.append(
            {
                "hs_code": at(hs_code),
                "unit_price": at(unit_price),
                "quantity": at(quantity),
                "vat": at(vat),
                "ct": at(ct),
                "tariff": at(tariff),
            }
        )
    form = {"freight": freight, "insurance": insurance, "discount": discount, "year_to_date": year_to_date}
    filled = [r for r in rows if r["hs_code"] or r["unit_price"] or r["quantity"]]
    errors: list[str] = []
    result: TaxQuotePublic | None = None
    if filled:
        raw = {
            "items": [
                {
                    "hs_code": r["hs_code"],
                    "unit_price": r["unit_price"] or "0",
                    "quantity": r["quantity"] or "1",
                    "vat_rate": _percent(r["vat"]),
                    "consumption_tax_rate": _percent(r["ct"]),
                    "tariff_rate": _percent(r["tariff"]),
                }
                for r in filled
            ],
            **{k: (v.strip() or "0") for k, v in form.items()},
        }
        try:
            request_model = TaxQuoteRequest.model_validate(raw)
            zone = principal.zone_code if principal is not None else request.app.state.settings.default_zone
            result = TaxQuotePublic.of(service.quote(session, request_model, zone_code=zone))
        except ValidationError as exc:
            errors = [
                f"{_label(e['loc'])}：{_TYPE_MESSAGES.get(e['type'], '格式不正确')}" for e in exc.errors()
            ]
        except ValidationFailed as exc:
            errors = [e.message for e in exc.errors] or [exc.message]
    return render(
        request,
        "tax/quote.html",
        principal,
        title="跨境电商零售进口税费测算",
        rows=rows,
        form=form,
        errors=errors,
        result=result,
        decision_labels=DECISION_LABELS,
        as_percent=as_percent,
    )
