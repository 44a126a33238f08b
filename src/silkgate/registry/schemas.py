"""Shapes of enterprise and commodity filings in the API and in bulk files.

The schemas only check shapes and types; the rules (check digits, code lists, duplicates) live in
`registry/rules.py` so that the API, the web form and `silkgate load` reject the same input with
the same field errors. Fields a rule requires are typed optional here so that one request reports
every missing or wrong field at once instead of stopping at the first missing one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from silkgate.exceptions import FieldError
from silkgate.registry import rules as filing_rules
from silkgate.validation import RuleChecked, zh_message


class _In(RuleChecked):
    """Input shapes; a shape error is answered together with the filing rules' errors."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class Shop(_In):
    """A store or independent site an enterprise sells through (BIZ-14)."""

    platform: str | None = Field(default=None, max_length=60, description="平台，如 亚马逊、速卖通、独立站")
    shop: str | None = Field(default=None, max_length=120, description="店铺名称")
    url: str | None = Field(default=None, max_length=300)


class EnterpriseCreate(_In):
    """One enterprise filing (一次备案). Required: uscc, customs_code, name, roles."""

    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError]:
        return filing_rules.enterprise_problems(data)

    uscc: str | None = Field(default=None, description="统一社会信用代码（GB 32100-2015，18位），必填")
    customs_code: str | None = Field(default=None, description="海关注册编码（10位），必填")
    name: str | None = Field(default=None, max_length=200, description="企业中文名称，必填")
    name_en: str | None = Field(default=None, max_length=200)
    roles: list[str] | None = Field(
        default=None,
        description="企业类型，至少一项：platform, seller, logistics, payment, broker, warehouse, trade_service",
    )
    legal_representative: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_email: str | None = Field(default=None, max_length=120)
    registered_address: str | None = Field(default=None, max_length=300)
    district: str | None = Field(default=None, max_length=40, description="所在县（市、区）")
    settlement_bank: str | None = Field(default=None, max_length=120)
    settlement_account: str | None = Field(default=None, max_length=40)
    shops: list[Shop] = Field(default_factory=list)


class EnterpriseUpdate(_In):
    """A change to a filing; the USCC identifies the enterprise and cannot change."""

    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError]:
        return filing_rules.enterprise_problems(data, partial=True)

    customs_code: str | None = None
    name: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    roles: list[str] | None = None
    legal_representative: str | None = Field(default=None, max_length=60)
    contact_name: str | None = Field(default=None, max_length=60)
    contact_phone: str | None = Field(default=None, max_length=30)
    contact_email: str | None = Field(default=None, max_length=120)
    registered_address: str | None = Field(default=None, max_length=300)
    district: str | None = Field(default=None, max_length=40)
    settlement_bank: str | None = Field(default=None, max_length=120)
    settlement_account: str | None = Field(default=None, max_length=40)
    shops: list[Shop] | None = None


class EnterpriseDecision(_In):
    reason: str | None = Field(default=None, max_length=500, description="驳回时必填")


class EnterprisePublic(BaseModel):
    """A filing as its reader may see it. Agencies get only the fields of their remit
    (auth.kinds.AGENCY_FILING_FIELDS); the fields outside it are absent from the response."""

    id: int
    uscc: str
    customs_code: str
    name: str
    name_en: str | None = None
    roles: list[str]
    status: str
    status_reason: str | None = None
    zone_code: str
    registered_address: str | None = None
    district: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    settlement_bank: str | None = None
    settlement_account: str | None = None
    shops: list[dict[str, Any]] | None = None
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    version: int | None = None


class EnterprisePage(BaseModel):
    total: int
    items: list[EnterprisePublic]


class EnterpriseChangePublic(BaseModel):
    at: dt.datetime
    action: str
    actor_org_id: int | None
    actor_user_id: int | None
    changes: dict[str, Any]
    note: str | None


