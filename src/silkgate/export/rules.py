"""Pure export rules: what a list waits for before release, the summary-declaration grouping and
schedule, the return limits and the collection status. No I/O; the service feeds them facts.

Sources (quoted in each function's docstring):
- 海关总署公告2018年第194号《关于跨境电子商务零售进出口商品有关监管事宜的公告》 (in force since
  2019-01-01; it replaced 海关总署公告2016年第26号).
- 海关总署公告2020年第44号《关于全面推广跨境电子商务出口商品退货监管措施有关事宜的公告》.
- 海关总署公告2020年第75号《关于开展跨境电子商务企业对企业出口监管试点的公告》 (9710 / 9810).
- The CEB603 / CEB213 field rules of the 202205 export XSD (statisticsFlag, return quantities).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from silkgate.exceptions import FieldError

ZERO = Decimal("0")

RETAIL_EXPORT = "9610"
B2B_DIRECT_EXPORT = "9710"
OVERSEAS_WAREHOUSE_EXPORT = "9810"
SPECIAL_AREA_EXPORT_MODES = ("1210", "1239")
EXPORT_TRADE_MODES = (RETAIL_EXPORT, B2B_DIRECT_EXPORT, OVERSEAS_WAREHOUSE_EXPORT, *SPECIAL_AREA_EXPORT_MODES)
TRADE_MODE_LABELS = {
    "9610": "9610 跨境电商零售出口",
    "9710": "9710 跨境电商B2B直接出口",
    "9810": "9810 跨境电商出口海外仓",
    "1210": "1210 保税跨境电商出口",
    "1239": "1239 保税跨境电商A出口",
}

# CEB603 statisticsFlag (202205 export XSD): A 简化申报 — goods with no licence, no export duty and no
# export rebate — is what 清单核放、汇总统计 rests on; B 汇总申报 lists are summarised into declarations.
STATISTICS_FLAG_SIMPLIFIED = "A"
STATISTICS_FLAG_SUMMARY = "B"

# 海关总署公告2020年第75号: B2B exports through the CBEC unified export system (lists) only when one
# shipment is within 5,000 CNY and involves no licence, inspection or tax; otherwise a declaration form (H2018).
B2B_LIST_VALUE_LIMIT_CNY = Decimal("5000")

# 《中华人民共和国海关进出口货物报关单填制规范》: one declaration form carries at most 50 goods items.
MAX_ITEMS_PER_DECLARATION = 50

MISSING_LABELS = {
    "order": "电子订单（CEB303）",
    "collection": "收款单（CEB403）",
    "waybill": "物流运单（CEB505）",
    "arrival": "运抵单（CEB507）",
    "b2b_filing": "跨境电商B2B出口企业备案",
    "warehouse_filing": "运抵国（地区）的海外仓备案",
}


# --------------------------------------------------------------------------------------------
# Release (清单核放)


def collection_required(trade_mode: str, declaration_path: str) -> bool:
    """Whether a list waits for the payment collection (CEB403) before release.

    Sellers on 清单核放、汇总申报 settle FX and claim rebates on the declaration, so the capital flow
    must be reconciled (三流合一) before release. Sellers on 清单核放、汇总统计 need neither FX settlement
    nor rebates (194号 第九条), and 9810 goods are sold from the overseas warehouse after export, so
    no collection exists at export time.
    """
    if trade_mode == OVERSEAS_WAREHOUSE_EXPORT:
        return False
    return declaration_path == "summary_declaration"


def missing_for_release(
    *,
    trade_mode: str,
    declaration_path: str,
    has_order: bool,
    has_collection: bool,
    has_waybill: bool,
    arrived: bool,
    has_b2b_filing: bool = True,
    has_warehouse_filing: bool = True,
) -> list[str]:
    """What a CEB603 list still waits for. 194号 第八条: order, collection and logistics data are
    transmitted before the list; the list is released when they match and the goods have arrived
    at the supervised site (运抵, CEB507). 75号: 9710/9810 need the B2B filing, 9810 the warehouse."""
    missing = []
    if not has_order:
        missing.append("order")
    if collection_required(trade_mode, declaration_path) and not has_collection:
        missing.append("collection")
    if not has_waybill:
        missing.append("waybill")
    if not arrived:
        missing.append("arrival")
    if trade_mode in (B2B_DIRECT_EXPORT, OVERSEAS_WAREHOUSE_EXPORT) and not has_b2b_filing:
        missing.append("b2b_filing")
    if trade_mode == OVERSEAS_WAREHOUSE_EXPORT and not has_warehouse_filing:
        missing.append("warehouse_filing")
    return missing


@dataclass(frozen=True)
class Mismatch:
    field: str
    code: str
    message: str


def _dec(value: str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


def match_list_to_order(
    list_head: Mapping[str, str],
    list_lines: Sequence[Mapping[str, str]],
    order_head: Mapping[str, str],
    order_lines: Sequence[Mapping[str, str]],
    trade_mode: str,
) -> list[Mismatch]:
    """The list must state the order's seller, currency, items and amounts (三单对碰, export side).

    The CEB303 OrderList gnum "与清单的商品项关联对应": each list item is compared with the order
    item of the same gnum (item number, quantity, total price). 9710 lists need a B2B order (orderType B).
    """
    out: list[Mismatch] = []
    if list_head.get("ebcCode") != order_head.get("ebcCode"):
        out.append(
            Mismatch(
                "ebcCode",
                "seller_mismatch",
                f"清单收发货人{list_head.get('ebcCode')}与订单电商企业{order_head.get('ebcCode')}不一致",
            )
        )
    order_type = order_head.get("orderType", "")
    if trade_mode == B2B_DIRECT_EXPORT and order_type != "B":
        out.append(
            Mismatch(
                "orderType", "order_type_mismatch", f"9710清单应对应B2B出口订单（B），订单类型为{order_type}"
            )
        )
    if trade_mode == RETAIL_EXPORT and order_type not in ("E", "W"):
        out.append(
            Mismatch(
                "orderType",
                "order_type_mismatch",
                f"9610清单应对应出口商品订单（E/W），订单类型为{order_type}",
            )
        )
    order_by_gnum = {ln.get("gnum"): ln for ln in order_lines}
    list_total = ZERO
    for ln in list_lines:
        gnum = ln.get("gnum")
        total = _dec(ln.get("totalPrice")) or ZERO
        list_total += total
        currency = ln.get("currency")
        if currency and order_head.get("currency") and currency != order_head.get("currency"):
            out.append(
                Mismatch(
                    f"InventoryList[{gnum}].currency",
                    "currency_mismatch",
                    f"清单第{gnum}项币制{currency}与订单币制{order_head.get('currency')}不一致",
                )
            )
        o = order_by_gnum.get(gnum)
        if o is None:
            out.append(
                Mismatch(f"InventoryList[{gnum}].gnum", "item_missing_in_order", f"订单中没有第{gnum}项商品")
            )
            continue
        if o.get("itemNo") != ln.get("itemNo"):
            out.append(
                Mismatch(
                    f"InventoryList[{gnum}].itemNo",
                    "item_no_mismatch",
                    f"第{gnum}项商品货号清单为{ln.get('itemNo')}，订单为{o.get('itemNo')}",
                )
            )
        if _dec(o.get("qty")) != _dec(ln.get("qty")):
            out.append(
                Mismatch(
                    f"InventoryList[{gnum}].qty",
                    "qty_mismatch",
                    f"第{gnum}项数量清单为{ln.get('qty')}，订单为{o.get('qty')}",
                )
            )
        if _dec(o.get("totalPrice")) != total:
            out.append(
                Mismatch(
                    f"InventoryList[{gnum}].totalPrice",
                    "amount_mismatch",
                    f"第{gnum}项总价清单为{ln.get('totalPrice')}，订单为{o.get('totalPrice')}",
                )
            )
    order_value = _dec(order_head.get("goodsValue"))
    if order_value is not None and order_value != list_total:
        out.append(
            Mismatch(
                "goodsValue", "amount_mismatch", f"清单商品总价{list_total}与订单商品金额{order_value}不一致"
            )
        )
    return out


def match_list_to_waybill(list_head: Mapping[str, str], waybill_head: Mapping[str, str]) -> list[Mismatch]:
    """The waybill's consignor, when stated, must be the list's consignor (CEB505 ebcCode 收发货人代码)."""
    ebc = waybill_head.get("ebcCode")
    if ebc and ebc != list_head.get("ebcCode"):
        return [
            Mismatch(
                "logisticsNo",
                "seller_mismatch",
                f"运单收发货人{ebc}与清单收发货人{list_head.get('ebcCode')}不一致",
            )
        ]
    return []


def b2b_list_value_error(trade_mode: str, value_cny: Decimal | None) -> Mismatch | None:
    """75号: a 9710/9810 shipment above 5,000 CNY is declared on a declaration form, not a list."""
    if trade_mode not in (B2B_DIRECT_EXPORT, OVERSEAS_WAREHOUSE_EXPORT):
        return None
    if value_cny is None or value_cny <= B2B_LIST_VALUE_LIMIT_CNY:
        return None
    return Mismatch(
        "goodsValue",
        "b2b_list_over_limit",
        f"{trade_mode}单票金额{value_cny:.2f}元超过5000元，应通过H2018通关管理系统以报关单申报（海关总署公告2020年第75号）",
    )


# --------------------------------------------------------------------------------------------
# Summary declaration (汇总申报)

# 194号 第十一条: "将上月结关的《申报清单》依据清单表头同一收发货人、同一运输方式、同一生产销售单位、
# 同一运抵国、同一出境关别，以及清单表体同一最终目的国、同一10位海关商品编码、同一币制的规则进行归并，
# 汇总形成《中华人民共和国海关出口货物报关单》向海关申报。"
SUMMARY_HEADER_RULES: tuple[tuple[str, str], ...] = (
    ("ebc_code", "同一收发货人"),
    ("traf_mode", "同一运输方式"),
    ("owner_code", "同一生产销售单位"),
    ("country", "同一运抵国"),
    ("port_code", "同一出境关别"),
)
# One declaration form has one 监管方式 and one 申报地海关 (报关单填制规范): lists of different trade
# modes (9610 / 9710 / 9810) or declared at different customs offices never share a summary.
SUMMARY_FORM_RULES: tuple[tuple[str, str], ...] = (
    ("trade_mode", "同一监管方式"),
    ("customs_code", "同一申报地海关"),
)
SUMMARY_ITEM_RULES: tuple[tuple[str, str], ...] = (
    ("country", "同一最终目的国"),
    ("hs_code", "同一10位海关商品编码"),
    ("currency", "同一币制"),
    # 海关总署公告2016年第26号 also merged by 同一申报计量单位; 194号 dropped it from the wording, but
    # quantities in different declared units cannot be added, so they stay separate items.
    ("unit", "同一申报计量单位"),
)


@dataclass(frozen=True)
class SummaryLine:
    g_num: int
    hs_code: str
    g_name: str
    country: str
    currency: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal
    value: Decimal


@dataclass(frozen=True)
class SummaryCandidate:
    """One released, closed list as the grouping sees it."""

    list_id: int
    invt_no: str
    ebc_code: str
    traf_mode: str
    owner_code: str
    country: str
    port_code: str
    trade_mode: str
    customs_code: str
    statistics_flag: str
    closed_on: dt.date
    gross_weight: Decimal
    net_weight: Decimal
    lines: tuple[SummaryLine, ...]


@dataclass
class SummaryItem:
    country: str
    hs_code: str
    currency: str
    unit: str
    unit1: str
    g_name: str
    qty: Decimal = ZERO
    qty1: Decimal = ZERO
    value: Decimal = ZERO
    invt_nos: list[str] = field(default_factory=list)

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.country, self.hs_code, self.currency, self.unit, self.unit1)


@dataclass
class SummaryGroup:
    header: dict[str, str]
    lists: list[SummaryCandidate] = field(default_factory=list)
    items: list[SummaryItem] = field(default_factory=list)

    @property
    def gross_weight(self) -> Decimal:
        return sum((c.gross_weight for c in self.lists), ZERO)

    @property
    def net_weight(self) -> Decimal:
        return sum((c.net_weight for c in self.lists), ZERO)


def summary_header_key(c: SummaryCandidate) -> tuple[str, ...]:
    return tuple(getattr(c, name) for name, _ in (*SUMMARY_HEADER_RULES, *SUMMARY_FORM_RULES))


def item_key(line: SummaryLine) -> tuple[str, str, str, str, str]:
    return (line.country, line.hs_code, line.currency, line.unit, line.unit1)


def group_for_summary(candidates: Iterable[SummaryCandidate]) -> list[SummaryGroup]:
    """Group closed lists into summary declarations by 194号 第十一条 (see SUMMARY_*_RULES).

    Only lists declared for 汇总申报 (statisticsFlag B) are summarised: lists under 清单核放、汇总统计
    (A) "不再汇总形成《中华人民共和国海关出口货物报关单》". Lists of one header group become one
    declaration; their goods lines merge into one item per (最终目的国, 10位商品编码, 币制, 申报计量单位).
    A group whose items would exceed 50 continues in another declaration, lists never split.
    Deterministic: groups and lists in a stable order.
    """
    by_header: dict[tuple[str, ...], list[SummaryCandidate]] = {}
    for c in candidates:
        if c.statistics_flag != STATISTICS_FLAG_SUMMARY:
            continue
        by_header.setdefault(summary_header_key(c), []).append(c)
    groups: list[SummaryGroup] = []
    for key in sorted(by_header):
        header = {
            name: value
            for (name, _), value in zip((*SUMMARY_HEADER_RULES, *SUMMARY_FORM_RULES), key, strict=True)
        }
        current = SummaryGroup(header=dict(header))
        index: dict[tuple[str, str, str, str, str], SummaryItem] = {}
        for c in sorted(by_header[key], key=lambda x: (x.closed_on, x.invt_no)):
            new_keys = {item_key(ln) for ln in c.lines} - set(index)
            if current.lists and len(index) + len(new_keys) > MAX_ITEMS_PER_DECLARATION:
                groups.append(current)
                current = SummaryGroup(header=dict(header))
                index = {}
            current.lists.append(c)
            for ln in sorted(c.lines, key=lambda x: x.g_num):
                k = item_key(ln)
                item = index.get(k)
                if item is None:
                    item = SummaryItem(
                        country=ln.country,
                        hs_code=ln.hs_code,
                        currency=ln.currency,
                        unit=ln.unit,
                        unit1=ln.unit1,
                        g_name=ln.g_name,
                    )
                    index[k] = item
                    current.items.append(item)
                item.qty += ln.qty
                item.qty1 += ln.qty1
                item.value += ln.value
                if c.invt_no not in item.invt_nos:
                    item.invt_nos.append(c.invt_no)
        groups.append(current)
    return groups


def may_share_summary(a: SummaryCandidate, b: SummaryCandidate) -> bool:
    """Whether two lists may be summarised into one declaration (same header group, both flag B)."""
    return (
        a.statistics_flag == b.statistics_flag == STATISTICS_FLAG_SUMMARY
        and summary_header_key(a) == summary_header_key(b)
        and (a.closed_on.year, a.closed_on.month) == (b.closed_on.year, b.closed_on.month)
    )


def summary_period(closed_on: dt.date) -> str:
    return f"{closed_on.year:04d}-{closed_on.month:02d}"


def summary_due_date(period: str, holidays: Iterable[dt.date] = ()) -> dt.date:
    """194号 第十一条: "应当于每月15日前（当月15日是法定节假日或者法定休息日的，顺延至其后的第一个
    工作日），将上月结关的《申报清单》…汇总…申报". Weekends are rest days; statutory holidays are
    passed in (`holidays`) because the State Council publishes them year by year."""
    year, month = (int(p) for p in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    due = dt.date(year, month, 15)
    off = set(holidays)
    while due.weekday() >= 5 or due in off:
        due += dt.timedelta(days=1)
    return due


def explain_group_difference(a: SummaryCandidate, b: SummaryCandidate) -> list[str]:
    """Which rule keeps two lists apart (shown on the summary page)."""
    reasons = []
    if a.statistics_flag != STATISTICS_FLAG_SUMMARY or b.statistics_flag != STATISTICS_FLAG_SUMMARY:
        reasons.append("汇总统计（简化申报）清单不汇总形成报关单")
    for name, label in (*SUMMARY_HEADER_RULES, *SUMMARY_FORM_RULES):
        if getattr(a, name) != getattr(b, name):
            reasons.append(f"不满足“{label}”")
    if (a.closed_on.year, a.closed_on.month) != (b.closed_on.year, b.closed_on.month):
        reasons.append("结关月份不同")
    return reasons


# --------------------------------------------------------------------------------------------
# Returns (出口退货)

RETURN_PERIOD_YEARS = 1


def return_deadline(released_on: dt.date) -> dt.date:
    """44号 第四条: "退货商品应在出口放行之日起1年内退运进境" — the same day one year later
    (29 February falls back to 28 February)."""
    year = released_on.year + RETURN_PERIOD_YEARS
    day = min(released_on.day, calendar.monthrange(year, released_on.month)[1])
    return dt.date(year, released_on.month, day)


@dataclass(frozen=True)
class ExportedLine:
    g_num: int
    hs_code: str
    unit: str
    unit1: str
    unit2: str | None
    qty: Decimal
    qty1: Decimal
    qty2: Decimal | None
    price: Decimal


@dataclass(frozen=True)
class ReturnRequestLine:
    g_num: int
    hs_code: str
    unit: str
    unit1: str
    qty: Decimal
    qty1: Decimal
    qty2: Decimal | None = None
    unit2: str | None = None


def check_return(
    *,
    list_status: str,
    released_on: dt.date | None,
    returned_on: dt.date,
    exported: Mapping[int, ExportedLine],
    already_returned: Mapping[int, tuple[Decimal, Decimal, Decimal]],
    requested: Sequence[ReturnRequestLine],
) -> list[FieldError]:
    """Every reason a return (CEB213) against a list is refused; empty when it may be accepted.

    44号 第三条: all or part of the goods of the original list may be returned; 第四条: within one year
    of release. CEB213 InvtRefundList: gcode, unit, unit1 "与原申报清单一致"; qty, qty1, qty2 "不大于原
    申报清单" — and, over several returns, the returned total never exceeds what left.
    """
    errors: list[FieldError] = []
    if list_status not in ("released", "departed", "returned") or released_on is None:
        errors.append(FieldError("invtNo", "list_not_released", "原出口清单未放行，不能申报退货"))
        return errors
    deadline = return_deadline(released_on)
    if returned_on > deadline:
        errors.append(
            FieldError(
                "invtNo",
                "return_period_expired",
                f"原清单于{released_on:%Y-%m-%d}放行，退货应在{deadline:%Y-%m-%d}前退运进境（海关总署公告2020年第44号第四条）",
            )
        )
    if not requested:
        errors.append(FieldError("InvtRefundList", "required", "退货商品表体不能为空"))
    seen: set[int] = set()
    for i, r in enumerate(requested, start=1):
        path = f"InvtRefundList[{i}]"
        if r.g_num in seen:
            errors.append(FieldError(f"{path}.gnum", "duplicate_item", f"第{r.g_num}项在本次退货中重复出现"))
            continue
        seen.add(r.g_num)
        orig = exported.get(r.g_num)
        if orig is None:
            errors.append(FieldError(f"{path}.gnum", "item_not_in_list", f"原清单没有第{r.g_num}项商品"))
            continue
        if r.hs_code != orig.hs_code:
            errors.append(
                FieldError(
                    f"{path}.gcode", "hs_code_mismatch", f"商品编码{r.hs_code}与原清单{orig.hs_code}不一致"
                )
            )
        if r.unit != orig.unit:
            errors.append(
                FieldError(f"{path}.unit", "unit_mismatch", f"申报计量单位{r.unit}与原清单{orig.unit}不一致")
            )
        if r.unit1 != orig.unit1:
            errors.append(
                FieldError(
                    f"{path}.unit1", "unit_mismatch", f"法定计量单位{r.unit1}与原清单{orig.unit1}不一致"
                )
            )
        done_qty, done_qty1, done_qty2 = already_returned.get(r.g_num, (ZERO, ZERO, ZERO))
        for label, name, asked, done, left in (
            ("申报数量", "qty", r.qty, done_qty, orig.qty),
            ("法定第一数量", "qty1", r.qty1, done_qty1, orig.qty1),
            ("法定第二数量", "qty2", r.qty2, done_qty2, orig.qty2),
        ):
            if asked is None or left is None:
                continue
            if asked <= 0:
                errors.append(FieldError(f"{path}.{name}", "not_positive", f"{label}应大于0"))
            elif done + asked > left:
                errors.append(
                    FieldError(
                        f"{path}.{name}",
                        "return_exceeds_export",
                        f"第{r.g_num}项{label}：本次退货{asked.normalize():f}，已退{done.normalize():f}，"
                        f"合计超过原清单出口的{left.normalize():f}",
                    )
                )
    return errors


# --------------------------------------------------------------------------------------------
# FX collection status


@dataclass(frozen=True)
class CollectionStatus:
    status: str  # outstanding | partial | collected | over
    expected: Decimal
    collected: Decimal
    outstanding: Decimal
    over: Decimal


COLLECTION_LABELS = {
    "outstanding": "未收款",
    "partial": "部分收款",
    "collected": "已收齐",
    "over": "超额收款",
}


def collection_status(expected: Decimal, collected: Decimal) -> CollectionStatus:
    """Compare what was collected with what the released list (net of returns) is worth."""
    if collected <= 0:
        status = "outstanding" if expected > 0 else "collected"
    elif collected < expected:
        status = "partial"
    elif collected == expected:
        status = "collected"
    else:
        status = "over"
    return CollectionStatus(
        status=status,
        expected=expected,
        collected=collected,
        outstanding=max(expected - collected, ZERO),
        over=max(collected - expected, ZERO),
    )
