"""The official CEB samples (海关总署 跨境电商统一版, 2018年第113号 and 202205 editions) against
parse_message and against the official XSDs (../shared/reference/ceb, read-only).

samples/SOURCES.md says which samples are VALID or INVALID against their edition's XSD and why;
FIELDS.md §6 repeats it. Every VALID sample must be accepted format-wise as it is, every INVALID
one rejected naming exactly the fault.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from silkgate.declarations import spec as S
from silkgate.declarations.messages import MessageRejected, parse_message

from .support import MAX, read_sample, sample_table, xsd_errors


def _rows(verdict: str) -> list[tuple[str, str]]:
    reference = Path(__file__).resolve().parents[3] / "shared" / "reference"
    if not reference.is_dir():
        return [("(no reference)", "202205")]
    return [(name, edition) for name, edition, v in sample_table(reference) if v == verdict]


def test_sources_table_lists_every_sample(reference_dir: Path) -> None:
    rows = sample_table(reference_dir)
    assert len(rows) == 76
    assert sum(1 for *_, v in rows if v == "INVALID") == 11


@pytest.mark.parametrize(("name", "edition"), _rows("VALID"))
def test_valid_sample_is_accepted_format_wise(reference_dir: Path, name: str, edition: str) -> None:
    data = read_sample(reference_dir, name)
    assert xsd_errors(reference_dir, edition, _direction(data), data) == []  # the reference's claim holds
    parsed = parse_message(data, max_bytes=MAX, edition=edition, check_codes=False)
    assert parsed.documents, name
    assert all(d.business_no for d in parsed.documents), name
    detected = parse_message(data, max_bytes=MAX, check_codes=False)  # edition told apart by content
    assert detected.message_type == parsed.message_type
    assert detected.body == parsed.body


# Official samples that satisfy the XSD but carry placeholder values that the annotations and the
# JGS-20 code tables forbid: the platform rejects them at the code-list stage (code_invalid), never
# at the format stage. Exactly these, and each names the field and the value.
PLACEHOLDERS = {
    "CEB513Message.xml": {("logisticsStatus", "bad_value", "R")},
    "2018-113/CEB513Message.xml": {("logisticsStatus", "bad_value", "R")},
    "2018-113/CEB303Message.xml": {
        ("currency", "not_in_code_list", "aaa"),
        ("unit", "not_in_code_list", "aaa"),
    },
    "CEB604Message.xml": {("statisticsFlag", "bad_value", "1")},  # annotation: A-简化申报 / B-汇总申报
    "2018-113/CEB604Message.xml": {("statisticsFlag", "bad_value", "1")},
    "2018-113/CEB603Message.xml": {
        ("country", "not_in_code_list", "001"),
        ("ieFlag", "bad_value", "a"),
        ("tradeMode", "not_in_code_list", "0101"),
    },
}


@pytest.mark.parametrize(("name", "edition"), _rows("VALID"))
def test_valid_sample_code_checks(reference_dir: Path, name: str, edition: str) -> None:
    data = read_sample(reference_dir, name)
    if name not in PLACEHOLDERS:
        parse_message(data, max_bytes=MAX)
        return
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX)
    assert info.value.code == "code_invalid"
    found = {
        (e.field.rsplit(".", 1)[-1], e.code, re.search("“(.*?)”", e.message).group(1))
        for e in info.value.errors
    }  # type: ignore[union-attr]
    assert found == PLACEHOLDERS[name]
    assert all(re.fullmatch(r"\w+\[\d+\](\.\w+(\[\d+\])?)*", e.field) for e in info.value.errors)


EXPORT_TYPES = {m.message_type for e in S.EDITIONS for m in S.messages(e).values() if m.direction == "export"}


def _direction(data: bytes) -> str:
    m = re.search(rb"<(?:\w+:)?(CEB\d{3})", data)
    assert m is not None
    return "export" if m.group(1).decode() in EXPORT_TYPES else "import"


def test_invalid_214_has_a_truncated_root(reference_dir: Path) -> None:
    with pytest.raises(MessageRejected) as info:
        parse_message(read_sample(reference_dir, "CEB214Message .xml"), max_bytes=MAX)
    assert info.value.code == "unknown_message_type"
    assert "CEB214Message" in info.value.message  # it suggests the right root


@pytest.mark.parametrize("mt", ["303", "403", "505", "507", "509", "603", "605", "607"])
def test_invalid_202205_export_samples_repeat_base_transfer(reference_dir: Path, mt: str) -> None:
    data = read_sample(reference_dir, f"CEB{mt}Message.xml")
    assert xsd_errors(reference_dir, "202205", "export", data)
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX, check_codes=False)
    assert info.value.code == "format_invalid"
    assert info.value.edition == "202205"  # SM2/SM3 signature: decisively the 202205 edition
    assert [(e.field, e.code) for e in info.value.errors] == [("BaseTransfer[2]", "too_many")]
    assert "BaseTransfer" in info.value.errors[0].message and "1次" in info.value.errors[0].message


def test_invalid_202205_792_misnames_gseqno(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "CEB792Message.xml")
    assert xsd_errors(reference_dir, "202205", "export", data)
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX, edition="202205")
    errors = info.value.errors
    assert info.value.code == "format_invalid"
    assert {(e.field.rsplit(".", 1)[-1], e.code) for e in errors} == {("gseqno", "required")}
    assert errors[0].field == "SummaryResult[1].SummaryResultList[1].gseqno"
    assert len(errors) == data.count(b"<ceb:SummaryResultList>")
    # by content alone (no gseqno, no SM signature) it is a valid 2018 message — the 2018 sample
    assert parse_message(data, max_bytes=MAX).edition == "2018"


def test_invalid_unsigned_621_lacks_the_required_signature(reference_dir: Path) -> None:
    data = read_sample(reference_dir, "webapp/CEB621Message.xml")
    with pytest.raises(MessageRejected) as info:
        parse_message(data, max_bytes=MAX)
    assert info.value.code == "format_invalid"
    assert [(e.field, e.code) for e in info.value.errors] == [("Signature", "required")]


@pytest.mark.parametrize("edition", ["2018", "202205"])
def test_our_format_verdict_equals_the_official_xsd_on_every_sample(
    reference_dir: Path, edition: str
) -> None:
    """For every sample with a known root, in each edition defining it: we accept format-wise iff libxml2 does."""
    for name, _, _ in sample_table(reference_dir):
        data = read_sample(reference_dir, name)
        direction = _direction(data)
        official_ok = not xsd_errors(reference_dir, edition, direction, data)
        try:
            parse_message(data, max_bytes=MAX, edition=edition, check_codes=False)
            ours_ok = True
        except MessageRejected as exc:
            if exc.code in ("unknown_message_type", "type_not_in_edition"):
                assert not official_ok or exc.code == "type_not_in_edition", name
                continue
            ours_ok = False
        assert ours_ok == official_ok, (name, edition)


def test_signed_real_world_621(reference_dir: Path) -> None:
    parsed = parse_message(read_sample(reference_dir, "webapp/CEB621Message_signed.xml"), max_bytes=MAX)
    assert parsed.signed
    assert parsed.guid == "CEB621_HNZB_FXJK_20220208175054_0034"  # 36 characters, not a UUID: allowed
    assert parsed.version == "v1.0"
    inventory = parsed.documents[0]
    assert inventory.kind == "inventory"
    assert inventory.lines[0]["unit"] == "140"
    assert inventory.head["tradeMode"] in ("9610", "1210")
    assert parsed.transfer["dxpMode"] == "DXP"