class CommodityCreate(_In):
    """One commodity filing. Required: item_no, name, hs_code, origin_country, unit, unit_price.
    Tax rates default to the zone's tariff table for the HS code."""

    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError]:
        return filing_rules.commodity_problems(data)

    item_no: str | None = Field(default=None, max_length=40, description="企业商品货号，必填")
    name: str | None = Field(default=None, max_length=250, description="商品名称，必填")
    hs_code: str | None = Field(default=None, description="10位海关商品编码，必填")
    declared_elements: str | None = Field(default=None, max_length=2000, description="申报要素")
    brand: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=250, description="规格型号")
    origin_country: str | None = Field(default=None, description="原产国（海关3位数字国别代码），必填")
    unit: str | None = Field(default=None, description="法定第一计量单位（3位代码），必填")
    unit2: str | None = Field(default=None, description="法定第二计量单位（3位代码）")
    unit_price: Decimal | None = Field(default=None, description="单价，必填")
    currency: str = Field(default="142", description="币制（海关3位数字代码），默认142人民币")
    barcode: str | None = Field(default=None, max_length=50)
    vat_rate: Decimal | None = Field(default=None, description="增值税率（小数，如0.13）；缺省取税则表")
    consumption_tax_rate: Decimal | None = None
    tariff_rate: Decimal | None = None


class CommodityUpdate(_In):
    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError]:
        return filing_rules.commodity_problems(data, partial=True)

    name: str | None = Field(default=None, max_length=250)
    hs_code: str | None = None
    declared_elements: str | None = Field(default=None, max_length=2000)
    brand: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=250)
    origin_country: str | None = None
    unit: str | None = None
    unit2: str | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    barcode: str | None = Field(default=None, max_length=50)


class CommodityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    zone_code: str
    item_no: str
    name: str
    hs_code: str
    declared_elements: str | None
    brand: str | None
    model: str | None
    origin_country: str
    unit: str
    unit2: str | None
    unit_price: Decimal
    currency: str
    barcode: str | None
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal
    positive_list: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CommodityPage(BaseModel):
    total: int
    items: list[CommodityPublic]


class TariffLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    hs_code: str
    name: str
    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal
    positive_list: bool
    zone_code: str | None
    source: str


class TariffRowIn(_In):
    @classmethod
    def input_rules(cls, data: dict[str, Any]) -> list[FieldError]:
        return filing_rules.tariff_row_problems(data)

    hs_code: str | None = None
    name: str | None = None
    vat_rate: Decimal | None = None
    consumption_tax_rate: Decimal | None = None
    tariff_rate: Decimal | None = None
    positive_list: bool | None = None


class ZonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    short: str
    name: str
    city: str
    province: str
    approval_doc: str
    batch: int
    plan_doc: str
    plan_date: dt.date
    districts: list[str]


class ZoneTargetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ref: str
    metric: str
    label: str
    horizon: str
    year: int | None
    value: Decimal | None
    value_max: Decimal | None
    unit: str
    bound: str
    bound_zh: str
    source_phrase: str
    source_note: str


_PYDANTIC_MESSAGES = {
    "missing": "必填字段缺失",
    "string_type": "应为字符串",
    "string_too_long": "长度超过上限",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "bool_parsing": "应为是/否（true/false 或 1/0）",
    "bool_type": "应为是/否（true/false 或 1/0）",
    "extra_forbidden": "不允许的字段",
    "int_parsing": "应为整数",
}


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as our FieldErrors (same codes and Chinese messages as the API's)."""
    out = []
    for e in exc.errors():
        path = ""
        for part in e.get("loc", ()):
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        kind = str(e.get("type", "invalid"))
        message = zh_message(e) or _PYDANTIC_MESSAGES.get(kind, "取值不正确")
        ctx = e.get("ctx") or {}
        if "max_length" in ctx:
            message += f"（最多{ctx['max_length']}个字符）"
        out.append(FieldError(f"{prefix}{path}" if path else prefix or "body", kind, message))
    return out
