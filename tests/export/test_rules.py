"""Pure export rules: the summary grouping of 海关总署公告2018年第194号 第十一条 as a table of lists that
must / must not share one summary declaration, the schedule, returns (2020年第44号) and collections."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from silkgate.export import rules
from silkgate.export.rules import SummaryCandidate, SummaryLine

D = Decimal


def line(
    g_num: int = 1,
    hs: str = "6109100021",
    country: str = "502",
    currency: str = "502",
    unit: str = "011",
    qty: str = "2",
    value: str = "25",
) -> SummaryLine:
    return SummaryLine(g_num, hs, "T恤衫", country, currency, unit, "035", D(qty), D("0.4"), D(value))


BASE = SummaryCandidate(
    list_id=1,
    invt_no="05092026E000000001",
    ebc_code="1408960001",
    traf_mode="5",
    owner_code="1408960001",
    country="502",
    port_code="0509",
    trade_mode="9610",
    customs_code="0509",
    statistics_flag="B",
    closed_on=dt.date(2026, 3, 5),
    gross_weight=D("1.1"),
    net_weight=D("1"),
    lines=(line(),),
)


def other(**changes: object) -> SummaryCandidate:
    values: dict[str, object] = {"list_id": 2, "invt_no": "05092026E000000002", **changes}
    return replace(BASE, **values)  # type: ignore[arg-type]


# (case, second list, shares one summary with BASE?)
GROUPING_TABLE = [
    ("same everything", other(), True),
    ("other day, same month", other(closed_on=dt.date(2026, 3, 28)), True),
    ("other goods lines only", other(lines=(line(hs="6912001000"),)), True),
    ("other final destination in the body only", other(lines=(line(country="303"),)), True),
    ("同一收发货人: other consignor", other(ebc_code="1408960002"), False),
    ("同一运输方式: by sea instead of air", other(traf_mode="2"), False),
    ("同一生产销售单位: other producer", other(owner_code="1408960003"), False),
    ("同一运抵国: to Germany", other(country="304"), False),
    ("同一出境关别: other port of exit", other(port_code="0101"), False),
    ("one 监管方式 per declaration: 9710 list", other(trade_mode="9710"), False),
    ("one 申报地海关 per declaration", other(customs_code="0101"), False),
    ("汇总统计 list (statisticsFlag A) is never summarised", other(statistics_flag="A"), False),
    ("上月结关: closed in another month", other(closed_on=dt.date(2026, 4, 1)), False),
]


@pytest.mark.parametrize(("case", "second", "shared"), GROUPING_TABLE, ids=[c[0] for c in GROUPING_TABLE])
def test_grouping_table_of_194_article_11(case: str, second: SummaryCandidate, shared: bool) -> None:
    assert rules.may_share_summary(BASE, second) is shared
    if second.closed_on.month == BASE.closed_on.month:
        groups = rules.group_for_summary([BASE, second])
        together = any({c.list_id for c in g.lists} == {1, 2} for g in groups)
        assert together is shared
    if not shared:
        assert rules.explain_group_difference(BASE, second)


def test_items_merge_by_destination_hs_currency_and_unit() -> None:
    a = replace(BASE, lines=(line(1, qty="2", value="25"), line(2, hs="6912001000", qty="1", value="8")))
    b = other(
        lines=(
            line(1, qty="3", value="37.5"),
            line(2, country="303", qty="1", value="12.5"),
            line(3, currency="300", qty="1", value="11"),
            line(4, unit="007", qty="5", value="60"),
        )
    )
    (group,) = rules.group_for_summary([a, b])
    by_key = {(i.country, i.hs_code, i.currency, i.unit): i for i in group.items}
    shirts = by_key[("502", "6109100021", "502", "011")]
    assert shirts.qty == D("5") and shirts.value == D("62.5") and shirts.invt_nos == [a.invt_no, b.invt_no]
    assert len(group.items) == 5  # 同一最终目的国 / 同一币制 / 同一申报计量单位 each keep an item apart
    assert group.gross_weight == D("2.2")


def test_a_declaration_never_exceeds_50_items_and_lists_are_never_split() -> None:
    cands = [
        other(
            list_id=i,
            invt_no=f"05092026E{i:09d}",
            lines=tuple(line(g, hs=f"61091{i:02d}{g:03d}") for g in (1, 2, 3)),
        )
        for i in range(1, 21)
    ]
    groups = rules.group_for_summary(cands)
    assert [len(g.items) for g in groups] == [48, 12]
    assert sum(len(g.lists) for g in groups) == 20


def test_summary_is_due_the_15th_of_next_month_moved_past_rest_days() -> None:
    # 194号 第十一条: 每月15日前; 15 Feb 2026 is a Sunday -> Monday 16 Feb.
    assert rules.summary_due_date("2026-01") == dt.date(2026, 2, 16)
    assert rules.summary_due_date("2026-03") == dt.date(2026, 4, 15)
    assert rules.summary_due_date("2026-12") == dt.date(2027, 1, 15)
    assert rules.summary_due_date("2026-03", holidays=[dt.date(2026, 4, 15)]) == dt.date(2026, 4, 16)


def test_collection_required_only_on_the_fx_rebate_path_and_never_for_9810() -> None:
    assert rules.collection_required("9610", "summary_declaration")
    assert not rules.collection_required("9610", "summary_statistics")
    assert not rules.collection_required("9810", "summary_declaration")
    missing = rules.missing_for_release(
        trade_mode="9810",
        declaration_path="summary_declaration",
        has_order=True,
        has_collection=False,
        has_waybill=True,
        arrived=True,
        has_b2b_filing=False,
        has_warehouse_filing=False,
    )
    assert missing == ["b2b_filing", "warehouse_filing"]


def test_b2b_list_above_5000_cny_belongs_on_a_declaration_form() -> None:
    assert rules.b2b_list_value_error("9710", D("5000.00")) is None
    over = rules.b2b_list_value_error("9810", D("5000.01"))
    assert over is not None and over.code == "b2b_list_over_limit"
    assert rules.b2b_list_value_error("9610", D("90000")) is None


EXPORTED = {
    1: rules.ExportedLine(1, "6109100021", "011", "035", None, D("3"), D("0.6"), None, D("12.5")),
    2: rules.ExportedLine(2, "6912001000", "011", "035", None, D("1"), D("0.4"), None, D("8")),
}


def ask(g: int = 1, qty: str = "1", qty1: str = "0.2", hs: str = "6109100021") -> rules.ReturnRequestLine:
    return rules.ReturnRequestLine(g, hs, "011", "035", D(qty), D(qty1))


def check(
    requested: list[rules.ReturnRequestLine],
    done: dict[int, tuple[D, D, D]] | None = None,
    returned_on: dt.date = dt.date(2026, 6, 1),
) -> list[str]:
    errs = rules.check_return(
        list_status="departed",
        released_on=dt.date(2026, 3, 5),
        returned_on=returned_on,
        exported=EXPORTED,
        already_returned=done or {},
        requested=requested,
    )
    return [e.code for e in errs]


def test_return_within_a_year_and_within_what_left_is_accepted() -> None:
    assert check([ask(1, "3", "0.6")]) == []
    assert check([ask(1, "1")], returned_on=dt.date(2027, 3, 5)) == []  # the last day of the year


def test_return_larger_than_the_export_is_refused() -> None:
    assert check([ask(1, "4", "0.6")]) == ["return_exceeds_export"]


def test_several_returns_never_add_up_to_more_than_left() -> None:
    done = {1: (D("2"), D("0.4"), D("0"))}
    assert check([ask(1, "1", "0.2")], done) == []
    assert check([ask(1, "2", "0.2")], done) == ["return_exceeds_export"]


def test_return_after_one_year_or_of_other_goods_is_refused() -> None:
    assert check([ask(1)], returned_on=dt.date(2027, 3, 6)) == ["return_period_expired"]
    assert check([ask(3)]) == ["item_not_in_list"]
    assert check([ask(1, hs="6109100099")]) == ["hs_code_mismatch"]
    assert rules.return_deadline(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


@pytest.mark.parametrize(
    ("expected", "collected", "status", "outstanding", "over"),
    [
        ("100", "0", "outstanding", "100", "0"),
        ("100", "40", "partial", "60", "0"),
        ("100", "100", "collected", "0", "0"),
        ("100", "130", "over", "0", "30"),
    ],
)
def test_collection_status(expected: str, collected: str, status: str, outstanding: str, over: str) -> None:
    st = rules.collection_status(D(expected), D(collected))
    assert (st.status, st.outstanding, st.over) == (status, D(outstanding), D(over))
