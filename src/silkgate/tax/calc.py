"""Retail import tax (跨境电商综合税): pure Decimal calculation, no I/O.

Per item, with D its dutiable value, t/c/v the tariff, consumption-tax and VAT rates:

- tariff            T = D x t, only when full tax is due; within the limits the tariff is
                    provisionally 0% (财关税〔2016〕18号 第三条).
- consumption tax   C = (D + T) / (1 - c) x c: ad-valorem consumption tax on the composite
                    assessable price (《消费税暂行条例》第九条: 组成计税价格 =
                    (关税完税价格 + 关税) / (1 - 消费税比例税率)).
- VAT               V = (D + T + C) x v (《增值税暂行条例》第十四条: 组成计税价格 =
                    关税完税价格 + 关税 + 消费税).
- retail rates levy C and V at 70% of these statutory amounts (财关税〔2016〕18号 第三条); the
  composite price itself is the statutory one, so the familiar shortcut holds:
  C + V = D x (c + v) / (1 - c) x 70%.
- full tax (财关税〔2018〕49号 第二条, and general trade) levies T, C and V at 100%.

Dutiable value (财关税〔2016〕18号 第一条: the actual transaction price, including the goods' retail
price, freight and insurance): goods value (unit price x quantity) + freight + insurance - discount.
Order-level freight, insurance and discount are apportioned to the items in proportion to each
item's goods value, each share rounded half up to 0.01 CNY and the last item taking the remainder so
that the shares add up exactly to the order amount — the proportional-to-value apportionment customs
applies to consignment-level freight and insurance across declared lines.

Rounding: each tax of each item is rounded half up to 0.01 CNY (as customs computes and prints
the electronic tax bill, CEB816 TaxListRd per item); the order's totals are the sums of the rounded
item amounts, so the bill's lines always add up to its head.

Only ad-valorem consumption tax is computed; specific-rate goods (beer, yellow wine, refined
oil, cigarettes) are not on the retail import positive list in this form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from silkgate.clearance import rules
from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.kit.money import ZERO, round_cent

ONE = Decimal("1")


@dataclass(frozen=True)
class TariffRates:
    """Rates of one HS line, as fractions (0.13 = 13%). `positive_list` None = not known."""

    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal
    positive_list: bool | None = None


@dataclass(frozen=True)
class ResolvedRates:
    """An item's rates once resolved; `tariff_rate` None = unknown (fine while no tariff is due)."""

    vat_rate: Decimal
    consumption_tax_rate: Decimal
    tariff_rate: Decimal | None
    positive_list: bool | None = None


