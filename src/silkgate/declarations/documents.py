"""How a parsed CEB document maps onto a `declarations` row: business keys, columns, personal data.

Pure except for the field cipher: personal fields (names, ID numbers, phones, addresses) leave the
head and become SM4 ciphertext plus, where the platform must compare or count them, a keyed SM3
blind index. `head` keeps every other field exactly as declared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from silkgate.kit.crypto import FieldCipher

# Business documents of the import flow that clearance matches.
MATCHED_KINDS = ("order", "payment", "waybill", "inventory")
KIND_LABELS = {
    "order": "电子订单",
    "payment": "支付凭证",
    "waybill": "物流运单",
    "waybill_status": "运单状态",
    "inventory": "进口清单",
    "cancel": "撤销申请单",
    "refund": "退货申请单",
    "delivery": "入库明细单",
    "receipts": "收款单",
    "arrival": "运抵单",
    "departure": "离境单",
    "waybill_bill": "清单总分单",
    "summary": "汇总申请单",
    "export_refund": "退货申请单",
    "refund_detail": "理货明细单",
}
STATUS_LABELS = {
    "stored": "暂存",
    "declared": "已申报",
    "waiting": "待三单齐全",
    "matched": "三单已对碰",
    "released": "放行",
    "rejected": "退单",
    "held": "查验",
    "withdrawn": "已撤销",
    "returned": "已退货",
    "deleted": "已删除",
    "departed": "已离境",
    "closed": "结关",
}

# Personal fields: CEB name -> (ciphertext column, blind-index column or None, index kind).
PERSONAL_FIELDS: dict[str, tuple[str, str | None, str]] = {
    "buyerName": ("buyer_name_enc", "buyer_name_index", "name"),
    "payerName": ("buyer_name_enc", "buyer_name_index", "name"),
    "buyerIdNumber": ("buyer_id_enc", "buyer_id_index", "id_number"),
    "payerIdNumber": ("buyer_id_enc", "buyer_id_index", "id_number"),
    "buyerTelephone": ("buyer_phone_enc", "phone_index", "phone"),
    "telephone": ("buyer_phone_enc", "phone_index", "phone"),
    "buyerRegNo": ("buyer_reg_no_enc", None, "reg_no"),
    "consignee": ("consignee_name_enc", "consignee_name_index", "name"),
    "consigneeTelephone": ("consignee_phone_enc", None, "phone"),
    "consigneeAddress": ("consignee_address_enc", "address_index", "address"),
}
# Which CEB field each personal column came from, per kind (to give the match its head back).
PERSONAL_SOURCE: dict[str, dict[str, str]] = {
    "payment": {
        "buyer_name_enc": "payerName",
        "buyer_id_enc": "payerIdNumber",
        "buyer_phone_enc": "telephone",
    },
}
_DEFAULT_SOURCE = {
    "buyer_name_enc": "buyerName",
    "buyer_id_enc": "buyerIdNumber",
    "buyer_phone_enc": "buyerTelephone",
    "buyer_reg_no_enc": "buyerRegNo",
    "consignee_name_enc": "consignee",
    "consignee_phone_enc": "consigneeTelephone",
    "consignee_address_enc": "consigneeAddress",
}

# Plain columns filled from head fields (first field present wins).
_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("order_no", ("orderNo",)),
    ("logistics_no", ("logisticsNo",)),
    ("invt_no", ("invtNo",)),
    ("pay_no", ("payTransactionId", "payNo")),
    ("cop_no", ("copNo",)),
    ("pre_no", ("preNo",)),
    ("ebp_code", ("ebpCode",)),
    ("ebc_code", ("ebcCode",)),
    ("logistics_code", ("logisticsCode",)),
    ("pay_code", ("payCode",)),
    ("agent_code", ("agentCode",)),
    ("area_code", ("areaCode",)),
    ("trade_mode", ("tradeMode",)),
    ("currency", ("currency",)),
    ("country", ("country",)),
    ("customs_code", ("customsCode",)),
    ("port_code", ("portCode",)),
)
_AMOUNTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("goods_value", ("goodsValue", "totalAmount")),
    ("freight", ("freight",)),
    ("insured_fee", ("insuredFee",)),
    ("discount", ("discount",)),
    ("tax_total", ("taxTotal",)),
    ("actual_paid", ("acturalPaid", "amountPaid", "chargeAmount")),
)
# Max lengths of the plain columns (values beyond are cut only in the column; head keeps them).
_LIMITS = {
    "order_no": 60,
    "logistics_no": 60,
    "invt_no": 18,
    "pay_no": 60,
    "cop_no": 20,
    "pre_no": 18,
    "ebp_code": 18,
    "ebc_code": 18,
    "logistics_code": 18,
    "pay_code": 18,
    "agent_code": 18,
    "area_code": 18,
    "trade_mode": 4,
    "currency": 3,
    "country": 3,
    "customs_code": 4,
    "port_code": 4,
}

# The enterprise codes whose owner may send each kind of document (or that owner's authorised
# customs broker). Order: the platform or the e-commerce enterprise (CEB311 "电商企业或电商平台");
# payment: the payment enterprise; waybill: the logistics enterprise; inventory, withdrawal and
# return: the e-commerce enterprise or its agent (CEB621/623/625 "电商企业或其代理人").
SENDER_CODE_FIELDS: dict[str, tuple[str, ...]] = {
    "order": ("ebpCode", "ebcCode"),
    "payment": ("payCode",),
    "waybill": ("logisticsCode",),
    "waybill_status": ("logisticsCode",),
    "inventory": ("agentCode", "ebcCode"),
    "cancel": ("agentCode", "ebcCode"),
    "refund": ("agentCode", "ebcCode"),
    "delivery": ("operatorCode", "logisticsCode"),
}
# Export documents: any enterprise the document names.
EXPORT_SENDER_CODE_FIELDS = (
    "ebpCode",
    "ebcCode",
    "payCode",
    "logisticsCode",
    "agentCode",
    "operatorCode",
    "declAgentCode",
    "ownerCode",
)


class DocumentLike(Protocol):
    """What storage reads of a parsed document (declarations.messages.ParsedDocument)."""

    @property
    def kind(self) -> str: ...
    @property
    def head(self) -> dict[str, str]: ...
    @property
    def lines(self) -> list[dict[str, str]]: ...
    @property
    def guid(self) -> str: ...
    @property
    def app_type(self) -> str: ...
    @property
    def app_status(self) -> str: ...
    @property
    def business_no(self) -> str: ...


def decimal_or_none(value: str | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _first(head: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        value = head.get(name)
        if value:
            return value
    return None


def row_values(doc: DocumentLike, cipher: FieldCipher) -> dict[str, Any]:
    """The `declarations` columns of a document (without ids, status and timestamps)."""
    head = doc.head
    values: dict[str, Any] = {}
    for column, names in _COLUMNS:
        text = _first(head, names)
        values[column] = text[: _LIMITS[column]] if text else None
    for column, names in _AMOUNTS:
        values[column] = decimal_or_none(_first(head, names))
    public: dict[str, str] = {}
    for name, text in head.items():
        personal = PERSONAL_FIELDS.get(name)
        if personal is None:
            public[name] = text
            continue
        if not text:
            continue
        enc_column, index_column, index_kind = personal
        values[enc_column] = cipher.encrypt(text)
        if index_column is not None:
            values[index_column] = cipher.blind_index(index_kind, text)
    values["head"] = public
    if values["goods_value"] is None and doc.lines:
        # lists and returns carry no head goods value: the sum of their lines' total prices
        totals = [decimal_or_none(line.get("totalPrice")) for line in doc.lines]
        if all(t is not None for t in totals):
            values["goods_value"] = sum((t for t in totals if t is not None), Decimal("0"))
    values["value_cny"] = values["goods_value"] if values.get("currency") in (None, "142") else None
    return values


def line_rows(doc: DocumentLike) -> list[dict[str, Any]]:
    """`declaration_lines` rows of a document's goods lines (without declaration_id)."""
    rows = []
    for n, line in enumerate(doc.lines, start=1):
        gnum = line.get("gnum") or line.get("gNum") or str(n)
        rows.append(
            {
                "g_num": int(gnum) if gnum.isdigit() else n,
                "item_no": (line.get("itemNo") or None),
                "item_record_no": line.get("itemRecordNo") or None,
                "item_name": line.get("itemName") or None,
                "g_name": line.get("gname") or line.get("gName") or None,
                "g_model": line.get("gmodel") or line.get("gModel") or None,
                "bar_code": line.get("barCode") or None,
                "hs_code": (line.get("gcode") or line.get("gCode") or None),
                "qty": decimal_or_none(line.get("qty")),
                "unit": line.get("unit") or None,
                "qty1": decimal_or_none(line.get("qty1")),
                "unit1": line.get("unit1") or None,
                "qty2": decimal_or_none(line.get("qty2")),
                "unit2": line.get("unit2") or None,
                "price": decimal_or_none(line.get("price")),
                "total_price": decimal_or_none(line.get("totalPrice")),
                "currency": line.get("currency") or None,
                "country": line.get("country") or None,
                "trade_country": line.get("tradeCountry") or None,
                "note": line.get("note") or None,
            }
        )
    return rows


