"""Every limit of the clearance and tax rules at its edge: the value at the limit, one cent (or one
day) under and one cent over, against the words of the text that sets it.

- 财关税〔2018〕49号 第一条: single transaction limit 5,000 CNY, annual limit 26,000 CNY; 财关税〔2016〕
  18号 第三条: "在限值以内" at the retail rates, "超过单次限值、累加后超过个人年度限值" general trade —
  both limits inclusive.
- 财关税〔2018〕49号 第二条: "完税价格超过5000元单次交易限值但低于26000元年度交易限值，且订单下仅一件
  商品时，可以自跨境电商零售渠道进口，按照货物税率全额征收……但年度交易总额超过年度交易限值的，应按
  一般贸易管理" — over 5,000 (exclusive) and BELOW 26,000 (exclusive); the year may reach 26,000.
- 海关总署公告2018年第194号 / 2020年第45号: a return applied for within 30 days of release and back at
  the site within 45 days (both inclusive).
- 海关总署公告2020年第75号: a 9710/9810 shipment "单票金额超过人民币5000元" goes on a declaration form
  (over 5,000 exclusive; exactly 5,000 may go on a list).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from silkgate.clearance import rules
from silkgate.export.rules import b2b_list_value_error

CENT = D("0.01")


@pytest.mark.parametrize(
    ("value", "ytd", "single", "decision"),
    [
        # 49号第一条 single limit 5,000, inclusive (several goods: above it is general trade)
        ("4999.99", "0", False, "accept"),
        ("5000.00", "0", False, "accept"),
        ("5000.01", "0", False, "general_trade"),
        # 18号第三条 / 49号第一条 annual limit 26,000, inclusive ("累加后超过" is general trade)
        ("1000.00", "24999.99", False, "accept"),  # year 25,999.99
        ("1000.00", "25000.00", False, "accept"),  # year 26,000.00
        ("1000.00", "25000.01", False, "general_trade"),  # year 26,000.01
        # 49号第二条, lower edge: "超过5000元" is exclusive (exactly 5,000 is the retail case)
        ("5000.00", "0", True, "accept"),
        ("5000.01", "0", True, "accept_full_tax"),
        # 49号第二条, upper edge: the item's own value "低于26000元" is exclusive
        ("25999.99", "0", True, "accept_full_tax"),
        ("26000.00", "0", True, "general_trade"),
        ("26000.01", "0", True, "general_trade"),
        # 49号第二条, the year: "年度交易总额超过年度交易限值的" is general trade; reaching it is not
        ("20000.00", "5999.99", True, "accept_full_tax"),  # year 25,999.99
        ("20000.00", "6000.00", True, "accept_full_tax"),  # year 26,000.00
        ("20000.00", "6000.01", True, "general_trade"),  # year 26,000.01
    ],
)
def test_retail_import_limits_at_their_edges(value: str, ytd: str, single: bool, decision: str) -> None:
    got = rules.decide_limits(D(value), D(ytd), single_indivisible_item=single)
    assert got.decision == decision, got.reason
    assert got.counts_against_quota is (decision != "general_trade")


def test_the_limits_are_the_amounts_of_49hao() -> None:
    assert (D("5000"), D("26000")) == (rules.SINGLE_TRANSACTION_LIMIT, rules.ANNUAL_LIMIT)


@pytest.mark.parametrize(
    ("applied_after", "arrived_after", "ok"),
    [
        (29, None, True),
        (30, None, True),
        (31, None, False),
        (10, 44, True),
        (10, 45, True),
        (10, 46, False),
    ],
)
def test_return_periods_at_their_edges(applied_after: int, arrived_after: int | None, ok: bool) -> None:
    released = dt.date(2026, 3, 1)
    arrived = None if arrived_after is None else released + dt.timedelta(days=arrived_after)
    got, reason = rules.return_within_period(released, released + dt.timedelta(days=applied_after), arrived)
    assert got is ok, reason


@pytest.mark.parametrize(
    ("value", "refused"),
    [(D("5000") - CENT, False), (D("5000"), False), (D("5000") + CENT, True)],
)
def test_b2b_export_list_limit_at_its_edge(value: D, refused: bool) -> None:
    for mode in ("9710", "9810"):
        assert (b2b_list_value_error(mode, value) is not None) is refused
    assert b2b_list_value_error("9610", value + 100000) is None  # retail lists have no such limit
