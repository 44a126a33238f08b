"""Three-document match (三单对碰): order (CEB311), payment (CEB411) and waybill (CEB511) must agree
with each other and with the inventory list (CEB621). Pure functions, no I/O.

Every rule below is one pair of fields that must carry the same value; the field definitions in
the 202205 and 2018 (海关总署公告2018年第113号) XSDs say so, e.g. OrderHead.acturalPaid "与支付凭证的
支付金额一致", OrderHead.consignee "必须与电子运单的收货人姓名一致", InventoryList.gnum "与关联的电子订单
表体序号一一对应", InventoryList.gname "与电子订单一致". Amounts compare as decimals (500 == 500.00).

Values of personal fields (buyer / payer / consignee name, ID number, phone, address) are masked in
the messages: a receipt may go to another enterprise than the one that sent the other document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final, Protocol

DOCUMENT_KINDS: Final = ("order", "payment", "waybill", "inventory")
DOCUMENT_LABELS: Final = {
    "order": "电子订单",
    "payment": "支付凭证",
    "waybill": "物流运单",
    "inventory": "进口清单",
}

# Field labels (Chinese) of the CEB names compared here.
FIELD_LABELS: Final = {
    "ebpCode": "电商平台代码",
    "ebcCode": "电商企业代码",
    "payCode": "支付企业代码",
    "logisticsCode": "物流企业代码",
    "orderNo": "订单编号",
    "logisticsNo": "物流运单编号",
    "payTransactionId": "支付交易编号",
    "buyerIdNumber": "订购人证件号码",
    "buyerName": "订购人姓名",
    "buyerTelephone": "订购人电话",
    "payerIdNumber": "支付人证件号码",
    "payerName": "支付人姓名",
    "consignee": "收货人姓名",
    "consigneeTelephone": "收货人电话",
    "consigneeAddress": "收货地址",
    "goodsValue": "商品价格",
    "freight": "运杂费",
    "insuredFee": "保价费",
    "discount": "非现金抵扣金额",
    "taxTotal": "代扣税款",
    "acturalPaid": "实际支付金额",
    "amountPaid": "支付金额",
    "itemNo": "商品货号",
    "itemName": "商品名称",
    "gname": "商品名称",
    "qty": "数量",
    "price": "单价",
    "totalPrice": "总价",
    "lineCount": "商品项数",
    "goodsTotal": "商品总价合计",
    "computedPaid": "商品价格+运杂费+代扣税款-非现金抵扣金额",
    "expectedTax": "应征税款",
}

PERSONAL_FIELDS: Final = frozenset(
    {
        "buyerIdNumber",
        "buyerName",
        "buyerTelephone",
        "payerIdNumber",
        "payerName",
        "consignee",
        "consigneeTelephone",
        "consigneeAddress",
    }
)


class MatchDocument(Protocol):
    """What the match reads of a document: the head and goods lines keyed by CEB field names."""

    @property
    def head(self) -> Mapping[str, str]: ...

    @property
    def lines(self) -> Sequence[Mapping[str, str]]: ...


@dataclass(frozen=True)
class Mismatch:
    field: str  # e.g. "orderNo", "lines[2].qty"
    code: str  # stable, e.g. "order_payment_order_no"
    message: str  # Chinese, names both sides' values (personal values masked)
    left_doc: str
    left_value: str
    right_doc: str
    right_value: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "left_doc": self.left_doc,
            "left_value": self.left_value,
            "right_doc": self.right_doc,
            "right_value": self.right_value,
        }


@dataclass(frozen=True)
class HeadRule:
    code: str
    left_doc: str
    left_field: str
    right_doc: str
    right_field: str
    money: bool = False
    optional_left: bool = False  # compare only when the left document carries the field


# Head fields that must agree. The left document is the one whose field the right one must match.
HEAD_RULES: Final[tuple[HeadRule, ...]] = (
    # enterprises
    HeadRule("order_payment_ebp_code", "order", "ebpCode", "payment", "ebpCode"),
    HeadRule("order_inventory_ebp_code", "order", "ebpCode", "inventory", "ebpCode"),
    HeadRule("order_inventory_ebc_code", "order", "ebcCode", "inventory", "ebcCode"),
    HeadRule("order_payment_pay_code", "order", "payCode", "payment", "payCode", optional_left=True),
    HeadRule("waybill_inventory_logistics_code", "waybill", "logisticsCode", "inventory", "logisticsCode"),
    # business numbers
    HeadRule("order_payment_order_no", "order", "orderNo", "payment", "orderNo"),
    HeadRule("order_waybill_order_no", "order", "orderNo", "waybill", "orderNo"),
    HeadRule("order_inventory_order_no", "order", "orderNo", "inventory", "orderNo"),
    HeadRule("waybill_inventory_logistics_no", "waybill", "logisticsNo", "inventory", "logisticsNo"),
    HeadRule(
        "order_payment_transaction_id",
        "order",
        "payTransactionId",
        "payment",
        "payTransactionId",
        optional_left=True,
    ),
    # buyer = payer = declared buyer
    HeadRule("order_payment_buyer_id", "order", "buyerIdNumber", "payment", "payerIdNumber"),
    HeadRule("order_payment_buyer_name", "order", "buyerName", "payment", "payerName"),
    HeadRule("order_inventory_buyer_id", "order", "buyerIdNumber", "inventory", "buyerIdNumber"),
    HeadRule("order_inventory_buyer_name", "order", "buyerName", "inventory", "buyerName"),
    HeadRule("order_inventory_buyer_phone", "order", "buyerTelephone", "inventory", "buyerTelephone"),
    # consignee
    HeadRule("order_waybill_consignee", "order", "consignee", "waybill", "consignee"),
    HeadRule("order_waybill_consignee_phone", "order", "consigneeTelephone", "waybill", "consigneeTelephone"),
    HeadRule("order_waybill_consignee_address", "order", "consigneeAddress", "waybill", "consigneeAddress"),
    HeadRule(
        "waybill_inventory_consignee_address", "waybill", "consigneeAddress", "inventory", "consigneeAddress"
    ),
    # amounts
    HeadRule("order_payment_amount_paid", "order", "acturalPaid", "payment", "amountPaid", money=True),
    HeadRule("order_waybill_freight", "order", "freight", "waybill", "freight", money=True),
    HeadRule("waybill_inventory_freight", "waybill", "freight", "inventory", "freight", money=True),
    HeadRule("waybill_inventory_insured_fee", "waybill", "insuredFee", "inventory", "insuredFee", money=True),
)

# Goods-line fields that must agree between the order and the list, line by line (gnum).
LINE_RULES: Final[tuple[tuple[str, str, str, bool], ...]] = (
    # code suffix, order field, inventory field, money
    ("item_no", "itemNo", "itemNo", False),
    ("item_name", "itemName", "gname", False),
    ("qty", "qty", "qty", True),
    ("price", "price", "price", True),
    ("total_price", "totalPrice", "totalPrice", True),
)


def missing_documents(present_kinds: Iterable[str]) -> list[str]:
    """The kinds of the set (order, payment, waybill, inventory) not yet received, in that order."""
    present = set(present_kinds)
    return [k for k in DOCUMENT_KINDS if k not in present]


def missing_documents_message(missing: Sequence[str]) -> str:
    names = "、".join(DOCUMENT_LABELS[k] for k in missing)
    return f"三单对碰待进行：尚未收到{names}"


def match_three_documents(
    order: MatchDocument,
    payment: MatchDocument,
    waybill: MatchDocument,
    inventory: MatchDocument,
    *,
    expected_tax: Decimal | None = None,
) -> list[Mismatch]:
    """Every disagreement between the four documents; empty when they match.

    `expected_tax`, when given, is the tax the platform computed for the list: the order's
    withheld tax (taxTotal) must equal it.
    """
    docs: dict[str, MatchDocument] = {
        "order": order,
        "payment": payment,
        "waybill": waybill,
        "inventory": inventory,
    }
    out: list[Mismatch] = []
    for rule in HEAD_RULES:
        left = docs[rule.left_doc].head.get(rule.left_field, "").strip()
        right = docs[rule.right_doc].head.get(rule.right_field, "").strip()
        if rule.optional_left and not left:
            continue
        if not _same(left, right, money=rule.money):
            out.append(
                _mismatch(
                    rule.code,
                    rule.left_field,
                    rule.left_doc,
                    rule.left_field,
                    left,
                    rule.right_doc,
                    rule.right_field,
                    right,
                )
            )
    out.extend(_order_amounts(order.head, order.lines, expected_tax))
    out.extend(_goods_lines(order.lines, inventory.lines))
    return out


def _order_amounts(
    head: Mapping[str, str], lines: Sequence[Mapping[str, str]], expected_tax: Decimal | None
) -> list[Mismatch]:
    out: list[Mismatch] = []
    goods_value = _dec(head.get("goodsValue", ""))
    line_total = _sum(line.get("totalPrice", "") for line in lines)
    if goods_value is not None and line_total is not None and goods_value != line_total:
        out.append(
            _mismatch(
                "order_goods_value_lines",
                "goodsValue",
                "order",
                "goodsValue",
                head.get("goodsValue", ""),
                "order",
                "goodsTotal",
                _plain(line_total),
            )
        )
    parts = [_dec(head.get(f, "")) for f in ("goodsValue", "freight", "taxTotal", "discount", "acturalPaid")]
    if all(p is not None for p in parts):
        gv, freight, tax, discount, paid = (p for p in parts if p is not None)
        computed = gv + freight + tax - discount
        if computed != paid:
            out.append(
                _mismatch(
                    "order_actual_paid_formula",
                    "acturalPaid",
                    "order",
                    "acturalPaid",
                    head.get("acturalPaid", ""),
                    "order",
                    "computedPaid",
                    _plain(computed),
                )
            )
    if expected_tax is not None:
        declared = _dec(head.get("taxTotal", ""))
        if declared is None or declared.quantize(Decimal("0.01")) != expected_tax.quantize(Decimal("0.01")):
            out.append(
                _mismatch(
                    "order_tax_total",
                    "taxTotal",
                    "order",
                    "taxTotal",
                    head.get("taxTotal", ""),
                    "inventory",
                    "expectedTax",
                    _plain(expected_tax),
                )
            )
    return out


def _goods_lines(
    order_lines: Sequence[Mapping[str, str]], inventory_lines: Sequence[Mapping[str, str]]
) -> list[Mismatch]:
    out: list[Mismatch] = []
    if len(order_lines) != len(inventory_lines):
        out.append(
            _mismatch(
                "order_inventory_line_count",
                "lines",
                "order",
                "lineCount",
                str(len(order_lines)),
                "inventory",
                "lineCount",
                str(len(inventory_lines)),
            )
        )
    by_gnum = {line.get("gnum", "").strip(): line for line in inventory_lines}
    for n, line in enumerate(order_lines, start=1):
        gnum = line.get("gnum", "").strip() or str(n)
        other = by_gnum.get(gnum)
        if other is None:
            out.append(
                Mismatch(
                    field=f"lines[{gnum}]",
                    code="order_inventory_line_missing",
                    message=f"电子订单第{gnum}项商品在进口清单中没有对应的表体（gnum={gnum}）",
                    left_doc="order",
                    left_value=gnum,
                    right_doc="inventory",
                    right_value="",
                )
            )
            continue
        for suffix, order_field, inventory_field, money in LINE_RULES:
            left = line.get(order_field, "").strip()
            right = other.get(inventory_field, "").strip()
            if order_field == "itemNo" and not left and not right:
                continue
            if not _same(left, right, money=money):
                out.append(
                    _mismatch(
                        f"order_inventory_line_{suffix}",
                        f"lines[{gnum}].{order_field}",
                        "order",
                        order_field,
                        left,
                        "inventory",
                        inventory_field,
                        right,
                        line_no=gnum,
                    )
                )
    order_gnums = {line.get("gnum", "").strip() for line in order_lines}
    for gnum, _line in by_gnum.items():
        if gnum not in order_gnums:
            out.append(
                Mismatch(
                    field=f"lines[{gnum}]",
                    code="inventory_line_not_in_order",
                    message=f"进口清单第{gnum}项商品在电子订单中没有对应的商品（gnum={gnum}）",
                    left_doc="order",
                    left_value="",
                    right_doc="inventory",
                    right_value=gnum,
                )
            )
    return out


def _mismatch(
    code: str,
    field: str,
    left_doc: str,
    left_field: str,
    left: str,
    right_doc: str,
    right_field: str,
    right: str,
    *,
    line_no: str | None = None,
) -> Mismatch:
    personal = left_field in PERSONAL_FIELDS or right_field in PERSONAL_FIELDS
    shown_left = mask(left) if personal else left
    shown_right = mask(right) if personal else right
    where = f"第{line_no}项商品的" if line_no else ""
    left_name = (
        f"{DOCUMENT_LABELS[left_doc]}{where}{FIELD_LABELS.get(left_field, left_field)}（{left_field}）"
    )
    right_name = (
        f"{DOCUMENT_LABELS[right_doc]}{where}{FIELD_LABELS.get(right_field, right_field)}（{right_field}）"
    )
    if left_doc == right_doc:
        right_name = FIELD_LABELS.get(right_field, right_field)
    message = (
        f"{left_name}为“{shown_left or '（空）'}”，{right_name}为“{shown_right or '（空）'}”，两者不一致"
    )
    return Mismatch(
        field=field,
        code=code,
        message=message,
        left_doc=left_doc,
        left_value=shown_left,
        right_doc=right_doc,
        right_value=shown_right,
    )


def mask(value: str) -> str:
    """Personal data shown only in part: first and last characters kept (ID 1101**********123X)."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*" * (len(value) - 1)
    if len(value) <= 6:
        return value[0] + "*" * (len(value) - 2) + value[-1]
    return value[:4] + "*" * (len(value) - 8 if len(value) > 8 else 1) + value[-4:]


def _same(left: str, right: str, *, money: bool) -> bool:
    if money:
        a, b = _dec(left), _dec(right)
        if a is not None and b is not None:
            return a == b
    return left == right


def _dec(value: str) -> Decimal | None:
    try:
        d = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d if d.is_finite() else None


def _sum(values: Iterable[str]) -> Decimal | None:
    total = Decimal("0")
    for v in values:
        d = _dec(v)
        if d is None:
            return None
        total += d
    return total


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return text
