"""Shapes of the statistics API (OpenAPI). Amounts are CNY unless the field says USD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from silkgate.params import Year


class MeasuresOut(BaseModel):
    list_count: int = Field(description="放行清单票数（撤单、全额退货已扣除）")
    value_cny: Decimal = Field(description="货值，人民币元（退货已扣除）")
    value_usd: Decimal = Field(description="货值，美元（按放行当日汇率折算；未导入汇率时为0）")
    tax_cny: Decimal = Field(description="税款，人民币元")
    returned_count: int = Field(description="退货次数")
    returned_value_cny: Decimal = Field(description="退货货值，人民币元")


class HeadlineFigure(MeasuresOut):
    direction: str = Field(description="all | import | export")
    label: str
    yoy: Decimal | None = Field(description="货值同比（比例，0.1 = 10%）；去年同期为0时为空")
    pop: Decimal | None = Field(description="货值环比：与紧邻的等长上一期相比")
    count_yoy: Decimal | None
    includes_historical: bool = Field(description="含综试办导入的历史统计数")


class HeadlineOut(BaseModel):
    scope: str
    date_from: dt.date
    date_to: dt.date
    figures: list[HeadlineFigure]


class SeriesPoint(MeasuresOut):
    period: dt.date = Field(description="期间首日")
    label: str
    yoy: Decimal | None = Field(description="货值同比")
    mom: Decimal | None = Field(description="货值环比（上一期）")
    count_yoy: Decimal | None
    count_mom: Decimal | None
    historical: bool = Field(description="该期含历史统计数（非平台清单）")
    by_mode: dict[str, Decimal] | None = None


class SeriesOut(BaseModel):
    scope: str
    granularity: str
    periods: list[SeriesPoint]


class BreakdownRow(MeasuresOut):
    key: str
    label: str
    share: Decimal | None = Field(description="占货值比重")
    yoy: Decimal | None
    value_orig: Decimal | None = Field(None, description="原币金额（仅按币制分组时）")


class BreakdownOut(BaseModel):
    scope: str
    dimension: str
    label: str
    date_from: dt.date
    date_to: dt.date
    total_value_cny: Decimal
    rows: list[BreakdownRow]
    others: dict[str, Any]


class ProvinceZoneRow(MeasuresOut):
    zone_code: str
    short: str
    name: str
    city: str
    own: bool
    share: Decimal | None
    yoy: Decimal | None
    rank: int


class ProvinceOut(BaseModel):
    province: str | None
    province_code: str | None = None
    total_value_cny: Decimal = Decimal(0)
    zones: list[ProvinceZoneRow]


class TargetOut(BaseModel):
    ref: str
    label: str
    metric: str
    year: int | None
    horizon: str
    unit: str
    bound: str
    bound_zh: str
    target: Decimal | None
    target_max: Decimal | None
    actual: Decimal | None
    progress: Decimal | None = Field(description="完成率 = 实际 ÷ 目标")
    met: bool | None
    pace_needed_per_month: Decimal | None = Field(description="年内剩余每月需完成（目标单位）")
    forecast: Decimal | None = Field(description="按最小二乘趋势外推的全年预测")
    forecast_met: bool | None
    status: str
    status_zh: str
    note: str
    source_phrase: str


class IndicatorOut(BaseModel):
    key: str
    label: str
    dimension: str
    value: Decimal | None
    benchmark: Decimal
    weight: Decimal
    score: Decimal | None


class AssessmentOut(BaseModel):
    zone_code: str
    year: int
    score: Decimal = Field(description="综合得分（0–100）")
    tier: str = Field(description="成效明显 / 成效较好 / 成效初显 / 尚在起步阶段")
    dimensions: list[dict[str, Any]]
    indicators: list[IndicatorOut]
    missing: list[str] = Field(description="无数据的指标（其权重按比例分摊给其余指标）")


class WeightsIn(BaseModel):
    weights: dict[str, Decimal] = Field(description="指标 -> 权重（0–1，评分时归一化）")
    note: str | None = Field(None, max_length=500)


class WeightsOut(BaseModel):
    zone_code: str
    weights: dict[str, Decimal]
    defaults: dict[str, Decimal]


class IndicatorValueIn(BaseModel):
    year: Year
    indicator: str
    value: Decimal
    source: str = Field(max_length=200)
    note: str | None = Field(None, max_length=500)


class IndexPointOut(BaseModel):
    month: dt.date
    index: Decimal | None = Field(description="综合发展指数（基期 = 100）")
    components: dict[str, Decimal]


class IndexOut(BaseModel):
    scope: str
    method: str
    components: dict[str, Any]
    points: list[IndexPointOut]
