"""Hostile and broken input: each gets a clear MessageRejected code, nothing is expanded or fetched.

Hardened parsing (kit.safexml): no DTDs, no entities, no network, UTF-8 only (the CEB standard's
encoding, FIELDS.md §2), a size limit (settings.max_message_bytes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from silkgate.config import get_settings
from silkgate.declarations.messages import MessageRejected, parse_message

from .support import MAX, sample_621_with

CEB = b'xmlns:ceb="http://www.chinaport.gov.cn/ceb"'


def _reject(data: bytes, max_bytes: int = MAX, content_type: str | None = None) -> MessageRejected:
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=max_bytes, content_type=content_type)
    assert info.value.message  # a Chinese explanation
    return info.value


XXE = (
    b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ceb:CEB311Message """
    + CEB
    + b""" guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0">&xxe;</ceb:CEB311Message>"""
)

LAUGHS = (
    b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ceb:CEB311Message """
    + CEB
    + b""" guid="x" version="1.0">&lol3;</ceb:CEB311Message>"""
)

EXTERNAL_DTD = (
    b"""<?xml version="1.0"?>
<!DOCTYPE ceb:CEB311Message SYSTEM "http://attacker.example/ceb.dtd">
<ceb:CEB311Message """
    + CEB
    + b""" guid="x" version="1.0"/>"""
)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("xxe", XXE, "xml_dtd_forbidden"),
        ("billion laughs", LAUGHS, "xml_dtd_forbidden"),
        ("external dtd", EXTERNAL_DTD, "xml_dtd_forbidden"),
        ("empty", b"   \n", "xml_empty"),
        ("utf-16", '<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "xml_encoding"),
        ("gbk declared", '<?xml version="1.0" encoding="GBK"?><a>中</a>'.encode("gbk"), "xml_encoding"),
        ("invalid utf-8", b'<?xml version="1.0" encoding="UTF-8"?><a>\xff\xfe\xfa</a>', "xml_encoding"),
        (
            "truncated",
            b'<?xml version="1.0"?><ceb:CEB311Message ' + CEB + b' guid="x" version="1.0"><ceb:Order>',
            "xml_malformed",
        ),
        ("not xml", b"hello", "xml_malformed"),
        ("wrong root", b"<html " + CEB + b"><body/></html>", "unknown_message_type"),
        ("truncated root name", b"<ceb:CEB621 " + CEB + b' guid="x" version="1.0"/>', "unknown_message_type"),
        ("wrong namespace", b'<CEB621Message xmlns="urn:other" guid="x" version="1"/>', "wrong_namespace"),
        ("no namespace", b'<CEB621Message guid="x" version="1"/>', "wrong_namespace"),
        ("json broken", b'{"messageType": "CEB311", ', "json_malformed"),
        ("json array", b"[1, 2]", "json_malformed"),
        ("json no type", b'{"guid": "x"}', "unknown_message_type"),
        ("json unknown type", b'{"messageType": "CEB999"}', "unknown_message_type"),
        ("json edition lacks type", b'{"messageType": "CEB213", "edition": "2018"}', "type_not_in_edition"),
        ("json edition not a string", b'{"messageType": "CEB311", "edition": 2018}', "json_malformed"),
        ("json nesting bomb", b"[" * 200_000 + b"]" * 200_000, "json_malformed"),
        ("json invalid utf-8", b'{"messageType": "CEB311\xff"}', "xml_encoding"),
    ],
)
def test_hostile_or_broken_input_is_rejected_with_a_clear_code(name: str, data: bytes, code: str) -> None:
    assert _reject(data).code == code, name


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = XXE.replace(b"file:///etc/passwd", f"file://{secret}".encode())
    rejected = _reject(data)
    assert "TOP-SECRET" not in rejected.message and rejected.code == "xml_dtd_forbidden"


def test_oversize_is_refused_before_parsing(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 2)
    rejected = _reject(data, max_bytes=len(data) - 1)
    assert rejected.code == "xml_too_large"
    assert str(len(data)) in rejected.message
    json_rejected = _reject(
        b'{"messageType": "CEB311"}' + b" " * 100, max_bytes=50, content_type="application/json"
    )
    assert json_rejected.code == "xml_too_large"


def test_settings_limit_is_the_default_budget(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1)
    assert len(data) < get_settings().max_message_bytes
    assert parse_message(data, max_bytes=get_settings().max_message_bytes).message_type == "CEB621"


def test_rejection_carries_guid_and_type_when_known(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1).replace(b"<ceb:gcode>8541401000</ceb:gcode>", b"", 1)
    rejected = _reject(data)
    assert rejected.guid == "4CDE1CFD-EDED-46B1-946C-B8022E42FC94"
    assert rejected.message_type == "CEB621"
    assert rejected.as_dict()["errors"][0] == {
        "field": "Inventory[1].InventoryList[1].gcode",
        "code": "required",
        "message": rejected.errors[0].message,
    }


def test_prefix_agnostic(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1)
    default_ns = data.replace(b"ceb:", b"").replace(b'xmlns:ceb="', b'xmlns="')
    other_prefix = data.replace(b"ceb:", b"x:").replace(b"xmlns:ceb=", b"xmlns:x=")
    a = parse_message(data, max_bytes=MAX)
    assert parse_message(default_ns, max_bytes=MAX).body == a.body
    assert parse_message(other_prefix, max_bytes=MAX).body == a.body


def test_bom_and_crlf_are_fine(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1)
    assert parse_message(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), max_bytes=MAX).documents


def test_json_with_bom(reference_dir: Path) -> None:
    import json

    from silkgate.declarations.jsonform import to_json

    obj = to_json(parse_message(sample_621_with(reference_dir, 1), max_bytes=MAX))
    data = b"\xef\xbb\xbf" + json.dumps(obj).encode()
    assert parse_message(data, max_bytes=MAX).fmt == "json"
