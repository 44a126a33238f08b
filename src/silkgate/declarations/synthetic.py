"""Realistic synthetic retail-import transactions written as real CEB messages (202205 edition).

One transaction is an order (CEB311), a payment (CEB411), a waybill (CEB511) and an inventory list
(CEB621), each sent by the enterprise the standard names as its declarant; withdrawals (CEB623) and
returns (CEB625) refer to a released list. Used by the demo, the ingest benchmark and the tests:
the messages go through the same `ingest` path as any enterprise's.

Messages carry the XML-DSig block the standard requires when appStatus=2 (申报). Inside
`signed_by(signer)` the signer signs each message as its sender (the demo and the benchmark sign
with SM2 keys registered on the senders' filings, `trust.demo.SyntheticSigner`); otherwise the block
holds a real SM3 digest and an HMAC-SM3 value in place of an SM2 signature, which only the
`presence` signature policy accepts.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from xml.sax.saxutils import escape

from silkgate.demo import synth
from silkgate.kit.cebtime import format_app_time
from silkgate.kit.crypto import hmac_sm3, sm3_hex
from silkgate.kit.money import round_cent
from silkgate.tax.calc import TariffRates, TaxItemIn, quote_import_tax

NS = "http://www.chinaport.gov.cn/ceb"
DS = "http://www.w3.org/2000/09/xmldsig#"
_SYNTHETIC_SIGNING_KEY = b"silkgate-synthetic-signature"

# (the unsigned message, its sender's customs code) -> the signed message
MessageSigner = Callable[[bytes, str], bytes]
_SIGNER: ContextVar[MessageSigner | None] = ContextVar("silkgate_synthetic_signer", default=None)


@contextmanager
def signed_by(signer: MessageSigner | None) -> Iterator[None]:
    """Messages made inside are signed by `signer` (None: the placeholder block)."""
    token = _SIGNER.set(signer)
    try:
        yield
    finally:
        _SIGNER.reset(token)


@dataclass(frozen=True)
class Party:
    """An enterprise as the messages name it: customs registration code and registered name."""

    code: str
    name: str


@dataclass(frozen=True)
class Product:
    item_no: str
    name: str
    hs_code: str
    model: str
    unit: str  # JGS-20 unit of the deal (成交计量单位)
    unit1: str  # legal first unit
    qty1_per_unit: Decimal  # legal quantity per deal unit (e.g. net kg per can)
    price: Decimal
    country: str
    bar_code: str = ""
    item_record_no: str = ""  # 1210: the bonded account book's item number


@dataclass(frozen=True)
class GoodsLine:
    product: Product
    qty: Decimal

    @property
    def total(self) -> Decimal:
        return round_cent(self.product.price * self.qty)


@dataclass
class ImportTransaction:
    """Everything the four documents of one retail import say, before any fault is injected."""

    trade_mode: str  # 9610 | 1210
    platform: Party
    seller: Party
    payment: Party
    logistics: Party
    agent: Party  # declares the list: the seller itself or its authorised customs broker
    order_no: str
    pay_no: str
    logistics_no: str
    cop_no: str
    buyer_name: str
    buyer_id: str
    buyer_phone: str
    buyer_reg_no: str
    address: str
    district: str
    lines: list[GoodsLine]
    freight: Decimal
    insured_fee: Decimal
    discount: Decimal
    tax_total: Decimal
    declared_at: dt.datetime
    customs_code: str = "0514"
    port_code: str = "0514"
    area: Party | None = None  # 1210: the bonded warehouse enterprise
    ems_no: str = ""
    origin_country: str = "502"
    # Deliberate faults, for realistic rejections: {"document": {"field": "value"}}.
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    guids: dict[str, str] = field(default_factory=dict)

    @property
    def goods_value(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def actual_paid(self) -> Decimal:
        return self.goods_value + self.freight + self.tax_total - self.discount

    def guid(self, document: str) -> str:
        if document not in self.guids:
            self.guids[document] = str(uuid.uuid4()).upper()
        return self.guids[document]


def _num(value: Decimal) -> str:
    """A decimal as CEB writes it: no exponent, at most 5 places, no trailing zeros."""
    text = f"{value.quantize(Decimal('0.00001')):f}".rstrip("0").rstrip(".")
    return text or "0"


def _fields(values: Sequence[tuple[str, str | None]], indent: str = "\t\t\t") -> str:
    return "".join(
        f"{indent}<ceb:{name}>{escape(value)}</ceb:{name}>\n" for name, value in values if value is not None
    )


def _signature(body: str) -> str:
    digest = sm3_hex(body.encode())
    value = hmac_sm3(_SYNTHETIC_SIGNING_KEY, body.encode()).hex()
    return (
        f'\t<ds:Signature xmlns:ds="{DS}">\n'
        "\t\t<ds:SignedInfo>\n"
        '\t\t\t<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>\n'
        '\t\t\t<ds:SignatureMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"/>\n'
        '\t\t\t<ds:Reference URI="">\n'
        "\t\t\t\t<ds:Transforms>\n"
        '\t\t\t\t\t<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\n'
        "\t\t\t\t</ds:Transforms>\n"
        '\t\t\t\t<ds:DigestMethod Algorithm="http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"/>\n'
        f"\t\t\t\t<ds:DigestValue>{digest}</ds:DigestValue>\n"
        "\t\t\t</ds:Reference>\n"
        "\t\t</ds:SignedInfo>\n"
        f"\t\t<ds:SignatureValue>{value}</ds:SignatureValue>\n"
        "\t\t<ds:KeyInfo><ds:KeyName>synthetic</ds:KeyName></ds:KeyInfo>\n"
        "\t</ds:Signature>\n"
    )


def _message(message_type: str, guid: str, body: str, sender: Party, *, signed: bool) -> bytes:
    transfer = _fields(
        [
            ("copCode", sender.code),
            ("copName", sender.name),
            ("dxpMode", "DXP"),
            ("dxpId", f"DXPENT{sender.code}"),
        ],
        indent="\t\t",
    )
    inner = f"{body}\t<ceb:BaseTransfer>\n{transfer}\t</ceb:BaseTransfer>\n"
    signer = _SIGNER.get() if signed else None
    if signer is not None:
        unsigned = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<ceb:{message_type}Message guid="{guid}" version="1.0" xmlns:ceb="{NS}">\n'
            f"{inner}</ceb:{message_type}Message>\n"
        )
        return signer(unsigned.encode(), sender.code)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<ceb:{message_type}Message guid="{guid}" version="1.0" xmlns:ceb="{NS}">\n'
        f"{inner}{_signature(inner) if signed else ''}</ceb:{message_type}Message>\n"
    )
    return text.encode()


def _apply(
    values: Sequence[tuple[str, str | None]], overrides: dict[str, str]
) -> list[tuple[str, str | None]]:
    if not overrides:
        return list(values)
    return [(name, overrides.get(name, value)) for name, value in values]


def order_xml(tx: ImportTransaction, *, app_type: str = "1", app_status: str = "2") -> bytes:
    guid = tx.guid("order")
    head = [
        ("guid", guid),
        ("appType", app_type),
        ("appTime", format_app_time(tx.declared_at)),
        ("appStatus", app_status),
        ("orderType", "I"),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("goodsValue", _num(tx.goods_value)),
        ("freight", _num(tx.freight)),
        ("discount", _num(tx.discount)),
        ("taxTotal", _num(tx.tax_total)),
        ("acturalPaid", _num(tx.actual_paid)),
        ("currency", "142"),
        ("buyerRegNo", tx.buyer_reg_no),
        ("buyerName", tx.buyer_name),
        ("buyerTelephone", tx.buyer_phone),
        ("buyerIdType", "1"),
        ("buyerIdNumber", tx.buyer_id),
        ("payCode", tx.payment.code),
        ("payName", tx.payment.name),
        ("payTransactionId", tx.pay_no),
        ("consignee", tx.buyer_name),
        ("consigneeTelephone", tx.buyer_phone),
        ("consigneeAddress", tx.address),
        ("consigneeDistrict", tx.district),
    ]
    lines = ""
    for n, line in enumerate(tx.lines, start=1):
        p = line.product
        values: list[tuple[str, str | None]] = [
            ("gnum", str(n)),
            ("itemNo", p.item_no),
            ("itemName", p.name),
            ("gmodel", p.model),
            ("barCode", p.bar_code or None),
            ("unit", p.unit),
            ("qty", _num(line.qty)),
            ("price", _num(p.price)),
            ("totalPrice", _num(line.total)),
            ("currency", "142"),
            ("country", p.country),
        ]
        lines += f"\t\t<ceb:OrderList>\n{_fields(_apply(values, tx.overrides.get(f'order.line{n}', {})))}\t\t</ceb:OrderList>\n"
    body = (
        "\t<ceb:Order>\n"
        f"\t\t<ceb:OrderHead>\n{_fields(_apply(head, tx.overrides.get('order', {})))}\t\t</ceb:OrderHead>\n"
        f"{lines}\t</ceb:Order>\n"
    )
    return _message("CEB311", guid, body, tx.platform, signed=app_status == "2")


def payment_xml(tx: ImportTransaction, *, app_type: str = "1", app_status: str = "2") -> bytes:
    guid = tx.guid("payment")
    head = [
        ("guid", guid),
        ("appType", app_type),
        ("appTime", format_app_time(tx.declared_at)),
        ("appStatus", app_status),
        ("payCode", tx.payment.code),
        ("payName", tx.payment.name),
        ("payTransactionId", tx.pay_no),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("payerIdType", "1"),
        ("payerIdNumber", tx.buyer_id),
        ("payerName", tx.buyer_name),
        ("telephone", tx.buyer_phone),
        ("amountPaid", _num(tx.actual_paid)),
        ("currency", "142"),
        ("payTime", format_app_time(tx.declared_at - dt.timedelta(minutes=3))),
    ]
    body = (
        "\t<ceb:Payment>\n"
        f"\t\t<ceb:PaymentHead>\n{_fields(_apply(head, tx.overrides.get('payment', {})))}\t\t</ceb:PaymentHead>\n"
        "\t</ceb:Payment>\n"
    )
    return _message("CEB411", guid, body, tx.payment, signed=app_status == "2")


def _weight(tx: ImportTransaction) -> Decimal:
    net = sum((line.qty * line.product.qty1_per_unit for line in tx.lines), Decimal("0"))
    return max(net, Decimal("0.1"))


def waybill_xml(tx: ImportTransaction, *, app_type: str = "1", app_status: str = "2") -> bytes:
    guid = tx.guid("waybill")
    head = [
        ("guid", guid),
        ("appType", app_type),
        ("appTime", format_app_time(tx.declared_at)),
        ("appStatus", app_status),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("logisticsNo", tx.logistics_no),
        ("billNo", None if tx.trade_mode == "1210" else f"999-{tx.logistics_no[-8:]}"),
        ("orderNo", tx.order_no),
        ("freight", _num(tx.freight)),
        ("insuredFee", _num(tx.insured_fee)),
        ("currency", "142"),
        ("weight", _num(round_cent(_weight(tx) * Decimal("1.15")))),
        ("packNo", "1"),
        ("goodsInfo", "、".join(line.product.name for line in tx.lines)[:200]),
        ("consignee", tx.buyer_name),
        ("consigneeAddress", tx.address),
        ("consigneeTelephone", tx.buyer_phone),
    ]
    body = (
        "\t<ceb:Logistics>\n"
        f"\t\t<ceb:LogisticsHead>\n{_fields(_apply(head, tx.overrides.get('waybill', {})))}\t\t</ceb:LogisticsHead>\n"
        "\t</ceb:Logistics>\n"
    )
    return _message("CEB511", guid, body, tx.logistics, signed=app_status == "2")


def inventory_xml(tx: ImportTransaction, *, app_type: str = "1", app_status: str = "2") -> bytes:
    guid = tx.guid("inventory")
    bonded = tx.trade_mode == "1210"
    net = _weight(tx)
    head = [
        ("guid", guid),
        ("appType", app_type),
        ("appTime", format_app_time(tx.declared_at)),
        ("appStatus", app_status),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("logisticsNo", tx.logistics_no),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("copNo", tx.cop_no),
        ("assureCode", tx.seller.code),
        ("emsNo", tx.ems_no if bonded else None),
        ("ieFlag", "I"),
        ("declTime", tx.declared_at.strftime("%Y%m%d")),
        ("customsCode", tx.customs_code),
        ("portCode", tx.port_code),
        ("ieDate", tx.declared_at.strftime("%Y%m%d")),
        ("buyerIdType", "1"),
        ("buyerIdNumber", tx.buyer_id),
        ("buyerName", tx.buyer_name),
        ("buyerTelephone", tx.buyer_phone),
        ("consigneeAddress", tx.address),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("areaCode", tx.area.code if bonded and tx.area else None),
        ("areaName", tx.area.name if bonded and tx.area else None),
        ("tradeMode", tx.trade_mode),
        ("trafMode", "4" if bonded else "5"),
        ("trafNo", None if bonded else "CA1052"),
        ("voyageNo", None if bonded else tx.declared_at.strftime("%Y%m%d")),
        ("billNo", None if bonded else f"999-{tx.logistics_no[-8:]}"),
        ("country", "142" if bonded else tx.origin_country),
        ("freight", _num(tx.freight)),
        ("insuredFee", _num(tx.insured_fee)),
        ("currency", "142"),
        ("wrapType", "2"),
        ("packNo", "1"),
        ("grossWeight", _num(round_cent(net * Decimal("1.15")))),
        ("netWeight", _num(round_cent(net))),
    ]
    lines = ""
    for n, line in enumerate(tx.lines, start=1):
        p = line.product
        values: list[tuple[str, str | None]] = [
            ("gnum", str(n)),
            ("itemRecordNo", (p.item_record_no or p.item_no) if bonded else None),
            ("itemNo", p.item_no),
            ("itemName", p.name),
            ("gcode", p.hs_code),
            ("gname", p.name),
            ("gmodel", p.model),
            ("barCode", p.bar_code or "无"),
            ("country", p.country),
            ("tradeCountry", p.country),
            ("currency", "142"),
            ("qty", _num(line.qty)),
            ("unit", p.unit),
            ("qty1", _num(line.qty * p.qty1_per_unit)),
            ("unit1", p.unit1),
            ("price", _num(p.price)),
            ("totalPrice", _num(line.total)),
        ]
        lines += (
            "\t\t<ceb:InventoryList>\n"
            f"{_fields(_apply(values, tx.overrides.get(f'inventory.line{n}', {})))}"
            "\t\t</ceb:InventoryList>\n"
        )
    body = (
        "\t<ceb:Inventory>\n"
        f"\t\t<ceb:InventoryHead>\n{_fields(_apply(head, tx.overrides.get('inventory', {})))}\t\t</ceb:InventoryHead>\n"
        f"{lines}\t</ceb:Inventory>\n"
    )
    return _message("CEB621", guid, body, tx.agent, signed=True)  # the 202205 XSD requires it


def cancel_xml(tx: ImportTransaction, invt_no: str, reason: str, *, at: dt.datetime | None = None) -> bytes:
    """CEB623 撤销申请单 for the released list `invt_no`."""
    guid = tx.guid("cancel")
    head = [
        ("guid", guid),
        ("appType", "1"),
        ("appTime", format_app_time(at or tx.declared_at)),
        ("appStatus", "2"),
        ("customsCode", tx.customs_code),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("logisticsNo", tx.logistics_no),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("copNo", tx.cop_no),
        ("invtNo", invt_no),
        ("buyerIdType", "1"),
        ("buyerIdNumber", tx.buyer_id),
        ("buyerName", tx.buyer_name),
        ("buyerTelephone", tx.buyer_phone),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("reason", reason),
    ]
    body = f"\t<ceb:InvtCancel>\n{_fields(head, indent=chr(9) * 2)}\t</ceb:InvtCancel>\n"
    return _message("CEB623", guid, body, tx.agent, signed=True)


def refund_xml(
    tx: ImportTransaction,
    invt_no: str,
    reason: str,
    *,
    returned: dict[int, Decimal] | None = None,
    at: dt.datetime | None = None,
) -> bytes:
    """CEB625 退货申请单 for `returned` {gnum: qty} of the released list (default: everything)."""
    guid = tx.guid("refund")
    head = [
        ("guid", guid),
        ("appType", "1"),
        ("appTime", format_app_time(at or tx.declared_at)),
        ("appStatus", "2"),
        ("customsCode", tx.customs_code),
        ("orderNo", tx.order_no),
        ("ebpCode", tx.platform.code),
        ("ebpName", tx.platform.name),
        ("ebcCode", tx.seller.code),
        ("ebcName", tx.seller.name),
        ("logisticsNo", tx.logistics_no),
        ("logisticsCode", tx.logistics.code),
        ("logisticsName", tx.logistics.name),
        ("copNo", tx.cop_no),
        ("invtNo", invt_no),
        ("buyerIdType", "1"),
        ("buyerIdNumber", tx.buyer_id),
        ("buyerName", tx.buyer_name),
        ("buyerTelephone", tx.buyer_phone),
        ("agentCode", tx.agent.code),
        ("agentName", tx.agent.name),
        ("reason", reason),
    ]
    wanted = returned or {n: line.qty for n, line in enumerate(tx.lines, start=1)}
    lines = ""
    for n, qty in sorted(wanted.items()):
        p = tx.lines[n - 1].product
        values: list[tuple[str, str | None]] = [
            ("gnum", str(n)),
            ("gcode", p.hs_code),
            ("gname", p.name),
            ("qty", _num(qty)),
            ("unit", p.unit),
        ]
        lines += f"\t\t<ceb:InvtRefundList>\n{_fields(values)}\t\t</ceb:InvtRefundList>\n"
    body = (
        "\t<ceb:InvtRefund>\n"
        f"\t\t<ceb:InvtRefundHead>\n{_fields(head)}\t\t</ceb:InvtRefundHead>\n"
        f"{lines}\t</ceb:InvtRefund>\n"
    )
    return _message("CEB625", guid, body, tx.agent, signed=True)


def transaction_messages(tx: ImportTransaction) -> dict[str, bytes]:
    """The four documents of a transaction, by kind (order, payment, waybill, inventory)."""
    return {
        "order": order_xml(tx),
        "payment": payment_xml(tx),
        "waybill": waybill_xml(tx),
        "inventory": inventory_xml(tx),
    }


# Goods a zone's retail importers really sell (HS codes of the retail-import positive list,
# 财关税〔2019〕96号 清单). Rates: VAT 13% (9% for some foods), consumption tax on cosmetics 15%.
DEFAULT_PRODUCTS: tuple[Product, ...] = (
    Product(
        "MK-AP3-800",
        "爱他美婴儿配方奶粉3段800g",
        "1901101000",
        "800克/罐 奶粉 Aptamil 3段",
        "122",
        "035",
        Decimal("0.8"),
        Decimal("228"),
        "304",
        "4008976022350",
    ),
    Product(
        "MK-A2-900",
        "a2至初婴儿配方奶粉900g",
        "1901101000",
        "900克/罐 奶粉 a2 Platinum",
        "122",
        "035",
        Decimal("0.9"),
        Decimal("268"),
        "601",
        "9300605104228",
    ),
    Product(
        "DP-KAO-L54",
        "花王妙而舒纸尿裤L54片",
        "9619001100",
        "L号54片/包 纸尿裤 Merries",
        "140",
        "035",
        Decimal("1.5"),
        Decimal("99"),
        "116",
        "4901301230881",
    ),
    Product(
        "CS-SK2-230",
        "SK-II护肤精华露230ml",
        "3304990099",
        "230毫升/瓶 护肤精华 SK-II",
        "142",
        "035",
        Decimal("0.3"),
        Decimal("1370"),
        "116",
        "4979006070439",
    ),
    Product(
        "CS-EL-ANR50",
        "雅诗兰黛特润修护肌透精华露50ml",
        "3304990099",
        "50毫升/瓶 精华 Estee Lauder",
        "142",
        "035",
        Decimal("0.1"),
        Decimal("760"),
        "502",
        "0887167485471",
    ),
    Product(
        "CS-LAN-MS",
        "兰蔻菁纯面霜60ml",
        "3304990099",
        "60毫升/瓶 面霜 Lancome",
        "142",
        "035",
        Decimal("0.15"),
        Decimal("1650"),
        "305",
        "3614272049468",
    ),
    Product(
        "HF-SW-FO400",
        "Swisse深海鱼油软胶囊400粒",
        "2106909090",
        "400粒/瓶 鱼油软胶囊 Swisse",
        "142",
        "035",
        Decimal("0.6"),
        Decimal("189"),
        "601",
        "9311770589765",
    ),
    Product(
        "HF-BM-VC",
        "Blackmores维生素C咀嚼片500mg×200",
        "2106909090",
        "200片/瓶 维C咀嚼片 Blackmores",
        "142",
        "035",
        Decimal("0.4"),
        Decimal("96"),
        "601",
        "9300807289433",
    ),
    Product(
        "PC-KR-SH",
        "卡诗双重功能洗发水250ml",
        "3305100000",
        "250毫升/瓶 洗发水 Kerastase",
        "142",
        "035",
        Decimal("0.3"),
        Decimal("265"),
        "305",
        "3474636382637",
    ),
    Product(
        "PC-SEN-TP",
        "舒适达抗敏感牙膏100g",
        "3306101000",
        "100克/支 牙膏 Sensodyne",
        "007",
        "035",
        Decimal("0.12"),
        Decimal("39"),
        "303",
        "5054563027542",
    ),
    Product(
        "FD-MN-HONEY",
        "康维他UMF10+麦卢卡蜂蜜500g",
        "0409000000",
        "500克/瓶 蜂蜜 Comvita",
        "142",
        "035",
        Decimal("0.5"),
        Decimal("329"),
        "609",
        "9415911012348",
    ),
    Product(
        "EL-PH-TB",
        "飞利浦电动牙刷HX6730",
        "8509809000",
        "HX6730 电动牙刷 Philips",
        "007",
        "007",
        Decimal("1"),
        Decimal("459"),
        "309",
        "8710103694588",
    ),
)


@dataclass
class TradingParties:
    """The enterprises of a synthetic trade: who sells, who ships, who pays, who declares."""

    platforms: list[Party]
    sellers: list[Party]
    payments: list[Party]
    logistics: list[Party]
    brokers: dict[str, Party]  # seller code -> its authorised broker (absent: the seller declares)
    warehouses: list[Party]
    ems_no_by_warehouse: dict[str, str] = field(default_factory=dict)


# Realistic faults and their share of transactions (order-brushing, wrong goods, identity...).
FAULTS = (
    ("payer_differs", 0.010),  # payment made by someone other than the buyer
    ("paid_amount_differs", 0.010),
    ("line_qty_differs", 0.008),
    ("freight_differs", 0.006),
    ("waybill_order_differs", 0.004),
    ("identity_mismatch", 0.008),  # name does not match the ID number in the registry
    ("unfiled_item", 0.005),
)


class TransactionFactory:
    """Draws realistic transactions: basket sizes, buyers who come back, a share of faults."""

    def __init__(
        self,
        rng: random.Random,
        parties: TradingParties,
        products: Sequence[Product] = DEFAULT_PRODUCTS,
        *,
        customs_code: str = "0514",
        bonded_share: float = 0.4,
        fault_rate: float = 1.0,
        buyers: int = 0,
        start: dt.datetime | None = None,
    ) -> None:
        self.rng = rng
        self.parties = parties
        self.products = list(products)
        self.customs_code = customs_code
        self.bonded_share = bonded_share if parties.warehouses else 0.0
        self.fault_rate = fault_rate
        self.start = start or dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)
        self.buyer_pool = [self._new_buyer() for _ in range(buyers)]
        self.counter = 0
        self.registered: list[tuple[str, str]] = []  # (name, id) of buyers the identity registry knows

    def _new_buyer(self) -> tuple[str, str, str, str, str]:
        rng = self.rng
        province = rng.choice(list(synth.CITY_NAMES))
        name = synth.person_name(rng)
        id_number = synth.resident_id(rng)
        return name, id_number, synth.phone(rng), synth.address(rng, province), id_number[:6]

    def buyer(self) -> tuple[str, str, str, str, str]:
        if self.buyer_pool and self.rng.random() < 0.6:
            return self.rng.choice(self.buyer_pool)
        return self._new_buyer()

    def make(self, *, at: dt.datetime | None = None, trade_mode: str | None = None) -> ImportTransaction:
        rng = self.rng
        self.counter += 1
        n = self.counter
        mode = trade_mode or ("1210" if rng.random() < self.bonded_share else "9610")
        seller = rng.choice(self.parties.sellers)
        agent = self.parties.brokers.get(seller.code, seller)
        area = rng.choice(self.parties.warehouses) if mode == "1210" else None
        basket = rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        picked = rng.sample(self.products, k=min(basket, len(self.products)))
        lines = [GoodsLine(p, Decimal(rng.choices((1, 2, 3), weights=(7, 2, 1))[0])) for p in picked]
        while sum((line.total for line in lines), Decimal("0")) > Decimal("4800") and len(lines) > 1:
            lines.pop()
        if lines[0].total > Decimal("4800"):
            lines[0] = GoodsLine(lines[0].product, Decimal("1"))
        name, id_number, phone, address, district = self.buyer()
        when = at or (self.start + dt.timedelta(seconds=37 * n))
        stamp = when.strftime("%y%m%d")
        tx = ImportTransaction(
            trade_mode=mode,
            platform=rng.choice(self.parties.platforms),
            seller=seller,
            payment=rng.choice(self.parties.payments),
            logistics=rng.choice(self.parties.logistics),
            agent=agent,
            order_no=f"SO{stamp}{n:09d}{rng.randrange(100):02d}",
            pay_no=f"PAY{stamp}{n:010d}{rng.randrange(1000):03d}",
            logistics_no=f"YT{stamp}{n:010d}",
            cop_no=f"C{stamp}{n:011d}"[:20],
            buyer_name=name,
            buyer_id=id_number,
            buyer_phone=phone,
            buyer_reg_no=f"U{abs(hash(id_number)) % 10**10:010d}",
            address=address,
            district=district,
            lines=lines,
            freight=Decimal(rng.choice(("0", "0", "10", "15", "20"))),
            insured_fee=Decimal("0"),
            discount=Decimal(rng.choice(("0", "0", "0", "5", "10"))),
            tax_total=Decimal("0"),
            declared_at=when,
            customs_code=self.customs_code,
            port_code=self.customs_code,
            area=area,
            ems_no=self.parties.ems_no_by_warehouse.get(area.code, "") if area else "",
            origin_country=lines[0].product.country,
        )
        tx.tax_total = estimate_retail_tax(tx)
        self._maybe_fault(tx)
        return tx

    def _maybe_fault(self, tx: ImportTransaction) -> None:
        roll = self.rng.random()
        threshold = 0.0
        for fault, share in FAULTS:
            threshold += share * self.fault_rate
            if roll < threshold:
                inject_fault(tx, fault, self.rng)
                return


def inject_fault(tx: ImportTransaction, fault: str, rng: random.Random | None = None) -> None:
    """Make one document of `tx` disagree the way real faulty declarations do."""
    rng = rng or random.Random(0)
    if fault == "payer_differs":
        tx.overrides["payment"] = {
            "payerName": synth.person_name(rng),
            "payerIdNumber": synth.resident_id(rng),
        }
    elif fault == "paid_amount_differs":
        tx.overrides["payment"] = {"amountPaid": _num(tx.actual_paid + Decimal("30"))}
    elif fault == "line_qty_differs":
        line = tx.lines[0]
        qty = line.qty + 1
        tx.overrides["inventory.line1"] = {
            "qty": _num(qty),
            "totalPrice": _num(round_cent(line.product.price * qty)),
        }
    elif fault == "freight_differs":
        tx.overrides["waybill"] = {"freight": _num(tx.freight + Decimal("12"))}
    elif fault == "waybill_order_differs":
        tx.overrides["waybill"] = {"orderNo": tx.order_no + "X"}
    elif fault == "identity_mismatch":
        tx.overrides["identity"] = {"registered_name": synth.person_name(rng)}
    elif fault == "unfiled_item":
        unfiled = replace(tx.lines[0].product, item_no="UNFILED-" + tx.lines[0].product.item_no[:10])
        tx.lines[0] = GoodsLine(unfiled, tx.lines[0].qty)
    else:
        raise ValueError(f"unknown fault {fault}")


# Rates of the default products (VAT, consumption tax), for the enterprise's own tax estimate
# (taxTotal: 企业预先代扣的税款). Customs computes the real figure; they agree for clean orders.
_RATES = {
    "1901101000": (Decimal("0.13"), Decimal("0")),
    "9619001100": (Decimal("0.13"), Decimal("0")),
    "3304990099": (Decimal("0.13"), Decimal("0.15")),
    "2106909090": (Decimal("0.13"), Decimal("0")),
    "3305100000": (Decimal("0.13"), Decimal("0")),
    "3306101000": (Decimal("0.13"), Decimal("0")),
    "0409000000": (Decimal("0.09"), Decimal("0")),
    "8509809000": (Decimal("0.13"), Decimal("0")),
}


def estimate_retail_tax(tx: ImportTransaction) -> Decimal:
    """The retail import tax the enterprise withholds (taxTotal), computed as customs does
    (tax.calc: 70% of VAT and consumption tax, 财关税〔2018〕49号) with the products' rates."""

    def rates(hs_code: str) -> TariffRates | None:
        vat, consumption = _RATES.get(hs_code, (Decimal("0.13"), Decimal("0")))
        return TariffRates(vat, consumption, Decimal("0"), True)

    items = [TaxItemIn(line.product.hs_code, line.product.price, line.qty) for line in tx.lines]
    quote = quote_import_tax(
        items, freight=tx.freight, insurance=tx.insured_fee, discount=tx.discount, rates_lookup=rates
    )
    return quote.total_tax