@dataclass(frozen=True)
class TaxItemIn:
    hs_code: str
    unit_price: Decimal
    quantity: Decimal
    vat_rate: Decimal | None = None
    consumption_tax_rate: Decimal | None = None
    tariff_rate: Decimal | None = None

    @property
    def goods_value(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class ItemTax:
    hs_code: str
    unit_price: Decimal
    quantity: Decimal
    goods_value: Decimal
    freight: Decimal
    insurance: Decimal
    discount: Decimal
    dutiable_value: Decimal
    tariff_rate: Decimal
    consumption_tax_rate: Decimal
    vat_rate: Decimal
    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal

    @property
    def total_tax(self) -> Decimal:
        return self.tariff + self.consumption_tax + self.vat


@dataclass(frozen=True)
class TaxQuote:
    items: list[ItemTax]
    transaction_value: Decimal  # dutiable value of the whole order (the limits apply to it)
    decision: rules.Decision
    reason_code: str
    reason: str
    quota_used: Decimal  # how much of the annual limit this order takes (0 when not admissible)
    quota_remaining: Decimal  # what is left of the annual limit after it
    tariff: Decimal = field(init=False)
    consumption_tax: Decimal = field(init=False)
    vat: Decimal = field(init=False)
    total_tax: Decimal = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tariff", sum((i.tariff for i in self.items), ZERO))
        object.__setattr__(self, "consumption_tax", sum((i.consumption_tax for i in self.items), ZERO))
        object.__setattr__(self, "vat", sum((i.vat for i in self.items), ZERO))
        object.__setattr__(self, "total_tax", self.tariff + self.consumption_tax + self.vat)


RatesLookup = Callable[[str], TariffRates | None]


def apportion(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `amount` over items in proportion to `weights` (goods values), each share rounded half
    up to 0.01 and the last share taking the remainder so the shares sum exactly to `amount`.
    With all weights zero (free gifts only) the amount is split equally."""
    if not weights:
        return []
    total = sum(weights, ZERO)
    n = len(weights)
    shares: list[Decimal] = []
    for w in weights[:-1]:
        part = amount * w / total if total else amount / n
        shares.append(round_cent(part))
    shares.append(amount - sum(shares, ZERO))
    return shares


def resolve_rates(items: Sequence[TaxItemIn], lookup: RatesLookup | None) -> list[ResolvedRates]:
    """Each item's rates: those given, the rest from the tariff table. VAT and consumption-tax
    rates must be known; a tariff rate may stay unknown (None) as long as no tariff is due."""
    errors: list[FieldError] = []
    out: list[ResolvedRates] = []
    for n, item in enumerate(items):
        line = lookup(item.hs_code) if lookup is not None else None
        if line is None and (item.vat_rate is None or item.consumption_tax_rate is None):
            errors.append(
                FieldError(
                    f"items[{n}].hs_code",
                    "tariff_line_unknown",
                    f"商品编码{item.hs_code}不在税率表中，请填写增值税率和消费税率（全额征税时还需关税税率）",
                )
            )
            out.append(ResolvedRates(ZERO, ZERO, None, None))
            continue
        out.append(
            ResolvedRates(
                vat_rate=_given_or(item.vat_rate, line, "vat_rate"),
                consumption_tax_rate=_given_or(item.consumption_tax_rate, line, "consumption_tax_rate"),
                tariff_rate=item.tariff_rate
                if item.tariff_rate is not None
                else (line.tariff_rate if line else None),
                positive_list=line.positive_list if line is not None else None,
            )
        )
    for n, r in enumerate(out):
        if not ZERO <= r.consumption_tax_rate < ONE:
            errors.append(
                FieldError(
                    f"items[{n}].consumption_tax_rate", "rate_out_of_range", "消费税率应不小于0且小于1"
                )
            )
        for name, value in (("vat_rate", r.vat_rate), ("tariff_rate", r.tariff_rate)):
            if value is not None and value < ZERO:
                errors.append(FieldError(f"items[{n}].{name}", "rate_out_of_range", "税率不能为负数"))
    if errors:
        raise ValidationFailed(errors, "部分商品无法确定税率")
    return out


def _given_or(given: Decimal | None, line: TariffRates | None, name: str) -> Decimal:
    if given is not None:
        return given
    assert line is not None  # resolve_rates reports an item without either before reaching here
    value: Decimal = getattr(line, name)
    return value


def assess_items(
    items: Sequence[TaxItemIn],
    rates: Sequence[ResolvedRates],
    *,
    freight: Decimal,
    insurance: Decimal,
    discount: Decimal,
    basis: rules.TaxBasis,
) -> list[ItemTax]:
    """Each item's dutiable value and its tariff, consumption tax and VAT, rounded per item."""
    if basis.tariff_applies:
        unknown = [
            FieldError(
                f"items[{n}].tariff_rate",
                "tariff_rate_unknown",
                f"商品编码{i.hs_code}须全额征税，请填写关税税率",
            )
            for n, (i, r) in enumerate(zip(items, rates, strict=True))
            if r.tariff_rate is None
        ]
        if unknown:
            raise ValidationFailed(unknown, "全额征税需要关税税率")
    values = [i.goods_value for i in items]
    freights = apportion(freight, values)
    insurances = apportion(insurance, values)
    discounts = apportion(discount, values)
    out: list[ItemTax] = []
    for item, rate, value, f, ins, disc in zip(
        items, rates, values, freights, insurances, discounts, strict=True
    ):
        dutiable = value + f + ins - disc
        tariff_rate = rate.tariff_rate if basis.tariff_applies and rate.tariff_rate is not None else ZERO
        tariff = dutiable * tariff_rate
        composite = (dutiable + tariff) / (ONE - rate.consumption_tax_rate)
        consumption = composite * rate.consumption_tax_rate
        vat = (dutiable + tariff + consumption) * rate.vat_rate
        share = basis.vat_and_consumption_share
        out.append(
            ItemTax(
                hs_code=item.hs_code,
                unit_price=item.unit_price,
                quantity=item.quantity,
                goods_value=value,
                freight=f,
                insurance=ins,
                discount=disc,
                dutiable_value=dutiable,
                tariff_rate=tariff_rate,
                consumption_tax_rate=rate.consumption_tax_rate,
                vat_rate=rate.vat_rate,
                tariff=round_cent(tariff),
                consumption_tax=round_cent(consumption * share),
                vat=round_cent(vat * share),
            )
        )
    return out


def quote_import_tax(
    items: Sequence[TaxItemIn],
    *,
    freight: Decimal = ZERO,
    insurance: Decimal = ZERO,
    discount: Decimal = ZERO,
    year_to_date: Decimal = ZERO,
    rates_lookup: RatesLookup | None = None,
) -> TaxQuote:
    """The retail import tax of a proposed order and what the limits make of it.

    `general_trade` quotes still show the taxes in full (what general trade would levy), for
    information; such an order takes nothing from the annual quota.
    """
    _check_amounts(items, freight=freight, insurance=insurance, discount=discount, year_to_date=year_to_date)
    rates = resolve_rates(items, rates_lookup)
    goods_total = sum((i.goods_value for i in items), ZERO)
    transaction_value = goods_total + freight + insurance - discount
    off_list = [i.hs_code for i, r in zip(items, rates, strict=True) if r.positive_list is False]
    if off_list:
        limit = rules.LimitDecision(
            rules.GENERAL_TRADE,
            "not_on_positive_list",
            f"商品编码{'、'.join(dict.fromkeys(off_list))}不在《跨境电子商务零售进口商品清单》内，"
            "不能按跨境电商零售进口（财关税〔2018〕49号、财关税〔2016〕18号第二条）",
            False,
            rules.FULL_TAX_BASIS,
        )
    else:
        limit = rules.decide_limits(
            transaction_value,
            year_to_date,
            single_indivisible_item=rules.is_single_indivisible_item(i.quantity for i in items),
        )
    assessed = assess_items(
        items, rates, freight=freight, insurance=insurance, discount=discount, basis=limit.basis
    )
    used = transaction_value if limit.counts_against_quota else ZERO
    return TaxQuote(
        items=assessed,
        transaction_value=transaction_value,
        decision=limit.decision,
        reason_code=limit.code,
        reason=limit.reason,
        quota_used=used,
        quota_remaining=rules.annual_remaining(year_to_date + used),
    )


def _check_amounts(
    items: Sequence[TaxItemIn],
    *,
    freight: Decimal,
    insurance: Decimal,
    discount: Decimal,
    year_to_date: Decimal,
) -> None:
    errors: list[FieldError] = []
    if not items:
        errors.append(FieldError("items", "items_empty", "至少需要一项商品"))
    for n, item in enumerate(items):
        if item.unit_price < ZERO:
            errors.append(FieldError(f"items[{n}].unit_price", "amount_negative", "单价不能为负数"))
        if item.quantity <= ZERO:
            errors.append(FieldError(f"items[{n}].quantity", "quantity_not_positive", "数量应大于0"))
    for name, label, value in (
        ("freight", "运费", freight),
        ("insurance", "保险费", insurance),
        ("discount", "非现金抵扣金额", discount),
        ("year_to_date", "本年度已累计交易额", year_to_date),
    ):
        if value < ZERO:
            errors.append(FieldError(name, "amount_negative", f"{label}不能为负数"))
    goods_total = sum((i.goods_value for i in items), ZERO)
    if discount > goods_total + freight + insurance:
        errors.append(
            FieldError(
                "discount", "discount_exceeds_value", "非现金抵扣金额不能超过商品价格、运费与保险费之和"
            )
        )
    if errors:
        raise ValidationFailed(errors)


__all__ = [
    "ItemTax",
    "RatesLookup",
    "ResolvedRates",
    "TariffRates",
    "TaxItemIn",
    "TaxQuote",
    "apportion",
    "assess_items",
    "quote_import_tax",
    "resolve_rates",
]
