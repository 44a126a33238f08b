"""Reading registry files: bulk-onboarding files (JSON, CSV, Excel) and tariff tables (CSV).

Only shapes are handled here (which rows of which kind, cell text to values); every row is then
validated by the same services the API uses.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from silkgate.exceptions import FieldError, ValidationFailed

TARIFF_COLUMNS = ("hs_code", "name", "vat_rate", "consumption_tax_rate", "tariff_rate", "positive_list")
LOAD_KINDS = (
    "enterprises",
    "commodities",
    "identities",
    "broker_authorisations",
    "b2b_export_filings",
    "overseas_warehouses",
)
# Sheet or file names officials use for each kind (the more specific names first: `_kind_of`
# matches a name that starts with an alias).
KIND_ALIASES = {
    "broker_authorisations": ("broker_authorisations", "broker_authorisation", "报关企业授权", "报关授权"),
    "b2b_export_filings": ("b2b_export_filings", "b2b_export_filing", "b2b出口备案", "出口企业备案"),
    "overseas_warehouses": ("overseas_warehouses", "overseas_warehouse", "海外仓备案", "海外仓"),
    "enterprises": ("enterprises", "enterprise", "企业", "企业备案"),
    "commodities": ("commodities", "commodity", "goods", "商品", "商品备案"),
    "identities": ("identities", "identity", "身份", "身份信息"),
}
_ROLE_SEPARATORS = (";", "；", "|", "、", ",", "，", " ")
_TRUE = {"1", "true", "yes", "y", "是", "t", "已通过"}


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed([FieldError("file", "encoding", "文件编码无法识别，请保存为 UTF-8 或 GB18030")])


def csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str]], int]:
    """Header, rows, and the file line number of the first data row. Lines starting with # are comments."""
    lines = _decode(data).splitlines()
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[skipped:])))
    header = [h.strip() for h in (reader.fieldnames or [])]
    rows = []
    for raw in reader:
        rows.append({(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None})
    return header, rows, skipped + 2


def read_tariff_csv(data: bytes) -> tuple[list[dict[str, str]], int]:
    """Rows of a tariff CSV (columns hs_code,name,vat_rate,consumption_tax_rate,tariff_rate,positive_list
    and optionally source); raises ValidationFailed naming each missing column."""
    header, rows, first_line = csv_rows(data)
    missing = [c for c in TARIFF_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            [FieldError(f"columns.{c}", "missing_column", f"缺少列“{c}”") for c in missing],
            message="税则表表头不完整，应为：" + ",".join(TARIFF_COLUMNS),
        )
    return rows, first_line


def _kind_of(name: str) -> str | None:
    key = name.strip().lower()
    for kind, aliases in KIND_ALIASES.items():
        if any(key == a or key.startswith(a) for a in aliases):
            return kind
    return None


def split_roles(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value or "")
    for sep in _ROLE_SEPARATORS[1:]:
        text = text.replace(sep, _ROLE_SEPARATORS[0])
    return [r.strip() for r in text.split(_ROLE_SEPARATORS[0]) if r.strip()]


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE


def _tabular_row(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A CSV/Excel row as the JSON shape: roles split, flags as booleans, empty cells dropped."""
    out = {k: v for k, v in row.items() if k and v not in (None, "")}
    if kind == "enterprises":
        if "roles" in out:
            out["roles"] = split_roles(out["roles"])
        if "approved" in out:
            out["approved"] = as_bool(out["approved"])
    for key, value in list(out.items()):
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and value.is_integer() and key not in ("unit_price",):
            out[key] = str(int(value))
        elif isinstance(value, int | float) and key not in ("unit_price", "vat_rate", "consumption_tax_rate"):
            out[key] = str(value)
    return out


def read_load_file(path: Path, *, kind: str | None = None) -> dict[str, Any]:
    """A bulk-onboarding file as {"zone"?, "enterprises": [...], "commodities": [...], "identities": [...]}.

    JSON: the documented shape. CSV: one kind per file, from `kind` or the file name
    (enterprises.csv, commodities.csv, identities.csv, or 企业/商品/身份). Excel: one sheet per kind,
    named the same way. Roles in CSV/Excel cells are separated by ; or 、.
    """
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".json":
        try:
            doc = json.loads(_decode(data))
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                [
                    FieldError(
                        "file", "json_invalid", f"JSON 格式错误（第{exc.lineno}行第{exc.colno}列）：{exc.msg}"
                    )
                ]
            ) from exc
        if not isinstance(doc, dict):
            raise ValidationFailed(
                [FieldError("file", "json_shape", "JSON 顶层应为对象（含 zone、enterprises 等键）")]
            )
        return doc
    if suffix == ".csv":
        resolved = kind or _kind_of(path.stem)
        if resolved is None:
            raise ValidationFailed(
                [
                    FieldError(
                        "kind",
                        "unknown_kind",
                        "无法从文件名判断数据类型，请用 --kind 指定 " + "、".join(LOAD_KINDS),
                    )
                ]
            )
        _header, rows, _first = csv_rows(data)
        return {resolved: [_tabular_row(resolved, r) for r in rows]}
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(data)
    raise ValidationFailed(
        [FieldError("file", "file_type", f"不支持的文件类型“{suffix}”，请使用 .json、.csv 或 .xlsx")]
    )


def _read_workbook(data: bytes) -> dict[str, Any]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise ValidationFailed(
            [FieldError("file", "xlsx_invalid", "Excel 文件无法读取，请确认是 .xlsx 格式")]
        ) from exc
    doc: dict[str, Any] = {}
    unknown = []
    for sheet in workbook.worksheets:
        kind = _kind_of(sheet.title)
        if kind is None:
            unknown.append(sheet.title)
            continue
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            doc[kind] = []
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        doc[kind] = [
            _tabular_row(kind, dict(zip(header, row, strict=False)))
            for row in rows[1:]
            if any(cell not in (None, "") for cell in row)
        ]
    if not doc:
        raise ValidationFailed(
            [
                FieldError(
                    "file",
                    "no_known_sheet",
                    f"工作表“{'、'.join(unknown)}”都不是 enterprises / commodities / identities / "
                    "broker_authorisations / b2b_export_filings / overseas_warehouses"
                    "（或 企业 / 商品 / 身份 / 报关企业授权 / B2B出口备案 / 海外仓备案）",
                )
            ]
        )
    return doc
