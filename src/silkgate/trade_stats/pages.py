"""Pages: the home dashboard "/", the statistics pages under /stats, the 大屏 display, the printable
report, and the Excel export of every table shown."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.auth.principal import Principal
from silkgate.events import trade_generation
from silkgate.exceptions import FieldError, Forbidden, SilkgateError, ValidationFailed
from silkgate.kit.codelists import country_name
from silkgate.kit.ttlcache import TTLCache
from silkgate.params import BoundedDate, Year
from silkgate.trade_stats import assessment, calc, queries, reconciliation, reports, service
from silkgate.trade_stats.api import today_beijing
from silkgate.trade_stats.reports import Column, Table
from silkgate.trade_stats.service import StatsScope
from silkgate.web import login_redirect, render

router = APIRouter(include_in_schema=False)

# The declarations list page (helper P) accepts these filters; drill-downs link to it.
DECLARATIONS_PAGE = "/declarations"
TABS = [
    ("/", "运行监测"),
    ("/stats", "分析查询"),
    ("/stats/targets", "目标进度"),
    ("/stats/assessment", "评估与指数"),
    ("/stats/reconciliation", "三单对碰"),
    ("/stats/entities", "市场主体"),
    ("/stats/provinces", "省内对比"),
    ("/stats/reports", "统计报表"),
]
ZONE_ONLY_TABS = {"/stats/targets", "/stats/assessment", "/stats/entities", "/stats/provinces"}
BREAKDOWN_CHOICES = [
    ("trade_mode", "贸易方式"),
    ("country", "国家（地区）"),
    ("region", "洲别"),
    ("hs2", "商品类章"),
    ("hs4", "商品品目"),
    ("seller", "电商企业"),
    ("platform", "电商平台"),
    ("logistics", "物流企业"),
    ("payment", "支付企业"),
    ("agent", "申报企业"),
    ("warehouse", "仓储企业"),
    ("customs", "申报海关"),
    ("currency", "币制"),
]
ENTERPRISE_BREAKDOWNS = {"trade_mode", "country", "region", "hs2"}
DRILL_KEYS = {
    "country": "country",
    "hs2": "hs_chapter",
    "hs4": "hs_heading",
    "seller": "enterprise_id",
    "platform": "enterprise_id",
    "logistics": "enterprise_id",
    "payment": "enterprise_id",
    "agent": "enterprise_id",
    "warehouse": "enterprise_id",
    "customs": "customs_code",
    "currency": "currency",
}


def drill_url(date_from: dt.date, date_to: dt.date, **filters: str | None) -> str:
    """The declarations behind a figure (the list page applies the viewer's own rights)."""
    params = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "status": "released"}
    params.update({k: v for k, v in filters.items() if v})
    return f"{DECLARATIONS_PAGE}?{urlencode(params)}"


def _drill_for_row(
    dimension: str, key: str, date_from: dt.date, date_to: dt.date, base: dict[str, str | None]
) -> str:
    if dimension == "trade_mode":
        direction, _, mode = key.partition(":")
        return drill_url(date_from, date_to, **{**base, "direction": direction, "trade_mode": mode})
    if dimension == "region":
        return drill_url(date_from, date_to, **{**base, "region": key})
    param = DRILL_KEYS.get(dimension)
    return drill_url(date_from, date_to, **{**base, **({param: key} if param else {})})


def _tabs(scope: StatsScope) -> list[tuple[str, str]]:
    return [(h, label) for h, label in TABS if not (scope.is_enterprise and h in ZONE_ONLY_TABS)]


def _range(
    date_from: dt.date | None, date_to: dt.date | None, default: str = "year"
) -> tuple[dt.date, dt.date]:
    today = today_beijing()
    end = date_to or today
    if date_from is not None:
        start = date_from
    elif default == "month":
        start = end.replace(day=1)
    else:
        start = dt.date(end.year, 1, 1)
    queries.check_range(start, end)
    return start, end


def _scope_or_none(request: Request, session: Session, principal: Principal | None) -> StatsScope | Response:
    if principal is None:
        return login_redirect(request)
    return service.scope_for(session, principal, resource="trade_stats.page")


def _json(data: Any) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, dt.date):
            return v.isoformat()
        raise TypeError(type(v))

    return json.dumps(data, default=default, ensure_ascii=False).replace("</", "<\\/")


