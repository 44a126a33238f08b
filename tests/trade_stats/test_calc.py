"""Pure calculations: periods, YoY/MoM arithmetic, target bounds as the seeds word them
(REQUIREMENTS.md §2), the least-squares forecast, assessment tiers and the composite index."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from silkgate.trade_stats import calc


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (D("120"), D("100"), D("0.2000")),
        (D("80"), D("100"), D("-0.2000")),
        (D("100"), D("0"), None),  # nothing to compare with: no ratio, never infinity
        (D("100"), None, None),
        (D("0"), D("50"), D("-1.0000")),
        (D("1"), D("3"), D("-0.6667")),  # half-up to 4 places
    ],
)
def test_change_ratio(current: D, previous: D | None, expected: D | None) -> None:
    assert calc.change_ratio(current, previous) == expected


@pytest.mark.parametrize(
    ("day", "granularity", "start"),
    [
        (dt.date(2026, 5, 20), "week", dt.date(2026, 5, 18)),  # Monday
        (dt.date(2026, 5, 20), "month", dt.date(2026, 5, 1)),
        (dt.date(2026, 5, 20), "quarter", dt.date(2026, 4, 1)),
        (dt.date(2026, 12, 31), "quarter", dt.date(2026, 10, 1)),
        (dt.date(2026, 5, 20), "year", dt.date(2026, 1, 1)),
    ],
)
def test_period_start(day: dt.date, granularity: str, start: dt.date) -> None:
    assert calc.period_start(day, granularity) == start


def test_year_on_year_periods() -> None:
    assert calc.same_period_last_year(dt.date(2024, 2, 29), "day") == dt.date(2023, 2, 28)
    assert calc.same_period_last_year(dt.date(2026, 4, 1), "quarter") == dt.date(2025, 4, 1)
    # ISO week 21 of 2026 compares with ISO week 21 of 2025
    assert calc.same_period_last_year(dt.date(2026, 5, 18), "week") == dt.date.fromisocalendar(2025, 21, 1)
    assert calc.previous_period(dt.date(2026, 1, 1), "month") == dt.date(2025, 12, 1)
    assert calc.previous_period(dt.date(2026, 1, 1), "quarter") == dt.date(2025, 10, 1)


def test_range_plan_reads_the_smaller_side_of_a_partial_month() -> None:
    plan = calc.plan_range(dt.date(2026, 1, 15), dt.date(2026, 4, 10))
    # 15–31 January (17 days) is more than half: the January cell less 1–14 January.
    assert plan.months == (dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert plan.subtract_days == ((dt.date(2026, 1, 1), dt.date(2026, 1, 14)),)
    assert plan.add_days == ((dt.date(2026, 4, 1), dt.date(2026, 4, 10)),)
    year = calc.plan_range(dt.date(2026, 1, 1), dt.date(2026, 11, 24))
    assert len(year.months) == 11 and year.add_days == ()
    assert year.subtract_days == ((dt.date(2026, 11, 25), dt.date(2026, 11, 30)),)
    assert calc.plan_range(dt.date(2026, 3, 5), dt.date(2026, 3, 9)).add_days == (
        (dt.date(2026, 3, 5), dt.date(2026, 3, 9)),
    )
    assert calc.plan_range(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == calc.RangePlan(
        (dt.date(2026, 2, 1),), (), ()
    )


@pytest.mark.parametrize(
    ("actual", "bound", "value", "value_max", "baseline", "met"),
    [
        (D("6"), "gt", D("6"), None, D(0), False),  # YC-T2 「突破6亿元」: exactly 6 is not a breakthrough
        (D("6.01"), "gt", D("6"), None, D(0), True),
        (D("20"), "ge", D("20"), None, D(0), True),  # YC-T3 「达到20亿元」
        (D("19.99"), "ge", D("20"), None, D(0), False),
        (D("1"), "range", D("1"), D("2"), D(0), True),  # YC-T4 「1~2个」
        (D("3"), "range", D("1"), D("2"), D(0), False),
        (D("10"), "eq", D("10"), None, D(0), True),
        (D("5"), "increment", D("3"), None, D("3"), False),  # SD-DZ 「新增公共海外仓3个」 over a stock of 3
        (D("6"), "increment", D("3"), None, D("3"), True),
        (D("15"), "share_ge", D("15"), None, D(0), True),  # HZ 「15%以上」
    ],
)
def test_bound_met(actual: D, bound: str, value: D, value_max: D | None, baseline: D, met: bool) -> None:
    assert calc.bound_met(actual, bound, value, value_max, baseline) is met


def test_bound_without_number_is_not_judged() -> None:
    assert calc.bound_met(D("5"), "none", None) is None


def test_linear_trend_and_forecast() -> None:
    a, b = calc.linear_trend([D(1), D(3), D(5), D(7)])
    assert (a, b) == (D(1), D(2))
    assert calc.forecast_months([D(1), D(3), D(5), D(7)], 2) == [D(9), D(11)]
    assert calc.forecast_months([D(9), D(5), D(1)], 2) == [D(0), D(0)]  # a falling trend is floored at zero


def test_target_forecast_for_the_current_year() -> None:
    # By mid-June: 3 so far; trend +1/month from 0.5 -> July..Dec add 4.5..9.5 ... forecast beyond 20
    history = [D("0.5") * (i + 1) for i in range(5)]  # Jan..May: 0.5, 1.0, ... 2.5
    progress, met, pace, forecast, forecast_met, status = calc.assess_target(
        actual=D("7.5"),
        bound="ge",
        target=D("20"),
        target_max=None,
        year=2026,
        today=dt.date(2026, 6, 15),
        monthly_history=history,
        cumulative_in_year=True,
    )
    assert progress == D("0.3750") and met is False
    assert pace == D("1.79")  # (20 - 7.5) / 7 months (June..December)
    # Trend 0.5/month: July..December = 3.0 + 3.5 + 4.0 + 4.5 + 5.0 + 5.5 = 25.5
    assert forecast == D("33.00") and forecast_met is True and status == "on_track"


def test_past_target_is_met_or_missed() -> None:
    result = calc.assess_target(
        actual=D("5"),
        bound="gt",
        target=D("6"),
        target_max=None,
        year=2024,
        today=dt.date(2026, 6, 1),
        cumulative_in_year=True,
    )
    assert result[1] is False and result[-1] == "missed"
    assert (
        calc.assess_target(
            actual=None, bound="ge", target=D("3"), target_max=None, year=None, today=dt.date(2026, 1, 1)
        )[-1]
        == "not_measurable"
    )


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (D("100"), "成效明显"),
        (D("85"), "成效明显"),
        (D("84.9"), "成效较好"),
        (D("70"), "成效较好"),
        (D("69.9"), "成效初显"),
        (D("55"), "成效初显"),
        (D("54.9"), "尚在起步阶段"),
        (D("0"), "尚在起步阶段"),
    ],
)
def test_tiers(score: D, tier: str) -> None:
    assert calc.tier_for(score) == tier


def test_assessment_shares_out_the_weight_of_missing_indicators() -> None:
    values = {k: None for k in calc.DEFAULT_WEIGHTS}
    values["trade_value_attainment"] = D("1.2")  # over target: capped at 100
    values["trade_growth"] = D("0")  # flat: 50 points
    result = calc.assess(2026, values, calc.DEFAULT_WEIGHTS)
    # (100 × 0.20 + 50 × 0.15) / 0.35 = 78.57 -> 78.6
    assert result.score == D("78.6") and result.tier == "成效较好"
    assert "公共海外仓数" in result.missing
    assert sum(calc.DEFAULT_WEIGHTS.values()) == D("1.00")


def test_growth_score_is_linear_between_minus_and_plus_benchmark() -> None:
    assert calc.indicator_score("trade_growth", D("0.30"), D("0.30")) == D("100.0")
    assert calc.indicator_score("trade_growth", D("-0.30"), D("0.30")) == D("0.0")
    assert calc.indicator_score("trade_growth", D("0.15"), D("0.30")) == D("75.0")
    assert calc.indicator_score("parks", D("2"), D("5")) == D("40.0")


def test_weights_validation_names_each_bad_weight() -> None:
    errors = calc.validate_weights({"parks": D("1.5"), "made_up": D("0.1")})
    assert {(e.field, e.code) for e in errors} == {
        ("weights.parks", "out_of_range"),
        ("weights.made_up", "unknown_indicator"),
    }


def test_composite_index_base_is_first_complete_window() -> None:
    empty = {
        "value_cny": D(0),
        "list_count": D(0),
        "active_sellers": D(0),
        "countries": D(0),
        "hs_chapters": D(0),
    }
    base = {
        "value_cny": D(100),
        "list_count": D(10),
        "active_sellers": D(5),
        "countries": D(4),
        "hs_chapters": D(2),
    }
    doubled = {k: v * 2 for k, v in base.items()}
    mixed = {**base, "value_cny": D(150)}  # only value up 50 %: 100 + 0.40 × 50
    assert calc.composite_index([empty, base, doubled, mixed]) == [None, D("100.0"), D("200.0"), D("120.0")]


def test_average_annual_growth() -> None:
    assert calc.average_annual_growth(D(100), D(121), 2) == D("0.1")
    assert calc.average_annual_growth(D(0), D(121), 2) is None
