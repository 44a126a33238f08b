"""Every message silkgate produces validates against the official XSD of its edition (lxml
XMLSchema over ../shared/reference/ceb/xsd): the receipts of every declaration type, CEB900 and
the CEB701 summary application. Status codes and texts: FIELDS.md §3.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from silkgate.declarations import codes
from silkgate.declarations import spec as S
from silkgate.declarations.jsonform import RenderError
from silkgate.declarations.messages import MessageRejected, parse_message
from silkgate.declarations.receipts import (
    RECEIPT_TYPE_FOR,
    invt_no_for,
    pre_no_for,
    receipt_fields,
    receipt_json,
    render_format_error_xml,
    render_receipt_xml,
    render_summary_apply_xml,
    return_for,
)

from .support import MAX, read_sample, sample_table, xsd_errors

DIRECTION = {m.message_type: m.direction for e in S.EDITIONS for m in S.messages(e).values()}


def _declarations(reference: Path) -> list[tuple[str, str, bytes]]:
    """Every declaration sample, with the documented faults of the official samples repaired:
    the repeated BaseTransfer of the 202205 export declarations (SOURCES.md) and the placeholder
    logisticsStatus "R" of CEB513 (the XSD annotation says 限定S)."""
    out = []
    for name, edition, _ in sample_table(reference):
        data = read_sample(reference, name).replace(b"<ceb:logisticsStatus>R<", b"<ceb:logisticsStatus>S<")
        first = data.find(b"<ceb:BaseTransfer>")
        second = data.find(b"<ceb:BaseTransfer>", first + 1)
        if second > 0:
            data = (
                data[:second]
                + data[data.index(b"</ceb:BaseTransfer>", second) + len(b"</ceb:BaseTransfer>") :]
            )
        try:
            parsed = parse_message(data, max_bytes=MAX, edition=edition, check_codes=False)
        except MessageRejected:
            continue
        if parsed.message_type in RECEIPT_TYPE_FOR:
            out.append((name, edition, data))
    return out


def test_every_declaration_type_has_its_receipt() -> None:
    declared = {
        m.message_type
        for e in S.EDITIONS
        for m in S.messages(e).values()
        if not m.business.name.endswith("Return")
    }
    assert declared - set(RECEIPT_TYPE_FOR) == {"CEB816", "CEB818", "CEB792"}  # customs-issued: no receipt


def test_receipts_for_every_sample_validate_against_the_official_xsd(reference_dir: Path) -> None:
    rendered = set()
    for name, edition, data in _declarations(reference_dir):
        parsed = parse_message(data, max_bytes=MAX, edition=edition, check_codes=False)
        receipt_type = RECEIPT_TYPE_FOR[parsed.message_type]
        status = codes.STATUS_DECLARING
        returns = [
            return_for(
                doc,
                receipt_type,
                status,
                f"新增申报成功[{doc.guid}]",
                edition=edition,
                extra={"preNo": pre_no_for(n), "invtNo": invt_no_for("5100", 2026, n)},
            )
            for n, doc in enumerate(parsed.documents, 1)
        ]
        xml = render_receipt_xml(receipt_type, returns, edition=edition)
        assert xsd_errors(reference_dir, edition, parsed.direction, xml) == [], (name, receipt_type)
        back = parse_message(xml, max_bytes=MAX, edition=edition)
        assert back.message_type == receipt_type and [d.kind for d in back.documents] == ["receipt"] * len(
            returns
        )
        assert back.documents[0].head["returnStatus"] == status
        as_json = receipt_json(receipt_type, returns, edition=edition)
        assert parse_message(__import__("json").dumps(as_json).encode(), max_bytes=MAX).body == back.body
        rendered.add((receipt_type, edition))
    expected = {(RECEIPT_TYPE_FOR[t], e) for t in RECEIPT_TYPE_FOR for e in S.editions_of(t + "Message")}
    assert rendered == expected


def test_receipt_of_a_signed_real_world_list(reference_dir: Path) -> None:
    parsed = parse_message(read_sample(reference_dir, "webapp/CEB621Message_signed.xml"), max_bytes=MAX)
    doc = parsed.documents[0]
    for status in [*sorted(codes.RECEIPT_STATUSES["CEB622"], key=int), codes.STATUS_FORMAT_ERROR]:
        record = return_for(doc, "CEB622", status, codes.status_text(status), extra={"preNo": pre_no_for(7)})
        xml = render_receipt_xml("CEB622", [record])
        for edition in S.EDITIONS:
            assert xsd_errors(reference_dir, edition, "import", xml) == []
    assert record["copNo"] == doc.head["copNo"] and len(record["returnTime"]) == 17


def test_logistics_status_receipt(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB513Message.xml").replace(
        b"<ceb:logisticsStatus>R<", b"<ceb:logisticsStatus>S<"
    )
    parsed = parse_message(data, max_bytes=MAX)
    returns = [return_for(d, "CEB514", "399", "海关审结") for d in parsed.documents]
    assert xsd_errors(reference_dir, "202205", "import", render_receipt_xml("CEB514", returns)) == []


def test_status_outside_the_receipts_list_is_refused() -> None:
    record = {"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "ebpCode": "1", "ebcCode": "1", "orderNo": "o1"}
    with pytest.raises(RenderError) as info:
        render_receipt_xml(
            "CEB312",
            [{**record, "returnStatus": "800", "returnTime": "20260101120000000", "returnInfo": "放行"}],
        )
    assert "800" in str(info.value)


def test_missing_platform_number_is_named() -> None:
    record = {"guid": "4CDE1CFD-EDED-46B1-946C-B8022E42FC94", "copNo": "C1", "returnStatus": "2"}
    record |= {"returnTime": "20260101120000000", "returnInfo": "申报中", "preNo": ""}
    with pytest.raises(RenderError) as info:
        render_receipt_xml("CEB622", [record])
    assert any("preNo" in p for p in info.value.problems)


def test_receipt_field_order_follows_the_xsd() -> None:
    assert receipt_fields("CEB622") == (
        "guid", "customsCode", "ebpCode", "ebcCode", "agentCode", "copNo", "preNo", "invtNo", "returnStatus", "returnTime", "returnInfo",
    )  # fmt: skip


@pytest.mark.parametrize("edition", S.EDITIONS)
def test_format_error_receipt_validates(reference_dir: Path, edition: str) -> None:
    xml = render_format_error_xml(
        None,
        codes.STATUS_FORMAT_ERROR,
        "报文不是格式正确的XML（第3行）" + "很长" * 3000,
        ori_message_type="CEB621Message",
        ori_biz_message="<ceb:CEB621Message>&\x01",
        edition=edition,
    )
    assert xsd_errors(reference_dir, edition, "import", xml) == []
    parsed = parse_message(xml, max_bytes=MAX)
    ret = parsed.documents[0].head
    assert (
        ret["returnStatus"] == "-1"
        and len(ret["returnInfo"]) == 5000
        and ret["oriBizMessage"] == "<ceb:CEB621Message>&"
    )
    with pytest.raises(RenderError):
        render_format_error_xml("X" * 36, "2", "not negative")


SUMMARY_HEAD = {
    "guid": "9A1D5E4C-3C71-4C7B-9F1E-6D2C1B0A9E88",
    "appType": "1",
    "appTime": "20261124103000",
    "appStatus": "1",
    "customsCode": "5141",
    "copNo": "SUM202611240001",
    "agentCode": "1105910159",
    "agentName": "东方物通科技(北京)有限公司",
    "ebcCode": "1105910159",
    "ebcName": "东方物通科技(北京)有限公司",
    "declAgentCode": "1105910159",
    "declAgentName": "东方物通科技(北京)有限公司",
    "startTime": "20261101000000",
    "endTime": "20261130235959",
    "summaryFlag": "1",
    "itemNameFlag": "0",
    "msgCount": "1",
    "msgSeqNo": "1",
}


@pytest.mark.parametrize("edition", S.EDITIONS)
def test_summary_application_validates(reference_dir: Path, edition: str) -> None:
    lines = [{"invtNo": invt_no_for("5141", 2026, n)} for n in range(1, 4)]
    xml = render_summary_apply_xml(SUMMARY_HEAD, lines, edition=edition)
    assert xsd_errors(reference_dir, edition, "export", xml) == []
    parsed = parse_message(xml, max_bytes=MAX, edition=edition)
    assert parsed.documents[0].kind == "summary" and [x["invtNo"] for x in parsed.documents[0].lines] == [
        x["invtNo"] for x in lines
    ]
    assert parsed.transfer["copCode"] == "1105910159"


def test_summary_application_names_bad_fields() -> None:
    with pytest.raises(RenderError) as info:
        render_summary_apply_xml({**SUMMARY_HEAD, "customsCode": "51410", "appTime": "2026"}, [])
    text = " ".join(info.value.problems)
    assert "customsCode" in text and "appTime" in text


def test_status_texts() -> None:
    assert codes.status_text("800") == "放行"
    assert codes.status_text("-3") == "处理异常回执"
    assert codes.status_text(codes.STATUS_STORED) == "电子口岸已暂存"
    with pytest.raises(KeyError):
        codes.status_text("42")
    assert all(codes.RECEIPT_STATUSES[t] <= set(codes.RETURN_STATUS_TEXT) for t in codes.RECEIPT_STATUSES)