def _error_page(request: Request, principal: Principal, exc: SilkgateError) -> Response:
    return render(
        request,
        "trade_stats/tables.html",
        principal,
        status_code=exc.status,
        title="统计监测",
        tabs=[],
        tables=[],
        charts_json="[]",
        form={},
        error=exc,
    )


# --- tables (shared by the pages and their Excel export) -------------------------------------------


def breakdown_table(
    session: Session,
    scope: StatsScope,
    dimension: str,
    date_from: dt.date,
    date_to: dt.date,
    filters: queries.Filters,
    limit: int = 50,
) -> Table:
    data = queries.breakdown(session, scope, dimension, date_from, date_to, filters, limit=limit)
    base = {"direction": filters.direction, "trade_mode": filters.trade_mode}
    rows = [
        {**r, "href": _drill_for_row(dimension, r["key"], date_from, date_to, base)} for r in data["rows"]
    ]
    columns = [Column("label", data["label"]), *reports.MEASURE_COLUMNS]
    if dimension == "currency":
        columns.insert(1, Column("value_orig", "原币金额", "money"))
    if dimension == "trade_mode":
        columns += [
            Column("returned_count", "退货次数", "int"),
            Column("returned_value_cny", "退货货值（万元）", "wan"),
        ]
    note = (
        f"其余 {data['others']['count']} 项合计 {data['others']['value_cny'] / reports.WAN:,.2f} 万元"
        if data["others"]["count"]
        else ""
    )
    return Table(f"breakdown-{dimension}", f"按{data['label']}统计", columns, rows, chart="bar", note=note)


def series_table(
    session: Session,
    scope: StatsScope,
    granularity: str,
    date_from: dt.date,
    date_to: dt.date,
    filters: queries.Filters,
) -> Table:
    data = queries.series(session, scope, granularity, date_from, date_to, filters)
    rows = []
    for p in data["periods"]:
        end = calc.next_period(p["period"], granularity) - dt.timedelta(days=1)
        label = p["label"] + ("（历史统计）" if p["historical"] else "")
        href = (
            None
            if p["historical"]
            else drill_url(p["period"], end, direction=filters.direction, trade_mode=filters.trade_mode)
        )
        rows.append({**p, "label": label, "href": href})
    return Table(
        "series",
        f"按{calc.GRANULARITY_LABELS[granularity]}走势",
        [
            Column("label", "期间"),
            Column("list_count", "清单票数", "int"),
            Column("value_cny", "货值（万元）", "wan"),
            Column("value_usd", "货值（万美元）", "wan"),
            Column("yoy", "同比", "pct"),
            Column("mom", "环比", "pct"),
            Column("count_yoy", "票数同比", "pct"),
        ],
        rows,
        chart="line",
    )


