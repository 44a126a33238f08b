"""Excel and CSV exports, formula-safe: the one place every export writes its cells through.

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be read by
Excel (or LibreOffice) as a formula — an enterprise named `=HYPERLINK(...)` would run in the
zone official's spreadsheet (OWASP "CSV injection"). In a workbook such text is stored as a
string cell, never a formula; in CSV it is prefixed with a single quote, as OWASP advises.
Numbers, dates and booleans are written as themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        # control characters a workbook cannot hold (XML 1.0) are dropped, not fatal
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime | str):
        return value
    return str(value)


def set_cell(cell: Cell | MergedCell, value: Any, *, as_text: bool = False) -> None:
    """Write `value` into `cell`; text is always a string cell (never a formula)."""
    plain = _plain(value)
    if as_text and not isinstance(plain, str):
        plain = str(plain)
    cell.value = plain
    if isinstance(plain, str):
        cell.data_type = "s"


def append_row(ws: Worksheet, values: Sequence[Any], *, text_columns: Iterable[int] = ()) -> None:
    """`ws.append` through `set_cell`: codes in `text_columns` (0-based) stay text ("0012" ≠ 12)."""
    text = set(text_columns)
    row = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
    for index, value in enumerate(values):
        set_cell(ws.cell(row=row, column=index + 1), value, as_text=index in text)


def add_sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Mapping[int, float] | None = None,
    text_columns: Iterable[int] = (),
    first: bool = False,
) -> Worksheet:
    """A sheet with a bold, frozen header row and columns sized to their contents."""
    ws = wb.active if first and wb.active is not None else wb.create_sheet()
    assert isinstance(ws, Worksheet)
    ws.title = title[:31]
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"
    text = tuple(text_columns)
    longest = [len(str(h)) * 2 for h in headers]
    for values in rows:
        append_row(ws, values, text_columns=text)
        for index, value in enumerate(values[: len(longest)]):
            longest[index] = max(longest[index], len(str(value if value is not None else "")) + 2)
    for index, width in enumerate(longest):
        chosen = (widths or {}).get(index, min(50, max(10, width)))
        ws.column_dimensions[get_column_letter(index + 1)].width = chosen
    return ws


def workbook_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    widths: Mapping[int, float] | None = None,
    text_columns: Iterable[int] = (),
) -> bytes:
    """A one-sheet workbook."""
    wb = Workbook()
    add_sheet(wb, title, headers, rows, widths=widths, text_columns=text_columns, first=True)
    return workbook_bytes(wb)


def csv_cell(value: Any) -> str:
    plain = _plain(value)
    text = plain.isoformat() if isinstance(plain, dt.date | dt.datetime) else str(plain)
    return "'" + text if isinstance(plain, str) and is_formula_like(text) else text


def csv_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for values in rows:
        writer.writerow([csv_cell(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
