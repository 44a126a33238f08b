"""Compiled XML Schemas of the CEB message editions, for the validation fast path.

Once per process and per (edition, direction), an lxml `XMLSchema` is built:

- from the official XSDs (海关跨境进口/出口业务节点报文定义, with the W3C xmldsig schema they import)
  when a directory of them is configured (`SILKGATE_CEB_XSD_DIR`) or found beside a development
  checkout (`../shared/reference/ceb/xsd`);
- otherwise from the project's own spec (`ceb_spec.json`, derived from those XSDs): the same
  elements, order, cardinalities and facets (`ds:Signature` is left to the Python check, which
  every message gets: libxml2 lets some malformed base64 through).

A message the schema accepts is only extracted (and its code-table values looked up); a message
it refuses goes through the rule-by-rule walk of `messages.py`, which names every failing field.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from silkgate.declarations import spec as S
from silkgate.kit import safexml

# Official file names contain 进口 (import) or 出口 (export); the folder names the edition.
_EDITION_FOLDERS = {"202205": "202205", "2018": "2018-113"}
_DIRECTION_MARK = {"import": "进口", "export": "出口"}
_DEV_CHECKOUT_XSD = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "ceb" / "xsd"


@dataclass(frozen=True)
class CompiledSchema:
    schema: Any  # lxml.etree.XMLSchema
    source: str  # "official" | "generated"

    def accepts(self, root: Any) -> bool:
        return safexml.schema_accepts(self.schema, root)


def official_dir() -> Path | None:
    configured = os.environ.get("SILKGATE_CEB_XSD_DIR")
    for candidate in ([Path(configured)] if configured else []) + [_DEV_CHECKOUT_XSD]:
        if candidate.is_dir():
            return candidate
    return None


def _official_file(edition: str, direction: str) -> Path | None:
    base = official_dir()
    if base is None:
        return None
    folder = base / _EDITION_FOLDERS[edition]
    found = sorted(
        p for p in folder.glob("*.xsd") if _DIRECTION_MARK[direction] in p.name and "业务" in p.name
    )
    return found[0] if found else None


@functools.cache
def compiled(edition: str, direction: str) -> CompiledSchema | None:
    """The schema of an edition's import or export messages (None: it cannot be built here)."""
    path = _official_file(edition, direction)
    if path is not None:
        try:
            return CompiledSchema(safexml.load_schema(str(path)), "official")
        except safexml.SchemaUnusable:
            pass  # an unreadable copy: build ours instead
    try:
        return CompiledSchema(safexml.schema_from_bytes(generated_xsd(edition, direction)), "generated")
    except safexml.SchemaUnusable:
        return None


# --- the generated schema ---------------------------------------------------------------------------


def _occurs(child: dict[str, Any]) -> str:
    hi = "unbounded" if child["max"] == -1 else str(child["max"])
    return f' minOccurs="{child["min"]}" maxOccurs="{hi}"'


def _simple_type(t: dict[str, Any]) -> str:
    base = {"string": "xs:string", "decimal": "xs:decimal", "int": "xs:int"}[t["base"]]
    facets = []
    for key in ("length", "minLength", "maxLength", "totalDigits", "fractionDigits"):
        if key in t:
            facets.append(f'<xs:{key} value="{t[key]}"/>')
    if "whiteSpace" in t:
        facets.append(f'<xs:whiteSpace value="{t["whiteSpace"]}"/>')
    for pattern in t.get("pattern", ()):
        facets.append(f"<xs:pattern value={quoteattr(pattern)}/>")
    for value in t.get("enum", ()):
        facets.append(f"<xs:enumeration value={quoteattr(value)}/>")
    return f'<xs:simpleType><xs:restriction base="{base}">{"".join(facets)}</xs:restriction></xs:simpleType>'


class _Writer:
    def __init__(self, tree: dict[str, Any]) -> None:
        self.nodes: dict[str, Any] = tree["nodes"]
        self.types: dict[str, str] = {}

    def type_of(self, name: str) -> str:
        if name not in self.types:
            self.types[name] = ""  # recursion guard
            self.types[name] = self.complex(self.nodes[name], f"T_{name}")
        return f"ceb:T_{name}"

    def element(self, child: dict[str, Any]) -> str:
        name, occurs = child["name"], _occurs(child)
        if child.get("external") == "ds":
            return f'<xs:any namespace="{S.DS_NS}" processContents="skip"{occurs}/>'
        if child.get("any") and not child.get("children"):
            return f'<xs:element name="{name}"{occurs}><xs:complexType><xs:sequence><xs:any namespace="##any" processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>'
        value = ""
        if "default" in child:
            value = f" default={quoteattr(str(child['default']))}"
        if "fixed" in child:
            value = f" fixed={quoteattr(str(child['fixed']))}"
        if "ref" in child:
            target = self.nodes[child["ref"]]
            if "type" in target:
                return f'<xs:element name="{name}"{occurs}{value}>{_simple_type(target["type"])}</xs:element>'
            return f'<xs:element name="{name}" type="{self.type_of(child["ref"])}"{occurs}/>'
        if "type" in child:
            return f'<xs:element name="{name}"{occurs}{value}>{_simple_type(child["type"])}</xs:element>'
        return f'<xs:element name="{name}"{occurs}>{self.complex(child, None)}</xs:element>'

    def complex(self, src: dict[str, Any], name: str | None, attributes: str = "") -> str:
        children = "".join(self.element(c) for c in src.get("children", []))
        named = f' name="{name}"' if name else ""
        return f"<xs:complexType{named}><xs:sequence>{children}</xs:sequence>{attributes}</xs:complexType>"


@functools.cache
def generated_xsd(edition: str, direction: str) -> bytes:
    """An XSD of the edition's messages written from `ceb_spec.json`."""
    tree = S._raw()["editions"][edition][direction]
    writer = _Writer(tree)
    roots = []
    for root, src in sorted(tree["messages"].items()):
        attrs = "".join(
            f'<xs:attribute name="{n}" use="{"required" if a.get("required") else "optional"}">'
            f"{_simple_type(a['type'])}</xs:attribute>"
            for n, a in src["attributes"].items()
        )
        roots.append(f'<xs:element name="{root}">{writer.complex(src, None, attrs)}</xs:element>')
    types = "".join(t for _, t in sorted(writer.types.items()))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ceb="{S.CEB_NS}" '
        f'targetNamespace="{S.CEB_NS}" elementFormDefault="qualified">{types}{"".join(roots)}</xs:schema>'
    ).encode()
