"""Server-rendered pages: the Jinja2 environment, zh-CN filters, and the render helper every page uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from silkgate.auth import kinds
from silkgate.auth.deps import CSRF_FIELD, csrf_token
from silkgate.auth.principal import Principal
from silkgate.kit.cebtime import to_beijing

TEMPLATES_DIR = Path(__file__).parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _fmt_dt(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Beijing time in a <time> element, which never wraps inside a table cell."""
    if value is None:
        return ""
    local = to_beijing(value)
    return Markup('<time datetime="{}">{}</time>').format(local.isoformat(), local.strftime(fmt))


def _fmt_day(value: dt.date | str | None) -> str:
    """A date as yyyy-mm-dd in a <time> element (never wraps)."""
    if value is None or value == "":
        return ""
    text = value.isoformat()[:10] if isinstance(value, dt.date) else str(value)
    return Markup('<time datetime="{0}">{0}</time>').format(text)


def _fmt_money(value: Decimal | int | None, places: int = 2) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.{places}f}"


def _fmt_yi(value: Decimal | int | None) -> str:
    """Amount in 亿元 / 万元, as officials read it."""
    if value is None:
        return ""
    v = Decimal(value)
    if abs(v) >= Decimal("100000000"):
        return f"{v / Decimal('100000000'):,.2f} 亿元"
    if abs(v) >= Decimal("10000"):
        return f"{v / Decimal('10000'):,.2f} 万元"
    return f"{v:,.2f} 元"


def _pct(value: Decimal | float | None, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)) * 100:.{places}f}%"


templates.env.filters["dt"] = _fmt_dt
templates.env.filters["day"] = _fmt_day
templates.env.filters["money"] = _fmt_money
templates.env.filters["yi"] = _fmt_yi
templates.env.filters["pct"] = _pct
templates.env.globals["KIND_LABELS"] = kinds.KIND_LABELS
templates.env.globals["ROLE_LABELS"] = kinds.ROLE_LABELS
templates.env.globals["AUDIT_ACTION_LABELS"] = kinds.AUDIT_ACTION_LABELS
templates.env.globals["audit_resource_label"] = kinds.audit_resource_label
templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
templates.env.globals["urlencode"] = urlencode

# Who reads the zone's registry, declarations, statistics and credit pages: banks and insurers read an
# enterprise's record only through its consent (/finance), park operators their parks (/parks).
ZONE_READERS = (kinds.ENTERPRISE, kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)
# The navigation: (path, label, kinds that see it). A domain's pages live under its path.
NAV: list[tuple[str, str, tuple[str, ...] | None]] = [
    ("/", "首页", None),
    ("/enterprises", "企业备案", ZONE_READERS),
    ("/approvals", "备案审核", (kinds.ZONE_OFFICE,)),
    ("/commodities", "商品备案", ZONE_READERS),
    ("/declarations", "进口申报", None),
    ("/export", "出口申报", ZONE_READERS),
    ("/bonded", "保税账册", (kinds.ENTERPRISE, kinds.ZONE_OFFICE, kinds.CUSTOMS)),
    ("/tax/quote", "税费测算", None),
    ("/stats", "统计监测", ZONE_READERS),
    ("/credit", "信用管理", ZONE_READERS),
    ("/risk", "风险防控", (kinds.ZONE_OFFICE, *kinds.AGENCY_KINDS)),
    ("/finance", "金融服务", None),
    ("/logistics", "智慧物流", None),
    ("/parks", "产业园区", None),
    ("/ledger", "溯源存证", None),
    ("/audit", "审计日志", (kinds.ZONE_OFFICE,)),
]


def nav_for(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(p, label) for p, label, allowed in NAV if allowed is None or principal.org_kind in allowed]


def render(
    request: Request, template: str, principal: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    ctx = {
        "request": request,
        "principal": principal,
        "nav": nav_for(principal),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        **context,
    }
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