def personal_head(kind: str, row: Mapping[str, Any], cipher: FieldCipher) -> dict[str, str]:
    """The document's personal fields decrypted back under their CEB names (in memory only)."""
    source = {**_DEFAULT_SOURCE, **PERSONAL_SOURCE.get(kind, {})}
    out: dict[str, str] = {}
    for column, name in source.items():
        token = row.get(column)
        if token:
            out[name] = cipher.decrypt(token)
    return out


def business_key(kind: str, head: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(column, value, enterprise column/value) that identifies a document across versions.

    Orders and lists: the platform's order number (one list per order); payments: the payment
    enterprise's transaction id; waybills: the logistics enterprise's waybill number; withdrawals
    and returns: the list number they concern.
    """
    if kind in ("order", "inventory"):
        return ("order_no", head.get("orderNo", ""), head.get("ebpCode", ""))
    if kind == "payment":
        return ("pay_no", head.get("payTransactionId", ""), head.get("payCode", ""))
    if kind in ("waybill", "waybill_status"):
        return ("logistics_no", head.get("logisticsNo", ""), head.get("logisticsCode", ""))
    if kind in ("cancel", "refund"):
        return ("invt_no", head.get("invtNo", ""), head.get("ebcCode", ""))
    return None


KEY_COLUMN = {
    "order": "order_no",
    "inventory": "order_no",
    "payment": "pay_no",
    "waybill": "logistics_no",
    "waybill_status": "logistics_no",
    "cancel": "invt_no",
    "refund": "invt_no",
}
KEY_ENTERPRISE_COLUMN = {
    "order": "ebp_code",
    "inventory": "ebp_code",
    "payment": "pay_code",
    "waybill": "logistics_code",
    "waybill_status": "logistics_code",
    "cancel": "ebc_code",
    "refund": "ebc_code",
}


@dataclass(frozen=True)
class DocumentView:
    """A stored document as the three-document match reads it: CEB head (personal data decrypted
    in memory) and goods lines."""

    kind: str
    head: dict[str, str]
    lines: list[dict[str, str]]
