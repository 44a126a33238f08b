"""Monthly and quarterly statistical reports (月报/季报) in the form passed up the line: Excel
(formatted, one sheet per table, each with its chart), CSV and a printable page; and any on-screen
table as Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.trade_stats import calc, queries
from silkgate.trade_stats.service import StatsScope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WAN = Decimal(10000)


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | money | wan | pct


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: str | None = None  # bar | line | pie: drawn from the first text column and the first numeric one
    note: str = ""
    export_href: str = ""  # set by the page: this table as Excel


@dataclass
class Report:
    title: str
    scope: str
    period_label: str
    date_from: dt.date
    date_to: dt.date
    generated_on: dt.date
    tables: list[Table] = field(default_factory=list)


def parse_period(kind: str, period: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """`YYYY-MM` for a monthly report, `YYYY-Qn` for a quarterly one; default the last complete one."""
    try:
        if kind == "monthly":
            start = (
                dt.date.fromisoformat(period + "-01") if period else calc.add_months(today.replace(day=1), -1)
            )
            return start, calc.add_months(start, 1) - dt.timedelta(days=1)
        if period:
            year_s, q_s = period.upper().split("-Q")
            q = int(q_s)
            if not 1 <= q <= 4:
                raise ValueError(period)
            start = dt.date(int(year_s), 3 * (q - 1) + 1, 1)
        else:
            start = calc.add_months(calc.period_start(today, "quarter"), -3)
        return start, calc.add_months(start, 3) - dt.timedelta(days=1)
    except ValueError as exc:
        fmt = "YYYY-MM" if kind == "monthly" else "YYYY-Qn（如 2026-Q3）"
        raise ValidationFailed([FieldError("period", "bad_period", f"报告期格式应为 {fmt}")]) from exc


MEASURE_COLUMNS = [
    Column("list_count", "清单票数", "int"),
    Column("value_cny", "货值（万元）", "wan"),
    Column("value_usd", "货值（万美元）", "wan"),
    Column("share", "占比", "pct"),
    Column("yoy", "同比", "pct"),
]


def build_report(
    session: Session, scope: StatsScope, kind: str, date_from: dt.date, date_to: dt.date, today: dt.date
) -> Report:
    name = "月报" if kind == "monthly" else "季报"
    label = calc.period_label(date_from, "month" if kind == "monthly" else "quarter")
    rep = Report(f"跨境电商进出口统计{name}", scope.label, label, date_from, date_to, today)
    head = queries.headline(session, scope, date_from, date_to)
    ytd = queries.headline(session, scope, dt.date(date_to.year, 1, 1), date_to)
    rows = []
    for now, cum in zip(head["figures"], ytd["figures"], strict=True):
        rows.append(
            {
                "label": now["label"],
                "list_count": now["list_count"],
                "value_cny": now["value_cny"],
                "value_usd": now["value_usd"],
                "yoy": now["yoy"],
                "pop": now["pop"],
                "ytd_value_cny": cum["value_cny"],
                "ytd_yoy": cum["yoy"],
            }
        )
    rep.tables.append(
        Table(
            "headline",
            "一、总体情况",
            [
                Column("label", "项目"),
                Column("list_count", "清单票数", "int"),
                Column("value_cny", "本期货值（万元）", "wan"),
                Column("value_usd", "本期货值（万美元）", "wan"),
                Column("yoy", "同比", "pct"),
                Column("pop", "环比", "pct"),
                Column("ytd_value_cny", "本年累计（万元）", "wan"),
                Column("ytd_yoy", "累计同比", "pct"),
            ],
            rows,
            chart="bar",
        )
    )
    for key, title, dimension, chart, limit in (
        ("mode", "二、分贸易方式", "trade_mode", "pie", 0),
        ("region", "三、分洲别", "region", "pie", 0),
        ("country", "四、主要贸易伙伴（前20）", "country", "bar", 20),
        ("hs2", "五、主要商品类章（前20）", "hs2", "bar", 20),
        *(
            ()
            if scope.is_enterprise
            else (
                ("seller", "六、重点电商企业（前20）", "seller", "bar", 20),
                ("platform", "七、电商平台", "platform", "bar", 20),
                ("logistics", "八、物流企业", "logistics", "bar", 20),
                ("customs", "九、申报海关", "customs", None, 0),
            )
        ),
    ):
        data = queries.breakdown(session, scope, dimension, date_from, date_to, limit=limit)
        rep.tables.append(
            Table(key, title, [Column("label", data["label"]), *MEASURE_COLUMNS], data["rows"], chart)
        )
    grain = "day" if kind == "monthly" else "month"
    trend = queries.series(session, scope, grain, date_from, date_to)
    rep.tables.append(
        Table(
            "trend",
            "附：逐日走势" if grain == "day" else "附：逐月走势",
            [
                Column("label", "期间"),
                Column("list_count", "清单票数", "int"),
                Column("value_cny", "货值（万元）", "wan"),
                Column("yoy", "同比", "pct"),
                Column("mom", "环比", "pct"),
            ],
            trend["periods"],
            chart="line",
        )
    )
    return rep


# --- Excel ----------------------------------------------------------------------------------------

TITLE_FONT = Font(name="SimHei", size=14, bold=True)
HEAD_FONT = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {"int": "#,##0", "money": "#,##0.00", "wan": "#,##0.00", "pct": "0.0%"}


def cell_value(row: dict[str, Any], col: Column) -> Any:
    v = row.get(col.key)
    if v is None:
        return None
    if col.kind == "wan":
        return float(Decimal(v) / WAN)
    if col.kind in ("money", "pct"):
        return float(v)
    if col.kind == "int":
        return int(v)
    return str(v)


def _write_table(ws: Any, table: Table, title: str, subtitle: str) -> None:
    ws.append([title])
    ws["A1"].font = TITLE_FONT
    ws.append([subtitle])
    ws.append([])
    ws.append([c.label for c in table.columns])
    header_row = ws.max_row
    for i in range(1, len(table.columns) + 1):
        cell = ws.cell(row=header_row, column=i)
        cell.font, cell.fill, cell.border = HEAD_FONT, HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in table.rows:
        ws.append([cell_value(row, c) for c in table.columns])
        for i, c in enumerate(table.columns, start=1):
            cell = ws.cell(row=ws.max_row, column=i)
            cell.border = BORDER
            if c.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[c.kind]
    for i, c in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if c.kind == "text" else 15
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if table.note:
        ws.append([])
        ws.append([table.note])
    _add_chart(ws, table, header_row)


def _add_chart(ws: Any, table: Table, header_row: int) -> None:
    if not table.chart or not table.rows:
        return
    numeric = [i for i, c in enumerate(table.columns, start=1) if c.kind in ("wan", "money", "int")]
    value_col = next(
        (i for i in numeric if table.columns[i - 1].kind in ("wan", "money")), numeric[0] if numeric else None
    )
    if value_col is None:
        return
    first, last = header_row + 1, header_row + len(table.rows)
    chart: Any
    if table.chart == "line":
        chart = LineChart()
    elif table.chart == "pie":
        chart = PieChart()
    else:
        chart = BarChart()
        chart.type = "bar" if len(table.rows) > 6 else "col"
    chart.title = table.title
    chart.add_data(Reference(ws, min_col=value_col, min_row=header_row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 9, 18
    ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}{header_row}")


def _sheet_name(title: str) -> str:
    bad = "[]:*?/\\"
    clean = "".join(ch for ch in title if ch not in bad)
    return clean[:31] or "Sheet"


def report_xlsx(rep: Report) -> bytes:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "封面"
    cover.append([rep.title])
    cover["A1"].font = Font(name="SimHei", size=18, bold=True)
    for k, v in (
        ("统计范围", rep.scope),
        ("报告期", f"{rep.period_label}（{rep.date_from} 至 {rep.date_to}）"),
        ("编制日期", rep.generated_on.isoformat()),
        ("数据来源", "平台放行申报清单（撤单、退货已扣除）；含“历史统计”字样者为综试办导入的往年统计数"),
        ("计量单位", "货值：万元人民币 / 万美元（按放行当日汇率）；比重、同比、环比：%"),
    ):
        cover.append([k, v])
        cover.cell(row=cover.max_row, column=1).font = Font(bold=True)
    cover.column_dimensions["A"].width = 14
    cover.column_dimensions["B"].width = 80
    for table in rep.tables:
        ws = wb.create_sheet(_sheet_name(table.title))
        _write_table(ws, table, f"{rep.title} · {table.title}", f"{rep.scope}　报告期：{rep.period_label}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_xlsx(table: Table, subtitle: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_name(table.title)
    _write_table(ws, table, table.title, subtitle)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- CSV and JSON -----------------------------------------------------------------------------------


def _csv_value(row: dict[str, Any], col: Column) -> str:
    v = row.get(col.key)
    if v is None:
        return ""
    if col.kind == "wan":
        return f"{Decimal(v) / WAN:.2f}"
    if col.kind == "pct":
        return f"{Decimal(v) * 100:.1f}%"
    return str(v)


def report_csv(rep: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([rep.title, rep.scope, rep.period_label, f"{rep.date_from}~{rep.date_to}"])
    for table in rep.tables:
        w.writerow([])
        w.writerow([table.title])
        w.writerow([c.label for c in table.columns])
        for row in table.rows:
            w.writerow([_csv_value(row, c) for c in table.columns])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly


def _json_default(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    raise TypeError(type(v))


def report_json(rep: Report) -> str:
    return json.dumps(
        {
            "title": rep.title,
            "scope": rep.scope,
            "period": rep.period_label,
            "date_from": rep.date_from,
            "date_to": rep.date_to,
            "tables": [
                {"key": t.key, "title": t.title, "columns": [c.__dict__ for c in t.columns], "rows": t.rows}
                for t in rep.tables
            ],
        },
        default=_json_default,
        ensure_ascii=False,
    )


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}


def respond(rep: Report, fmt: str) -> Response:
    name = f"{rep.title}-{rep.period_label}"
    if fmt == "csv":
        return Response(
            report_csv(rep), media_type="text/csv; charset=utf-8", headers=attachment(name + ".csv")
        )
    if fmt == "json":
        return Response(report_json(rep), media_type="application/json")
    return Response(report_xlsx(rep), media_type=XLSX, headers=attachment(name + ".xlsx"))
