"""Filing rules that need no database: every field a filing breaks, as FieldErrors.

Sources of the rules:
- USCC: GB 32100-2015 (check character), via kit.checkdigits.
- Customs registration code (海关注册编码): 10 characters, first four the division code
  (海关总署令第221号《海关报关单位注册登记管理规定》 and its successor 2021年第253号令).
- HS code: 10 digits as CEB `gcode` (8-digit tariff line + 2-digit customs statistics
  subheading, 《中华人民共和国进出口税则》); chapters 01-97, chapter 77 is reserved.
- Country, unit, currency: the customs code lists (kit.codelists).
- Barcode: GS1 GTIN-8/12/13/14 check digit (GB 12904-2008 商品条码).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from silkgate.exceptions import FieldError
from silkgate.kit import codelists
from silkgate.kit.checkdigits import customs_code_problems, uscc_problems
from silkgate.models.registry import ENTERPRISE_ROLES

ROLE_LIST = "、".join(ENTERPRISE_ROLES)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_ACCOUNT = re.compile(r"^\d{8,32}$")
_HS10 = re.compile(r"^\d{10}$")
_HS_TARIFF = re.compile(r"^(\d{8}|\d{10})$")
_MAX_PRICE = Decimal("99999999999999")  # 19 digits with 5 decimals (CEB decimal type)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _required(data: dict[str, Any], field: str, label: str, errors: list[FieldError]) -> bool:
    if _blank(data.get(field)):
        errors.append(FieldError(field, "required", f"{label}为必填项"))
        return False
    return True


def gs1_check_digit(body: str) -> str:
    """GS1 check digit for the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def barcode_problems(code: str) -> list[tuple[str, str]]:
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return [("barcode_format", "商品条码应为8、12、13或14位数字（GTIN）")]
    expected = gs1_check_digit(code[:-1])
    if code[-1] != expected:
        return [("barcode_check_digit", f"商品条码校验位错误：应为“{expected}”，实际为“{code[-1]}”")]
    return []


def hs_code_problems(code: str, *, allow_eight: bool = False) -> list[tuple[str, str]]:
    pattern = _HS_TARIFF if allow_eight else _HS10
    if not pattern.match(code):
        want = "8位或10位数字" if allow_eight else "10位数字"
        return [("hs_code_format", f"海关商品编码应为{want}，实际为“{code}”")]
    chapter = int(code[:2])
    if chapter < 1 or chapter > 97 or chapter == 77:
        return [("hs_code_chapter", f"海关商品编码前两位“{code[:2]}”不是有效的税则章号（01-97，77章保留）")]
    return []


def phone_problems(phone: str) -> list[tuple[str, str]]:
    compact = phone.replace(" ", "")
    if _MOBILE.match(compact) or _LANDLINE.match(compact):
        return []
    return [("phone_format", "联系电话应为11位手机号或带区号的固定电话（如 0359-2345678）")]


def enterprise_problems(data: dict[str, Any], *, partial: bool = False) -> list[FieldError]:
    """Rules of one enterprise filing. `partial` (an update) checks only the fields present."""
    errors: list[FieldError] = []

    def present(field: str) -> bool:
        return field in data and not (partial and data[field] is None)

    if not partial:
        _required(data, "uscc", "统一社会信用代码", errors)
    if not _blank(data.get("uscc")):
        errors.extend(FieldError("uscc", c, m) for c, m in uscc_problems(str(data["uscc"])))
    if (not partial or present("customs_code")) and _required(data, "customs_code", "海关注册编码", errors):
        errors.extend(
            FieldError("customs_code", c, m) for c, m in customs_code_problems(str(data["customs_code"]))
        )
    if not partial or present("name"):
        _required(data, "name", "企业名称", errors)
    if not partial or present("roles"):
        roles = data.get("roles") or []
        if not roles:
            errors.append(FieldError("roles", "required", f"至少选择一种企业类型（{ROLE_LIST}）"))
        unknown = [r for r in roles if r not in ENTERPRISE_ROLES]
        if unknown:
            errors.append(
                FieldError(
                    "roles", "unknown_role", f"企业类型“{'、'.join(unknown)}”不存在，可选：{ROLE_LIST}"
                )
            )
        if len(set(roles)) != len(roles):
            errors.append(FieldError("roles", "duplicate_role", "企业类型重复"))
    if not _blank(data.get("contact_phone")):
        errors.extend(
            FieldError("contact_phone", c, m) for c, m in phone_problems(str(data["contact_phone"]))
        )
    if not _blank(data.get("contact_email")) and not _EMAIL.match(str(data["contact_email"])):
        errors.append(FieldError("contact_email", "email_format", "电子邮箱格式不正确"))
    account = data.get("settlement_account")
    if not _blank(account):
        if not _ACCOUNT.match(str(account).replace(" ", "")):
            errors.append(FieldError("settlement_account", "account_format", "结算账号应为8-32位数字"))
        if _blank(data.get("settlement_bank")):
            errors.append(FieldError("settlement_bank", "required", "填写结算账号时须填写开户银行"))
    for i, shop in enumerate(data.get("shops") or []):
        for key, label in (("platform", "平台名称"), ("shop", "店铺名称")):
            if _blank(shop.get(key)):
                errors.append(
                    FieldError(f"shops[{i}].{key}", "required", f"第{i + 1}个店铺的{label}为必填项")
                )
        url = shop.get("url")
        if not _blank(url) and not str(url).startswith(("https://", "http://")):
            errors.append(
                FieldError(
                    f"shops[{i}].url", "url_format", f"第{i + 1}个店铺的网址应以 https:// 或 http:// 开头"
                )
            )
    return errors


