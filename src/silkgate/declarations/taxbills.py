"""Electronic tax bills (电子税单, CEB816 TaxHeadRd/TaxListRd) of released import lists, and the
monthly tax summary of each withholding party.

The e-commerce enterprise, the platform, the logistics enterprise or the declaring enterprise
withholds the retail import tax (代收代缴义务人, 财关税〔2016〕18号 第三条; 海关总署公告2018年第194号);
silkgate books each bill to the list's declaring enterprise (agentCode: the e-commerce enterprise
itself or the agent it authorised) and shows it to the e-commerce enterprise as well. The tax is due
from the 31st to the 45th day after release (194号), so a bill voided by a withdrawal or reduced by a
return before then is never levied. Status as CEB816: 1 已生成, 2 已汇总, 3 作废.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, Table, func, insert, select, update
from sqlalchemy.orm import Session

from silkgate.kit import safexml
from silkgate.kit.cebtime import BEIJING, format_return_time
from silkgate.kit.money import ZERO, round_cent
from silkgate.models.declarations import TaxBill
from silkgate.models.registry import Enterprise

BILLS = cast(Table, TaxBill.__table__)
CEB_NS = "http://www.chinaport.gov.cn/ceb"
_AMOUNT_KEYS = ("customsTax", "valueAddedTax", "consumptionTax")
_INSERT_BILL = insert(BILLS)


def issue_tax_bill(session: Session, inv: Any, quote: Mapping[str, Any], *, released_at: dt.datetime) -> None:
    """The bill of a released list from its tax quote (clearance `checks["tax"]["quote"]`)."""
    lines = []
    for n, (line, item) in enumerate(
        zip(inv.line_fields or [], quote.get("items", []), strict=False), start=1
    ):
        lines.append(
            {
                "gnum": str(line.get("gnum") or n),
                "gcode": item.get("hs_code", line.get("gcode", "")),
                "taxPrice": item.get("dutiable_value", "0"),
                "customsTax": item.get("tariff", "0"),
                "valueAddedTax": item.get("vat", "0"),
                "consumptionTax": item.get("consumption_tax", "0"),
            }
        )
    customs_tax = Decimal(quote.get("tariff", "0"))
    vat = Decimal(quote.get("vat", "0"))
    consumption = Decimal(quote.get("consumption_tax", "0"))
    session.connection().execute(
        _INSERT_BILL,
        {
            "declaration_id": inv.id,
            "zone_code": inv.zone_code,
            "tax_no": f"TX{inv.invt_no}",
            "invt_no": inv.invt_no,
            "ebc_enterprise_id": inv.ebc_enterprise_id,
            "withholding_enterprise_id": inv.agent_enterprise_id or inv.ebc_enterprise_id,
            "ebc_code": inv.ebc_code,
            "agent_code": inv.agent_code,
            "logistics_code": inv.logistics_code,
            "assure_code": (inv.head or {}).get("assureCode"),
            "customs_code": inv.customs_code,
            "period": released_at.astimezone(BEIJING).strftime("%Y-%m"),
            "taxable_value": Decimal(quote.get("transaction_value", "0")),
            "customs_tax": customs_tax,
            "value_added_tax": vat,
            "consumption_tax": consumption,
            "total_tax": customs_tax + vat + consumption,
            "status": "1",
            "lines": lines,
            "issued_at": released_at,
        },
    )


def void_tax_bill(session: Session, declaration_id: int, *, reason: str, at: dt.datetime) -> Decimal | None:
    """Withdrawal: the bill is voided (status 3); returns the tax no longer levied."""
    bill = session.execute(select(BILLS).where(BILLS.c.declaration_id == declaration_id)).first()
    if bill is None:
        return None
    session.execute(
        update(BILLS)
        .where(BILLS.c.id == bill.id)
        .values(status="3", cancelled_at=at, cancel_reason=reason[:500])
    )
    return Decimal(bill.total_tax)


def reduce_tax_bill(
    session: Session,
    declaration_id: int,
    fractions: Mapping[str, Decimal],
    *,
    everything: bool,
    reason: str,
    at: dt.datetime,
) -> Decimal:
    """Return: the returned share of each line's tax is not levied. Returns that amount."""
    bill = session.execute(select(BILLS).where(BILLS.c.declaration_id == declaration_id)).first()
    if bill is None:
        return ZERO
    if everything:
        session.execute(
            update(BILLS)
            .where(BILLS.c.id == bill.id)
            .values(status="3", cancelled_at=at, cancel_reason=reason[:500])
        )
        return Decimal(bill.total_tax)
    lines = [dict(line) for line in bill.lines or []]
    taken = ZERO
    totals = {k: ZERO for k in _AMOUNT_KEYS}
    for line in lines:
        original = line.setdefault("original", {k: line[k] for k in (*_AMOUNT_KEYS, "taxPrice")})
        fraction = fractions.get(str(line["gnum"]), ZERO)
        for key in _AMOUNT_KEYS:
            cut = min(round_cent(Decimal(original[key]) * fraction), Decimal(line[key]))
            line[key] = str(Decimal(line[key]) - cut)
            taken += cut
            totals[key] += Decimal(line[key])
        if fraction:
            cut_price = round_cent(Decimal(original["taxPrice"]) * fraction)
            line["taxPrice"] = str(max(Decimal(line["taxPrice"]) - cut_price, ZERO))
    session.execute(
        update(BILLS)
        .where(BILLS.c.id == bill.id)
        .values(
            lines=lines,
            customs_tax=totals["customsTax"],
            value_added_tax=totals["valueAddedTax"],
            consumption_tax=totals["consumptionTax"],
            total_tax=sum(totals.values(), ZERO),
            cancel_reason=reason[:500],
        )
    )
    return taken


