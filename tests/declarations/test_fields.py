"""Field-level validation: each broken field is named by its path with a stable code and a Chinese
message; every failing field of a message is reported at once. Rules: the official XSDs of the
海关跨境电商统一版系统企业对接报文规范 (202205) plus the code lists and annotations (FIELDS.md §3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from silkgate.declarations.messages import MessageRejected, parse_message

from .support import MAX, read_sample, sample_621_with

HEAD = "Order[1].OrderHead."
LINE = "Order[1].OrderList[1]."
INV = "Inventory[1].InventoryHead."
INVL = "Inventory[1].InventoryList[1]."

# (case, sample, old, new, field path, code, rejection code)
CASES = [
    (
        "missing required",
        "311",
        b"<ceb:orderNo>order20160321116421002</ceb:orderNo>",
        b"",
        HEAD + "orderNo",
        "required",
        "format_invalid",
    ),
    (
        "too long",
        "311",
        b"<ceb:buyerName>aa</ceb:buyerName>",
        b"<ceb:buyerName>" + "张".encode() * 61 + b"</ceb:buyerName>",
        HEAD + "buyerName",
        "too_long",
        "format_invalid",
    ),
    (
        "empty required",
        "311",
        b"<ceb:buyerName>aa</ceb:buyerName>",
        b"<ceb:buyerName></ceb:buyerName>",
        HEAD + "buyerName",
        "empty",
        "format_invalid",
    ),
    (
        "wrong length",
        "311",
        b"<ceb:consigneeDistrict>072750</ceb:consigneeDistrict>",
        b"<ceb:consigneeDistrict>0727</ceb:consigneeDistrict>",
        HEAD + "consigneeDistrict",
        "wrong_length",
        "format_invalid",
    ),
    (
        "bad decimal",
        "311",
        b"<ceb:goodsValue>14000</ceb:goodsValue>",
        b"<ceb:goodsValue>14,000</ceb:goodsValue>",
        HEAD + "goodsValue",
        "bad_decimal",
        "format_invalid",
    ),
    (
        "fraction digits",
        "311",
        b"<ceb:freight>5000</ceb:freight>",
        b"<ceb:freight>5000.000001</ceb:freight>",
        HEAD + "freight",
        "decimal_too_many_fraction_digits",
        "format_invalid",
    ),
    (
        "total digits",
        "311",
        b"<ceb:taxTotal>50</ceb:taxTotal>",
        b"<ceb:taxTotal>123456789012345.12345</ceb:taxTotal>",
        HEAD + "taxTotal",
        "decimal_too_many_digits",
        "format_invalid",
    ),
    (
        "bad integer",
        "311",
        b"<ceb:gnum>1</ceb:gnum>",
        b"<ceb:gnum>1.5</ceb:gnum>",
        LINE + "gnum",
        "bad_integer",
        "format_invalid",
    ),
    (
        "unknown element",
        "311",
        b"<ceb:note>test</ceb:note>",
        b"<ceb:note>test</ceb:note><ceb:vip>1</ceb:vip>",
        HEAD + "vip",
        "unknown_element",
        "format_invalid",
    ),
    (
        "wrong namespace",
        "311",
        b"<ceb:note>test</ceb:note>",
        b'<note xmlns="urn:x">test</note>',
        HEAD + "note",
        "wrong_namespace",
        "format_invalid",
    ),
    (
        "bad appTime",
        "311",
        b"<ceb:appTime>20160308112701</ceb:appTime>",
        b"<ceb:appTime>20161308112701</ceb:appTime>",
        HEAD + "appTime",
        "bad_datetime",
        "code_invalid",
    ),
    (
        "appTime 30 Feb",
        "311",
        b"<ceb:appTime>20160308112701</ceb:appTime>",
        b"<ceb:appTime>20160230112701</ceb:appTime>",
        HEAD + "appTime",
        "bad_datetime",
        "code_invalid",
    ),
    (
        "appType",
        "311",
        b"<ceb:appType>1</ceb:appType>",
        b"<ceb:appType>4</ceb:appType>",
        HEAD + "appType",
        "bad_value",
        "code_invalid",
    ),
    (
        "orderType import",
        "311",
        b"<ceb:orderType>I</ceb:orderType>",
        b"<ceb:orderType>E</ceb:orderType>",
        HEAD + "orderType",
        "bad_value",
        "code_invalid",
    ),
    (
        "buyerIdType import",
        "311",
        b"<ceb:buyerIdType>1</ceb:buyerIdType>",
        b"<ceb:buyerIdType>2</ceb:buyerIdType>",
        HEAD + "buyerIdType",
        "bad_value",
        "code_invalid",
    ),
    (
        "import currency",
        "311",
        b"<ceb:currency>142</ceb:currency>",
        b"<ceb:currency>502</ceb:currency>",
        HEAD + "currency",
        "fixed_mismatch",
        "format_invalid",
    ),  # XSD fixed="142"
    (
        "unit",
        "311",
        b"<ceb:unit>007</ceb:unit>",
        b"<ceb:unit>999</ceb:unit>",
        LINE + "unit",
        "not_in_code_list",
        "code_invalid",
    ),
    (
        "country",
        "311",
        b"<ceb:country>116</ceb:country>",
        b"<ceb:country>CHN</ceb:country>",
        LINE + "country",
        "not_in_code_list",
        "code_invalid",
    ),
    (
        "tradeMode import",
        "621",
        b"<ceb:tradeMode>9610</ceb:tradeMode>",
        b"<ceb:tradeMode>9710</ceb:tradeMode>",
        INV + "tradeMode",
        "not_in_code_list",
        "code_invalid",
    ),
    (
        "trafMode",
        "621",
        b"<ceb:trafMode>0</ceb:trafMode>",
        b"<ceb:trafMode>Q</ceb:trafMode>",
        INV + "trafMode",
        "not_in_code_list",
        "code_invalid",
    ),
    (
        "customsCode digits",
        "621",
        b"<ceb:customsCode>3700</ceb:customsCode>",
        b"<ceb:customsCode>37A0</ceb:customsCode>",
        INV + "customsCode",
        "not_digits",
        "code_invalid",
    ),
    (
        "declTime date",
        "621",
        b"<ceb:declTime>20160308</ceb:declTime>",
        b"<ceb:declTime>20150229</ceb:declTime>",
        INV + "declTime",
        "bad_date",
        "code_invalid",
    ),
    (
        "gcode digits",
        "621",
        b"<ceb:gcode>8541401000</ceb:gcode>",
        b"<ceb:gcode>85414010AB</ceb:gcode>",
        INVL + "gcode",
        "not_digits",
        "code_invalid",
    ),
    (
        "unit2 code",
        "621",
        b"<ceb:unit2>035</ceb:unit2>",
        b"<ceb:unit2>0x5</ceb:unit2>",
        INVL + "unit2",
        "not_in_code_list",
        "code_invalid",
    ),
    (
        "gcode length",
        "621",
        b"<ceb:gcode>8541401000</ceb:gcode>",
        b"<ceb:gcode>85414010</ceb:gcode>",
        INVL + "gcode",
        "wrong_length",
        "format_invalid",
    ),
    (
        "leaf with children",
        "621",
        b"<ceb:gname>\xe5\xb0\x8f\xe7\xb1\xb3\xe7\x9b\x92\xe5\xad\x90</ceb:gname>",
        b"<ceb:gname>x<ceb:b>y</ceb:b></ceb:gname>",
        INVL + "gname",
        "not_a_leaf",
        "format_invalid",
    ),
]


def _doc(reference: Path, which: str) -> bytes:
    return read_sample(reference, "CEB311Message.xml") if which == "311" else sample_621_with(reference, 2)


@pytest.mark.parametrize(
    ("case", "which", "old", "new", "path", "code", "reject"), CASES, ids=[c[0] for c in CASES]
)
def test_one_broken_field_is_named_exactly(
    reference_dir: Path, case: str, which: str, old: bytes, new: bytes, path: str, code: str, reject: str
) -> None:
    data = _doc(reference_dir, which)
    assert old in data, case
    with pytest.raises(MessageRejected) as info:
        parse_message(data.replace(old, new, 1), max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [(path, code)], case
    assert info.value.code == reject
    message = info.value.errors[0].message
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # Chinese
    assert path.rsplit(".", 1)[-1] in message  # names the field


def test_every_failing_field_is_reported(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB311Message.xml")
    data = data.replace(b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>1420</ceb:currency>")  # all 11
    data = data.replace(b"<ceb:appType>1</ceb:appType>", b"<ceb:appType>9</ceb:appType>")  # all 6
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX)
    fields = [(e.field, e.code) for e in info.value.errors]
    assert info.value.code == "format_invalid"  # a format error wins the headline
    assert sum(1 for f, c in fields if c == "fixed_mismatch" and f.endswith("currency")) == data.count(
        b"<ceb:currency>"
    )
    assert sum(1 for f, c in fields if c == "bad_value" and f.endswith("appType")) == 6
    assert ("Order[6].OrderHead.appType", "bad_value") in fields
    assert "等" in info.value.message


def test_order_and_cardinality(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 2)
    swapped = data.replace(
        b"<ceb:orderNo>order2016030811340001</ceb:orderNo>\n\t\t\t<ceb:ebpCode>1101110325</ceb:ebpCode>",
        b"<ceb:ebpCode>1101110325</ceb:ebpCode>\n\t\t\t<ceb:orderNo>order2016030811340001</ceb:orderNo>",
        1,
    )
    with pytest.raises(MessageRejected) as info:
        parse_message(swapped, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [(INV + "orderNo", "out_of_order")]
    assert "ebpCode" in info.value.errors[0].message

    no_lists = data.replace(
        data[data.index(b"<ceb:InventoryList>") : data.index(b"</ceb:Inventory>")], b"", 1
    )
    with pytest.raises(MessageRejected) as info:
        parse_message(no_lists, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [("Inventory[1].InventoryList", "required")]

    line = data[
        data.index(b"<ceb:InventoryList>") : data.index(b"</ceb:InventoryList>")
        + len(b"</ceb:InventoryList>")
    ]
    hundred = data.replace(line, line * 100, 1)  # two lines there already: 101 in the first Inventory
    with pytest.raises(MessageRejected) as info:
        parse_message(hundred, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("Inventory[1].InventoryList[100]", "too_many"),
        ("Inventory[1].InventoryList[101]", "too_many"),
    ]


def test_root_attributes(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1)
    short = data.replace(b'guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94"', b'guid="4CDE1CFD"', 1)
    no_version = data.replace(b'-B8022E42FC94" version="1.0"', b'-B8022E42FC94"', 1)
    with pytest.raises(MessageRejected) as info:
        parse_message(short, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [("@guid", "wrong_length")]
    with pytest.raises(MessageRejected) as info:
        parse_message(no_version, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [("@version", "required")]
    anchor = b'-B8022E42FC94" version="1.0"'
    extra = data.replace(anchor, anchor + b' foo="1"', 1)
    with pytest.raises(MessageRejected) as info:
        parse_message(extra, max_bytes=MAX)
    assert [(e.field, e.code) for e in info.value.errors] == [("@foo", "unknown_attribute")]
    xsi = b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.chinaport.gov.cn/ceb x.xsd"'
    assert parse_message(data.replace(anchor, anchor + xsi, 1), max_bytes=MAX).documents


def test_declared_without_signature_is_refused_unless_stored(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB311Message.xml")
    unsigned = data[: data.index(b"<ds:Signature")] + b"</ceb:CEB311Message>\n"
    with pytest.raises(MessageRejected) as info:
        parse_message(unsigned, max_bytes=MAX)
    assert info.value.code == "code_invalid"
    assert [(e.field, e.code) for e in info.value.errors] == [("Signature", "signature_required")]
    stored_only = unsigned.replace(b"<ceb:appStatus>2</ceb:appStatus>", b"<ceb:appStatus>1</ceb:appStatus>")
    parsed = parse_message(stored_only, max_bytes=MAX)
    assert not parsed.signed and {d.app_status for d in parsed.documents} == {"1"}


def test_whitespace_collapsed_for_numbers_but_kept_for_text(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB311Message.xml")
    data = data.replace(
        b"<ceb:goodsValue>14000</ceb:goodsValue>", b"<ceb:goodsValue>\n 14000.50 \n</ceb:goodsValue>", 1
    )
    parsed = parse_message(data, max_bytes=MAX)
    assert parsed.documents[0].head["goodsValue"] == "14000.50"
    assert parsed.documents[0].head["buyerName"] == "aa"


def test_unverified_unit_is_a_warning(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB311Message.xml").replace(
        b"<ceb:unit>007</ceb:unit>", b"<ceb:unit>166</ceb:unit>", 1
    )
    parsed = parse_message(data, max_bytes=MAX)
    assert [(w.field, w.code) for w in parsed.warnings] == [(LINE + "unit", "not_in_code_list")]


def test_documents_and_keys(reference_dir: Path) -> None:
    parsed = parse_message(read_sample(reference_dir, "CEB311Message.xml"), max_bytes=MAX)
    assert (parsed.message_type, parsed.direction, parsed.edition, parsed.fmt) == (
        "CEB311",
        "import",
        "202205",
        "xml",
    )
    order = parsed.documents[0]
    assert (order.kind, order.node, order.business_no) == ("order", "Order", "order20160321116421002")
    assert (order.app_type, order.app_status, order.guid) == (
        "1",
        "2",
        "4CDE1CFD-EDED-46B1-946C-B8022E42FC94",
    )
    assert order.head["ebcCode"] == "1105910159" and order.lines[1]["gnum"] == "2"
    assert parsed.transfer["copCode"] and parsed.signed


def test_stray_attributes_below_the_root(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 2)
    on_leaf = data.replace(b"<ceb:gcode>", b'<ceb:gcode lang = "zh">', 1)
    on_node = data.replace(b"<ceb:InventoryHead>", b"<ceb:InventoryHead id='x'>", 1)
    on_ds = data.replace(b"<ds:SignedInfo>", b'<ds:SignedInfo Id="s1">', 1)
    quoted_text = data.replace(b"<ceb:note></ceb:note>", b"<ceb:note>a=\"b\" c='d'</ceb:note>", 1)
    for doc, expected in [
        (on_leaf, [("Inventory[1].InventoryList[1].gcode.@lang", "unknown_attribute")]),
        (on_node, [("Inventory[1].InventoryHead.@id", "unknown_attribute")]),
        (on_ds, [("Signature.@Id", "unknown_attribute")]),
    ]:
        with pytest.raises(MessageRejected) as info:
            parse_message(doc, max_bytes=MAX)
        assert [(e.field, e.code) for e in info.value.errors] == expected
    assert parse_message(quoted_text, max_bytes=MAX).documents  # text that looks like attributes is text


def test_valid_messages_stay_on_the_fast_paths(reference_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The precise passes (structure, attributes) only run for broken messages: the hot path stays one walk."""
    from silkgate.declarations import messages

    def refuse(*args: object) -> None:
        raise AssertionError("a precise pass ran on a valid message")

    monkeypatch.setattr(messages, "_walk_xml_precise", refuse)
    monkeypatch.setattr(messages, "_stray_attributes", refuse)
    for data in (sample_621_with(reference_dir, 4), read_sample(reference_dir, "CEB311Message.xml")):
        assert parse_message(data, max_bytes=MAX).documents