def figure_in_unit(value: Decimal | None, unit: str) -> str:
    """A target's actual (or pace, forecast) in the target's own unit with enough digits to agree
    with its 完成率: 0.0021 亿元 is not printed as 0 beside 0.2 %. Below 0.01 亿元 the 万元 follow."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 1:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        exponent = value.adjusted()  # 0.0021 -> -3: keep three significant digits
        text = f"{value:,.{min(-exponent + 2, 8)}f}".rstrip("0").rstrip(".")
    if unit == "亿元" and abs(value) < Decimal("0.01"):
        text += f"（{value * 10000:,.2f}万元）"
    return text


def targets_table(session: Session, scope: StatsScope) -> Table:
    rows = [t.__dict__ for t in assessment.targets_progress(session, scope.zone_code, today_beijing())]
    for r in rows:
        r["target_text"] = (
            "—"
            if r["target"] is None
            else f"{r['target']:g}" + (f"~{r['target_max']:g}" if r["target_max"] is not None else "")
        )
        r["actual_text"] = figure_in_unit(r["actual"], r["unit"])
        r["pace_text"] = figure_in_unit(r["pace_needed_per_month"], r["unit"])
        r["forecast_text"] = figure_in_unit(r["forecast"], r["unit"])
    return Table(
        "targets",
        "规划目标完成情况",
        [
            Column("ref", "编号"),
            Column("label", "指标"),
            Column("horizon", "期限"),
            Column("bound_zh", "表述"),
            Column("target_text", "目标值"),
            Column("unit", "单位"),
            Column("actual_text", "实际值"),
            Column("progress", "完成率", "pct"),
            Column("pace_text", "每月需完成"),
            Column("forecast_text", "趋势预测"),
            Column("status_zh", "状态"),
            Column("note", "口径说明"),
        ],
        rows,
    )


def assessment_tables(session: Session, scope: StatsScope, year: int) -> tuple[calc.Assessment, list[Table]]:
    result = assessment.zone_assessment(session, scope.zone_code, year, today_beijing())
    ind_rows = [
        {
            "dimension": calc.DIMENSIONS[i.dimension],
            "label": i.label,
            "value": i.value,
            "benchmark": i.benchmark,
            "weight": i.weight,
            "score": i.score,
            "how": calc.INDICATOR_BY_KEY[i.key].how,
        }
        for i in result.indicators
    ]
    dims = [{"label": d["label"], "weight": d["weight"], "score": d["score"]} for d in result.dimensions]
    index_points = queries.development_index(session, scope, today_beijing(), 36)
    index_rows = [
        {
            "label": calc.period_label(p.month, "month"),
            "index": p.index,
            **{k: v for k, v in p.components.items()},
        }
        for p in index_points
        if p.index is not None
    ]
    return result, [
        Table(
            "assessment-dimensions",
            f"{year}年评估：分维度得分",
            [Column("label", "维度"), Column("weight", "权重", "pct"), Column("score", "得分", "money")],
            dims,
            chart="bar",
        ),
        Table(
            "assessment-indicators",
            f"{year}年评估：指标明细",
            [
                Column("dimension", "维度"),
                Column("label", "指标"),
                Column("value", "指标值", "money"),
                Column("benchmark", "满分基准", "money"),
                Column("weight", "权重", "pct"),
                Column("score", "得分", "money"),
                Column("how", "计分方法"),
            ],
            ind_rows,
        ),
        Table(
            "index",
            "综合发展指数（近12个月滚动，基期=100）"
            + ("" if index_rows else "：需自首笔放行清单起满12个月的平台清单数据后计算"),
            [
                Column("label", "月份"),
                Column("index", "指数", "money"),
                Column("value_cny", "近12个月货值（万元）", "wan"),
                Column("list_count", "近12个月票数", "int"),
                Column("active_sellers", "有实绩企业", "int"),
                Column("countries", "贸易伙伴数", "int"),
                Column("hs_chapters", "商品类章数", "int"),
            ],
            index_rows,
            chart="line",
        ),
    ]


def reconciliation_tables(
    session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date
) -> list[Table]:
    data = reconciliation.reconcile(session, scope, date_from, date_to)
    day_rows = [
        {
            "label": d["day"].isoformat(),
            "inv_count": d["inventory"]["count"],
            "inv_value": d["inventory"]["value_cny"],
            "way_count": d["waybill"]["count"],
            "pay_count": d["payment"]["count"],
            "pay_value": d["payment"]["value_cny"],
            "gap_waybill_count": d["gap_waybill_count"],
            "gap_payment_count": d["gap_payment_count"],
            "gap_payment_value_cny": d["gap_payment_value_cny"],
        }
        for d in data["days"]
    ]
    tables = [
        Table(
            "reconciliation-days",
            "清单、运单、支付单逐日对碰",
            [
                Column("label", "日期"),
                Column("inv_count", "清单票数", "int"),
                Column("inv_value", "清单货值（万元）", "wan"),
                Column("way_count", "运单票数", "int"),
                Column("pay_count", "支付单笔数", "int"),
                Column("pay_value", "支付金额（万元）", "wan"),
                Column("gap_waybill_count", "清单−运单", "int"),
                Column("gap_payment_count", "清单−支付单", "int"),
                Column("gap_payment_value_cny", "清单−支付 金额（万元）", "wan"),
            ],
            day_rows,
            chart="line",
        )
    ]
    for key, block in data["missing"].items():
        rows = [
            {
                **r,
                "label": r["business_no"],
                "created": r["created_at"].isoformat(timespec="minutes"),
                "href": f"{DECLARATIONS_PAGE}/{r['declaration_id']}",
            }
            for r in block["records"]
        ]
        tables.append(
            Table(
                f"missing-{key}",
                f"{block['label']}（共 {block['total']} 条，列出最近 {len(rows)} 条）",
                [
                    Column("label", "单证编号"),
                    Column("order_no", "订单编号"),
                    Column("logistics_no", "运单编号"),
                    Column("trade_mode", "贸易方式"),
                    Column("status", "状态"),
                    Column("created", "接收时间（UTC）"),
                    Column("value_cny", "金额（元）", "money"),
                ],
                rows,
            )
        )
    return tables


def entities_tables(session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date) -> list[Table]:
    data = assessment.market_entities(session, scope, date_from, date_to)
    tables = [
        Table(
            "entities",
            f"市场主体（备案企业共 {data['filed_total']} 家，本期新增 {data['new_total']} 家）",
            [
                Column("label", "主体类型"),
                Column("filed", "已备案（审核通过）", "int"),
                Column("active", "本期有业务", "int"),
                Column("new", "本期新增备案", "int"),
            ],
            [{**r, "label": r["label"]} for r in data["roles"]],
            chart="bar",
        )
    ]
    parks = data["parks"]
    if parks is None:
        note = (
            "园区、孵化基地和海外仓数据待“产业园区”模块接入后自动统计；接入前可在“评估与指数”中由综试办录入。"
        )
        tables.append(Table("parks", "园区、孵化基地与海外仓", [Column("label", "说明")], [{"label": note}]))
    else:
        tables.append(
            Table(
                "parks",
                "园区、孵化基地与海外仓",
                [Column("label", "类型"), Column("count", "数量", "int")],
                [{"label": k, "count": v} for k, v in parks.items()],
                chart="bar",
            )
        )
    return tables


def provinces_table(session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date) -> Table:
    data = queries.province_comparison(session, scope.zone_code, date_from, date_to)
    rows = [{**r, "label": r["name"] + ("（本区）" if r["own"] else "")} for r in data["zones"]]
    return Table(
        "provinces",
        f"{data['province'] or ''}各综试区对比（仅汇总数）",
        [
            Column("rank", "排名", "int"),
            Column("label", "综试区"),
            Column("list_count", "清单票数", "int"),
            Column("value_cny", "货值（万元）", "wan"),
            Column("share", "占全省比重", "pct"),
            Column("yoy", "同比", "pct"),
        ],
        rows,
        chart="bar",
    )


def _chart_specs(tables: list[Table]) -> list[dict[str, Any]]:
    specs = []
    for t in tables:
        if not t.chart or not t.rows:
            continue
        value_col = next((c for c in t.columns if c.kind in ("wan", "money")), None) or next(
            (c for c in t.columns if c.kind == "int"), None
        )
        if value_col is None:
            continue
        label_col = next(c for c in t.columns if c.kind == "text")
        specs.append(
            {
                "id": f"chart-{t.key}",
                "type": t.chart,
                "title": t.title,
                "series": value_col.label,
                "labels": [str(r.get(label_col.key) or "") for r in t.rows][:40],
                "values": [float(reports.cell_value(r, value_col) or 0) for r in t.rows[:40]],
                "links": [r.get("href") for r in t.rows[:40]],
            }
        )
    return specs


def _page(
    request: Request,
    principal: Principal,
    scope: StatsScope,
    *,
    title: str,
    tables: list[Table],
    intro: str = "",
    form: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    query = dict(request.query_params)
    for t in tables:
        t.export_href = f"/stats/export.xlsx?{urlencode({**query, 'view': request.url.path, 'table': t.key})}"
    return render(
        request,
        "trade_stats/tables.html",
        principal,
        title=title,
        intro=intro,
        scope=scope,
        tabs=_tabs(scope),
        tables=tables,
        charts_json=_json(_chart_specs(tables)),
        form=form or {},
        query=query,
        **(extra or {}),
    )


# --- the home dashboard -------------------------------------------------------------------------------


def dashboard_data(
    session: Session, scope: StatsScope, date_from: dt.date, date_to: dt.date
) -> dict[str, Any]:
    """Everything the dashboard and the 大屏 show, from the rollups only."""
    head = queries.headline(session, scope, date_from, date_to)
    trend_from = calc.add_months(date_to.replace(day=1), -23)
    trend = queries.series(session, scope, "month", trend_from, date_to, split_by_mode=True)
    modes = queries.breakdown(session, scope, "trade_mode", date_from, date_to, limit=0)
    countries = queries.breakdown(session, scope, "country", date_from, date_to, limit=0)
    chapters = queries.breakdown(session, scope, "hs2", date_from, date_to, limit=10)
    sellers = (
        None
        if scope.is_enterprise
        else queries.breakdown(session, scope, "seller", date_from, date_to, limit=10)
    )
    world_names = {
        "344": "俄罗斯",
        "110": "中国香港",
        "121": "中国澳门",
        "143": "中国台湾",
        "418": "多米尼加",
    }
    return {
        "headline": head,
        "trend": [
            {
                "label": p["label"],
                "period": p["period"],
                "value": p["value_cny"],
                "count": p["list_count"],
                "yoy": p["yoy"],
                "historical": p["historical"],
                "by_mode": p.get("by_mode") or {},
                "href": None
                if p["historical"]
                else drill_url(p["period"], calc.next_period(p["period"], "month") - dt.timedelta(days=1)),
            }
            for p in trend["periods"]
        ],
        "modes": [
            {**r, "href": _drill_for_row("trade_mode", r["key"], date_from, date_to, {})}
            for r in modes["rows"]
        ],
        "countries": [
            {
                **r,
                "map_name": world_names.get(r["key"], country_name(r["key"])),
                "href": drill_url(date_from, date_to, country=r["key"]),
            }
            for r in countries["rows"]
        ],
        "chapters": [
            {**r, "href": drill_url(date_from, date_to, hs_chapter=r["key"])} for r in chapters["rows"]
        ],
        "sellers": None
        if sellers is None
        else [{**r, "href": drill_url(date_from, date_to, enterprise_id=r["key"])} for r in sellers["rows"]],
    }


# The dashboard's figures for a scope and range, reused for a few seconds: every official's home
# page would otherwise recompute the same rollups. This process's releases refresh it at once.
_DASHBOARDS: TTLCache[tuple[dict[str, Any], list[dict[str, Any]]]] = TTLCache(ttl_seconds=15)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    if principal is None:
        return login_redirect(request)
    try:
        scope = service.scope_for(session, principal, resource="trade_stats.page")
    except Forbidden:
        # Banks, insurers and park operators have no zone statistics: a plain welcome instead.
        return render(
            request,
            "trade_stats/tables.html",
            principal,
            title=f"欢迎，{principal.org_name}",
            intro="请从左侧导航进入本机构可使用的功能。综试区统计仅向综试办、监管部门和企业（本企业数据）开放。",
            tabs=[],
            tables=[],
            charts_json="[]",
            form={},
        )
    try:
        start, end = _range(date_from, date_to)
    except ValidationFailed as exc:
        return _error_page(request, principal, exc)
    today = today_beijing()
    data, alerts = _DASHBOARDS.get_or_compute(
        (scope, start, end, today),
        trade_generation(),
        lambda: (
            dashboard_data(session, scope, start, end),
            reconciliation.gap_alerts(session, scope, today),
        ),
    )
    targets = [] if scope.is_enterprise else assessment.targets_progress(session, scope.zone_code, today)
    return render(
        request,
        "home.html",
        principal,
        title="运行监测",
        scope=scope,
        tabs=_tabs(scope),
        date_from=start,
        date_to=end,
        data=data,
        data_json=_json(data),
        targets=targets,
        alerts=alerts,
        reconciliation_href=f"/stats/reconciliation?{urlencode({'date_from': (today_beijing() - dt.timedelta(days=2)).isoformat()})}",
    )


@router.get("/stats/screen", response_class=HTMLResponse)
def screen(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    """Full-screen display (大屏) for the zone's exhibition hall; refreshes itself every 5 minutes."""
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    start, end = _range(date_from, date_to)
    data = dashboard_data(session, scope, start, end)
    return render(
        request,
        "trade_stats/screen.html",
        principal,
        title="大屏",
        scope=scope,
        date_from=start,
        date_to=end,
        data=data,
        data_json=_json(data),
        today=today_beijing(),
    )


