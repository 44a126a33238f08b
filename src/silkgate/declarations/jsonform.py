"""The JSON form of CEB messages (docs/ceb-json.md) and rendering any message back to XML.

JSON form: one object per message with the XML's own names —
`{"messageType": "CEB621", "edition": "202205", "guid": "…", "version": "1.0",
  "Inventory": [{"InventoryHead": {…}, "InventoryList": [{…}, …]}, …], "BaseTransfer": {…}}`.
A node that may repeat (maxOccurs > 1) is always a list, a node that may not is an object, a
field is a string. `render_xml` writes the XML of the same message in the XSD's element order
after validating it with the same rules parse_message applies, so every message silkgate
produces (receipts, CEB900, CEB701 summary proposals) conforms to the official XSD of its edition.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from silkgate.declarations import spec as S
from silkgate.declarations.messages import ParsedMessage, _validate_json
from silkgate.declarations.spec import CEB_NS, Node

# characters XML 1.0 does not allow, removed from text we render (e.g. echoed user input)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_json(message: ParsedMessage) -> dict[str, Any]:
    """The JSON form of a parsed message (XML or JSON): parse_json_object(to_json(m)) == m."""
    return {
        "messageType": message.message_type,
        "edition": message.edition,
        "guid": message.guid,
        "version": message.version,
        **message.body,
    }


def new_guid() -> str:
    """A 36-character upper-case message guid (the XSD's guid: length 36, 英文字母大写)."""
    return str(uuid.uuid4()).upper()


def _escape(value: str) -> str:
    value = _NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _escape(value).replace('"', "&quot;")


def _render_node(out: list[str], obj: dict[str, Any], node: Node) -> None:
    for slot in node.slots:
        value = obj.get(slot.name)
        if value is None:
            continue
        if slot.kind == S.LEAF:
            out.append(f"<ceb:{slot.name}>{_escape(str(value))}</ceb:{slot.name}>")
        elif slot.kind == S.NODE:
            assert slot.node is not None
            for item in value if isinstance(value, list) else [value]:
                out.append(f"<ceb:{slot.name}>")
                _render_node(out, item, slot.node)
                out.append(f"</ceb:{slot.name}>")


class RenderError(ValueError):
    """silkgate was about to produce a message that breaks the XSD: a programming error."""

    def __init__(self, message_type: str, problems: list[str]) -> None:
        super().__init__(f"{message_type}: " + "; ".join(problems))
        self.problems = problems


def render_xml(
    message_type: str,
    body: dict[str, Any],
    *,
    guid: str | None = None,
    version: str = "1.0",
    edition: str = "202205",
) -> bytes:
    """UTF-8 XML of a message given in JSON form (without messageType/guid/version), in XSD order.

    Raises RenderError naming every field that would break the edition's XSD or code rules.
    """
    root = message_type if message_type.endswith("Message") else message_type + "Message"
    mspec = S.messages(edition)[root]
    guid = guid or new_guid()
    clean = {k: v for k, v in body.items() if k not in ("messageType", "edition", "guid", "version")}
    _, run = _validate_json({"guid": guid, "version": version, **clean}, mspec)
    problems = [f"{e.field}: {e.message}" for e in run.errors]
    problems += [
        f"{s.name}: 此报文须加签，不能由render_xml生成"
        for s in mspec.node.slots
        if s.kind == S.SIGNATURE and s.min
    ]
    if problems:
        raise RenderError(mspec.message_type, problems)
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
        f'<ceb:{root} xmlns:ceb="{CEB_NS}" guid="{_attr(guid)}" version="{_attr(version)}">',
    ]
    _render_node(out, clean, mspec.node)
    out.append(f"</ceb:{root}>\n")
    return "".join(out).encode("utf-8")
