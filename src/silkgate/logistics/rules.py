"""Pure rules of smart logistics: carrier event codes, the buyer-facing timeline (merge, dedupe,
order), redaction of personal data, and the median / 90th percentile of durations. No I/O.

Basis: 海关总署公告2018年第194号 (the waybill and its status are the goods flow of 三单对碰) and
海关总署公告2018年第165号 (retail export returns); 个人信息保护法 Art. 6 (minimum necessary): the
public page shows statuses, times and places, never the consignee.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CARRIER_EVENTS = {
    "PICKED_UP": "已揽收",
    "ARRIVED_HUB": "到达转运中心",
    "DEPARTED_HUB": "离开转运中心",
    "EXPORT_HANDOVER": "交付出口口岸",
    "DEPARTED_ORIGIN": "已离境（启运）",
    "IN_TRANSIT": "国际运输中",
    "ARRIVED_DESTINATION": "到达目的地口岸",
    "IMPORT_HANDOVER": "交付进口口岸查验",
    "OUT_FOR_DELIVERY": "派送中",
    "DELIVERED": "已签收",
    "EXCEPTION": "异常",
    "RETURNING": "退回中",
    "RETURNED": "已退回",
}
MODE_LABELS = {"air": "航空", "rail": "铁路", "sea": "海运", "road": "公路"}
WAREHOUSE_KIND_LABELS = {
    "bonded": "保税仓库",
    "supervised_site": "海关监管场所",
    "overseas": "海外仓",
    "returns": "退货中心仓",
    "consolidation": "出口集货仓",
    "domestic": "境内仓",
}
LEG_STATUS_LABELS = {"planned": "待发运", "in_transit": "运输中", "arrived": "已到达"}
CONSIGNMENT_STATUS_LABELS = {"booked": "已订舱", "in_transit": "运输中", "delivered": "已交付"}
RETURN_STATUS_LABELS = {"routed": "已分配退货仓", "unrouted": "待分配退货仓", "received": "已入退货仓"}
MOVEMENT_KINDS = ("inbound", "outbound", "stocktake", "return_in")
MOVEMENT_LABELS = {"inbound": "入库", "outbound": "出库", "stocktake": "盘点", "return_in": "退货入库"}

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_SIGNER = re.compile(r"(签收人|收件人|收货人)\s*[:：]?\s*[^\s,，;；。]+")


def redact_personal(text: str) -> str:
    """Strip phone numbers, resident ID numbers and signer names a carrier may put in a description."""
    text = _SIGNER.sub(r"\1：***", text)
    text = _ID.sub("******************", text)
    return _PHONE.sub("***********", text)


def normalise_event_time(moment: dt.datetime) -> dt.datetime:
    """Events are keyed to the second: a re-sent event with the same second is the same event."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    source: str  # customs | carrier
    code: str
    label: str
    location: str
    detail: str


def merge_timeline(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """One ordered path: by time, customs before carrier at the same second; exact repeats once."""
    seen: set[tuple[str, str, dt.datetime, str]] = set()
    unique = []
    for entry in entries:
        key = (entry.source, entry.code, normalise_event_time(entry.at), entry.location)
        if key in seen:
            continue
        seen.add(key)
        unique.append(entry)
    return sorted(unique, key=lambda e: (e.at, 0 if e.source == "customs" else 1, e.code))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def duration_hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600