# --- /stats pages ---------------------------------------------------------------------------------------


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    dimension: str = "trade_mode",
    granularity: str = "month",
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
    direction: str | None = None,
    trade_mode: str | None = None,
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    try:
        tables = _stats_tables(
            session, scope, dimension, granularity, date_from, date_to, direction, trade_mode
        )
    except SilkgateError as exc:
        return _error_page(request, principal, exc)
    start, end = _range(date_from, date_to)
    choices = [c for c in BREAKDOWN_CHOICES if not scope.is_enterprise or c[0] in ENTERPRISE_BREAKDOWNS]
    return _page(
        request,
        principal,
        scope,
        title="分析查询",
        intro="按时间、贸易方式、国家（地区）、商品、企业等维度查询放行清单统计；点击任一行查看其背后的申报清单。",
        tables=tables,
        form={
            "kind": "analysis",
            "dimension": dimension,
            "granularity": granularity,
            "date_from": start,
            "date_to": end,
            "direction": direction or "",
            "trade_mode": trade_mode or "",
            "choices": choices,
        },
    )


def _stats_tables(
    session: Session,
    scope: StatsScope,
    dimension: str,
    granularity: str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    direction: str | None,
    trade_mode: str | None,
) -> list[Table]:
    start, end = _range(date_from, date_to)
    filters = queries.Filters(direction or None, trade_mode or None).validate()
    if dimension not in dict(BREAKDOWN_CHOICES) or (
        scope.is_enterprise and dimension not in ENTERPRISE_BREAKDOWNS
    ):
        raise ValidationFailed([FieldError("dimension", "dimension_not_available", "该视图不提供此分组")])
    if granularity not in calc.GRANULARITIES:
        raise ValidationFailed([FieldError("granularity", "bad_granularity", "时间粒度不正确")])
    if granularity in ("day", "week") and (end - start).days > 800:
        start = end - dt.timedelta(days=365)
    return [
        series_table(session, scope, granularity, start, end, filters),
        breakdown_table(session, scope, dimension, start, end, filters),
    ]


