"""Retail import limits and what each case gets, as the tax notices say. Pure functions, no I/O.

Sources (Ministry of Finance, General Administration of Customs, State Taxation Administration):

- 财关税〔2016〕18号《关于跨境电子商务零售进口税收政策的通知》(in force 2016-04-08):
  第一条 the buyer is the taxpayer and the actual transaction price (goods retail price, freight
  and insurance) is the dutiable value; 第三条 within the single and annual limits the tariff is
  provisionally 0% and import VAT and consumption tax are levied at 70% of the statutory amount;
  a single transaction above the single limit, or one that takes the buyer's year above the annual
  limit, is taxed in full as general trade; 第四条 goods returned within 30 days of release get the
  tax back and the buyer's annual total is adjusted.
- 财关税〔2018〕49号《关于完善跨境电子商务零售进口税收政策的通知》(in force 2019-01-01):
  第一条 raises the single limit to 5,000 CNY and the annual limit to 26,000 CNY; 第二条 an order of
  ONE item whose dutiable value exceeds 5,000 CNY but stays within the annual limit may come in
  through the cross-border retail channel, taxed in full at the goods' rates (tariff, VAT and
  consumption tax), and counts against the annual total; once the annual total would exceed the
  annual limit, it is handled as general trade.
- 海关总署公告2018年第194号 (退货管理) and 海关总署公告2020年第45号 (退货中心仓): a return is
  applied for within 30 days of the list's release and the goods reach the original supervised
  site within 45 days of release; the tax is then not levied and the annual total is restored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

SINGLE_TRANSACTION_LIMIT: Final = Decimal("5000")  # 财关税〔2018〕49号 第一条
ANNUAL_LIMIT: Final = Decimal("26000")  # 财关税〔2018〕49号 第一条
RETAIL_TAX_SHARE: Final = Decimal(
    "0.7"
)  # 财关税〔2016〕18号 第三条: 70% of the statutory VAT and consumption tax
RETURN_APPLY_DAYS: Final = 30  # 海关总署公告2018年第194号 / 2020年第45号: apply within 30 days of release
RETURN_ARRIVAL_DAYS: Final = 45  # goods back at the original site within 45 days of release

Decision = Literal["accept", "accept_full_tax", "general_trade"]
ACCEPT: Final[Decision] = "accept"
ACCEPT_FULL_TAX: Final[Decision] = "accept_full_tax"
GENERAL_TRADE: Final[Decision] = "general_trade"

DECISION_LABELS: Final[dict[str, str]] = {
    ACCEPT: "按跨境电商零售进口税率征税",
    ACCEPT_FULL_TAX: "可经跨境电商零售渠道进口，按货物税率全额征税",
    GENERAL_TRADE: "不适用跨境电商零售进口，应按一般贸易管理",
}


@dataclass(frozen=True)
class TaxBasis:
    """How the taxes of one transaction are computed."""

    tariff_applies: bool  # False: tariff provisionally 0% (财关税〔2016〕18号 第三条)
    vat_and_consumption_share: Decimal  # 0.7 for retail rates, 1 for full tax


RETAIL_BASIS: Final = TaxBasis(tariff_applies=False, vat_and_consumption_share=RETAIL_TAX_SHARE)
FULL_TAX_BASIS: Final = TaxBasis(tariff_applies=True, vat_and_consumption_share=Decimal("1"))


@dataclass(frozen=True)
class LimitDecision:
    decision: Decision
    code: str  # stable snake_case reason code
    reason: str  # Chinese, citing the rule
    counts_against_quota: bool
    basis: TaxBasis

    @property
    def admissible(self) -> bool:
        return self.decision != GENERAL_TRADE


def is_single_indivisible_item(quantities: Iterable[Decimal]) -> bool:
    """财关税〔2018〕49号 第二条 "订单下仅一件商品": one goods line with a quantity of exactly one."""
    qty = list(quantities)
    return len(qty) == 1 and qty[0] == 1


def decide_limits(
    transaction_value: Decimal, year_to_date: Decimal, *, single_indivisible_item: bool
) -> LimitDecision:
    """What a transaction of `transaction_value` (its dutiable value: goods + freight + insurance -
    discount, 财关税〔2016〕18号 第一条) gets when the buyer has already used `year_to_date` this year.

    Both limits are inclusive: a transaction of exactly 5,000 CNY, or one that brings the year to
    exactly 26,000 CNY, is within the limits ("限值以内"). A single item above 5,000 CNY may come in at
    full tax only while its own value is BELOW 26,000 CNY (49号第二条 "超过5000元单次交易限值但低于
    26000元年度交易限值"): an item of exactly 26,000 CNY is general trade.
    """
    year_total = year_to_date + transaction_value
    ytd = _yuan(year_to_date)
    value = _yuan(transaction_value)
    if transaction_value <= SINGLE_TRANSACTION_LIMIT:
        if year_total <= ANNUAL_LIMIT:
            return LimitDecision(
                ACCEPT,
                "within_limits",
                f"单次交易完税价格{value}元未超过5000元限值，年度累计{_yuan(year_total)}元未超过26000元限值："
                "关税税率暂设为0%，进口环节增值税、消费税按法定应纳税额的70%征收（财关税〔2016〕18号第三条、"
                "财关税〔2018〕49号第一条）",
                True,
                RETAIL_BASIS,
            )
        return LimitDecision(
            GENERAL_TRADE,
            "annual_limit_exceeded",
            f"订购人本年度已累计{ytd}元，加上本次{value}元将超过个人年度交易限值26000元，"
            "应按一般贸易方式全额征税（财关税〔2016〕18号第三条、财关税〔2018〕49号第一条）",
            False,
            FULL_TAX_BASIS,
        )
    if not single_indivisible_item:
        return LimitDecision(
            GENERAL_TRADE,
            "single_limit_exceeded",
            f"单次交易完税价格{value}元超过5000元单次交易限值，且订单下不止一件商品，"
            "应按一般贸易方式全额征税（财关税〔2016〕18号第三条、财关税〔2018〕49号第一条、第二条）",
            False,
            FULL_TAX_BASIS,
        )
    if transaction_value >= ANNUAL_LIMIT:
        return LimitDecision(
            GENERAL_TRADE,
            "single_item_not_below_annual_limit",
            f"订单下仅一件商品，完税价格{value}元不低于26000元年度交易限值，"
            "不适用跨境电商零售渠道，应按一般贸易管理（财关税〔2018〕49号第二条）",
            False,
            FULL_TAX_BASIS,
        )
    if year_total <= ANNUAL_LIMIT:
        return LimitDecision(
            ACCEPT_FULL_TAX,
            "single_item_above_single_limit",
            f"订单下仅一件商品，完税价格{value}元超过5000元单次交易限值但未超过年度交易限值："
            "可自跨境电商零售渠道进口，按照货物税率全额征收关税和进口环节增值税、消费税，"
            f"交易额计入年度交易总额（年度累计{_yuan(year_total)}元）（财关税〔2018〕49号第二条）",
            True,
            FULL_TAX_BASIS,
        )
    return LimitDecision(
        GENERAL_TRADE,
        "annual_limit_exceeded",
        f"订单下仅一件商品，完税价格{value}元超过单次交易限值，订购人本年度已累计{ytd}元，"
        "计入后将超过个人年度交易限值26000元，应按一般贸易管理（财关税〔2018〕49号第二条）",
        False,
        FULL_TAX_BASIS,
    )


def annual_remaining(year_to_date: Decimal) -> Decimal:
    """What is left of the buyer's annual limit (never negative)."""
    return max(ANNUAL_LIMIT - year_to_date, Decimal("0"))


def return_within_period(
    released_on: dt.date, applied_on: dt.date, arrived_on: dt.date | None = None
) -> tuple[bool, str]:
    """Whether a return gets its tax and quota back (海关总署公告2018年第194号、2020年第45号;
    财关税〔2016〕18号第四条): applied for within 30 days of release and, once the goods are back,
    arrived within 45 days of release. Returns (ok, Chinese reason)."""
    applied_after = (applied_on - released_on).days
    if applied_after < 0:
        return False, "退货申请日期早于清单放行日期"
    if applied_after > RETURN_APPLY_DAYS:
        return False, (
            f"退货申请距清单放行已{applied_after}日，超过30日的申请期限（海关总署公告2018年第194号、2020年第45号）"
        )
    if arrived_on is not None:
        arrived_after = (arrived_on - released_on).days
        if arrived_after > RETURN_ARRIVAL_DAYS:
            return False, (
                f"退货商品距清单放行{arrived_after}日才运抵原监管作业场所，超过45日期限"
                "（海关总署公告2018年第194号、2020年第45号）"
            )
    return True, "在规定期限内退货：相应税款不予征收，并调整个人年度交易累计金额（财关税〔2016〕18号第四条）"


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"
