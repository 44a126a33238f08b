"""Helpers for the CEB message-layer tests: the official samples and XSDs (read-only, from ../shared)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from silkgate.kit import safexml

SAMPLES = Path("ceb") / "samples" / "Weasley-J__chinaport-data-signature"
XSD_FILES = {
    ("2018", "import"): "ceb/xsd/2018-113/进口业务节点报文.xsd",
    ("2018", "export"): "ceb/xsd/2018-113/出口业务节点报文.xsd",
    ("202205", "import"): "ceb/xsd/202205/海关跨境进口业务节点报文定义202205.xsd",
    ("202205", "export"): "ceb/xsd/202205/海关跨境出口业务节点报文定义202205.xsd",
}
MAX = 10 * 1024 * 1024


@cache
def official_schema(reference: Path, edition: str, direction: str) -> Any:
    return safexml.load_schema(str(reference / XSD_FILES[(edition, direction)]))


def xsd_errors(reference: Path, edition: str, direction: str, xml: bytes) -> list[str]:
    root = safexml.parse_bytes(xml, MAX)
    return safexml.validate_against(official_schema(reference, edition, direction), root)


def sample_table(reference: Path) -> list[tuple[str, str, str]]:
    """(relative file, edition, VALID|INVALID) for every sample row of samples/SOURCES.md."""
    text = (reference / SAMPLES.parent / "SOURCES.md").read_text(encoding="utf-8")
    rows = []
    section = ""
    for line in text.splitlines():
        if line.startswith("## samples/"):
            section = "2018" if "2018" in line else "webapp" if "webapp" in line else "202205"
        m = re.match(r"\| `([^`]+\.xml)` \|.*\| (VALID|INVALID)[^|]*\|\s*$", line)
        if m and section:
            name = m.group(1)
            edition = "2018" if section == "2018" else "202205"
            rows.append((name, edition, m.group(2)))
    return rows


def read_sample(reference: Path, name: str) -> bytes:
    return (reference / SAMPLES / name).read_bytes()


def sample_621_with(reference: Path, documents: int = 4) -> bytes:
    """The official 202205 CEB621 sample cut to `documents` Inventory nodes (signature kept)."""
    data = read_sample(reference, "CEB621Message.xml")
    parts = data.split(b"<ceb:Inventory>")
    last = parts[-1]
    closing = last.index(b"</ceb:Inventory>") + len(b"</ceb:Inventory>")
    keep = parts[1:documents]
    return (
        parts[0]
        + b"".join(b"<ceb:Inventory>" + p for p in keep)
        + b"<ceb:Inventory>"
        + last[:closing]
        + last[closing:]
    )
