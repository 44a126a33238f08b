"""Telling the 2018 (海关总署公告2018年第113号) and 202205 editions apart by content
(messages.py docstring; FIELDS.md §5 lists what differs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from silkgate.declarations.messages import MessageRejected, parse_message

from .support import MAX, read_sample, sample_621_with

SM2 = b"http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
SM3 = b"http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
RSA = b"http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = b"http://www.w3.org/2000/09/xmldsig#sha1"


def _rsa(data: bytes) -> bytes:
    return data.replace(SM2, RSA).replace(SM3, SHA1)


def test_type_only_in_202205(reference_dir: Path) -> None:
    assert parse_message(read_sample(reference_dir, "CEB213Message.xml"), max_bytes=MAX).edition == "202205"
    with pytest.raises(MessageRejected) as info:
        parse_message(read_sample(reference_dir, "CEB213Message.xml"), max_bytes=MAX, edition="2018")
    assert info.value.code == "type_not_in_edition"


def test_sm2_signature_is_decisive(reference_dir: Path) -> None:
    data = sample_621_with(reference_dir, 1).replace(
        b"<ceb:itemNo>AF001-001</ceb:itemNo>", b"<ceb:itemNo>" + b"A" * 25 + b"</ceb:itemNo>", 1
    )
    with pytest.raises(MessageRejected) as info:  # itemNo of 25 fits 2018 (<=30) but not 202205 (<=20)
        parse_message(data, max_bytes=MAX)
    assert info.value.edition == "202205"
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("Inventory[1].InventoryList[1].itemNo", "too_long")
    ]


def test_rsa_suggests_2018_and_content_decides(reference_dir: Path) -> None:
    data = _rsa(sample_621_with(reference_dir, 2))
    assert parse_message(data, max_bytes=MAX).edition == "2018"  # fits both: the suggestion stands
    long_item = data.replace(
        b"<ceb:itemNo>AF001-001</ceb:itemNo>", b"<ceb:itemNo>" + b"A" * 25 + b"</ceb:itemNo>", 1
    )
    assert parse_message(long_item, max_bytes=MAX).edition == "2018"
    # tradeCountry of 2 characters: 2018 says length 3, 202205 says 1..3 -> only the 202205 grammar fits
    short_country = data.replace(
        b"<ceb:tradeCountry>116</ceb:tradeCountry>", b"<ceb:tradeCountry>11</ceb:tradeCountry>", 1
    )
    with pytest.raises(MessageRejected) as info:
        parse_message(short_country, max_bytes=MAX)
    assert info.value.edition == "202205" and info.value.code == "code_invalid"  # and "11" is no country code
    too_long = data.replace(
        b"<ceb:itemNo>AF001-001</ceb:itemNo>", b"<ceb:itemNo>" + b"A" * 31 + b"</ceb:itemNo>", 1
    )
    with pytest.raises(MessageRejected) as info:  # fits neither: reported against the suggested edition
        parse_message(too_long, max_bytes=MAX)
    assert info.value.edition == "2018" and info.value.errors[0].code == "too_long"


def test_unsigned_defaults_to_202205(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB311Message.xml")
    unsigned = (
        data[: data.index(b"<ds:Signature")].replace(b"<ceb:appStatus>2<", b"<ceb:appStatus>1<")
        + b"</ceb:CEB311Message>"
    )
    assert parse_message(unsigned, max_bytes=MAX).edition == "202205"


def test_export_2018_lengths(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "2018-113/CEB505Message.xml")
    parsed = parse_message(data, max_bytes=MAX)
    assert parsed.edition == "2018"  # RSA-signed 2018 sample
    long_no = b"L" + b"2" * 40  # logisticsNo of 41: 2018 allows 80, 202205 only 32
    data = data.replace(
        b"<ceb:logisticsNo>L2018050700001</ceb:logisticsNo>",
        b"<ceb:logisticsNo>" + long_no + b"</ceb:logisticsNo>",
        1,
    )
    assert parse_message(data, max_bytes=MAX).edition == "2018"
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX, edition="202205")
    assert [(e.field, e.code) for e in info.value.errors] == [("Logistics[1].logisticsNo", "too_long")]


def test_unknown_edition_argument() -> None:
    with pytest.raises(ValueError):
        parse_message(b"<a/>", max_bytes=MAX, edition="2020")
