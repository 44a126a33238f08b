"""What each case gets under 财关税〔2016〕18号 and 财关税〔2018〕49号, and the return periods of
海关总署公告2018年第194号 / 2020年第45号."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from silkgate.clearance import rules


@pytest.mark.parametrize(
    ("value", "ytd", "single", "decision", "code", "counts", "tariff", "share"),
    [
        # 49号第一条: within 5,000 single and 26,000 annual -> retail rates, counted
        ("5000", "21000", False, "accept", "within_limits", True, False, "0.7"),
        ("0.01", "0", True, "accept", "within_limits", True, False, "0.7"),
        # 18号第三条: the year would exceed 26,000 -> general trade
        ("4000", "22000.01", False, "general_trade", "annual_limit_exceeded", False, True, "1"),
        # 49号第二条: one indivisible item above 5,000 within the annual limit -> full tax, counted
        ("5000.01", "0", True, "accept_full_tax", "single_item_above_single_limit", True, True, "1"),
        ("20000", "6000", True, "accept_full_tax", "single_item_above_single_limit", True, True, "1"),
        # ... but once the year would exceed 26,000 -> general trade
        ("20000", "6000.01", True, "general_trade", "annual_limit_exceeded", False, True, "1"),
        ("30000", "0", True, "general_trade", "single_item_not_below_annual_limit", False, True, "1"),
        # 18号第三条 / 49号: above 5,000 and not a single item -> general trade
        ("5000.01", "0", False, "general_trade", "single_limit_exceeded", False, True, "1"),
    ],
)
def test_limits_decide_the_channel_and_the_tax(
    value: str, ytd: str, single: bool, decision: str, code: str, counts: bool, tariff: bool, share: str
) -> None:
    got = rules.decide_limits(D(value), D(ytd), single_indivisible_item=single)
    assert (got.decision, got.code, got.counts_against_quota) == (decision, code, counts)
    assert got.basis.tariff_applies is tariff and got.basis.vat_and_consumption_share == D(share)
    assert "财关税" in got.reason


def test_single_indivisible_item_means_one_line_of_quantity_one() -> None:
    assert rules.is_single_indivisible_item([D("1")])
    assert rules.is_single_indivisible_item([D("1.00000")])
    assert not rules.is_single_indivisible_item([D("2")])
    assert not rules.is_single_indivisible_item([D("1"), D("1")])


def test_return_period_is_30_days_to_apply_and_45_to_arrive() -> None:
    released = dt.date(2026, 3, 1)
    assert rules.return_within_period(released, dt.date(2026, 3, 31))[0]
    ok, reason = rules.return_within_period(released, dt.date(2026, 4, 1))
    assert not ok and "30日" in reason
    assert rules.return_within_period(released, dt.date(2026, 3, 20), dt.date(2026, 4, 15))[0]
    ok, reason = rules.return_within_period(released, dt.date(2026, 3, 20), dt.date(2026, 4, 16))
    assert not ok and "45日" in reason
    assert not rules.return_within_period(released, dt.date(2026, 2, 28))[0]