def _zone_only(scope: StatsScope) -> None:
    if scope.is_enterprise:
        raise Forbidden("该页面仅向综试办和监管部门开放")


@router.get("/stats/targets", response_class=HTMLResponse)
def targets_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    _zone_only(scope)
    return _page(
        request,
        principal,
        scope,
        title="规划目标进度",
        intro="按实施方案原文的表述比较：“突破/超过”为大于，“以上/达到/实现”为不少于，“新增”为相对基期存量的增量；"
        "交易额预测为当年已完成数加上按近24个月最小二乘趋势外推的剩余月份。各综试区交易额口径不同，不相加。",
        tables=[targets_table(session, scope)],
    )


@router.get("/stats/assessment", response_class=HTMLResponse)
def assessment_page(
    request: Request, session: SessionDep, principal: OptionalPrincipal, year: Year | None = None
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    _zone_only(scope)
    year = year or today_beijing().year
    result, tables = assessment_tables(session, scope, year)
    return _page(
        request,
        principal,
        scope,
        title="综试区评估与综合发展指数",
        intro=f"{year}年综合得分 {result.score}，评估结果：{result.tier}。"
        + (f"无数据指标（权重按比例分摊）：{'、'.join(result.missing)}。" if result.missing else "")
        + " 权重可由综试办调整（API：PUT /api/v1/stats/assessment/weights），方法见 docs/statistics.md。",
        tables=tables,
        form={"kind": "year", "year": year},
        extra={"assessment": result},
    )


@router.get("/stats/reconciliation", response_class=HTMLResponse)
def reconciliation_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    end = date_to or today_beijing()
    start = date_from or end - dt.timedelta(days=6)
    try:
        tables = reconciliation_tables(session, scope, start, end)
    except SilkgateError as exc:
        return _error_page(request, principal, exc)
    return _page(
        request,
        principal,
        scope,
        title="三单对碰：清单、运单、支付单",
        intro="按接收日期比对三类单证的票数与金额，并列出缺少对应单证的记录（最长31天）。",
        tables=tables,
        form={"kind": "range", "date_from": start, "date_to": end},
    )


@router.get("/stats/entities", response_class=HTMLResponse)
def entities_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    _zone_only(scope)
    start, end = _range(date_from, date_to)
    return _page(
        request,
        principal,
        scope,
        title="市场主体",
        intro="已备案企业按主体类型统计；“本期有业务”为本期有放行清单的企业。",
        tables=entities_tables(session, scope, start, end),
        form={"kind": "range", "date_from": start, "date_to": end},
    )


@router.get("/stats/provinces", response_class=HTMLResponse)
def provinces_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    if not principal.is_zone_office:
        raise Forbidden("省内综试区对比仅向综试办开放")
    start, end = _range(date_from, date_to)
    return _page(
        request,
        principal,
        scope,
        title="省内综试区对比",
        intro="同省各综试区的汇总数据排名（含各区导入的历史统计数），不含其他综试区的企业明细。",
        tables=[provinces_table(session, scope, start, end)],
        form={"kind": "range", "date_from": start, "date_to": end},
    )


@router.get("/stats/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    kind: str = "monthly",
    period: str | None = None,
    print_view: Annotated[bool, Query(alias="print")] = False,
) -> Response:
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    if kind not in ("monthly", "quarterly"):
        kind = "monthly"
    try:
        start, end = reports.parse_period(kind, period, today_beijing())
    except ValidationFailed as exc:
        return _error_page(request, principal, exc)
    rep = reports.build_report(session, scope, kind, start, end, today_beijing())
    label = rep.period_label
    downloads = {
        fmt: f"/api/v1/stats/reports/{kind}?{urlencode({'period': label.replace('Q', '-Q') if kind == 'quarterly' else label, 'format': fmt})}"
        for fmt in ("xlsx", "csv")
    }
    return _page(
        request,
        principal,
        scope,
        title=f"{rep.title}（{label}）",
        intro=f"统计范围：{rep.scope}；报告期 {start} 至 {end}。货值单位：万元人民币。",
        tables=rep.tables,
        form={
            "kind": "report",
            "report_kind": kind,
            "period": label.replace("Q", "-Q") if kind == "quarterly" else label,
        },
        extra={"downloads": downloads, "print_view": print_view},
    )


VIEWS = {
    "/stats": "analysis",
    "/stats/targets": "targets",
    "/stats/assessment": "assessment",
    "/stats/reconciliation": "reconciliation",
    "/stats/entities": "entities",
    "/stats/provinces": "provinces",
    "/stats/reports": "reports",
}


@router.get("/stats/export.xlsx")
def export_table(
    request: Request, session: SessionDep, principal: OptionalPrincipal, view: str, table: str
) -> Response:
    """Any table on a statistics page as a formatted Excel file (the same figures as shown)."""
    scope = _scope_or_none(request, session, principal)
    if isinstance(scope, Response):
        return scope
    assert principal is not None
    q = request.query_params
    d_from = dt.date.fromisoformat(q["date_from"]) if q.get("date_from") else None
    d_to = dt.date.fromisoformat(q["date_to"]) if q.get("date_to") else None
    kind = VIEWS.get(view)
    tables: list[Table]
    if kind == "analysis":
        tables = _stats_tables(
            session,
            scope,
            q.get("dimension", "trade_mode"),
            q.get("granularity", "month"),
            d_from,
            d_to,
            q.get("direction") or None,
            q.get("trade_mode") or None,
        )
    elif kind == "targets":
        _zone_only(scope)
        tables = [targets_table(session, scope)]
    elif kind == "assessment":
        _zone_only(scope)
        tables = assessment_tables(session, scope, int(q.get("year") or today_beijing().year))[1]
    elif kind == "reconciliation":
        end = d_to or today_beijing()
        tables = reconciliation_tables(session, scope, d_from or end - dt.timedelta(days=6), end)
    elif kind == "entities":
        _zone_only(scope)
        tables = entities_tables(session, scope, *_range(d_from, d_to))
    elif kind == "provinces":
        if not principal.is_zone_office:
            raise Forbidden("省内综试区对比仅向综试办开放")
        tables = [provinces_table(session, scope, *_range(d_from, d_to))]
    elif kind == "reports":
        rk = q.get("kind", "monthly")
        start, end = reports.parse_period(
            rk if rk in ("monthly", "quarterly") else "monthly", q.get("period"), today_beijing()
        )
        tables = reports.build_report(session, scope, rk, start, end, today_beijing()).tables
    else:
        raise ValidationFailed([FieldError("view", "unknown_view", "没有可导出的表格")])
    chosen = next((t for t in tables if t.key == table), None)
    if chosen is None:
        raise ValidationFailed([FieldError("table", "unknown_table", "没有该表格")])
    body = reports.table_xlsx(chosen, f"{scope.label}　导出日期：{today_beijing()}")
    return Response(body, media_type=reports.XLSX, headers=reports.attachment(f"{chosen.title}.xlsx"))


@router.get("/stats/index")
def index_redirect() -> RedirectResponse:
    return RedirectResponse("/stats/assessment", status_code=303)
