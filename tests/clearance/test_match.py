"""Three-document match: each field that must agree, changed on one side, gives its mismatch and
nothing else (field rules from the CEB311/411/511/621 XSD annotations, see clearance/match.py)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from silkgate.clearance.match import (
    HEAD_RULES,
    match_three_documents,
    missing_documents,
    missing_documents_message,
)


@dataclass
class Doc:
    head: dict[str, str]
    lines: list[dict[str, str]] = field(default_factory=list)


BUYER_ID = "110105199003071234"
BUYER = "李小宝"


def documents() -> dict[str, Doc]:
    """One consistent transaction; amounts written differently on purpose (10 / 10.00 / 10.00000)."""
    order = Doc(
        {
            "orderNo": "ORD20260301001",
            "ebpCode": "1408960001",
            "ebcCode": "1408960002",
            "goodsValue": "300",
            "freight": "10",
            "discount": "5",
            "taxTotal": "27.60",
            "acturalPaid": "332.60",
            "buyerIdNumber": BUYER_ID,
            "buyerName": BUYER,
            "buyerTelephone": "13912345678",
            "payCode": "1408960003",
            "payTransactionId": "PAY20260301001",
            "consignee": BUYER,
            "consigneeTelephone": "13912345678",
            "consigneeAddress": "山西省运城市盐湖区河东东街1号",
        },
        [
            {
                "gnum": "1",
                "itemNo": "SKU-1",
                "itemName": "保湿面霜",
                "qty": "1",
                "price": "100",
                "totalPrice": "100",
            },
            {
                "gnum": "2",
                "itemNo": "SKU-2",
                "itemName": "婴儿奶粉",
                "qty": "2",
                "price": "100",
                "totalPrice": "200",
            },
        ],
    )
    payment = Doc(
        {
            "payCode": "1408960003",
            "payTransactionId": "PAY20260301001",
            "orderNo": "ORD20260301001",
            "ebpCode": "1408960001",
            "payerIdNumber": BUYER_ID,
            "payerName": BUYER,
            "amountPaid": "332.60000",
        }
    )
    waybill = Doc(
        {
            "logisticsCode": "1408960004",
            "logisticsNo": "YT1234567890",
            "orderNo": "ORD20260301001",
            "freight": "10.00",
            "insuredFee": "1",
            "consignee": BUYER,
            "consigneeTelephone": "13912345678",
            "consigneeAddress": "山西省运城市盐湖区河东东街1号",
        }
    )
    inventory = Doc(
        {
            "orderNo": "ORD20260301001",
            "ebpCode": "1408960001",
            "ebcCode": "1408960002",
            "logisticsNo": "YT1234567890",
            "logisticsCode": "1408960004",
            "buyerIdNumber": BUYER_ID,
            "buyerName": BUYER,
            "buyerTelephone": "13912345678",
            "consigneeAddress": "山西省运城市盐湖区河东东街1号",
            "freight": "10.00000",
            "insuredFee": "1.0",
        },
        [
            {
                "gnum": "1",
                "itemNo": "SKU-1",
                "gname": "保湿面霜",
                "qty": "1.00000",
                "price": "100.00",
                "totalPrice": "100",
            },
            {
                "gnum": "2",
                "itemNo": "SKU-2",
                "gname": "婴儿奶粉",
                "qty": "2",
                "price": "100",
                "totalPrice": "200.00000",
            },
        ],
    )
    return {"order": order, "payment": payment, "waybill": waybill, "inventory": inventory}


def run(docs: dict[str, Doc], **kw: Decimal) -> list:  # type: ignore[type-arg]
    return match_three_documents(docs["order"], docs["payment"], docs["waybill"], docs["inventory"], **kw)


def test_consistent_documents_match_whatever_the_decimal_spelling() -> None:
    assert run(documents()) == []


CHANGES = [
    # (document, head field or "lines[gnum].field", new value, expected mismatch codes)
    ("order", "ebpCode", "1408960099", {"order_payment_ebp_code", "order_inventory_ebp_code"}),
    ("payment", "ebpCode", "1408960099", {"order_payment_ebp_code"}),
    ("inventory", "ebpCode", "1408960099", {"order_inventory_ebp_code"}),
    ("order", "ebcCode", "1408960099", {"order_inventory_ebc_code"}),
    ("inventory", "ebcCode", "1408960099", {"order_inventory_ebc_code"}),
    ("order", "payCode", "1408960099", {"order_payment_pay_code"}),
    ("payment", "payCode", "1408960099", {"order_payment_pay_code"}),
    ("waybill", "logisticsCode", "1408960099", {"waybill_inventory_logistics_code"}),
    ("inventory", "logisticsCode", "1408960099", {"waybill_inventory_logistics_code"}),
    (
        "order",
        "orderNo",
        "ORD-OTHER",
        {"order_payment_order_no", "order_waybill_order_no", "order_inventory_order_no"},
    ),
    ("payment", "orderNo", "ORD-OTHER", {"order_payment_order_no"}),
    ("waybill", "orderNo", "ORD-OTHER", {"order_waybill_order_no"}),
    ("inventory", "orderNo", "ORD-OTHER", {"order_inventory_order_no"}),
    ("waybill", "logisticsNo", "YT0000000000", {"waybill_inventory_logistics_no"}),
    ("inventory", "logisticsNo", "YT0000000000", {"waybill_inventory_logistics_no"}),
    ("order", "payTransactionId", "PAY-OTHER", {"order_payment_transaction_id"}),
    ("payment", "payTransactionId", "PAY-OTHER", {"order_payment_transaction_id"}),
    ("order", "buyerIdNumber", "11010519900307002X", {"order_payment_buyer_id", "order_inventory_buyer_id"}),
    ("payment", "payerIdNumber", "11010519900307002X", {"order_payment_buyer_id"}),
    ("inventory", "buyerIdNumber", "11010519900307002X", {"order_inventory_buyer_id"}),
    ("order", "buyerName", "王大锤", {"order_payment_buyer_name", "order_inventory_buyer_name"}),
    ("payment", "payerName", "王大锤", {"order_payment_buyer_name"}),
    ("inventory", "buyerName", "王大锤", {"order_inventory_buyer_name"}),
    ("order", "buyerTelephone", "13800000000", {"order_inventory_buyer_phone"}),
    ("inventory", "buyerTelephone", "13800000000", {"order_inventory_buyer_phone"}),
    ("order", "consignee", "王大锤", {"order_waybill_consignee"}),
    ("waybill", "consignee", "王大锤", {"order_waybill_consignee"}),
    ("order", "consigneeTelephone", "13800000000", {"order_waybill_consignee_phone"}),
    ("waybill", "consigneeTelephone", "13800000000", {"order_waybill_consignee_phone"}),
    ("order", "consigneeAddress", "北京市海淀区1号", {"order_waybill_consignee_address"}),
    (
        "waybill",
        "consigneeAddress",
        "北京市海淀区1号",
        {"order_waybill_consignee_address", "waybill_inventory_consignee_address"},
    ),
    ("inventory", "consigneeAddress", "北京市海淀区1号", {"waybill_inventory_consignee_address"}),
    ("order", "acturalPaid", "332.61", {"order_payment_amount_paid", "order_actual_paid_formula"}),
    ("payment", "amountPaid", "332.61", {"order_payment_amount_paid"}),
    ("order", "freight", "12", {"order_waybill_freight", "order_actual_paid_formula"}),
    ("waybill", "freight", "12", {"order_waybill_freight", "waybill_inventory_freight"}),
    ("inventory", "freight", "12", {"waybill_inventory_freight"}),
    ("waybill", "insuredFee", "2", {"waybill_inventory_insured_fee"}),
    ("inventory", "insuredFee", "2", {"waybill_inventory_insured_fee"}),
    ("order", "goodsValue", "301", {"order_goods_value_lines", "order_actual_paid_formula"}),
    ("order", "discount", "6", {"order_actual_paid_formula"}),
    ("order", "taxTotal", "27.61", {"order_actual_paid_formula"}),
    ("order", "lines[2].itemNo", "SKU-9", {"order_inventory_line_item_no"}),
    ("inventory", "lines[2].itemNo", "SKU-9", {"order_inventory_line_item_no"}),
    ("order", "lines[1].itemName", "晚霜", {"order_inventory_line_item_name"}),
    ("inventory", "lines[1].gname", "晚霜", {"order_inventory_line_item_name"}),
    ("order", "lines[2].qty", "3", {"order_inventory_line_qty"}),
    ("inventory", "lines[2].qty", "3", {"order_inventory_line_qty"}),
    ("order", "lines[1].price", "99", {"order_inventory_line_price"}),
    ("inventory", "lines[1].price", "99", {"order_inventory_line_price"}),
    ("order", "lines[1].totalPrice", "99", {"order_inventory_line_total_price", "order_goods_value_lines"}),
    ("inventory", "lines[1].totalPrice", "99", {"order_inventory_line_total_price"}),
]


@pytest.mark.parametrize(
    ("doc", "name", "value", "expected"), CHANGES, ids=[f"{c[0]}.{c[1]}" for c in CHANGES]
)
def test_each_field_changed_on_one_side_gives_its_mismatch_and_nothing_else(
    doc: str, name: str, value: str, expected: set[str]
) -> None:
    docs = copy.deepcopy(documents())
    if name.startswith("lines["):
        gnum, _, fld = name[len("lines[") :].partition("].")
        line = next(ln for ln in docs[doc].lines if ln["gnum"] == gnum)
        old = line[fld]
        line[fld] = value
    else:
        old = docs[doc].head[name]
        docs[doc].head[name] = value
    assert old != value
    found = run(docs)
    assert {m.code for m in found} == expected
    for m in found:
        assert m.message.endswith("两者不一致")
        assert {m.left_doc, m.right_doc} <= {"order", "payment", "waybill", "inventory"}


def test_every_head_rule_is_exercised_by_the_table() -> None:
    covered = set().union(*(c[3] for c in CHANGES))
    assert {r.code for r in HEAD_RULES} <= covered


def test_message_names_both_sides_values() -> None:
    docs = documents()
    docs["payment"].head["amountPaid"] = "333"
    (m,) = run(docs)
    assert m.code == "order_payment_amount_paid"
    assert (m.left_doc, m.left_value, m.right_doc, m.right_value) == ("order", "332.60", "payment", "333")
    assert (
        "电子订单" in m.message and "支付凭证" in m.message and "332.60" in m.message and "333" in m.message
    )


def test_personal_values_are_masked_in_the_message() -> None:
    docs = documents()
    docs["payment"].head["payerIdNumber"] = "11010519900307002X"
    (m,) = run(docs)
    assert BUYER_ID not in m.message and "11010519900307002X" not in m.message
    assert m.left_value == "1101**********1234" and m.right_value == "1101**********002X"


def test_order_pay_code_and_transaction_are_compared_only_when_the_order_carries_them() -> None:
    docs = documents()
    docs["order"].head["payCode"] = ""
    del docs["order"].head["payTransactionId"]
    assert run(docs) == []


def test_declared_tax_must_equal_the_computed_tax_when_given() -> None:
    assert run(documents(), expected_tax=Decimal("27.6")) == []
    (m,) = run(documents(), expected_tax=Decimal("30.12"))
    assert m.code == "order_tax_total" and m.right_value == "30.12"


def test_goods_lines_pair_by_gnum_and_extra_or_missing_lines_are_named() -> None:
    docs = documents()
    docs["inventory"].lines.pop()
    codes = {m.code for m in run(docs)}
    assert codes == {"order_inventory_line_count", "order_inventory_line_missing"}
    docs = documents()
    docs["inventory"].lines.append(dict(docs["inventory"].lines[0], gnum="3"))
    codes = {m.code for m in run(docs)}
    assert codes == {"order_inventory_line_count", "inventory_line_not_in_order"}


def test_missing_documents_in_the_set_order() -> None:
    assert missing_documents(["inventory", "order"]) == ["payment", "waybill"]
    assert missing_documents(["order", "payment", "waybill", "inventory"]) == []
    assert missing_documents_message(["payment", "waybill"]) == "三单对碰待进行：尚未收到支付凭证、物流运单"
