"""A stored receipt in the standard's shape: the receipt message of its declaration's type (CEB312,
CEB622, …) in XML or the JSON form, or CEB900 for a refusal of the whole message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from silkgate.declarations import receipts as ceb
from silkgate.models.declarations import Declaration, Receipt


@dataclass
class _Echo:
    """The declared fields a receipt echoes (guid, ebpCode, orderNo, copNo, …), as return_for reads them."""

    head: dict[str, str] = field(default_factory=dict)


def _echo(receipt: Receipt, declaration: Declaration | None) -> tuple[_Echo, dict[str, str]]:
    head: dict[str, str] = {k: str(v) for k, v in (declaration.head or {}).items()} if declaration else {}
    head["guid"] = receipt.guid
    extra: dict[str, str] = {}
    if declaration is not None:
        pre_no = declaration.pre_no or ceb.pre_no_for(declaration.id, declaration.created_at)
        extra["preNo"] = pre_no
        if declaration.invt_no:
            extra["invtNo"] = declaration.invt_no
        if not head.get("copNo"):
            extra["copNo"] = pre_no
    return _Echo(head), extra


_RECEIPT_GUIDS = uuid.UUID("5c0e6a2b-8d1f-4e7a-9b3c-2f6d8e1a4b70")


def receipt_message_guid(receipt_id: int) -> str:
    """The receipt message's own guid, the same every time it is rendered: the XML a detached
    signature covers must be byte for byte what GET ?format=xml answers (docs/signatures-and-ledger.md)."""
    return str(uuid.uuid5(_RECEIPT_GUIDS, f"receipt:{receipt_id}")).upper()


def receipt_document(receipt: Receipt, declaration: Declaration | None, *, fmt: str) -> Any:
    """XML bytes (fmt="xml") or the JSON-form dict of one stored receipt (rendered the same every time)."""
    edition = (declaration.edition if declaration is not None else None) or "202205"
    message_guid = receipt_message_guid(receipt.id)
    if receipt.message_type == ceb.FORMAT_ERROR_TYPE or declaration is None:
        ori = f"{receipt.declared_type}Message" if receipt.declared_type else "Unknown"
        status = receipt.return_status if receipt.return_status.startswith("-") else "-1"
        if fmt == "xml":
            return ceb.render_format_error_xml(
                receipt.guid or None,
                status,
                receipt.return_info,
                ori_message_type=ori,
                return_time=receipt.created_at,
                edition=edition,
                message_guid=message_guid,
            )
        return ceb.format_error_json(
            receipt.guid or None,
            status,
            receipt.return_info,
            ori_message_type=ori,
            return_time=receipt.created_at,
            edition=edition,
            message_guid=message_guid,
        )
    echo, extra = _echo(receipt, declaration)
    record = ceb.return_for(
        echo,  # type: ignore[arg-type]
        receipt.message_type,
        receipt.return_status,
        receipt.return_info,
        edition=edition,
        return_time=receipt.created_at,
        extra=extra,
    )
    if fmt == "xml":
        return ceb.render_receipt_xml(receipt.message_type, [record], edition=edition, guid=message_guid)
    return ceb.receipt_json(receipt.message_type, [record], edition=edition, guid=message_guid)
