"""Retail import tax quote: what `POST /api/v1/tax/import-quote` and `silkgate tax quote` take and give."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from silkgate.kit.money import fmt
from silkgate.tax.calc import ItemTax, TaxItemIn, TaxQuote

Amount = Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=5)]
RateFraction = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6)]


class TaxQuoteItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hs_code: str = Field(pattern=r"^\d{8}(\d{2})?$", description="商品编码（8位税则号列或10位）")
    unit_price: Amount = Field(description="成交单价（元）")
    quantity: Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=5)]
    vat_rate: RateFraction | None = Field(default=None, description="增值税率，如0.13；省略则取税率表")
    consumption_tax_rate: RateFraction | None = Field(default=None, description="消费税率，如0.15")
    tariff_rate: RateFraction | None = Field(default=None, description="关税税率（全额征税时适用）")

    @field_validator(
        "vat_rate", "consumption_tax_rate", "tariff_rate", "unit_price", "quantity", mode="before"
    )
    @classmethod
    def _no_bool(cls, v: object) -> object:
        if isinstance(v, bool):
            raise ValueError("应为数字")
        return v

    def to_calc(self) -> TaxItemIn:
        return TaxItemIn(
            hs_code=self.hs_code,
            unit_price=self.unit_price,
            quantity=self.quantity,
            vat_rate=self.vat_rate,
            consumption_tax_rate=self.consumption_tax_rate,
            tariff_rate=self.tariff_rate,
        )


class TaxQuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TaxQuoteItemIn] = Field(min_length=1, max_length=99)
    freight: Amount = Decimal("0")
    insurance: Amount = Decimal("0")
    discount: Amount = Decimal("0")
    year_to_date: Amount = Field(
        default=Decimal("0"), description="订购人本年度已累计的跨境电商零售进口交易额"
    )


class TaxQuoteItemOut(BaseModel):
    hs_code: str
    unit_price: str
    quantity: str
    goods_value: str
    dutiable_value: str
    tariff_rate: str
    vat_rate: str
    consumption_tax_rate: str
    tariff: str
    vat: str
    consumption_tax: str
    total_tax: str

    @classmethod
    def of(cls, item: ItemTax) -> TaxQuoteItemOut:
        return cls(
            hs_code=item.hs_code,
            unit_price=_plain(item.unit_price),
            quantity=_plain(item.quantity),
            goods_value=fmt(item.goods_value),
            dutiable_value=fmt(item.dutiable_value),
            tariff_rate=_plain(item.tariff_rate),
            vat_rate=_plain(item.vat_rate),
            consumption_tax_rate=_plain(item.consumption_tax_rate),
            tariff=fmt(item.tariff),
            vat=fmt(item.vat),
            consumption_tax=fmt(item.consumption_tax),
            total_tax=fmt(item.total_tax),
        )


class TaxQuotePublic(BaseModel):
    """Amounts are decimal strings (CNY, two places); rates are fractions as strings."""

    items: list[TaxQuoteItemOut]
    transaction_value: str = Field(description="完税价格合计：商品价格+运费+保险费-非现金抵扣")
    tariff: str
    vat: str
    consumption_tax: str
    total_tax: str
    decision: str = Field(description="accept | accept_full_tax | general_trade")
    reason_code: str
    reason: str
    quota_used: str = Field(description="本单计入年度交易限值的金额")
    quota_remaining: str = Field(description="本单计入后年度剩余额度")

    @classmethod
    def of(cls, quote: TaxQuote) -> TaxQuotePublic:
        return cls(
            items=[TaxQuoteItemOut.of(i) for i in quote.items],
            transaction_value=fmt(quote.transaction_value),
            tariff=fmt(quote.tariff),
            vat=fmt(quote.vat),
            consumption_tax=fmt(quote.consumption_tax),
            total_tax=fmt(quote.total_tax),
            decision=quote.decision,
            reason_code=quote.reason_code,
            reason=quote.reason,
            quota_used=fmt(quote.quota_used),
            quota_remaining=fmt(quote.quota_remaining),
        )


def _plain(value: Decimal) -> str:
    """A decimal without an exponent or trailing zeros (0.130000 -> 0.13, 2.00000 -> 2)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
