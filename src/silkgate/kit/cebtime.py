"""CEB time formats: yyyyMMddHHmmss (appTime), yyyyMMdd (dates), yyyyMMddHHmmssSSS (returnTime).

CEB times are Beijing time; the database stores UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_app_time(value: str) -> dt.datetime:
    """yyyyMMddHHmmss in Beijing time -> aware UTC datetime. Raises ValueError."""
    if len(value) != 14 or not value.isdigit():
        raise ValueError("应为14位数字 yyyyMMddHHmmss")
    return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING).astimezone(dt.UTC)


def parse_date(value: str) -> dt.date:
    if len(value) != 8 or not value.isdigit():
        raise ValueError("应为8位数字 yyyyMMdd")
    return dt.datetime.strptime(value, "%Y%m%d").date()


def format_app_time(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def format_return_time(moment: dt.datetime) -> str:
    local = moment.astimezone(BEIJING)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def to_beijing(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING)
