"""Per-seller export records: the tax-free ledger (无票免税, 财税〔2018〕103号), the deemed-income
statement (核定征收, 国家税务总局公告2019年第36号), the rebate-readiness package, and their Excel files."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.export import fx, rules
from silkgate.export.pipeline import doc_lines, seller_setting
from silkgate.kit.cebtime import BEIJING
from silkgate.models.declarations import Declaration
from silkgate.models.export import (
    ExemptionExcludedGoods,
    ExportList,
    ExportReturn,
    ExportSummary,
    ExportZoneSetting,
)
from silkgate.models.registry import Enterprise, EnterpriseRole
from silkgate.tax import export_calc as C

ZERO = Decimal("0")
SHIPPED = ("released", "departed", "returned")


def _released_on(lst: ExportList) -> dt.date:
    return lst.released_at.astimezone(BEIJING).date() if lst.released_at else lst.ie_date


def shipped_lists(session: Session, seller_id: int, start: dt.date, end: dt.date) -> list[ExportList]:
    """Lists of the seller shipped (released) with an export date in [start, end]."""
    q = select(ExportList).where(
        ExportList.seller_enterprise_id == seller_id,
        ExportList.status.in_(SHIPPED),
        ExportList.ie_date >= start,
        ExportList.ie_date <= end,
    )
    return list(session.scalars(q.order_by(ExportList.ie_date, ExportList.id)))


@dataclass
class LedgerRow:
    lst: ExportList
    decision: C.ExemptionDecision
    returned_cny: Decimal

    @property
    def net_cny(self) -> Decimal:
        return (self.lst.value_cny or ZERO) - self.returned_cny


def _excluded(session: Session, zone_code: str | None) -> dict[str, str]:
    rows = session.scalars(
        select(ExemptionExcludedGoods).where(
            (ExemptionExcludedGoods.zone_code == zone_code) | ExemptionExcludedGoods.zone_code.is_(None)
        )
    )
    return {r.hs_prefix: f"{r.name}（{r.source}）" for r in rows}


def _returned_cny(session: Session, lst: ExportList) -> Decimal:
    return sum(
        (
            r.value_cny or ZERO
            for r in session.scalars(select(ExportReturn).where(ExportReturn.list_id == lst.id))
        ),
        ZERO,
    )


def tax_free_ledger(session: Session, seller_id: int, start: dt.date, end: dt.date) -> list[LedgerRow]:
    seller = session.get(Enterprise, seller_id)
    if seller is None:
        return []
    setting = seller_setting(session, seller_id)
    roles = set(session.scalars(select(EnterpriseRole.role).where(EnterpriseRole.enterprise_id == seller_id)))
    zone = session.get(ExportZoneSetting, seller.zone_code)
    excluded = _excluded(session, seller.zone_code)
    out = []
    for lst in shipped_lists(session, seller_id, start, end):
        decl = session.get(Declaration, lst.declaration_id)
        lines = doc_lines(session, decl) if decl is not None else []
        facts = C.ExemptionFacts(
            seller_zone_code=seller.zone_code,
            seller_filing_approved=seller.status == "approved",
            seller_is_exporter="seller" in roles,
            list_zone_code=lst.zone_code,
            export_date=lst.ie_date,
            customs_code=lst.customs_code,
            zone_customs_codes=frozenset(zone.customs_codes if zone else ()),
            trade_mode=lst.trade_mode,
            list_released=lst.released_at is not None,
            lines=tuple(
                C.RecordedLine(
                    int(ln["gnum"]),
                    ln.get("gname") or None,
                    ln.get("gcode") or None,
                    ln.get("unit") or None,
                    Decimal(ln["qty"]) if ln.get("qty") else None,
                    Decimal(ln["price"]) if ln.get("price") else None,
                    Decimal(ln["totalPrice"]) if ln.get("totalPrice") else None,
                )
                for ln in lines
            ),
            excluded_hs_prefixes=excluded,
            purchase_invoices=setting.purchase_invoices if setting else "none",
        )
        out.append(LedgerRow(lst, C.assess_tax_free_without_invoice(facts), _returned_cny(session, lst)))
    return out


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass
class DeemedStatement:
    seller: Enterprise
    year: int
    periods: list[C.DeemedLevyPeriod]
    exempt_revenue: Decimal
    conditions_unmet: list[str]
    employees: int | None
    total_assets: Decimal | None
    notes: list[str] = field(default_factory=list)


def deemed_statement(session: Session, seller_id: int, year: int) -> DeemedStatement | None:
    """Quarterly and yearly deemed-income statement: revenue is the seller's export revenue declared
    through this platform (CNY, less returns in the quarter they came back)."""
    seller = session.get(Enterprise, seller_id)
    if seller is None:
        return None
    setting = seller_setting(session, seller_id)
    quarterly = []
    exempt = ZERO
    missing_rate = 0
    for q in (1, 2, 3, 4):
        start, end = quarter_bounds(year, q)
        revenue = ZERO
        for row in tax_free_ledger(session, seller_id, start, end):
            if row.lst.value_cny is None:
                missing_rate += 1
                continue
            revenue += row.lst.value_cny
            if row.decision.qualifies:
                exempt += row.lst.value_cny
        returned = session.scalars(
            select(ExportReturn).where(
                ExportReturn.seller_enterprise_id == seller_id,
                ExportReturn.returned_on >= start,
                ExportReturn.returned_on <= end,
            )
        )
        revenue -= sum((r.value_cny or ZERO for r in returned), ZERO)
        quarterly.append(revenue)
    periods = C.deemed_levy_statement(
        year,
        quarterly,
        setting.employees if setting else None,
        setting.total_assets if setting else None,
        setting.restricted_industry if setting else False,
    )
    notes = ["收入总额为经本平台申报放行的出口收入（人民币），退货在退运当季冲减。"]
    if missing_rate:
        notes.append(f"有{missing_rate}票清单缺少汇率，未计入收入：请综试办导入对应币制的折算率。")
    return DeemedStatement(
        seller=seller,
        year=year,
        periods=periods,
        exempt_revenue=exempt,
        conditions_unmet=C.deemed_levy_conditions(exempt, bool(setting and setting.deemed_levy_approved)),
        employees=setting.employees if setting else None,
        total_assets=setting.total_assets if setting else None,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------
# Rebate readiness


@dataclass
class RebateLine:
    lst: ExportList
    summary: ExportSummary | None
    collection: rules.CollectionStatus
    missing: list[str]


@dataclass
class RebatePackage:
    seller: Enterprise
    period: str
    lines: list[RebateLine]
    seller_issues: list[str]

    @property
    def ready(self) -> list[RebateLine]:
        return [ln for ln in self.lines if not ln.missing]

    @property
    def declarations(self) -> list[ExportSummary]:
        seen: dict[int, ExportSummary] = {}
        for ln in self.lines:
            if ln.summary is not None:
                seen[ln.summary.id] = ln.summary
        return list(seen.values())


def rebate_package(session: Session, seller_id: int, period: str) -> RebatePackage | None:
    """For a seller on the rebate path: each list of the month with its declaration (报关单), its FX
    collected, and what is still missing for a rebate claim."""
    seller = session.get(Enterprise, seller_id)
    if seller is None:
        return None
    setting = seller_setting(session, seller_id)
    issues = []
    if setting is not None and setting.declaration_path == "summary_statistics":
        issues.append("企业选择“清单核放、汇总统计”，不办理出口退税；如需退税请改为“清单核放、汇总申报”。")
    if setting is None or setting.purchase_invoices != "held":
        issues.append("企业登记为未取得有效进货凭证（增值税专用发票）：不能申报退税，适用无票免税。")
    year, month = (int(p) for p in period.split("-"))
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1) - dt.timedelta(days=1)
    lines = []
    for lst in shipped_lists(session, seller_id, start, end):
        s = session.get(ExportSummary, lst.summary_id) if lst.summary_id else None
        st = fx.list_collection_status(session, lst)
        missing = []
        if lst.statistics_flag != rules.STATISTICS_FLAG_SUMMARY:
            missing.append("简化申报（汇总统计）清单不涉及出口退税")
        elif lst.status == "released":
            missing.append("货物尚未离境结关")
        elif s is None or s.status in ("proposed", "cancelled", "rejected"):
            missing.append("尚未纳入已申报的汇总报关单")
        elif s.status == "submitted":
            missing.append("汇总报关单等待海关接受")
        if st.status in ("outstanding", "partial"):
            missing.append(f"尚未收齐外汇（未收{st.outstanding:,.2f}）")
        lines.append(RebateLine(lst, s, st, missing))
    return RebatePackage(seller, period, lines, issues)


# --------------------------------------------------------------------------------------------
# Excel


def _workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(header))
    for r in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in r])
    for index, col in enumerate(ws.columns, start=1):
        width = max(len(str(c.value or "")) for c in col) * 2
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(50, width))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ledger_xlsx(rows: Sequence[LedgerRow]) -> bytes:
    return _workbook(
        "无票免税台账",
        [
            "清单编号",
            "出口日期",
            "贸易方式",
            "币制",
            "货值",
            "折人民币",
            "退货折人民币",
            "是否免税",
            "不符合原因",
        ],
        [
            (
                r.lst.invt_no,
                r.lst.ie_date.isoformat(),
                r.lst.trade_mode,
                r.lst.currency,
                r.lst.goods_value,
                r.lst.value_cny,
                r.returned_cny,
                "是" if r.decision.qualifies else "否",
                "；".join(r.decision.reasons),
            )
            for r in rows
        ],
    )


def deemed_xlsx(st: DeemedStatement) -> bytes:
    return _workbook(
        f"核定征收{st.year}",
        [
            "期间",
            "本期收入",
            "累计收入",
            "累计应纳税所得额(4%)",
            "小型微利企业",
            "累计应纳所得税额",
            "本期应补(预)缴",
            "依据",
        ],
        [
            (
                p.label,
                p.revenue,
                p.cumulative_revenue,
                p.cumulative_taxable_income,
                "是" if p.small_low_profit else "否：" + "；".join(p.small_low_profit_reasons),
                p.cumulative_tax,
                p.tax_due,
                p.basis,
            )
            for p in st.periods
        ],
    )


def rebate_xlsx(pkg: RebatePackage) -> bytes:
    return _workbook(
        f"退税准备{pkg.period}",
        ["清单编号", "出口日期", "报关单号", "汇总申请", "币制", "应收", "已收", "未收", "尚缺"],
        [
            (
                ln.lst.invt_no,
                ln.lst.ie_date.isoformat(),
                (ln.summary.entry_id if ln.summary else "") or "",
                ln.summary.cop_no if ln.summary else "",
                ln.lst.currency,
                ln.collection.expected,
                ln.collection.collected,
                ln.collection.outstanding,
                "；".join(ln.missing) or "齐备",
            )
            for ln in pkg.lines
        ],
    )
