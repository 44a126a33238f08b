"""Build silkgate's own CEB message specification from the official XSDs.

Run when the reference XSDs change:
    .venv/bin/python scripts/build_ceb_spec.py ../shared/reference/ceb/xsd

Reads the import and export business XSDs of both editions (海关总署公告2018年第113号 and the
202205 revision of the 海关跨境电商统一版系统企业对接报文规范) and writes
`src/silkgate/declarations/ceb_spec.json`: the facts silkgate validates against, in its own
compact form. Nothing of the XSD files is copied; the rules are captured as data:

- every message type (root element), its direction, its root attributes (guid, version);
- for every node: child order, minOccurs/maxOccurs, inline or referenced node definitions;
- for every leaf: default / fixed values, base type (string / decimal / int) and the facets length, minLength,
  maxLength, totalDigits, fractionDigits, whiteSpace, pattern and enumeration (the CEB XSDs
  use no pattern/enumeration today; they would be carried over if they appeared);
- a short Chinese label per field (the first clause of the XSD annotation) for error messages;
- the foreign ds:Signature reference and the xs:any extension slot.

The trusted local XSDs are read with the standard library's ElementTree (no untrusted input).
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

XS = "{http://www.w3.org/2001/XMLSchema}"
OUT = Path(__file__).resolve().parents[1] / "src" / "silkgate" / "declarations" / "ceb_spec.json"

EDITION_FILES = {
    "2018": {"dir": "2018-113", "import": "进口业务节点报文.xsd", "export": "出口业务节点报文.xsd"},
    "202205": {
        "dir": "202205",
        "import": "海关跨境进口业务节点报文定义202205.xsd",
        "export": "海关跨境出口业务节点报文定义202205.xsd",
    },
}

_LABEL_CUT = re.compile(r"[。，,;；（(:：\s]")


def _label(doc: str) -> str:
    """The first clause of an annotation, as a short Chinese field label."""
    doc = doc.strip()
    if not doc:
        return ""
    first = _LABEL_CUT.split(doc, 1)[0]
    return first[:24]


def _doc(el: ET.Element) -> str:
    d = el.find(f"{XS}annotation/{XS}documentation")
    return (d.text or "").strip() if d is not None else ""


def _occurs(el: ET.Element) -> tuple[int, int]:
    lo = int(el.get("minOccurs", "1"))
    hi_raw = el.get("maxOccurs", "1")
    hi = -1 if hi_raw == "unbounded" else int(hi_raw)
    return lo, hi


def _simple(st: ET.Element) -> dict[str, Any]:
    r = st.find(f"{XS}restriction")
    if r is None:
        raise ValueError("simpleType without restriction")
    base = r.get("base", "xs:string").split(":")[-1]
    t: dict[str, Any] = {"base": base}
    for facet in r:
        name = facet.tag.replace(XS, "")
        if name == "annotation":
            continue
        value = facet.get("value", "")
        if name in ("length", "minLength", "maxLength", "totalDigits", "fractionDigits"):
            t[name] = int(value)
        elif name == "whiteSpace":
            t[name] = value
        elif name == "pattern":
            t.setdefault("pattern", []).append(value)
        elif name == "enumeration":
            t.setdefault("enum", []).append(value)
        else:
            raise ValueError(f"unsupported facet {name}")
    return t


def _child(el: ET.Element) -> dict[str, Any]:
    lo, hi = _occurs(el)
    node: dict[str, Any] = {"min": lo, "max": hi}
    ref = el.get("ref")
    if ref is not None:
        prefix, _, name = ref.partition(":")
        node["name"] = name
        if prefix == "ds":
            node["external"] = "ds"
        else:
            node["ref"] = name
        return node
    node["name"] = el.get("name")
    for value_constraint in ("default", "fixed"):  # an empty element takes this value (XSD 1.0 §3.3)
        if el.get(value_constraint) is not None:
            node[value_constraint] = el.get(value_constraint)
    doc = _doc(el)
    if doc:
        node["label"] = _label(doc)
    node.update(_definition(el))
    return node


def _definition(el: ET.Element) -> dict[str, Any]:
    typ = el.get("type")
    if typ is not None:
        local = typ.split(":")[-1]
        if typ.startswith("xs:"):
            return {"type": {"base": local}}
        if local == "XMLElement":
            return {"any": True}
        raise ValueError(f"unsupported type {typ}")
    st = el.find(f"{XS}simpleType")
    if st is not None:
        return {"type": _simple(st)}
    ct = el.find(f"{XS}complexType")
    if ct is None:
        raise ValueError(f"element {el.get('name')} has no type")
    out: dict[str, Any] = {}
    seq = ct.find(f"{XS}sequence")
    out["children"] = [_child(c) for c in seq if c.tag == f"{XS}element"] if seq is not None else []
    if seq is not None and seq.find(f"{XS}any") is not None:
        out["any"] = True
    attrs = {}
    for a in ct.findall(f"{XS}attribute"):
        ast = a.find(f"{XS}simpleType")
        attrs[a.get("name")] = {
            "required": a.get("use") == "required",
            "type": _simple(ast) if ast is not None else {"base": "string"},
        }
    if attrs:
        out["attributes"] = attrs
    return out


def _direction(path: Path, direction: str) -> dict[str, Any]:
    root = ET.parse(path).getroot()
    nodes: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for el in root.findall(f"{XS}element"):
        name = el.get("name")
        assert name is not None
        definition = _definition(el)
        doc = _doc(el)
        if doc:
            definition["label"] = _label(doc)
        if re.fullmatch(r"CEB\d{3}Message", name):
            definition["direction"] = direction
            messages[name] = definition
        else:
            nodes[name] = definition
    return {"nodes": nodes, "messages": messages}


def build(xsd_dir: Path) -> dict[str, Any]:
    """The spec as a dict (what main() writes to ceb_spec.json)."""
    spec: dict[str, Any] = {
        "source": "海关跨境电商统一版系统企业对接报文规范 XSD (海关总署公告2018年第113号; 202205版)",
        "namespace": "http://www.chinaport.gov.cn/ceb",
        "editions": {},
    }
    for edition, files in EDITION_FILES.items():
        base = xsd_dir / files["dir"]
        spec["editions"][edition] = {d: _direction(base / files[d], d) for d in ("import", "export")}
    return spec


def main(xsd_dir: Path) -> None:
    spec = build(xsd_dir)
    for edition, tree in spec["editions"].items():
        print(f"{edition}: " + ", ".join(f"{d} {len(t['messages'])} messages" for d, t in tree.items()))
    OUT.write_text(
        json.dumps(spec, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ceb" / "xsd"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