def _rate_problems(field: str, value: Decimal | None, label: str) -> list[FieldError]:
    if value is None:
        return []
    if value < 0 or value >= 1:
        return [FieldError(field, "rate_range", f"{label}应为0到1之间的小数（如13%填0.13）")]
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        return [FieldError(field, "rate_precision", f"{label}最多6位小数")]
    return []


def commodity_problems(data: dict[str, Any], *, partial: bool = False) -> list[FieldError]:
    """Rules of one commodity filing."""
    errors: list[FieldError] = []

    def check(field: str) -> bool:
        return not partial or (field in data and data[field] is not None)

    if not partial:
        _required(data, "item_no", "商品货号", errors)
    if check("name"):
        _required(data, "name", "商品名称", errors)
    if check("hs_code") and _required(data, "hs_code", "海关商品编码", errors):
        errors.extend(FieldError("hs_code", c, m) for c, m in hs_code_problems(str(data["hs_code"])))
    if check("origin_country") and _required(data, "origin_country", "原产国", errors):
        code = str(data["origin_country"])
        if code not in codelists.countries():
            errors.append(
                FieldError(
                    "origin_country",
                    "unknown_country",
                    f"原产国代码“{code}”不在海关国别（地区）代码表中（应为3位数字，如502美国、116日本）",
                )
            )
    for field, label, required in (("unit", "法定第一计量单位", True), ("unit2", "法定第二计量单位", False)):
        if not check(field):
            continue
        if required and not _required(data, field, label, errors):
            continue
        unit_code = data.get(field)
        if not _blank(unit_code) and str(unit_code) not in codelists.units():
            errors.append(
                FieldError(
                    field,
                    "unknown_unit",
                    f"{label}“{unit_code}”不在计量单位代码表中（如007个、035千克、142瓶）",
                )
            )
    if check("unit_price") and _required(data, "unit_price", "单价", errors):
        price = Decimal(str(data["unit_price"]))
        if price <= 0:
            errors.append(FieldError("unit_price", "not_positive", "单价应大于0"))
        elif price > _MAX_PRICE or price.as_tuple().exponent < -5:  # type: ignore[operator]
            errors.append(FieldError("unit_price", "price_precision", "单价最多14位整数、5位小数"))
    currency = data.get("currency")
    if check("currency") and not _blank(currency) and str(currency) not in codelists.currencies():
        errors.append(
            FieldError(
                "currency", "unknown_currency", f"币制代码“{currency}”不在海关币制代码表中（人民币为142）"
            )
        )
    if not _blank(data.get("barcode")):
        errors.extend(FieldError("barcode", c, m) for c, m in barcode_problems(str(data["barcode"])))
    for field, label in (
        ("vat_rate", "增值税率"),
        ("consumption_tax_rate", "消费税率"),
        ("tariff_rate", "关税税率"),
    ):
        value = data.get(field)
        errors.extend(_rate_problems(field, None if value is None else Decimal(str(value)), label))
    return errors


def tariff_row_problems(row: dict[str, Any]) -> list[FieldError]:
    """One row of a tariff table: HS code of 8 or 10 digits, rates as fractions in [0, 1)."""
    errors: list[FieldError] = []
    if _required(row, "hs_code", "海关商品编码", errors):
        errors.extend(
            FieldError("hs_code", c, m) for c, m in hs_code_problems(str(row["hs_code"]), allow_eight=True)
        )
    _required(row, "name", "商品名称", errors)
    for field, label in (
        ("vat_rate", "增值税率"),
        ("consumption_tax_rate", "消费税率"),
        ("tariff_rate", "关税税率"),
    ):
        if _required(row, field, label, errors):
            errors.extend(_rate_problems(field, Decimal(str(row[field])), label))
    if row.get("positive_list") is None:
        errors.append(FieldError("positive_list", "required", "是否在正面清单为必填项（1或0）"))
    return errors
