"""Property: on randomly broken CEB621/CEB311 messages, our format verdict (the XSD tier of
parse_message) equals the official XSD's verdict (libxml2 XMLSchema over ../shared/reference).

Each example takes a valid official sample and applies one random edit to one random field: new
text (digits, letters, Chinese, blanks, empty, long), removal, duplication, a swap with its
next sibling, or a stray attribute.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from silkgate.declarations.messages import MessageRejected, parse_message

from .support import MAX, read_sample, sample_621_with, xsd_errors

LEAF = re.compile(rb"<ceb:(\w+)>([^<]*)</ceb:\1>")

texts = st.one_of(
    st.text(alphabet="0123456789", max_size=25),
    st.text(alphabet="0123456789.+- ", max_size=12),
    st.text(alphabet="ABCDEFabcdef-_中国海关 \t\n", max_size=70),
    st.sampled_from(
        ["", " ", "0", "-0", "00000.1", ".5", "5.", "1e3", "20261301000000", "x" * 1001, "中" * 61]
    ),
)
edits = st.sampled_from(["text", "text", "text", "remove", "duplicate", "swap", "attribute"])


def _mutate(data: bytes, index: int, edit: str, new_text: str) -> bytes:
    leaves = list(LEAF.finditer(data))
    m = leaves[index % len(leaves)]
    name = m.group(1)
    if edit == "text":
        escaped = new_text.replace("&", "&amp;").replace("<", "&lt;").encode()
        replacement = b"<ceb:" + name + b">" + escaped + b"</ceb:" + name + b">"
    elif edit == "remove":
        replacement = b""
    elif edit == "duplicate":
        replacement = m.group(0) + m.group(0)
    elif edit == "attribute":
        replacement = m.group(0).replace(b">", b' x="1">', 1)
    else:
        nxt = LEAF.match(data, data.find(b"<", m.end()))
        if nxt is None:
            return data
        return data[: m.start()] + nxt.group(0) + data[m.end() : nxt.start()] + m.group(0) + data[nxt.end() :]
    return data[: m.start()] + replacement + data[m.end() :]


def _ours_ok(data: bytes) -> bool:
    try:
        parse_message(data, max_bytes=MAX, edition="202205", check_codes=False)
    except MessageRejected as exc:
        assert exc.code == "format_invalid", exc.code
        assert exc.errors
        return False
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["621", "311"]), index=st.integers(0, 10_000), edit=edits, new_text=texts)
def test_format_verdict_equals_official_xsd(
    reference_dir: Path, which: str, index: int, edit: str, new_text: str
) -> None:
    base = (
        sample_621_with(reference_dir, 2)
        if which == "621"
        else read_sample(reference_dir, "CEB311Message.xml")
    )
    data = _mutate(base, index, edit, new_text)
    official_ok = not xsd_errors(reference_dir, "202205", "import", data)
    assert _ours_ok(data) == official_ok


DS_ELEMENT = re.compile(rb"<ds:(\w+)(?:\s[^>]*)?>")
b64texts = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=14),
    st.text(alphabet="QUJD= \n", max_size=10),
    st.sampled_from(["", "QUJD", "QUI=", "QQ==", "QR==", "QUJ=", "Q===", "QUJDRA"]),
)


def _mutate_signature(data: bytes, index: int, edit: str, new_text: str) -> bytes:
    starts = [m for m in DS_ELEMENT.finditer(data) if m.group(1) != b"Signature"]
    m = starts[index % len(starts)]
    name = m.group(1)
    end_tag = b"</ds:" + name + b">"
    end = data.find(end_tag, m.end())
    if end < 0:  # self-closing
        return data
    stop = end + len(end_tag)
    if edit == "remove":
        return data[: m.start()] + data[stop:]
    if edit == "duplicate":
        return data[:stop] + data[m.start() : stop] + data[stop:]
    if edit == "swap":
        return data[: m.start()] + m.group(0).replace(b' Algorithm="', b' Other="') + data[m.end() :]
    if edit == "attribute":
        return data[: m.start()] + m.group(0).replace(b">", b' Id="a1">', 1) + data[m.end() :]
    if b"<" in data[m.end() : end]:
        return data  # a container: text edits go to leaves
    return data[: m.end()] + new_text.encode() + data[end:]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, 10_000), edit=edits, new_text=b64texts)
def test_signature_verdict_equals_official_xsd(
    reference_dir: Path, index: int, edit: str, new_text: str
) -> None:
    data = _mutate_signature(sample_621_with(reference_dir, 1), index, edit, new_text)
    official_ok = not xsd_errors(reference_dir, "202205", "import", data)
    assert _ours_ok(data) == official_ok


def test_base64_outside_the_alphabet_is_refused_although_libxml2_lets_it_pass(reference_dir: Path) -> None:
    """XSD 1.0 base64Binary allows only A–Z a–z 0–9 + / = and blanks; libxml2 skips other characters.
    We follow the XSD: a DigestValue of "!!!!" is not Base64."""
    data = _mutate_signature(sample_621_with(reference_dir, 1), 7157, "text", "!!!!")
    assert b"<ds:DigestValue>!!!!</ds:DigestValue>" in data
    assert not xsd_errors(reference_dir, "202205", "import", data)  # libxml2's leniency
    assert not _ours_ok(data)
