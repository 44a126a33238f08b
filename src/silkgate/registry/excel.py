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
from silkgate.kit.cebtime import to_beijing

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


def enterprises_workbook(rows: Sequence[dict[str, Any]], fields: Sequence[str], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业备案"
    sheet.append([FIELD_LABELS.get(f, f) for f in fields])
    header_fill = PatternFill("solid", fgColor="1D4E89")
    thin = Side(style="thin", color="B8C3CF")
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    for row in rows:
        sheet.append([_cell(f, row.get(f)) for f in fields])
    for index, field in enumerate(fields, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS.get(field, 16)
        if field in _TEXT_FIELDS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
        if field in ("created_at", "decided_at", "updated_at"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.row_dimensions[1].height = 22
    workbook.properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
