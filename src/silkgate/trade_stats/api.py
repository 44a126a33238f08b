"""JSON API of the statistics: /api/v1/stats/... (figures scoped to the caller: a zone office its
zone, an agency its zone (audited), an enterprise its own trade)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from silkgate.auth.deps import CurrentPrincipal, SessionDep
from silkgate.exceptions import Forbidden
from silkgate.kit.cebtime import now_utc, to_beijing
from silkgate.params import BoundedDate
from silkgate.trade_stats import assessment, calc, queries, reconciliation, reports, service
from silkgate.trade_stats.schemas import (
    AssessmentOut,
    BreakdownOut,
    HeadlineOut,
    IndexOut,
    IndexPointOut,
    IndicatorOut,
    IndicatorValueIn,
    ProvinceOut,
    SeriesOut,
    TargetOut,
    WeightsIn,
    WeightsOut,
)

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])

Dimension = Literal[
    "trade_mode",
    "country",
    "region",
    "hs2",
    "hs4",
    "currency",
    "customs",
    "seller",
    "platform",
    "logistics",
    "payment",
    "agent",
    "warehouse",
]
Granularity = Literal["day", "week", "month", "quarter", "year"]
Direction = Literal["import", "export"]
TradeMode = Literal["9610", "1210", "1239", "9710", "9810"]
DateFrom = Annotated[BoundedDate | None, Query(description="起始日期（北京时间，含）；默认本年1月1日")]
DateTo = Annotated[BoundedDate | None, Query(description="截止日期（含）；默认今天")]


def today_beijing() -> dt.date:
    return to_beijing(now_utc()).date()


def default_range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    to = date_to or today_beijing()
    start = date_from or dt.date(to.year, 1, 1)
    queries.check_range(start, to)
    return start, to


@router.get(
    "/summary",
    response_model=HeadlineOut,
    summary="Headline figures with year-on-year and period-on-period change",
)
def summary(
    principal: CurrentPrincipal, session: SessionDep, date_from: DateFrom = None, date_to: DateTo = None
) -> Any:
    scope = service.scope_for(session, principal)
    start, end = default_range(date_from, date_to)
    return {"scope": scope.label, **queries.headline(session, scope, start, end)}


@router.get(
    "/series",
    response_model=SeriesOut,
    summary="Value and count per day/week/month/quarter/year with YoY and MoM",
)
def series(
    principal: CurrentPrincipal,
    session: SessionDep,
    granularity: Granularity = "month",
    date_from: DateFrom = None,
    date_to: DateTo = None,
    direction: Direction | None = None,
    trade_mode: TradeMode | None = None,
    split_by_mode: bool = False,
) -> Any:
    scope = service.scope_for(session, principal)
    start, end = default_range(date_from, date_to)
    filters = queries.Filters(direction, trade_mode).validate()
    return {
        "scope": scope.label,
        **queries.series(session, scope, granularity, start, end, filters, split_by_mode=split_by_mode),
    }


@router.get(
    "/breakdown/{dimension}",
    response_model=BreakdownOut,
    summary="Ranking by trade mode, country, region, HS chapter/heading, enterprise role, customs office or currency",
)
def breakdown(
    dimension: Dimension,
    principal: CurrentPrincipal,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    direction: Direction | None = None,
    trade_mode: TradeMode | None = None,
    limit: Annotated[int, Query(ge=0, le=500, description="前N名（0 = 全部）")] = 20,
) -> Any:
    scope = service.scope_for(session, principal)
    start, end = default_range(date_from, date_to)
    filters = queries.Filters(direction, trade_mode).validate()
    return {
        "scope": scope.label,
        **queries.breakdown(session, scope, dimension, start, end, filters, limit=limit),
    }


@router.get(
    "/provinces",
    response_model=ProvinceOut,
    summary="The zones of the caller's province ranked (zone office; aggregate figures only)",
)
def provinces(
    principal: CurrentPrincipal, session: SessionDep, date_from: DateFrom = None, date_to: DateTo = None
) -> Any:
    principal.require_zone_office()
    assert principal.zone_code is not None
    start, end = default_range(date_from, date_to)
    return queries.province_comparison(session, principal.zone_code, start, end)


@router.get(
    "/reconciliation", summary="Lists vs waybills vs payments per day, gaps and records missing a counterpart"
)
def reconcile(
    principal: CurrentPrincipal,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    sample: Annotated[int, Query(ge=0, le=500)] = 50,
) -> Any:
    scope = service.scope_for(session, principal, resource="trade_stats.reconciliation")
    end = date_to or today_beijing()
    start = date_from or end - dt.timedelta(days=6)
    return reconciliation.reconcile(session, scope, start, end, sample=sample)


@router.get(
    "/market-entities",
    summary="Enterprises filed and active by role, new in the period; parks and warehouses",
)
def market_entities(
    principal: CurrentPrincipal, session: SessionDep, date_from: DateFrom = None, date_to: DateTo = None
) -> Any:
    scope = service.scope_for(session, principal)
    if scope.is_enterprise:
        raise Forbidden("市场主体统计仅向综试办和监管部门开放")
    start, end = default_range(date_from, date_to)
    return assessment.market_entities(session, scope, start, end)


@router.get(
    "/targets",
    response_model=list[TargetOut],
    summary="The zone plan's targets against actuals, pace needed and forecast",
)
def targets(principal: CurrentPrincipal, session: SessionDep) -> Any:
    scope = service.scope_for(session, principal)
    if scope.is_enterprise:
        raise Forbidden("规划目标进度仅向综试办和监管部门开放")
    return assessment.targets_progress(session, scope.zone_code, today_beijing())


@router.get(
    "/assessment",
    response_model=AssessmentOut,
    summary="Zone assessment: indicators, dimensions, score and tier",
)
def zone_assessment(
    principal: CurrentPrincipal,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Any:
    scope = service.scope_for(session, principal)
    if scope.is_enterprise:
        raise Forbidden("综试区评估仅向综试办和监管部门开放")
    result = assessment.zone_assessment(
        session, scope.zone_code, year or today_beijing().year, today_beijing()
    )
    return {
        "zone_code": scope.zone_code,
        "year": result.year,
        "score": result.score,
        "tier": result.tier,
        "dimensions": result.dimensions,
        "indicators": [IndicatorOut.model_validate(i, from_attributes=True) for i in result.indicators],
        "missing": result.missing,
    }


@router.get(
    "/assessment/weights", response_model=WeightsOut, summary="The assessment weights in force for the zone"
)
def get_weights(principal: CurrentPrincipal, session: SessionDep) -> Any:
    scope = service.scope_for(session, principal)
    if scope.is_enterprise:
        raise Forbidden()
    return {
        "zone_code": scope.zone_code,
        "weights": service.weights_for(session, scope.zone_code),
        "defaults": calc.DEFAULT_WEIGHTS,
    }


@router.put(
    "/assessment/weights",
    response_model=WeightsOut,
    summary="Set the zone's assessment weights (zone office)",
)
def put_weights(principal: CurrentPrincipal, session: SessionDep, body: WeightsIn) -> Any:
    principal.require_zone_office()
    assert principal.zone_code is not None
    weights = service.set_weights(
        session, principal.zone_code, body.weights, note=body.note, user_id=principal.user_id
    )
    return {"zone_code": principal.zone_code, "weights": weights, "defaults": calc.DEFAULT_WEIGHTS}


@router.put("/indicators", summary="Enter a figure the platform cannot count (zone office), with its source")
def put_indicator(principal: CurrentPrincipal, session: SessionDep, body: IndicatorValueIn) -> dict[str, Any]:
    principal.require_zone_office()
    assert principal.zone_code is not None
    row = service.set_indicator_value(
        session,
        principal.zone_code,
        year=body.year,
        indicator=body.indicator,
        value=body.value,
        source=body.source,
        note=body.note,
        user_id=principal.user_id,
    )
    return {
        "zone_code": row.zone_code,
        "year": row.year,
        "indicator": row.indicator,
        "value": row.value,
        "source": row.source,
    }


@router.post(
    "/historical",
    summary="Import the zone's prior monthly statistics (CSV: month,direction,trade_mode,list_count,value_cny[,value_usd])",
)
def post_historical(
    principal: CurrentPrincipal, session: SessionDep, body: Annotated[str, Body(media_type="text/csv")]
) -> dict[str, Any]:
    principal.require_zone_office()
    assert principal.zone_code is not None
    rows = service.parse_historical_csv(body)
    return {
        "imported_months": service.import_historical(session, principal.zone_code, rows),
        "source": "historical",
    }


@router.get(
    "/index",
    response_model=IndexOut,
    summary="Composite development index per month (trailing 12 months, base = 100)",
)
def development_index(
    principal: CurrentPrincipal, session: SessionDep, months: Annotated[int, Query(ge=1, le=120)] = 36
) -> Any:
    scope = service.scope_for(session, principal)
    points = queries.development_index(session, scope, today_beijing(), months)
    return {
        "scope": scope.label,
        "method": "100 × Σ wᵢ·xᵢ(近12个月)/xᵢ(基期12个月)；基期为各分项均为正的首个12个月窗口（见 docs/statistics.md）",
        "components": {k: {"label": lbl, "weight": w} for k, (lbl, w) in calc.INDEX_COMPONENTS.items()},
        "points": [IndexPointOut(month=p.month, index=p.index, components=p.components) for p in points],
    }


@router.get(
    "/reports/{kind}",
    summary="Monthly or quarterly statistical report as Excel (formatted, with chart data), CSV or JSON",
    responses={200: {"content": {reports.XLSX: {}, "text/csv": {}, "application/json": {}}}},
)
def report(
    kind: Literal["monthly", "quarterly"],
    principal: CurrentPrincipal,
    session: SessionDep,
    period: Annotated[
        str | None,
        Query(
            pattern=r"^(199\d|20\d\d|2100)-((0[1-9]|1[0-2])|Q[1-4])$",
            description="月报 YYYY-MM；季报 YYYY-Qn；默认上一完整期",
        ),
    ] = None,
    format: Literal["xlsx", "csv", "json"] = "xlsx",
) -> Response:
    scope = service.scope_for(session, principal, resource="trade_stats.report")
    start, end = reports.parse_period(kind, period, today_beijing())
    rep = reports.build_report(session, scope, kind, start, end, today_beijing())
    return reports.respond(rep, format)
