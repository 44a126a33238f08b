"""CEB messages out: receipts of every declaration type, the CEB900 format-error receipt and the
CEB701 summary application, in XML valid against the official XSD of the edition and in JSON.

Receipt shapes and status codes: 海关跨境电商统一版系统企业对接报文规范 (202205版; 2018年第113号
公告 for the 2018 edition), receipts CEB312 … CEB216 and CEB900 (FIELDS.md §1, §3.1). Everything
goes through `jsonform.render_xml`, which validates with the same rules parse_message applies and
refuses to produce a message that breaks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from silkgate.declarations import codes
from silkgate.declarations import spec as S
from silkgate.declarations.jsonform import RenderError, new_guid, render_xml
from silkgate.declarations.messages import ParsedDocument
from silkgate.kit.cebtime import format_return_time, now_utc

RECEIPT_TYPE_FOR: dict[str, str] = {
    "CEB311": "CEB312",
    "CEB411": "CEB412",
    "CEB511": "CEB512",
    "CEB513": "CEB514",
    "CEB621": "CEB622",
    "CEB623": "CEB624",
    "CEB625": "CEB626",
    "CEB711": "CEB712",
    "CEB303": "CEB304",
    "CEB403": "CEB404",
    "CEB505": "CEB506",
    "CEB507": "CEB508",
    "CEB509": "CEB510",
    "CEB603": "CEB604",
    "CEB605": "CEB606",
    "CEB607": "CEB608",
    "CEB701": "CEB702",
    "CEB213": "CEB214",
    "CEB215": "CEB216",
}
RECEIPT_TYPES: frozenset[str] = frozenset(RECEIPT_TYPE_FOR.values())
FORMAT_ERROR_TYPE = "CEB900"
RETURN_INFO_MAX = 1000  # returnInfo maxLength of the business receipts (CEB900: 5000)


def _receipt_node(receipt_type: str, edition: str) -> S.Slot:
    mspec = S.messages(edition).get(receipt_type.removesuffix("Message") + "Message")
    if mspec is None or receipt_type.removesuffix("Message") not in RECEIPT_TYPES | {FORMAT_ERROR_TYPE}:
        raise ValueError(f"{receipt_type} is not a receipt type of the {edition} edition")
    return mspec.business


def receipt_fields(receipt_type: str, edition: str = "202205") -> tuple[str, ...]:
    """The fields of one return record of `receipt_type`, in XSD order."""
    node = _receipt_node(receipt_type, edition).node
    assert node is not None
    return tuple(s.name for s in node.slots)


def clip_info(text: str, limit: int = RETURN_INFO_MAX) -> str:
    """returnInfo within the XSD limit (the tail is cut with an ellipsis)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pre_no_for(sequence: int, moment: dt.datetime | None = None) -> str:
    """电子口岸标识编号 preNo (length 18, as the official receipts: "B" + yyyyMMdd + 9-digit sequence)."""
    day = format_return_time(moment or now_utc())[:8]
    return f"B{day}{sequence % 10**9:09d}"


def invt_no_for(customs_code: str, year: int, sequence: int) -> str:
    """清单编号 invtNo (length 18 digits: 4-digit customs code + year + 10-digit sequence)."""
    if len(customs_code) != 4 or not customs_code.isdigit():
        raise ValueError("customs_code must be 4 digits")
    return f"{customs_code}{year:04d}{sequence % 10**10:010d}"


