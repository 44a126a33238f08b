"""Export CEB messages (202205 edition) built from an export transaction: order (CEB303), collection
(CEB403), waybill (CEB505), arrival (CEB507), departure (CEB509), list (CEB603), withdrawal (CEB605),
return (CEB213) and the summary application (CEB701).

The demo and the tests send these through the real `ingest`; the summary proposal renders its CEB701
here. Element order follows the XSD sequences (FIELDS.md §4.B); each message is sent by the party the
standard names as its declarant. The envelope (BaseTransfer, XML-DSig block) is the import synthetic's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from silkgate.declarations.synthetic import Party, _fields, _message, _num
from silkgate.kit.cebtime import format_app_time
from silkgate.kit.money import round_cent


@dataclass(frozen=True)
class ExportGoods:
    item_no: str
    name: str
    hs_code: str
    model: str
    unit: str
    unit1: str
    qty1_per_unit: Decimal
    price: Decimal
    bar_code: str = "无"


@dataclass
class ExportTransaction:
    seller: Party
    platform: Party
    logistics: Party
    agent: Party
    payment: Party
    order_no: str
    logistics_no: str
    cop_no: str
    lines: list[tuple[ExportGoods, Decimal]]
    declared_at: dt.datetime
    trade_mode: str = "9610"
    statistics_flag: str = "B"
    currency: str = "502"
    country: str = "502"
    customs_code: str = "0509"
    port_code: str = "0509"
    traf_mode: str = "5"
    bill_no: str = ""
    owner: Party | None = None
    guids: dict[str, str] = field(default_factory=dict)

    def guid(self, document: str) -> str:
        if document not in self.guids:
            self.guids[document] = str(uuid.uuid4()).upper()
        return self.guids[document]

    @property
    def goods_value(self) -> Decimal:
        return sum((round_cent(g.price * q) for g, q in self.lines), Decimal("0"))

    @property
    def order_type(self) -> str:
        return "B" if self.trade_mode == "9710" else "E"


def _wrap(
    node: str, head_name: str, head: Sequence[tuple[str, str | None]], lines: str = "", list_tag: str = ""
) -> str:
    return (
        f"\t<ceb:{node}>\n"
        f"\t\t<ceb:{head_name}>\n{_fields(head)}\t\t</ceb:{head_name}>\n"
        f"{lines}\t</ceb:{node}>\n"
    )


def _line(tag: str, values: Sequence[tuple[str, str | None]]) -> str:
    return f"\t\t<ceb:{tag}>\n{_fields(values)}\t\t</ceb:{tag}>\n"


def _app(
    tx: ExportTransaction, doc: str, at: dt.datetime | None = None, app_type: str = "1"
) -> list[tuple[str, str | None]]:
    return [
        ("guid", tx.guid(doc)),
        ("appType", app_type),
        ("appTime", format_app_time(at or tx.declared_at)),
        ("appStatus", "2"),
    ]


def order_xml(tx: ExportTransaction) -> bytes:
    head = [
        *_app(tx, "order"),
        ("orderType", tx.order_type),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("goodsValue", _num(tx.goods_value)),
        ("freight", "0"),
        ("currency", tx.currency),
    ]
    lines = "".join(
        _line(
            "OrderList",
            [
                ("gnum", str(n)),
                ("itemNo", g.item_no),
                ("itemName", g.name),
                ("unit", g.unit),
                ("currency", tx.currency),
                ("qty", _num(q)),
                ("price", _num(g.price)),
                ("totalPrice", _num(round_cent(g.price * q))),
            ],
        )
        for n, (g, q) in enumerate(tx.lines, start=1)
    )
    body = _wrap("Order", "OrderHead", head, lines)
    return _message("CEB303", str(uuid.uuid4()).upper(), body, tx.platform, signed=True)


def collection_xml(
    tx: ExportTransaction, amount: Decimal, at: dt.datetime, pay_no: str | None = None
) -> bytes:
    doc = f"collection-{pay_no or at.isoformat()}"
    values = [
        *_app(tx, doc, at),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("orderNo", tx.order_no),
        ("payCode", tx.payment.code),
        ("payName", tx.payment.name),
        ("payNo", pay_no or f"P{tx.order_no[-20:]}"),
        ("charge", _num(amount)),
        ("currency", tx.currency),
        ("accountingDate", format_app_time(at)),
    ]
    body = f"\t<ceb:Receipts>\n{_fields(values, indent=chr(9) * 2)}\t</ceb:Receipts>\n"
    return _message("CEB403", str(uuid.uuid4()).upper(), body, tx.payment, signed=True)


def _weight(tx: ExportTransaction) -> Decimal:
    return round_cent(sum((g.qty1_per_unit * q for g, q in tx.lines), Decimal("0")) or Decimal("0.1"))


def waybill_xml(tx: ExportTransaction) -> bytes:
    values = [
        *_app(tx, "waybill"),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("logisticsNo", tx.logistics_no),
        ("freight", "0"),
        ("insuredFee", "0"),
        ("currency", tx.currency),
        ("grossWeight", _num(round_cent(_weight(tx) * Decimal("1.1")))),
        ("packNo", "1"),
        ("goodsInfo", "、".join(g.name for g, _ in tx.lines)[:200]),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
    ]
    body = f"\t<ceb:Logistics>\n{_fields(values, indent=chr(9) * 2)}\t</ceb:Logistics>\n"
    return _message("CEB505", str(uuid.uuid4()).upper(), body, tx.logistics, signed=True)


def arrival_xml(
    logistics: Party, operator: Party, numbers: Sequence[str], at: dt.datetime, customs_code: str, cop_no: str
) -> bytes:
    head = [
        ("guid", str(uuid.uuid4()).upper()),
        ("appType", "1"),
        ("appTime", format_app_time(at)),
        ("appStatus", "2"),
        ("customsCode", customs_code),
        ("copNo", cop_no),
        ("operatorCode", operator.code),
        ("operatorName", operator.name),
        ("ieFlag", "E"),
        ("trafMode", "5"),
        ("domesticTrafNo", "晋M12345"),
        ("logisticsCode", logistics.code),
        ("logisticsName", logistics.name),
        ("msgCount", "1"),
        ("msgSeqNo", "1"),
    ]
    lines = "".join(
        _line("ArrivalList", [("gnum", str(n)), ("logisticsNo", no)]) for n, no in enumerate(numbers, 1)
    )
    return _message(
        "CEB507",
        str(uuid.uuid4()).upper(),
        _wrap("Arrival", "ArrivalHead", head, lines),
        logistics,
        signed=True,
    )


def departure_xml(
    logistics: Party, numbers: Sequence[str], at: dt.datetime, customs_code: str, cop_no: str
) -> bytes:
    head = [
        ("guid", str(uuid.uuid4()).upper()),
        ("appType", "1"),
        ("appTime", format_app_time(at)),
        ("appStatus", "2"),
        ("customsCode", customs_code),
        ("copNo", cop_no),
        ("logisticsCode", logistics.code),
        ("logisticsName", logistics.name),
        ("trafMode", "5"),
        ("trafName", "飞机"),
        ("voyageNo", "CA1234"),
        ("billNo", f"999-{cop_no[-8:]}"),
        ("leaveTime", format_app_time(at)),
        ("msgCount", "1"),
        ("msgSeqNo", "1"),
    ]
    lines = "".join(
        _line("DepartureList", [("gnum", str(n)), ("logisticsNo", no)]) for n, no in enumerate(numbers, 1)
    )
    return _message(
        "CEB509",
        str(uuid.uuid4()).upper(),
        _wrap("Departure", "DepartureHead", head, lines),
        logistics,
        signed=True,
    )


def inventory_xml(tx: ExportTransaction, app_type: str = "1") -> bytes:
    net = _weight(tx)
    owner = tx.owner or tx.seller
    head = [
        *_app(tx, "inventory", app_type=app_type),
        ("customsCode", tx.customs_code),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("orderNo", tx.order_no),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("logisticsNo", tx.logistics_no),
        ("copNo", tx.cop_no),
        ("ieFlag", "E"),
        ("portCode", tx.port_code),
        ("ieDate", tx.declared_at.strftime("%Y%m%d")),
        ("statisticsFlag", tx.statistics_flag),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("ownerCode", owner.code),
        ("ownerName", owner.name),
        ("tradeMode", tx.trade_mode),
        ("trafMode", tx.traf_mode),
        ("billNo", tx.bill_no or None),
        ("country", tx.country),
        ("POD", tx.country),
        ("freight", "0"),
        ("fCurrency", tx.currency),
        ("fFlag", "3"),
        ("insuredFee", "0"),
        ("iCurrency", tx.currency),
        ("iFlag", "3"),
        ("wrapType", "2"),
        ("packNo", "1"),
        ("grossWeight", _num(round_cent(net * Decimal("1.1")))),
        ("netWeight", _num(net)),
    ]
    lines = "".join(
        _line(
            "InventoryList",
            [
                ("gnum", str(n)),
                ("itemNo", g.item_no),
                ("itemName", g.name),
                ("gcode", g.hs_code),
                ("gname", g.name),
                ("gmodel", g.model),
                ("barCode", g.bar_code),
                ("country", tx.country),
                ("currency", tx.currency),
                ("qty", _num(q)),
                ("qty1", _num(round_cent(q * g.qty1_per_unit) or Decimal("0.01"))),
                ("unit", g.unit),
                ("unit1", g.unit1),
                ("price", _num(g.price)),
                ("totalPrice", _num(round_cent(g.price * q))),
            ],
        )
        for n, (g, q) in enumerate(tx.lines, start=1)
    )
    body = _wrap("Inventory", "InventoryHead", head, lines)
    return _message("CEB603", str(uuid.uuid4()).upper(), body, tx.agent, signed=True)


def cancel_xml(tx: ExportTransaction, invt_no: str, reason: str, at: dt.datetime) -> bytes:
    values = [
        *_app(tx, f"cancel-{invt_no}", at),
        ("customsCode", tx.customs_code),
        ("copNo", f"C{tx.cop_no}"[:30]),
        ("invtNo", invt_no),
        ("reason", reason),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
    ]
    body = f"\t<ceb:InvtCancel>\n{_fields(values, indent=chr(9) * 2)}\t</ceb:InvtCancel>\n"
    return _message("CEB605", str(uuid.uuid4()).upper(), body, tx.agent, signed=True)


def refund_xml(
    tx: ExportTransaction, invt_no: str, returned: Sequence[tuple[int, Decimal]], reason: str, at: dt.datetime
) -> bytes:
    """CEB213 退货申请单: gnum of the original list item and the quantity coming back."""
    head = [
        *_app(tx, f"refund-{at.isoformat()}", at),
        ("customsCode", tx.customs_code),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("logisticsNo", tx.logistics_no),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("coElNo", f"R{at:%y%m%d%H%M%S}{tx.cop_no[-10:]}"[:30]),
        ("invtNo", invt_no),
        ("tradeMode", tx.trade_mode),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("billNo", tx.logistics_no[:37]),
        ("ieFlag", "I"),
        ("trafMode", "5"),
        ("trafName", "飞机"),
        ("portCode", tx.port_code),
        ("reason", reason),
        ("country", tx.country),
        ("voyageNo", "CA1235"),
    ]
    lines = ""
    for g_num, qty in returned:
        g, _ = tx.lines[g_num - 1]
        lines += _line(
            "InvtRefundList",
            [
                ("gnum", str(g_num)),
                ("gcode", g.hs_code),
                ("gname", g.name),
                ("gmodel", g.model),
                ("qty", _num(qty)),
                ("qty1", _num(round_cent(qty * g.qty1_per_unit) or Decimal("0.01"))),
                ("unit", g.unit),
                ("unit1", g.unit1),
            ],
        )
    body = _wrap("InvtRefund", "InvtRefundHead", head, lines)
    return _message("CEB213", str(uuid.uuid4()).upper(), body, tx.seller, signed=True)


def summary_apply_xml(head: dict[str, str], invt_nos: Sequence[str], sender: Party) -> bytes:
    """CEB701 汇总申请单 (SummaryApplyHead in XSD order, one SummaryApplyList per list)."""
    order = (
        "guid",
        "appType",
        "appTime",
        "appStatus",
        "customsCode",
        "copNo",
        "preNo",
        "sumNo",
        "agentCode",
        "agentName",
        "ebcCode",
        "ebcName",
        "declAgentCode",
        "declAgentName",
        "startTime",
        "endTime",
        "loctNo",
        "summaryFlag",
        "itemNameFlag",
        "msgCount",
        "msgSeqNo",
        "note",
    )
    values = [(name, head.get(name)) for name in order]
    lines = "".join(_line("SummaryApplyList", [("invtNo", no)]) for no in invt_nos)
    body = _wrap("SummaryApply", "SummaryApplyHead", values, lines)
    return _message("CEB701", str(uuid.uuid4()).upper(), body, sender, signed=True)


def transaction_messages(tx: ExportTransaction, *, collect: bool = True) -> list[bytes]:
    """One export transaction's messages in the order they arrive: order, collection (unless the
    seller needs no FX settlement), waybill, list, arrival and departure of its parcel. For the demo,
    the tests and `silkgate bench ingest --mix export`."""
    out = [order_xml(tx)]
    if collect:
        out.append(collection_xml(tx, tx.goods_value, tx.declared_at))
    out += [
        waybill_xml(tx),
        inventory_xml(tx),
        arrival_xml(
            tx.logistics,
            tx.logistics,
            [tx.logistics_no],
            tx.declared_at,
            tx.customs_code,
            f"A{tx.cop_no}"[:30],
        ),
        departure_xml(tx.logistics, [tx.logistics_no], tx.declared_at, tx.customs_code, f"D{tx.cop_no}"[:30]),
    ]
    return out
