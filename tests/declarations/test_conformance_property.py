"""Property: on randomly broken CEB621/CEB311 messages, our format verdict (the XSD tier of
parse_message) equals the official XSD's verdict (libxml2 XMLSchema over ../shared/reference).

Each example takes a valid official sample and applies one random edit to one random field: new
text (digits, letters, Chinese, blanks, empty, long), removal, duplication, or a swap with its
next sibling.
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
edits = st.sampled_from(["text", "text", "text", "remove", "duplicate", "swap"])


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
