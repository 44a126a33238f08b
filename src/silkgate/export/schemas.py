"""Request bodies of the export API (shapes only; the rules live in the services)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from silkgate.params import BoundedDate, DbId


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class SummaryProposeIn(_In):
    period: str = Field(description="汇总月份 YYYY-MM（结关月份）", examples=["2026-03"])


class SummaryResultIn(_In):
    accepted: bool = Field(description="海关是否接受")
    sum_no: str = Field(default="", max_length=18, description="汇总申请编号")
    entry_id: str = Field(default="", max_length=18, description="报关单编号（18位）")
    info: str = Field(default="", max_length=1000, description="回执信息 / 退单原因")


class CollectionIn(_In):
    order_no: str = Field(max_length=60)
    currency: str = Field(min_length=3, max_length=3, description="海关币制代码，如 502 美元")
    amount: Decimal = Field(description="收款金额（原币）")
    collected_on: BoundedDate
    pay_no: str | None = Field(default=None, max_length=60)


class NettingIn(_In):
    period: str = Field(description="所属期 YYYY-MM")
    kind: str = Field(description="storage | logistics | overseas_tax | platform_fee | other")
    counterparty: str = Field(max_length=200)
    reference: str = Field(max_length=100)
    currency: str = Field(max_length=3)
    amount: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=500)


class ReverseIn(_In):
    reason: str = Field(max_length=500)


class RateRowIn(_In):
    currency: str = Field(max_length=3)
    rate_to_cny: str = Field(max_length=30)
    valid_from: str = Field(max_length=10)
    source: str = Field(default="", max_length=200)


class RatesIn(_In):
    source: str = Field(max_length=200, description="汇率来源，如 海关月度折算率 2026年3月")
    rows: list[RateRowIn] = Field(default_factory=list)
    csv: str | None = Field(default=None, description="或：CSV 文本 currency,rate_to_cny,valid_from[,source]")


class B2BFilingIn(_In):
    trade_mode: str = Field(description="9710 或 9810")
    customs_code: str = Field(max_length=4)
    business_scope: str = Field(max_length=500)


class WarehouseIn(_In):
    name: str = Field(max_length=200)
    country: str = Field(max_length=3)
    address: str = Field(max_length=300)
    area_m2: str = Field(max_length=20)
    operator: str = Field(max_length=200)
    ownership: str = Field(description="own | leased")
    contract_no: str | None = Field(default=None, max_length=60)
    contract_valid_until: str | None = Field(default=None, max_length=10)


class SellerSettingIn(_In):
    declaration_path: str = Field(description="summary_declaration | summary_statistics")
    purchase_invoices: str = Field(description="none | held")
    employees: str | None = Field(default=None, max_length=9)
    total_assets: str | None = Field(default=None, max_length=30)
    restricted_industry: bool = False


class ZoneSettingIn(_In):
    customs_codes: list[str] = Field(description="综试区所在地海关关区代码（4位）")


class DeemedApprovalIn(_In):
    seller_id: DbId
    approved: bool
