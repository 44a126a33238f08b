"""Pure rules of the financial services: grant validity, which slices a product's review needs,
the application state machine and the advance ratios against collateral. No I/O.

Basis: 国办发〔2020〕24号《关于推进对外贸易创新发展的实施意见》 (supply-chain finance on real trade
background), 银发〔2020〕226号 (export credit insurance and policy financing for CBEC), and the
zone plan of Yuncheng 晋政办发〔2023〕58号 「订单融资、仓单质押、保险理财、账期垫资」.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from silkgate.kit.money import round_cent
from silkgate.models.finance import FINANCING_PRODUCTS, GRANT_SLICES

SLICE_LABELS = {
    "filings": "备案信息",
    "declarations": "申报与通关记录",
    "fx": "收结汇与结算记录",
    "credit": "信用状况",
}
PRODUCT_LABELS = {
    "order": "订单融资",
    "warehouse_pledge": "仓单质押",
    "receivables": "应收账款融资",
    "term_advance": "账期垫资",
}
STATUS_LABELS = {
    "applied": "已申请",
    "under_review": "审核中",
    "approved": "已批准",
    "declined": "已拒绝",
    "disbursed": "已放款",
    "closed": "已结清",
    "withdrawn": "已撤回",
}
SETTLEMENT_KIND_LABELS = {
    "fx_receipt": "外汇收汇",
    "fx_settlement": "结汇",
    "fx_purchase": "购汇",
    "rmb_receipt": "跨境人民币收款",
    "rmb_payment": "跨境人民币付款",
}
RMB_KINDS = ("rmb_receipt", "rmb_payment")
CLAIM_CAUSES = {
    "buyer_default": "买方拖欠",
    "insolvency": "买方破产",
    "refusal": "买方拒收",
    "political": "政治风险",
}

# A bank reviewing an application reads the slices the product stands on (FIN-04: 真实交易背景).
REVIEW_SLICES: dict[str, tuple[str, ...]] = {
    "order": ("filings", "declarations"),
    "warehouse_pledge": ("filings", "declarations"),
    "receivables": ("filings", "declarations", "fx"),
    "term_advance": ("filings", "fx"),
}

# Highest share of the collateral's value a bank may advance (bank policy defaults the zone
# office publishes for its marketplace; a bank may approve less, never more).
ADVANCE_RATIO: dict[str, Decimal] = {
    "order": Decimal("0.70"),
    "warehouse_pledge": Decimal("0.60"),
    "receivables": Decimal("0.80"),
    "term_advance": Decimal("0.50"),
}

# From -> the states it may move to, and who moves it.
TRANSITIONS: dict[str, dict[str, str]] = {
    "applied": {"under_review": "bank", "declined": "bank", "approved": "bank", "withdrawn": "enterprise"},
    "under_review": {"approved": "bank", "declined": "bank", "withdrawn": "enterprise"},
    "approved": {"disbursed": "bank", "withdrawn": "enterprise"},
    "disbursed": {"closed": "bank"},
}
OPEN_STATUSES = ("applied", "under_review", "approved", "disbursed")
# States in which a pledge keeps its stock locked.
LOCKING_STATUSES = OPEN_STATUSES
MAX_GRANT_DAYS = 366

assert set(REVIEW_SLICES) == set(FINANCING_PRODUCTS)
assert all(set(s) <= set(GRANT_SLICES) for s in REVIEW_SLICES.values())


def grant_is_active(
    valid_from: dt.datetime, valid_until: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> bool:
    return revoked_at is None and valid_from <= now < valid_until


def may_transition(current: str, target: str, actor: str) -> bool:
    return TRANSITIONS.get(current, {}).get(target) == actor


def max_advance(product: str, collateral_value: Decimal) -> Decimal:
    return round_cent(collateral_value * ADVANCE_RATIO[product])


def outstanding(disbursed: Decimal, repaid: Decimal) -> Decimal:
    return max(disbursed - repaid, Decimal("0"))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole == 0:
        return None
    return (part / whole).quantize(Decimal("0.0001"))
