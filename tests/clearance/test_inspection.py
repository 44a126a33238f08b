"""Inspection selection: deterministic under a seed, uniform, and at the zone's share."""

from __future__ import annotations

from decimal import Decimal as D

from silkgate.clearance.inspection import inspection_draw, select_for_inspection


def test_same_key_and_seed_always_give_the_same_answer() -> None:
    answers = {select_for_inspection("140800:INV0001", D("0.5"), 20260401) for _ in range(5)}
    assert len(answers) == 1
    assert inspection_draw("140800:INV0001", 20260401) == inspection_draw("140800:INV0001", 20260401)


def test_share_zero_holds_nothing_and_share_one_holds_everything() -> None:
    keys = [f"K{i}" for i in range(200)]
    assert not any(select_for_inspection(k, D("0"), 1) for k in keys)
    assert all(select_for_inspection(k, D("1"), 1) for k in keys)


def test_about_the_share_of_lists_is_held() -> None:
    held = sum(select_for_inspection(f"140800:INV{i:06d}", D("0.05"), 20260401) for i in range(20000))
    # binomial(20000, 0.05): mean 1000, sd ~31; 5 sd either side
    assert 845 <= held <= 1155


def test_another_seed_selects_other_lists() -> None:
    keys = [f"INV{i}" for i in range(2000)]
    a = {k for k in keys if select_for_inspection(k, D("0.1"), 1)}
    b = {k for k in keys if select_for_inspection(k, D("0.1"), 2)}
    assert a != b and len(a & b) < len(a) / 2


def test_draws_lie_in_the_unit_interval() -> None:
    draws = [inspection_draw(f"k{i}", 7) for i in range(500)]
    assert all(D(0) <= d < D(1) for d in draws)
    assert min(draws) < D("0.05") and max(draws) > D("0.95")
