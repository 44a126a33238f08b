"""The enterprise list as an Excel workbook, in the columns the reader's remit allows."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from silkgate.auth.kinds import ROLE_LABELS
from silkgate.kit import codelists
from silkgate.kit.cebtime import to_beijing
from silkgate.kit.sheets import append_row
from silkgate.models.registry import Commodity

FIELD_LABELS = {
    "id": "序号",
    "name": "企业名称",
    "name_en": "英文名称",
    "uscc": "统一社会信用代码",
    "customs_code": "海关注册编码",
    "roles": "企业类型",
    "status": "备案状态",
    "status_reason": "审核意见",
    "zone_code": "综试区代码",
    "district": "县（市、区）",
    "registered_address": "注册地址",
    "legal_representative": "法定代表人",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "contact_email": "电子邮箱",
    "settlement_bank": "结算开户银行",
    "settlement_account": "结算账号",
    "shops": "销售平台/店铺",
    "created_at": "备案时间",
    "decided_at": "审核时间",
    "updated_at": "最近修改",
    "version": "版本",
}
STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}
# Text columns whose digits Excel must not turn into numbers (codes, accounts, phones).
_TEXT_FIELDS = {"uscc", "customs_code", "contact_phone", "settlement_account", "zone_code"}
_WIDTHS = {"name": 34, "name_en": 30, "uscc": 22, "registered_address": 36, "shops": 30, "status_reason": 24}


def _cell(field: str, value: Any) -> Any:
    if value is None:
        return ""
    if field == "roles":
        return "、".join(ROLE_LABELS.get(r, r) for r in value)
    if field == "status":
        return STATUS_LABELS.get(value, value)
    if field == "shops":
        return "；".join(f"{s.get('platform', '')}：{s.get('shop', '')}" for s in value)
    if isinstance(value, dt.datetime):
        return to_beijing(value).replace(tzinfo=None)
    return value


def _workbook(
    sheet_title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str,
    text_columns: set[int],
    date_columns: set[int],
    widths: dict[int, int],
) -> bytes:
    """One sheet with a formatted, frozen, filterable header row."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title
    sheet.append(list(headers))
    header_fill = PatternFill("solid", fgColor="1D4E89")
    thin = Side(style="thin", color="B8C3CF")
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    for row in rows:
        append_row(sheet, row)
    for index in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(index, 16)
        number_format = (
            "@" if index in text_columns else "yyyy-mm-dd hh:mm" if index in date_columns else None
        )
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.row_dimensions[1].height = 22
    workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def enterprises_workbook(rows: Sequence[dict[str, Any]], fields: Sequence[str], *, title: str) -> bytes:
    """The enterprise list in the columns `fields` (the reader's remit)."""
    return _workbook(
        "企业备案",
        [FIELD_LABELS.get(f, f) for f in fields],
        [[_cell(f, row.get(f)) for f in fields] for row in rows],
        title=title,
        text_columns={i for i, f in enumerate(fields, start=1) if f in _TEXT_FIELDS},
        date_columns={
            i for i, f in enumerate(fields, start=1) if f in ("created_at", "decided_at", "updated_at")
        },
        widths={i: _WIDTHS.get(f, 16) for i, f in enumerate(fields, start=1)},
    )


COMMODITY_HEADERS = (
    "商品货号", "商品名称", "品牌", "规格型号", "HS编码", "申报要素", "原产国", "法定第一单位", "法定第二单位",
    "单价", "币制", "商品条码", "增值税率", "消费税率", "最惠国关税率", "正面清单", "备案企业", "备案时间",
)  # fmt: skip


def commodities_workbook(rows: Sequence[Commodity], owner_names: dict[int, str], *, title: str) -> bytes:
    """The filed goods, codes shown with their names (原产国 502 美国)."""
    countries, units, currencies = codelists.countries(), codelists.units(), codelists.currencies()

    def coded(code: str | None, names: dict[str, str]) -> str:
        return "" if not code else f"{code} {names.get(code, '')}".strip()

    body = [
        [
            c.item_no,
            c.name,
            c.brand or "",
            c.model or "",
            c.hs_code,
            c.declared_elements or "",
            coded(c.origin_country, countries),
            coded(c.unit, units),
            coded(c.unit2, units),
            c.unit_price,
            coded(c.currency, currencies),
            c.barcode or "",
            c.vat_rate,
            c.consumption_tax_rate,
            c.tariff_rate,
            "是" if c.positive_list else "否",
            owner_names.get(c.enterprise_id, ""),
            to_beijing(c.created_at).replace(tzinfo=None),
        ]
        for c in rows
    ]
    return _workbook(
        "商品备案",
        COMMODITY_HEADERS,
        body,
        title=title,
        text_columns={1, 5, 12},
        date_columns={18},
        widths={1: 18, 2: 32, 4: 20, 6: 30, 17: 32},
    )
