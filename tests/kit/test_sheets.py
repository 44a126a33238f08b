"""Exports never write a formula: text that Excel would evaluate stays text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from silkgate.kit.sheets import csv_table, xlsx_table

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_workbook_cells_that_look_like_formulas_are_strings() -> None:
    data = xlsx_table(
        "企业", ["名称", "金额", "日期"], [[h, Decimal("12.50"), dt.date(2026, 1, 2)] for h in HOSTILE]
    )
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    names = [ws.cell(row=r, column=1) for r in range(2, 2 + len(HOSTILE))]
    assert [c.value for c in names] == HOSTILE
    assert {c.data_type for c in names} == {"s"}
    assert ws.cell(row=2, column=2).value == 12.5 and ws.cell(row=2, column=2).data_type == "n"
    assert ws.cell(row=2, column=3).value == dt.datetime(2026, 1, 2)


def test_text_columns_keep_leading_zeros() -> None:
    ws = load_workbook(io.BytesIO(xlsx_table("t", ["编码"], [[12], ["0012"]], text_columns=[0]))).active
    assert ws is not None
    assert ws.cell(row=2, column=1).value == "12" and ws.cell(row=3, column=1).value == "0012"


def test_csv_prefixes_formula_text_with_a_quote_and_keeps_numbers() -> None:
    data = csv_table(["名称", "金额"], [[h, -5] for h in HOSTILE])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["名称", "金额"]
    assert [r[0] for r in rows[1:]] == ["'" + h for h in HOSTILE]
    assert {r[1] for r in rows[1:]} == {"-5"}
