"""CEB code values: receipt statuses, field-error codes and the code lists fields are checked against.

Sources:
- Receipt `returnStatus` values and their Chinese texts: XSD annotations of the 海关跨境电商统一版
  系统企业对接报文规范 (202205版) receipts, summarised in ../shared/reference/ceb/FIELDS.md §3.1.
- Code lists (silkgate's own tables in `silkgate/data/`, built by scripts/extract_code_tables.py and
  scripts/build_ceb_codes.py): 国别(地区)代码 and 币制代码 (old numeric JGS-20 codes the CEB XSDs
  keep), JGS-20 计量单位代码, 运输方式代码, 包装种类 (1-character), and the CEB 监管方式
  (9610 海关总署公告2014年第12号, 1210 公告2014年第57号, 1239 公告2016年第75号,
  9710/9810 公告2020年第75号).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# --- receipt returnStatus (FIELDS.md §3.1) -------------------------------------------------------
STATUS_STORED = "1"  # 电子口岸已暂存
STATUS_DECLARING = "2"  # 电子口岸申报中
STATUS_SENT = "3"  # 发送海关成功
STATUS_SEND_FAILED = "4"  # 发送海关失败
STATUS_CUSTOMS_REJECTED = "100"  # 海关退单
STATUS_CUSTOMS_RECORDED = "120"  # 海关入库
STATUS_MANUAL_REVIEW = "300"  # 人工审核
STATUS_CONCLUDED = "399"  # 海关审结
STATUS_INSPECTION = "500"  # 查验
STATUS_DETAINED_CLEARANCE = "501"  # 扣留移送通关
STATUS_DETAINED_ANTI_SMUGGLING = "502"  # 扣留移送缉私
STATUS_DETAINED_LEGAL = "503"  # 扣留移送法规
STATUS_HANDED_OVER = "505"  # 移交
STATUS_DETAINED_OTHER = "599"  # 其它扣留
STATUS_SUSPENDED = "600"  # 挂起
STATUS_RETURNED = "700"  # 退运
STATUS_RELEASED = "800"  # 放行
STATUS_CLOSED = "899"  # 结关
STATUS_FORMAT_ERROR = "-1"  # 报文格式校验异常 (any value < 0, CEB900 MessageReturn)

RETURN_STATUS_TEXT: dict[str, str] = {
    STATUS_STORED: "电子口岸已暂存",
    STATUS_DECLARING: "电子口岸申报中",
    STATUS_SENT: "发送海关成功",
    STATUS_SEND_FAILED: "发送海关失败",
    STATUS_CUSTOMS_REJECTED: "海关退单",
    STATUS_CUSTOMS_RECORDED: "海关入库",
    STATUS_MANUAL_REVIEW: "人工审核",
    STATUS_CONCLUDED: "海关审结",
    STATUS_INSPECTION: "查验",
    STATUS_DETAINED_CLEARANCE: "扣留移送通关",
    STATUS_DETAINED_ANTI_SMUGGLING: "扣留移送缉私",
    STATUS_DETAINED_LEGAL: "扣留移送法规",
    STATUS_HANDED_OVER: "移交",
    STATUS_DETAINED_OTHER: "其它扣留",
    STATUS_SUSPENDED: "挂起",
    STATUS_RETURNED: "退运",
    STATUS_RELEASED: "放行",
    STATUS_CLOSED: "结关",
    STATUS_FORMAT_ERROR: "报文格式校验异常",
}

# Which statuses each receipt type's XSD annotation lists (FIELDS.md §3.1; "<0" is allowed everywhere).
_ALL = ("2", "3", "4", "100")
RECEIPT_STATUSES: dict[str, frozenset[str]] = {
    "CEB312": frozenset((*_ALL, "120", "399")),
    "CEB412": frozenset((*_ALL, "120", "399")),
    "CEB512": frozenset((*_ALL, "120", "399")),
    "CEB514": frozenset((*_ALL, "399")),
    "CEB622": frozenset(
        (*_ALL, "1", "120", "300", "399", "500", "501", "502", "503", "599", "700", "800", "899")
    ),
    "CEB624": frozenset((*_ALL, "1", "120", "399")),
    "CEB626": frozenset((*_ALL, "1", "120", "399")),
    "CEB712": frozenset((*_ALL, "1", "120", "399")),
    "CEB304": frozenset((*_ALL, "1", "399")),
    "CEB404": frozenset((*_ALL, "1", "399")),
    "CEB506": frozenset((*_ALL, "1", "399")),
    "CEB508": frozenset((*_ALL, "1", "399")),
    # CEB510 DepartureReturn.returnStatus is annotated only "回执状态": every status is allowed.
    "CEB510": frozenset(s for s in RETURN_STATUS_TEXT if not s.startswith("-")),
    "CEB604": frozenset((*_ALL, "1", "120", "300", "399", "800", "899")),
    "CEB606": frozenset((*_ALL, "1", "399")),
    "CEB608": frozenset((*_ALL, "1", "399")),
    "CEB702": frozenset((*_ALL, "1", "399")),
    "CEB214": frozenset((*_ALL, "1", "120", "300", "500", "505", "600", "800")),
    "CEB216": frozenset((*_ALL, "1", "399")),
}


def status_text(status: str) -> str:
    """Chinese text of a returnStatus; any negative value is a processing/format error."""
    if status in RETURN_STATUS_TEXT:
        return RETURN_STATUS_TEXT[status]
    if status.startswith("-") and status[1:].isdigit():
        return "处理异常回执"
    raise KeyError(status)


# --- field-error codes (stable, snake_case) ------------------------------------------------------
ERROR_CODES: dict[str, str] = {
    "required": "必填项缺失",
    "empty": "必填项为空",
    "too_long": "超过最大长度",
    "too_short": "短于最小长度",
    "wrong_length": "长度不符",
    "bad_decimal": "不是合法的数字",
    "decimal_too_many_digits": "数字总位数超限",
    "decimal_too_many_fraction_digits": "小数位数超限",
    "bad_integer": "不是合法的整数",
    "bad_datetime": "时间格式应为yyyyMMddHHmmss",
    "bad_date": "日期格式应为yyyyMMdd",
    "bad_timestamp": "时间格式应为yyyyMMddHHmmssSSS",
    "bad_value": "取值不在规范允许的范围内",
    "not_in_enumeration": "取值不在XSD枚举值中",
    "signature_required": "申报状态的报文必须加签",
    "not_in_code_list": "代码不在代码表中",
    "currency_not_cny": "进口单证币制限定为人民币142",
    "not_digits": "应为数字代码",
    "pattern_mismatch": "格式不符",
    "fixed_mismatch": "取值应为XSD规定的固定值",
    "bad_base64": "不是合法的Base64编码",
    "out_of_order": "元素顺序错误",
    "too_many": "重复次数超过上限",
    "unknown_element": "未定义的元素",
    "unknown_attribute": "未定义的属性",
    "wrong_namespace": "命名空间错误",
    "not_a_leaf": "此处应为文本值",
    "not_a_node": "此处应为节点",
    "bad_json_type": "JSON取值类型错误",
}

# --- MessageRejected codes (whole message) --------------------------------------------------------
REJECT_CODES: dict[str, str] = {
    "xml_too_large": "报文过大",
    "xml_empty": "报文为空",
    "xml_encoding": "报文编码错误",
    "xml_dtd_forbidden": "报文含DTD或实体声明",
    "xml_malformed": "报文不是格式正确的XML",
    "json_malformed": "JSON报文格式错误",
    "unknown_message_type": "未知的报文类型",
    "wrong_namespace": "报文命名空间错误",
    "type_not_in_edition": "该版本规范未定义此报文类型",
    "format_invalid": "报文不符合XSD规范",
    "code_invalid": "报文字段代码或取值校验未通过",
}


# --- code lists ------------------------------------------------------------------------------------
@cache
def _table(name: str) -> dict[str, str]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def countries() -> dict[str, str]:
    """国别(地区)代码, 3-digit numeric (142 中国, 502 美国, 116 日本 ...)."""
    return _table("codes_countries.csv")


def currencies() -> dict[str, str]:
    """币制代码, 3-digit numeric (142 人民币, 502 美元, 300 欧元 ...)."""
    return _table("codes_currencies.csv")


def units() -> dict[str, str]:
    """JGS-20 计量单位代码 (007 个, 035 千克, 140 盒 ...)."""
    return _table("codes_units.csv")


def transport_modes() -> dict[str, str]:
    """运输方式代码 (0 非保税区, 5 航空运输, W 物流中心, Y 保税港区 ...)."""
    return _table("codes_transport_modes.csv")


def wrap_types() -> dict[str, str]:
    """1-character 包装种类 (1 木箱 ... 7 其它)."""
    return _table("codes_wrap_types.csv")


@cache
def trade_modes(direction: str) -> dict[str, str]:
    """监管方式 allowed in CEB declarations of a direction ("import": 9610/1210/1239; "export" adds 9710/9810)."""
    with (DATA_DIR / "codes_trade_modes.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh) if direction in r["directions"].split()}


CNY = "142"
# The JGS-20 unit table in the reference stops at 164 亿株; one further source lists 165 面, 166 颗,
# 167 道 (unverified, ../shared/reference/codes/README.md): those are accepted with a warning.
UNIT_TABLE_LAST = 164
UNVERIFIED_UNITS = {"165": "面", "166": "颗", "167": "道"}
