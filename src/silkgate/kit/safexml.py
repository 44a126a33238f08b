"""Hardened XML parsing: the only module that imports lxml.

No DTDs, no entities, no network, a size limit, UTF-8 only (the CEB standard's encoding).
Each refusal is an `XmlRefused` with a stable code and a Chinese message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

# Element and ElementTree types for callers that must not import lxml themselves.
Element = etree._Element
XMLSchema = etree.XMLSchema

_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_UTF8_NAMES = {"utf-8", "utf8"}


@dataclass
class XmlRefused(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _parser(*, remove_pis: bool = True) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=remove_pis,
    )


_PARSER = _parser()
# For signature digests: processing instructions are part of the canonical form (C14N 1.0 §2.3);
# comments are not (a same-document Reference URI="" excludes them, XML-DSig §4.4.3.3).
_DIGEST_PARSER = _parser(remove_pis=False)


def parse_bytes(data: bytes, max_bytes: int, *, for_digest: bool = False) -> Element:
    """Parse untrusted XML bytes into an element tree, or raise XmlRefused. `for_digest` keeps
    processing instructions, as a signature's canonical form needs."""
    if len(data) > max_bytes:
        raise XmlRefused("xml_too_large", f"报文大小{len(data)}字节，超过上限{max_bytes}字节")
    if not data.strip():
        raise XmlRefused("xml_empty", "报文为空")
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        raise XmlRefused("xml_encoding", "报文编码应为UTF-8，收到的是UTF-16")
    m = _DECL.match(data[:200])
    if m and m.group(1).decode().lower() not in _UTF8_NAMES:
        raise XmlRefused("xml_encoding", f"报文编码应为UTF-8，声明的是{m.group(1).decode()}")
    head = data[:4096]
    if _DOCTYPE.search(head) or _DOCTYPE.search(data):
        raise XmlRefused("xml_dtd_forbidden", "报文不得包含DOCTYPE或实体声明（DTD/ENTITY）")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRefused("xml_encoding", f"报文不是合法的UTF-8编码（第{exc.start}字节）") from exc
    try:
        root = etree.fromstring(data, _DIGEST_PARSER if for_digest else _PARSER)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f"第{line}行：" if line else ""
        raise XmlRefused("xml_malformed", f"报文不是格式正确的XML（{where}{exc.msg}）") from exc
    if root is None:
        raise XmlRefused("xml_empty", "报文为空")
    return root


def local_name(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(el: Element) -> str:
    tag = el.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return ""


def children(el: Element) -> list[Element]:
    return [c for c in el if isinstance(c.tag, str)]


def text(el: Element) -> str:
    return el.text or ""


class SchemaUnusable(Exception):
    """An XSD that lxml cannot compile."""


def load_schema(path: str) -> Any:
    """Load an XSD (trusted, from disk: the official files and the xmldsig schema they import)."""
    try:
        return etree.XMLSchema(etree.parse(path))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise SchemaUnusable(str(exc)) from exc


def schema_from_bytes(data: bytes) -> Any:
    """Compile an XSD the project wrote itself (trusted)."""
    try:
        return etree.XMLSchema(etree.fromstring(data, _parser()))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SchemaUnusable(str(exc)) from exc


def schema_accepts(schema: Any, root: Element) -> bool:
    """The C validator's verdict alone (no error list is built)."""
    return bool(schema.validate(root))


def validate_against(schema: Any, root: Element) -> list[str]:
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def bare_parse(data: bytes) -> Element:
    """The benchmark baseline: lxml.etree.fromstring alone."""
    return etree.fromstring(data)


def build(tag: str, nsmap: dict[str, str] | None = None, attrs: dict[str, str] | None = None) -> Element:
    """A new element; nsmap keys are prefixes ("" is not allowed by lxml: use None via default_ns)."""
    el = etree.Element(tag, nsmap=nsmap)
    for k, v in (attrs or {}).items():
        el.set(k, v)
    return el


def sub(parent: Element, tag: str, value: str | None = None) -> Element:
    el = etree.SubElement(parent, tag)
    if value is not None:
        el.text = value
    return el


def to_bytes(root: Element, declaration: bool = True) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=declaration, encoding="UTF-8", standalone=True))


# --- canonical XML (for XML-DSig) ------------------------------------------------------------------

C14N_ALGORITHMS = {
    # algorithm URI: (exclusive, with comments)
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}


def canonical(el: Element, algorithm: str) -> bytes:
    """The canonical form of `el` and its descendants as a document subset (XML-DSig SignedInfo):
    inclusive C14N carries the namespace declarations in scope from its ancestors."""
    exclusive, comments = C14N_ALGORITHMS[algorithm]
    return bytes(etree.tostring(el, method="c14n", exclusive=exclusive, with_comments=comments))


def canonical_document(root: Element, algorithm: str) -> bytes:
    """The canonical form of the whole document `root` belongs to (comments never: URI="")."""
    exclusive, _ = C14N_ALGORITHMS[algorithm]
    return bytes(etree.tostring(root.getroottree(), method="c14n", exclusive=exclusive, with_comments=False))


def detach(el: Element) -> None:
    """Remove `el` from its parent and keep the text that followed it (lxml moves a tail with its
    element; the enveloped-signature transform removes only the element)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    parent.remove(el)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def parse_trusted(data: bytes) -> Element:
    """Parse XML the platform itself produced (a signature it is building), with the same hardening."""
    return etree.fromstring(data, _DIGEST_PARSER)