def return_for(
    document: ParsedDocument,
    receipt_type: str,
    return_status: str,
    return_info: str,
    *,
    edition: str = "202205",
    return_time: dt.datetime | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One return record answering `document`: its keys copied from the declared head (guid,
    ebpCode, orderNo, copNo, …), `extra` for what the platform assigns (preNo, invtNo, …), the
    status, its time (yyyyMMddHHmmssSSS Beijing) and info. Optional fields with no fitting value are
    left out; a required one the platform must assign (preNo length 18 in CEB622/604/…; invtNo in
    CEB604/606 of 2018) comes from `extra` — otherwise rendering raises RenderError naming it.
    """
    node = _receipt_node(receipt_type, edition).node
    assert node is not None
    extra = extra or {}
    record: dict[str, str] = {}
    for slot in node.slots:
        name = slot.name
        if name == "returnStatus":
            record[name] = return_status
        elif name == "returnTime":
            record[name] = format_return_time(return_time or now_utc())
        elif name == "returnInfo":
            record[name] = clip_info(return_info)
        elif name in extra:
            record[name] = extra[name]
        elif document.head.get(name) and (
            slot.min or slot.leaf is None or slot.leaf.check(document.head[name]) is None
        ):
            # an optional echo that does not fit the receipt's field (e.g. a 17-character original
            # invtNo where the receipt wants the 18-character list number) is left out
            record[name] = document.head[name]
        elif slot.min:
            record[name] = ""
    return record


def _check_status(receipt_type: str, returns: Sequence[Mapping[str, str]]) -> None:
    allowed = codes.RECEIPT_STATUSES.get(receipt_type.removesuffix("Message"))
    bad = []
    for n, r in enumerate(returns, 1):
        status = r.get("returnStatus", "")
        negative = status.startswith("-") and status[1:].isdigit()
        if allowed is not None and status not in allowed and not negative:
            bad.append(
                f"第{n}条回执returnStatus“{status}”不是{receipt_type}允许的状态{sorted(allowed, key=int)}"
            )
    if bad:
        raise RenderError(receipt_type, bad)


def render_receipt_xml(
    receipt_type: str,
    returns: Sequence[Mapping[str, str]],
    *,
    edition: str = "202205",
    guid: str | None = None,
) -> bytes:
    """A receipt message (CEB312, CEB622, …) holding 1..100 return records, valid against the XSD."""
    slot = _receipt_node(receipt_type, edition)
    _check_status(receipt_type, returns)
    return render_xml(receipt_type, {slot.name: [dict(r) for r in returns]}, guid=guid, edition=edition)


def receipt_json(
    receipt_type: str,
    returns: Sequence[Mapping[str, str]],
    *,
    edition: str = "202205",
    guid: str | None = None,
) -> dict[str, Any]:
    """The same receipt in the JSON form (docs/ceb-json.md); validated like the XML."""
    slot = _receipt_node(receipt_type, edition)
    guid = guid or new_guid()
    body = {slot.name: [dict(r) for r in returns]}
    render_receipt_xml(receipt_type, returns, edition=edition, guid=guid)  # the same checks, or RenderError
    return {
        "messageType": receipt_type.removesuffix("Message"),
        "edition": edition,
        "guid": guid,
        "version": "1.0",
        **body,
    }


def _format_error_body(
    guid: str | None,
    return_status: str,
    return_info: str,
    ori_message_type: str,
    ori_biz_message: str,
    ori_cop_msg_id: str,
    return_time: dt.datetime | None,
) -> dict[str, Any]:
    if not (return_status.startswith("-") and return_status[1:].isdigit()):
        raise RenderError(FORMAT_ERROR_TYPE, [f"returnStatus“{return_status}”应为负数（报文格式校验异常）"])
    return {
        "MessageReturn": {
            # the guid of the rejected message; when it had none of the right shape, a new one
            "guid": guid if guid and len(guid) == 36 else new_guid(),
            "returnStatus": return_status,
            "returnInfo": clip_info(return_info, 5000),
            "returnTime": format_return_time(return_time or now_utc()),
            "oriCopMsgId": ori_cop_msg_id[:255],
            "oriMessageType": ori_message_type if len(ori_message_type) <= 15 else "Unknown",
            "oriBizMessage": ori_biz_message,
        }
    }


def render_format_error_xml(
    guid: str | None,
    return_status: str,
    return_info: str,
    *,
    ori_message_type: str = "Unknown",
    ori_biz_message: str = "",
    ori_cop_msg_id: str = "",
    return_time: dt.datetime | None = None,
    edition: str = "202205",
    message_guid: str | None = None,
) -> bytes:
    """CEB900 报文格式校验回执: the answer to a message that could not be read or broke the XSD.

    `guid` is the rejected message's guid (a new one when it had none of length 36),
    `return_status` a negative number (codes.STATUS_FORMAT_ERROR), `ori_message_type` e.g.
    "CEB621Message" or "Unknown"; `message_guid` the receipt message's own guid (new when None).
    """
    body = _format_error_body(
        guid, return_status, return_info, ori_message_type, ori_biz_message, ori_cop_msg_id, return_time
    )
    return render_xml(FORMAT_ERROR_TYPE, body, edition=edition, guid=message_guid)


def format_error_json(
    guid: str | None,
    return_status: str,
    return_info: str,
    *,
    ori_message_type: str = "Unknown",
    ori_biz_message: str = "",
    ori_cop_msg_id: str = "",
    return_time: dt.datetime | None = None,
    edition: str = "202205",
    message_guid: str | None = None,
) -> dict[str, Any]:
    """CEB900 in the JSON form."""
    body = _format_error_body(
        guid, return_status, return_info, ori_message_type, ori_biz_message, ori_cop_msg_id, return_time
    )
    message_guid = message_guid or new_guid()
    render_xml(FORMAT_ERROR_TYPE, body, edition=edition, guid=message_guid)
    return {
        "messageType": FORMAT_ERROR_TYPE,
        "edition": edition,
        "guid": message_guid,
        "version": "1.0",
        **body,
    }


def render_summary_apply_xml(
    head: Mapping[str, str],
    lines: Sequence[Mapping[str, str]],
    *,
    transfer: Mapping[str, str] | None = None,
    edition: str = "202205",
    guid: str | None = None,
) -> bytes:
    """CEB701 汇总申请单 for one summary: `head` = SummaryApplyHead fields (guid, appType, appTime,
    appStatus, customsCode, copNo, agentCode, agentName, ebcCode, ebcName, declAgentCode,
    declAgentName, startTime, endTime, summaryFlag, itemNameFlag, msgCount, msgSeqNo, …),
    `lines` = SummaryApplyList records ({"invtNo": …}).

    `transfer` is the BaseTransfer (copCode, copName, dxpMode, dxpId); when omitted it names the
    declaring agent: copCode/copName = agentCode/agentName, dxpMode "DXP", dxpId = agentCode.
    Unsigned (ds:Signature is optional in CEB701): the enterprise reviews it, signs and submits.
    Raises RenderError naming each field that would break the XSD.
    """
    if transfer is None:
        transfer = {
            "copCode": head.get("agentCode", ""),
            "copName": head.get("agentName", ""),
            "dxpMode": "DXP",
            "dxpId": head.get("agentCode", ""),
        }
    body: dict[str, Any] = {
        "SummaryApply": [{"SummaryApplyHead": dict(head), "SummaryApplyList": [dict(x) for x in lines]}],
        "BaseTransfer": dict(transfer),
    }
    return render_xml("CEB701", body, guid=guid, edition=edition)
