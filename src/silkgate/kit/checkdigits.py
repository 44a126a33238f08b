"""Check digits of Chinese identifiers.

- Unified social credit code (统一社会信用代码): GB 32100-2015, 18 characters, check
  character over a 31-symbol alphabet with weights 3^(i) mod 31.
- Organisation code embedded at positions 9-17: GB 11714-1997, mod 11.
- Resident identity number (公民身份号码): GB 11643-1999, ISO 7064 MOD 11-2.
- Customs registration code (海关注册编码): 10 characters, no public check digit.
"""

from __future__ import annotations

import datetime as dt
import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority (登记管理部门) codes and the institution types each may issue (GB 32100-2015 table 1).
USCC_AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制
    "2": "19",  # 外交
    "3": "1239",  # 司法行政
    "4": "19",  # 文化
    "5": "1239",  # 民政
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "129",  # 工会
    "9": "123",  # 工商 / 市场监管
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CUSTOMS_CODE = re.compile(r"^[0-9A-Z]{10}$")


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code, for its first 17."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problems(code: str) -> list[tuple[str, str]]:
    """Every rule of GB 32100-2015 the code breaks, as (stable code, Chinese message). Empty = valid."""
    if len(code) != 18:
        return [("uscc_length", f"统一社会信用代码应为18位，实际为{len(code)}位")]
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        return [
            ("uscc_charset", f"统一社会信用代码含非法字符：{''.join(bad)}（不得使用I、O、Z、S、V及小写字母）")
        ]
    problems: list[tuple[str, str]] = []
    allowed = USCC_AUTHORITY_TYPES.get(code[0])
    if allowed is None:
        problems.append(("uscc_authority", f"第1位登记管理部门代码“{code[0]}”不存在"))
    elif code[1] not in allowed:
        problems.append(("uscc_type", f"第2位机构类别代码“{code[1]}”与登记管理部门“{code[0]}”不符"))
    if not code[2:8].isdigit():
        problems.append(("uscc_division", "第3-8位应为登记管理机关行政区划码（6位数字）"))
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        problems.append(
            ("uscc_check_digit", f"统一社会信用代码校验位错误：应为“{expected}”，实际为“{code[17]}”")
        )
    return problems


def is_valid_uscc(code: str) -> bool:
    return not uscc_problems(code)


def organisation_code_check_char(first8: str) -> str:
    """GB 11714-1997 check character of an organisation code (positions 9-17 of a USCC)."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in first8]
    c9 = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def resident_id_problems(number: str, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Rules of GB 11643-1999 for an 18-digit resident ID number."""
    if len(number) != 18:
        return [("id_length", f"身份证号码应为18位，实际为{len(number)}位")]
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return [("id_charset", "身份证号码前17位应为数字，第18位为数字或大写X")]
    problems: list[tuple[str, str]] = []
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if born > (today or dt.date.today()) or born.year < 1900:
            problems.append(("id_birth_date", "身份证号码中的出生日期超出合理范围"))
    except ValueError:
        problems.append(("id_birth_date", "身份证号码中的出生日期不存在"))
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        problems.append(("id_check_digit", f"身份证号码校验位错误：应为“{expected}”，实际为“{number[17]}”"))
    return problems


def is_valid_resident_id(number: str) -> bool:
    return not resident_id_problems(number)


def customs_code_problems(code: str) -> list[tuple[str, str]]:
    """海关注册编码: 10 characters, digits and upper-case letters; the first four are the division code."""
    if not _CUSTOMS_CODE.match(code):
        return [("customs_code_format", "海关注册编码应为10位数字或大写字母")]
    if not code[:4].isdigit():
        return [("customs_code_division", "海关注册编码前4位应为所在地行政区划代码")]
    return []