# --- reading ---------------------------------------------------------------------------------------


def bill_for_declaration(session: Session, declaration_id: int) -> TaxBill | None:
    return session.scalar(select(TaxBill).where(TaxBill.declaration_id == declaration_id))


def ceb816_fields(bill: TaxBill) -> dict[str, Any]:
    """The bill as CEB816 TaxHeadRd / TaxListRd fields (decimal strings)."""
    return {
        "TaxHeadRd": {
            "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"silkgate:tax:{bill.tax_no}")).upper(),
            "returnTime": format_return_time(bill.cancelled_at or bill.issued_at),
            "invtNo": bill.invt_no,
            "taxNo": bill.tax_no,
            "customsTax": f"{bill.customs_tax:.2f}",
            "valueAddedTax": f"{bill.value_added_tax:.2f}",
            "consumptionTax": f"{bill.consumption_tax:.2f}",
            "status": bill.status,
            **({"note": bill.cancel_reason} if bill.cancel_reason else {}),
            **({"assureCode": bill.assure_code} if bill.assure_code else {}),
            **({"ebcCode": bill.ebc_code} if bill.ebc_code else {}),
            **({"logisticsCode": bill.logistics_code} if bill.logistics_code else {}),
            **({"agentCode": bill.agent_code} if bill.agent_code else {}),
            **({"customsCode": bill.customs_code} if bill.customs_code else {}),
        },
        "TaxListRd": [
            {
                "gnum": str(line["gnum"]),
                "gcode": line["gcode"],
                "taxPrice": f"{Decimal(line['taxPrice']):.2f}",
                "customsTax": f"{Decimal(line['customsTax']):.2f}",
                "valueAddedTax": f"{Decimal(line['valueAddedTax']):.2f}",
                "consumptionTax": f"{Decimal(line['consumptionTax']):.2f}",
            }
            for line in bill.lines or []
        ],
    }


_HEAD_ORDER = (
    "guid",
    "returnTime",
    "invtNo",
    "taxNo",
    "customsTax",
    "valueAddedTax",
    "consumptionTax",
    "status",
    "entDutyNo",
    "note",
    "assureCode",
    "ebcCode",
    "logisticsCode",
    "agentCode",
    "customsCode",
)
_LIST_ORDER = ("gnum", "gcode", "taxPrice", "customsTax", "valueAddedTax", "consumptionTax")


def ceb816_xml(bill: TaxBill) -> bytes:
    """CEB816Message (电子税单数据报文), elements in the XSD's sequence order."""
    fields = ceb816_fields(bill)
    head = fields["TaxHeadRd"]
    root = safexml.build(
        f"{{{CEB_NS}}}CEB816Message", nsmap={"ceb": CEB_NS}, attrs={"guid": head["guid"], "version": "1.0"}
    )
    tax = safexml.sub(root, f"{{{CEB_NS}}}Tax")
    head_el = safexml.sub(tax, f"{{{CEB_NS}}}TaxHeadRd")
    for name in _HEAD_ORDER:
        if name in head:
            safexml.sub(head_el, f"{{{CEB_NS}}}{name}", head[name])
    for line in fields["TaxListRd"]:
        line_el = safexml.sub(tax, f"{{{CEB_NS}}}TaxListRd")
        for name in _LIST_ORDER:
            safexml.sub(line_el, f"{{{CEB_NS}}}{name}", line[name])
    return safexml.to_bytes(root)


@dataclass(frozen=True)
class MonthlyTaxRow:
    withholding_enterprise_id: int | None
    withholding_name: str
    withholding_code: str
    period: str
    bills: int
    taxable_value: Decimal
    customs_tax: Decimal
    value_added_tax: Decimal
    consumption_tax: Decimal
    total_tax: Decimal
    voided: int


def monthly_summary(
    session: Session, scope: Select[Any], *, period: str | None = None
) -> list[MonthlyTaxRow]:
    """Per withholding party and month: bills, taxable value and tax (voided bills counted apart).

    `scope` is a select of tax_bills ids the reader may see (see declarations.queries)."""
    live = TaxBill.status != "3"
    q = (
        select(
            TaxBill.withholding_enterprise_id,
            Enterprise.name,
            Enterprise.customs_code,
            TaxBill.period,
            func.count().filter(live),
            func.coalesce(func.sum(TaxBill.taxable_value).filter(live), 0),
            func.coalesce(func.sum(TaxBill.customs_tax).filter(live), 0),
            func.coalesce(func.sum(TaxBill.value_added_tax).filter(live), 0),
            func.coalesce(func.sum(TaxBill.consumption_tax).filter(live), 0),
            func.coalesce(func.sum(TaxBill.total_tax).filter(live), 0),
            func.count().filter(TaxBill.status == "3"),
        )
        .join(Enterprise, Enterprise.id == TaxBill.withholding_enterprise_id, isouter=True)
        .where(TaxBill.id.in_(scope))
        .group_by(TaxBill.withholding_enterprise_id, Enterprise.name, Enterprise.customs_code, TaxBill.period)
        .order_by(TaxBill.period.desc(), Enterprise.name)
    )
    if period:
        q = q.where(TaxBill.period == period)
    return [
        MonthlyTaxRow(
            withholding_enterprise_id=r[0],
            withholding_name=r[1] or "",
            withholding_code=r[2] or "",
            period=r[3],
            bills=int(r[4]),
            taxable_value=round_cent(Decimal(r[5])),
            customs_tax=round_cent(Decimal(r[6])),
            value_added_tax=round_cent(Decimal(r[7])),
            consumption_tax=round_cent(Decimal(r[8])),
            total_tax=round_cent(Decimal(r[9])),
            voided=int(r[10]),
        )
        for r in session.execute(q)
    ]
