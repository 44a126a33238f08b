"""CEB messages in: hardened parse, edition detection and full field validation in one pass.

`parse_message(data, content_type=..., max_bytes=...)` takes the bytes of one CEB message — the
real XML of the 海关跨境电商统一版系统企业对接报文规范 or its JSON form (docs/ceb-json.md) — and
returns a `ParsedMessage`, or raises `MessageRejected` naming every failing field with a stable
code and a Chinese message (path like `Inventory[1].InventoryList[2].gcode`).

How the edition (海关总署公告2018年第113号 "2018" or the 202205 revision "202205") is told apart
by content, in this order:

1. `edition=` given by the caller (e.g. a sender's configured edition) wins.
2. A message type defined in one edition only: CEB213/214/215/216 (出口退货, 理货明细) exist only
   in 202205.
3. The signature: 202205 introduced the national algorithms, so a ds:Signature whose
   SignatureMethod is `http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3` (or DigestMethod
   `…#sm3`) is a 202205 message. An RSA-SHA1 signature suggests 2018 (every 2018 sample uses it)
   but is not decisive (RSA stayed in use after 2022; see ../shared/reference/ceb/samples, the
   `webapp` sample of 2022).
4. Otherwise the content is validated against the suggested edition (202205 when nothing suggests
   2018); if it fails there but satisfies the other edition's rules, it is that edition. The
   rules that differ (FIELDS.md §5): import InventoryList `itemNo` ≤30 (2018) vs ≤20 (202205) and
   `tradeCountry`; export `ebpCode` ≤50 vs ≤18, `logisticsNo` ≤80 vs ≤32, `invtNo` length 18 vs
   ≤20, `totalPackageNo` ≤60 vs ≤37, SummaryApplyList required vs optional, and SummaryResultList
   `gseqno` (202205 only). Note (samples/SOURCES.md): the 202205 CEB792 sample equals the 2018
   sample byte for byte apart from indentation — it uses `gnum` without `gseqno`, so by content it
   is a valid 2018 message; validated as 202205 (`edition="202205"`) it is rejected naming
   `SummaryResult[1].SummaryResultList[1].gseqno`.

Everything happens in one walk over the parsed tree against the precompiled spec (spec.py):
order, cardinality, lengths, decimals, times and code lists are checked while the fields are
collected, so a valid message costs one parse plus one pass.
"""

from __future__ import annotations

import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from silkgate.declarations import spec as S
from silkgate.declarations import xsd
from silkgate.declarations.spec import CEB_NS, DS_NS, MessageSpec, Node, Slot
from silkgate.exceptions import FieldError
from silkgate.kit import safexml

_FAST_PATH = True


def fast_path_enabled() -> bool:
    return _FAST_PATH


def set_fast_path(enabled: bool) -> None:
    """The schema fast path on or off (the comparison test runs both)."""
    global _FAST_PATH
    _FAST_PATH = enabled


SM_SIGNATURE = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
SM_DIGEST = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"

# Every CEB message type of FIELDS.md §1 (import and export, declarations, receipts, customs-issued).
MESSAGE_TYPES: dict[str, str] = {
    "CEB311": "进口订单申报",
    "CEB312": "进口订单回执",
    "CEB411": "进口支付单申报",
    "CEB412": "支付单回执",
    "CEB511": "进口运单申报",
    "CEB512": "运单回执",
    "CEB513": "运单状态申报",
    "CEB514": "运单状态回执",
    "CEB621": "进口清单申报",
    "CEB622": "进口清单回执",
    "CEB623": "撤销申请单申报",
    "CEB624": "撤销申请单回执",
    "CEB625": "退货申请单申报",
    "CEB626": "退货申请单回执",
    "CEB711": "入库明细单申报",
    "CEB712": "入库明细单回执",
    "CEB816": "电子税单",
    "CEB818": "电子税单状态",
    "CEB900": "报文格式校验错误回执",
    "CEB303": "出口订单申报",
    "CEB304": "出口订单回执",
    "CEB403": "出口收款单申报",
    "CEB404": "收款单回执",
    "CEB505": "出口运单申报",
    "CEB506": "出口运单回执",
    "CEB507": "出口运抵单申报",
    "CEB508": "运抵单回执",
    "CEB509": "出口离境单申报",
    "CEB510": "离境单回执",
    "CEB603": "出口清单申报",
    "CEB604": "出口清单回执",
    "CEB605": "出口撤销申请单",
    "CEB606": "出口撤销申请单回执",
    "CEB607": "清单总分单申报",
    "CEB608": "清单总分单回执",
    "CEB701": "汇总申请单申报",
    "CEB702": "汇总申请单回执",
    "CEB792": "汇总结果单",
    "CEB213": "出口退货申请单",
    "CEB214": "出口退货申请单回执",
    "CEB215": "理货明细单(运抵)",
    "CEB216": "理货明细单回执",
}

# Declarations an enterprise sends to the platform (the rest are receipts or customs-issued).
DECLARATION_TYPES: frozenset[str] = frozenset(
    {
        "CEB311",
        "CEB411",
        "CEB511",
        "CEB513",
        "CEB621",
        "CEB623",
        "CEB625",
        "CEB711",
        "CEB303",
        "CEB403",
        "CEB505",
        "CEB507",
        "CEB509",
        "CEB603",
        "CEB605",
        "CEB607",
        "CEB701",
        "CEB213",
        "CEB215",
    }
)
CUSTOMS_ISSUED_TYPES: frozenset[str] = frozenset({"CEB816", "CEB818", "CEB792"})

# kind of each business node, per direction
_KINDS: dict[tuple[str, str], str] = {
    ("import", "Order"): "order",
    ("import", "Payment"): "payment",
    ("import", "Logistics"): "waybill",
    ("import", "LogisticsStatus"): "waybill_status",
    ("import", "Inventory"): "inventory",
    ("import", "InvtCancel"): "cancel",
    ("import", "InvtRefund"): "refund",
    ("import", "Delivery"): "delivery",
    ("import", "Tax"): "tax",
    ("export", "Order"): "order",
    ("export", "Receipts"): "receipts",
    ("export", "Logistics"): "waybill",
    ("export", "Arrival"): "arrival",
    ("export", "Departure"): "departure",
    ("export", "Inventory"): "inventory",
    ("export", "InvtCancel"): "cancel",
    ("export", "WayBill"): "waybill_bill",
    ("export", "SummaryApply"): "summary",
    ("export", "SummaryResult"): "summary_result",
    ("export", "InvtRefund"): "export_refund",
    ("export", "InvtRefundDetail"): "refund_detail",
}

# the field(s) that identify a business document, first non-empty wins
_BUSINESS_NO: dict[str, tuple[str, ...]] = {
    "Order": ("orderNo",),
    "OrderReturn": ("orderNo",),
    "Payment": ("payTransactionId",),
    "PaymentReturn": ("payTransactionId",),
    "Receipts": ("payNo", "orderNo"),
    "ReceiptsReturn": ("payNo", "orderNo"),
    "Logistics": ("logisticsNo",),
    "LogisticsReturn": ("logisticsNo",),
    "LogisticsStatus": ("logisticsNo",),
    "LogisticsStatusReturn": ("logisticsNo",),
    "Inventory": ("copNo", "invtNo"),
    "InventoryReturn": ("copNo", "invtNo"),
    "InvtCancel": ("copNo", "invtNo"),
    "InvtCancelReturn": ("copNo", "invtNo"),
    "InvtRefund": ("copNo", "coElNo", "invtNo"),
    "InvtRefundReturn": ("copNo", "invtNo"),
    "RefundReturn": ("coElNo", "invtNo"),
    "InvtRefundDetail": ("coElNo", "logisticsNo"),
    "InvtRefundDetailReturn": ("coElNo", "logisticsNo"),
    "Delivery": ("copNo", "rkdNo"),
    "DeliveryReturn": ("copNo", "rkdNo"),
    "Arrival": ("copNo",),
    "ArrivalReturn": ("copNo",),
    "Departure": ("copNo",),
    "DepartureReturn": ("copNo",),
    "WayBill": ("copNo",),
    "WayBillReturn": ("copNo",),
    "SummaryApply": ("copNo", "sumNo"),
    "SummaryReturn": ("copNo", "sumNo"),
    "SummaryResult": ("sumNo",),
    "Tax": ("invtNo", "taxNo"),
    "MessageReturn": ("guid",),
}


class MessageRejected(Exception):
    """A message that cannot be accepted as it is; `errors` names every failing field."""

    def __init__(
        self,
        code: str,
        message: str,
        errors: list[FieldError] | None = None,
        *,
        guid: str | None = None,
        message_type: str | None = None,
        edition: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.errors = list(errors or [])
        self.guid = guid
        self.message_type = message_type
        self.edition = edition

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "guid": self.guid,
            "message_type": self.message_type,
            "errors": [e.as_dict() for e in self.errors],
        }


@dataclass
class ParsedDocument:
    """One business document of a message (an Order, an Inventory, a receipt record, ...)."""

    kind: str
    node: str
    head: dict[str, str]
    lines: list[dict[str, str]]
    guid: str
    app_type: str
    app_status: str
    business_no: str


@dataclass
class ParsedMessage:
    message_type: str
    edition: str
    direction: str
    guid: str
    version: str
    documents: list[ParsedDocument]
    transfer: dict[str, str]
    signed: bool
    fmt: str
    body: dict[str, Any] = field(default_factory=dict)  # the JSON form (docs/ceb-json.md)
    warnings: list[FieldError] = field(default_factory=list)

    @property
    def root(self) -> str:
        return self.message_type + "Message"


# --- the validating walk ---------------------------------------------------------------------------
class _Run:
    """Errors and warnings of one validation pass."""

    __slots__ = ("errors", "format_errors", "warnings")

    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[FieldError] = []
        self.format_errors = 0  # errors against the XSD grammar (not the code-tier rules)

    def err(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))
        if code not in S.CODE_TIER:
            self.format_errors += 1

    def demote_code_errors(self) -> None:
        """check_codes=False: code-tier findings become warnings."""
        self.warnings.extend(e for e in self.errors if e.code in S.CODE_TIER)
        self.errors = [e for e in self.errors if e.code not in S.CODE_TIER]


def _seg(slot: Slot, index: int) -> str:
    return f"{slot.name}[{index}]" if slot.max != 1 or index > 1 else slot.name


def _missing(run: _Run, prefix: str, slot: Slot, have: int) -> None:
    where = prefix + slot.name
    if have == 0:
        run.err(where, "required", f"缺少必填项{slot.title}")
    else:
        run.err(where, "required", f"{slot.title}至少应出现{slot.min}次，实际{have}次")


def _slow_leaf(run: _Run, path: str, leaf: Any, value: str) -> str:
    """The full check of one value (the fast rule did not vouch for it); returns the normalised value
    (whitespace collapsed where the type says so; an empty element takes the XSD default/fixed value)."""
    value = leaf.normalise(value)
    problem = leaf.check(value)
    if problem:
        run.err(path, problem[0], problem[1])
    else:
        w = leaf.warning(value)
        if w:
            run.warnings.append(FieldError(path, w[0], w[1]))
    return str(value)


def _unexpected(run: _Run, node: Node, prefix: str, tag: Any) -> None:
    if not isinstance(tag, str):
        return  # comments and processing instructions (the parser drops them anyway)
    local = tag.rsplit("}", 1)[-1]
    if local in node.by_name:
        run.err(prefix + local, "wrong_namespace", f"元素{local}的命名空间应为{CEB_NS}")
    else:
        run.err(prefix + local, "unknown_element", f"{node.name}下不应出现元素{local}")


def _walk_xml(el: Any, node: Node, prefix: str, run: _Run) -> dict[str, Any]:
    """The hot path: collect the fields of `el` and check their values in one loop; order and
    cardinality of the children are checked afterwards with one regex match over the sequence of
    slot characters. Only when that match fails is the node walked again by `_walk_xml_precise`,
    which names each misplaced, missing or surplus element.
    """
    mark_err = len(run.errors)
    mark_warn = len(run.warnings)
    out: dict[str, Any] = {}
    entries = node.entries
    seq: list[str] = []
    add = seq.append
    bad = False
    text = el.text
    if text is not None and not text.isspace():
        bad = True
    for child in el:
        e = entries.get(child.tag)
        if e is None:
            bad = True
            continue
        add(e[8])
        tail = child.tail
        if tail is not None and not tail.isspace():
            bad = True
        kind = e[2]
        if kind == 0:
            if len(child):
                bad = True
            value = child.text or ""
            if not e[3] <= len(value) <= e[4]:
                _slow_leaf(run, prefix + e[1], e[5].leaf, value)
            out[e[1]] = value
        elif kind == 1:
            if len(child):
                bad = True
            value = child.text or ""
            fast = e[3]
            if fast is None or not fast(value):
                value = _slow_leaf(run, prefix + e[1], e[5].leaf, value)
            out[e[1]] = value
        elif kind == 2:
            if e[7] == 1:
                if e[1] in out:
                    bad = True
                    continue
                out[e[1]] = _walk_xml(child, e[3], prefix + e[1] + ".", run)
            else:
                items = out.get(e[1])
                if items is None:
                    out[e[1]] = [_walk_xml(child, e[3], f"{prefix}{e[1]}[1].", run)]
                else:
                    items.append(_walk_xml(child, e[3], f"{prefix}{e[1]}[{len(items) + 1}].", run))
        # kind 3: xs:any (ExtendMessage/Message) and ds:Signature (checked by _check_signature)
    if bad or node.sequence("".join(seq)) is None:
        del run.errors[mark_err:]
        del run.warnings[mark_warn:]
        run.format_errors = sum(1 for x in run.errors if x.code not in S.CODE_TIER)
        return _walk_xml_precise(el, node, prefix, run)
    return out


def _extract_xml(el: Any, node: Node, prefix: str, run: _Run) -> dict[str, Any]:
    """The fast path, for a message the compiled schema accepted: order, cardinality, lengths and
    digits are the schema's verdict, so only the fields are collected and the rules beyond the XSD
    (code tables, times, fixed and allowed values: set look-ups and precompiled predicates) are
    checked on the extracted values."""
    out: dict[str, Any] = {}
    entries = node.entries
    for child in el:
        e = entries.get(child.tag)
        if e is None:
            continue
        kind = e[2]
        if kind == 0:
            out[e[1]] = child.text or ""
        elif kind == 1:
            value = child.text or ""
            fast = e[3]
            if fast is None or not fast(value):
                value = _slow_leaf(run, prefix + e[1], e[5].leaf, value)
            out[e[1]] = value
        elif kind == 2:
            if e[7] == 1:
                out[e[1]] = _extract_xml(child, e[3], prefix + e[1] + ".", run)
            else:
                items = out.get(e[1])
                if items is None:
                    out[e[1]] = [_extract_xml(child, e[3], f"{prefix}{e[1]}[1].", run)]
                else:
                    items.append(_extract_xml(child, e[3], f"{prefix}{e[1]}[{len(items) + 1}].", run))
    return out


def _walk_xml_precise(el: Any, node: Node, prefix: str, run: _Run) -> dict[str, Any]:
    """The slow path for a node whose structure is wrong: names every misplaced, missing, surplus,
    unknown or wrong-namespace element, and still checks the values of the elements in place.
    """
    out: dict[str, Any] = {}
    entries = node.entries
    slots = node.slots
    pos = -1
    count = 0
    cur_min = 0
    cur_max = 1
    seen: dict[int, int] | None = None  # occurrences of repeating slots already left behind
    present = {entries[c.tag][0] for c in el if c.tag in entries}
    text = el.text
    if text is not None and not text.isspace():
        run.err(
            prefix[:-1] or node.name,
            "not_a_node",
            f"{node.name}应只包含子元素，不应包含文本“{text.strip()[:40]}”",
        )
    for child in el:
        tail = child.tail
        if tail is not None and not tail.isspace():
            run.err(
                prefix[:-1] or node.name,
                "not_a_node",
                f"{node.name}应只包含子元素，不应包含文本“{tail.strip()[:40]}”",
            )
        e = entries.get(child.tag)
        if e is None:
            _unexpected(run, node, prefix, child.tag)
            continue
        i = e[0]
        if i == pos:
            count += 1
            if count > cur_max != -1:
                slot = e[5]
                run.err(prefix + _seg(slot, count), "too_many", f"{slot.title}最多出现{slot.max}次")
                continue
        elif i > pos:
            if count < cur_min:
                _missing(run, prefix, slots[pos], count)
            if i != pos + 1:
                for j in range(pos + 1, i):
                    if slots[j].min and j not in present:
                        _missing(run, prefix, slots[j], 0)
            if cur_max != 1:
                if seen is None:
                    seen = {}
                seen[pos] = count
            pos = i
            count = 1
            cur_min = e[6]
            cur_max = e[7]
        else:
            slot = e[5]
            if seen is None:
                seen = {}
            seen[pos] = count
            c = seen.get(i, 0) + 1
            seen[i] = c
            run.err(
                prefix + _seg(slot, c), "out_of_order", f"{slot.title}的位置错误：应位于{slots[pos].name}之前"
            )
            continue
        kind = e[2]
        if kind in (0, 1) and len(child):
            run.err(prefix + e[1], "not_a_leaf", f"{e[5].title}应为文本值，不应包含子元素")
        if kind == 0:
            value = child.text or ""
            if not e[3] <= len(value) <= e[4]:
                _slow_leaf(run, prefix + e[1], e[5].leaf, value)
            out[e[1]] = value
        elif kind == 1:
            value = child.text or ""
            fast = e[3]
            if fast is None or not fast(value):
                value = _slow_leaf(run, prefix + e[1], e[5].leaf, value)
            out[e[1]] = value
        elif kind == 2:
            if cur_max == 1:
                out[e[1]] = _walk_xml(child, e[3], prefix + e[1] + ".", run)
            elif count == 1:
                out[e[1]] = [_walk_xml(child, e[3], f"{prefix}{e[1]}[1].", run)]
            else:
                out[e[1]].append(_walk_xml(child, e[3], f"{prefix}{e[1]}[{count}].", run))
        # kind 3: xs:any (ExtendMessage/Message) and ds:Signature (checked by _check_signature)
    if count < cur_min:
        _missing(run, prefix, slots[pos], count)
    for j in range(pos + 1, len(slots)):
        if slots[j].min:
            _missing(run, prefix, slots[j], 0)
    return out


_DS = f"{{{DS_NS}}}"
_KEY_INFO_PARTS = frozenset(
    _DS + n for n in ("KeyName", "KeyValue", "RetrievalMethod", "X509Data", "PGPData", "SPKIData", "MgmtData")
)
_X509_PARTS = frozenset(
    _DS + n for n in ("X509IssuerSerial", "X509SKI", "X509SubjectName", "X509Certificate", "X509CRL")
)
_X509_BASE64 = frozenset(_DS + n for n in ("X509SKI", "X509Certificate", "X509CRL"))


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _elements(el: Any) -> list[Any]:
    return [c for c in el if isinstance(c.tag, str)]


def _ds_sequence(el: Any, path: str, expected: list[tuple[str, int, int]], run: _Run) -> list[Any]:
    """Children of a ds element against a sequence of (name, min, max); returns them in order."""
    kids = _elements(el)
    i = 0
    for name, lo, hi in expected:
        n = 0
        while i < len(kids) and kids[i].tag == _DS + name and (hi == -1 or n < hi):
            i += 1
            n += 1
        if n < lo:
            run.err(f"{path}.{name}", "required", f"电子签名缺少{name}")
    for extra in kids[i:]:
        run.err(
            f"{path}.{_local(extra.tag)}",
            "unknown_element",
            f"电子签名的{_local(el.tag)}下不应出现{_local(extra.tag)}（或位置错误）",
        )
    return kids[:i]


def _ds_text(el: Any, path: str, run: _Run, base64: bool) -> None:
    if _elements(el):
        run.err(path, "not_a_leaf", f"电子签名的{_local(el.tag)}应为文本值")
    if base64 and not _is_base64(el.text or ""):
        run.err(path, "bad_base64", f"电子签名的{_local(el.tag)}不是合法的Base64编码")


def _is_base64(text: str) -> bool:
    """XSD base64Binary: the Base64 alphabet in groups of four, blanks anywhere, '=' padding only at
    the end and after a character whose unused bits are zero ([AQgw] before '==', [AEIMQUYcgkosw048]
    before '=')."""
    value = "".join(text.split())
    if len(value) % 4:
        return False
    try:
        binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    if value.endswith("=="):
        return value[-3] in "AQgw"
    if value.endswith("="):
        return value[-2] in "AEIMQUYcgkosw048"
    return True


def _ds_method(el: Any, path: str, run: _Run) -> None:
    if el.get("Algorithm") is None:
        run.err(path + ".@Algorithm", "required", f"电子签名的{_local(el.tag)}缺少Algorithm属性")


def _check_signature(sig: Any, run: _Run) -> None:
    """ds:Signature against the xmldsig-core-schema the CEB XSDs import: Signature = SignedInfo,
    SignatureValue (base64), KeyInfo?; SignedInfo = CanonicalizationMethod, SignatureMethod,
    Reference+ (each with @Algorithm); Reference = Transforms?, DigestMethod, DigestValue (base64);
    KeyInfo = one or more KeyName/KeyValue/…/X509Data or foreign elements; X509Data = one or more
    X509IssuerSerial/SKI/SubjectName/Certificate/CRL (base64 where the schema says so) or foreign
    elements. (The cryptographic check of the signature is not part of the format check.)"""
    path = "Signature"
    parts = _ds_sequence(sig, path, [("SignedInfo", 1, 1), ("SignatureValue", 1, 1), ("KeyInfo", 0, 1)], run)
    for part in parts:
        name = _local(part.tag)
        where = f"{path}.{name}"
        if name == "SignatureValue":
            _ds_text(part, where, run, base64=True)
        elif name == "SignedInfo":
            items = _ds_sequence(
                part,
                where,
                [("CanonicalizationMethod", 1, 1), ("SignatureMethod", 1, 1), ("Reference", 1, -1)],
                run,
            )
            for n, item in enumerate(items):
                if _local(item.tag) != "Reference":
                    _ds_method(item, f"{where}.{_local(item.tag)}", run)
                    if _elements(item):
                        run.err(
                            f"{where}.{_local(item.tag)}",
                            "not_a_leaf",
                            f"电子签名的{_local(item.tag)}不应包含子元素",
                        )
                    continue
                ref = f"{where}.Reference[{n - 1}]"
                for r in _ds_sequence(
                    item, ref, [("Transforms", 0, 1), ("DigestMethod", 1, 1), ("DigestValue", 1, 1)], run
                ):
                    rname = _local(r.tag)
                    if rname == "DigestValue":
                        _ds_text(r, f"{ref}.DigestValue", run, base64=True)
                    elif rname == "DigestMethod":
                        _ds_method(r, f"{ref}.DigestMethod", run)
                    else:
                        for t, transform in enumerate(
                            _ds_sequence(r, f"{ref}.Transforms", [("Transform", 1, -1)], run), 1
                        ):
                            _ds_method(transform, f"{ref}.Transforms.Transform[{t}]", run)
        else:  # KeyInfo
            keys = _elements(part)
            if not keys:
                run.err(where, "required", "电子签名的KeyInfo至少应包含一项密钥信息")
            for key in keys:
                if key.tag.startswith(_DS) and key.tag not in _KEY_INFO_PARTS:
                    run.err(
                        f"{where}.{_local(key.tag)}", "unknown_element", f"KeyInfo下不应出现{_local(key.tag)}"
                    )
                elif key.tag == _DS + "KeyName":
                    _ds_text(key, f"{where}.KeyName", run, base64=False)
                elif key.tag == _DS + "X509Data":
                    certs = _elements(key)
                    if not certs:
                        run.err(f"{where}.X509Data", "required", "X509Data至少应包含一项证书信息")
                    for cert in certs:
                        cpath = f"{where}.X509Data.{_local(cert.tag)}"
                        if cert.tag.startswith(_DS) and cert.tag not in _X509_PARTS:
                            run.err(cpath, "unknown_element", f"X509Data下不应出现{_local(cert.tag)}")
                        elif cert.tag in _X509_BASE64:
                            _ds_text(cert, cpath, run, base64=True)


def _signature_algorithm(sig: Any) -> str:
    m = sig.find(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
    d = sig.find(f".//{{{DS_NS}}}DigestMethod")
    alg = (m.get("Algorithm") if m is not None else None) or ""
    if d is not None and d.get("Algorithm") == SM_DIGEST:
        return SM_SIGNATURE
    return alg


# Attributes. Only the root (guid, version, xsi:*) and some ds elements may carry attributes. Instead
# of asking every element for its attributes, the raw bytes are scanned once (C speed) for attribute
# assignments; when there are more than the known ones (root attributes, namespace declarations,
# allowed ds attributes), a precise pass names each stray attribute.
_ATTRIBUTE_LIKE = re.compile(rb"=\s*[\"']")
_NAMESPACE_DECLARATION = re.compile(rb"xmlns(?::[^\s=/>]+)?\s*=\s*[\"']")
_DS_ATTRIBUTES: dict[str, frozenset[str]] = {
    _DS + "Signature": frozenset({"Id"}),
    _DS + "CanonicalizationMethod": frozenset({"Algorithm"}),
    _DS + "SignatureMethod": frozenset({"Algorithm"}),
    _DS + "Reference": frozenset({"Id", "URI", "Type"}),
    _DS + "Transform": frozenset({"Algorithm"}),
    _DS + "DigestMethod": frozenset({"Algorithm"}),
    _DS + "RetrievalMethod": frozenset({"URI", "Type"}),
}


def _known_attributes(root: Any, signature: Any | None) -> int:
    known = len(root.attrib)
    if signature is not None:
        for el in signature.iter():
            allowed = _DS_ATTRIBUTES.get(el.tag)
            if allowed:
                known += sum(1 for a in el.attrib if a in allowed)
    return known


def _stray_attributes(el: Any, node: Node, prefix: str, run: _Run) -> None:
    """Name every attribute the XSD does not allow below the root."""
    counts: dict[str, int] = {}
    for child in el:
        e = node.entries.get(child.tag)
        if e is None:
            continue  # reported as an unknown element already
        name = e[1]
        counts[name] = counts.get(name, 0) + 1
        path = prefix + _seg(e[5], counts[name])
        if e[2] == 3 and child.tag == _DS + "Signature":
            for ds in child.iter():
                if not isinstance(ds.tag, str) or not ds.tag.startswith(_DS):
                    continue
                for attr in ds.attrib:
                    if attr not in _DS_ATTRIBUTES.get(ds.tag, ()):
                        run.err(
                            f"Signature.@{attr}",
                            "unknown_attribute",
                            f"电子签名的{_local(ds.tag)}不应有属性{attr}",
                        )
            continue
        for attr in child.attrib:
            run.err(f"{path}.@{_local(attr)}", "unknown_attribute", f"元素{name}不应有属性{_local(attr)}")
        if e[2] == 2:
            _stray_attributes(child, e[3], path + ".", run)


def _validate_xml(root: Any, mspec: MessageSpec, data: bytes | None = None) -> tuple[dict[str, Any], _Run]:
    run = _Run()
    body = _walk_xml(root, mspec.node, "", run)
    for name, leaf in (("guid", mspec.guid), ("version", mspec.version)):
        value = root.get(name)
        if value is None:
            run.err("@" + name, "required", f"缺少根元素属性{leaf.title}")
            continue
        problem = leaf.check(value)
        if problem:
            run.err("@" + name, problem[0], problem[1])
    for attr in root.attrib:
        if attr not in ("guid", "version") and not attr.startswith(
            "{http://www.w3.org/2001/XMLSchema-instance}"
        ):
            run.err("@" + attr.rsplit("}", 1)[-1], "unknown_attribute", f"根元素不应有属性{attr}")
    signature = None
    if f"{{{DS_NS}}}Signature" in mspec.node.by_tag:
        for signature in root.iterchildren(f"{{{DS_NS}}}Signature"):
            _check_signature(signature, run)
    if data is not None:
        start = (
            data.find(b"?>", 0, 300) + 2
            if data[:300].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")
            else 0
        )
        body_bytes = memoryview(data)[start:]  # past the XML declaration's version="…" encoding="…"
        declared = len(_ATTRIBUTE_LIKE.findall(body_bytes)) - len(_NAMESPACE_DECLARATION.findall(body_bytes))
        if declared > _known_attributes(root, signature):
            _stray_attributes(root, mspec.node, "", run)
    return body, run


def _schema_accepted(
    root: Any, root_name: str, hinted: str, decisive: bool
) -> tuple[MessageSpec, dict[str, Any], _Run] | None:
    """The fast path of `_choose`: the first edition whose compiled schema accepts the message, in
    the order `_choose` tries them; None when no schema does (the walk then explains why)."""
    editions = S.editions_of(root_name)
    first = hinted if hinted in editions else editions[0]
    order = [first] if decisive else [first, *(e for e in editions if e != first)]
    for edition in order:
        mspec = S.messages(edition)[root_name]
        schema = xsd.compiled(edition, mspec.direction)
        if schema is None or not schema.accepts(root):
            if schema is None:
                return None
            continue
        run = _Run()
        body = _extract_xml(root, mspec.node, "", run)
        # libxml2 lets some malformed base64 through that XML-DSig refuses: the signature block
        # always gets our own check
        for signature in root.iterchildren(f"{{{DS_NS}}}Signature"):
            _check_signature(signature, run)
        return mspec, body, run
    return None


# --- JSON form -------------------------------------------------------------------------------------
def _walk_json(obj: dict[str, Any], node: Node, prefix: str, run: _Run) -> dict[str, Any]:
    out: dict[str, Any] = {}
    seen: set[int] = set()
    for key, value in obj.items():
        i = node.by_name.get(key)
        if i is None:
            run.err(prefix + key, "unknown_element", f"{node.name}下不应出现字段{key}")
            continue
        if value is None:
            continue  # null = absent
        slot = node.slots[i]
        seen.add(i)
        if slot.kind == S.LEAF:
            leaf = slot.leaf
            assert leaf is not None
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                run.err(prefix + key, "bad_json_type", f"{leaf.title}应为字符串")
                continue
            text = (
                value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
            )
            text = leaf.normalise(text)
            problem = leaf.check(text)
            if problem:
                run.err(prefix + key, problem[0], problem[1])
            else:
                w = leaf.warning(text)
                if w:
                    run.warnings.append(FieldError(prefix + key, w[0], w[1]))
            out[key] = text
        elif slot.kind == S.NODE:
            assert slot.node is not None
            if slot.max == 1:
                if not isinstance(value, dict):
                    run.err(prefix + key, "bad_json_type", f"{slot.title}应为JSON对象")
                    continue
                out[key] = _walk_json(value, slot.node, prefix + key + ".", run)
            else:
                if not isinstance(value, list):
                    run.err(prefix + key, "bad_json_type", f"{slot.title}可重复，应为JSON数组")
                    continue
                if slot.max != -1 and len(value) > slot.max:
                    for n in range(slot.max + 1, len(value) + 1):
                        run.err(prefix + f"{key}[{n}]", "too_many", f"{slot.title}最多出现{slot.max}次")
                if len(value) < slot.min:
                    _missing(run, prefix, slot, len(value))
                subs = []
                for n, item in enumerate(value[: slot.max] if slot.max != -1 else value, 1):
                    if not isinstance(item, dict):
                        run.err(prefix + f"{key}[{n}]", "bad_json_type", f"{slot.title}应为JSON对象")
                        continue
                    subs.append(_walk_json(item, slot.node, prefix + f"{key}[{n}].", run))
                out[key] = subs
        # ANY / SIGNATURE: not represented in the JSON form
    for j, slot in enumerate(node.slots):
        if j not in seen and slot.min and slot.kind != S.SIGNATURE:
            _missing(run, prefix, slot, 0)
    return out


def _validate_json(obj: dict[str, Any], mspec: MessageSpec) -> tuple[dict[str, Any], _Run]:
    run = _Run()
    fields = {k: v for k, v in obj.items() if k not in ("messageType", "guid", "version", "edition")}
    body = _walk_json(fields, mspec.node, "", run)
    for name, leaf in (("guid", mspec.guid), ("version", mspec.version)):
        value = obj.get(name)
        if value is None:
            run.err("@" + name, "required", f"缺少报文属性{leaf.title}")
            continue
        if not isinstance(value, str):
            run.err("@" + name, "bad_json_type", f"{leaf.title}应为字符串")
            continue
        problem = leaf.check(value)
        if problem:
            run.err("@" + name, problem[0], problem[1])
    return body, run


# --- documents -------------------------------------------------------------------------------------
def _documents(mspec: MessageSpec, body: dict[str, Any]) -> list[ParsedDocument]:
    slot = mspec.business
    raw = body.get(slot.name)
    items: list[dict[str, Any]] = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    node = slot.node
    assert node is not None
    head_slot = node.slots[0] if node.slots and node.slots[0].kind == S.NODE else None
    list_slot = node.slots[1] if head_slot and len(node.slots) > 1 and node.slots[1].kind == S.NODE else None
    receipt = slot.name.endswith("Return")
    kind = "receipt" if receipt else _KINDS.get((mspec.direction, slot.name), slot.name.lower())
    keys = _BUSINESS_NO.get(slot.name, ("guid",))
    docs = []
    for item in items:
        if head_slot is not None:
            head = item.get(head_slot.name) or {}
            lines = item.get(list_slot.name, []) if list_slot is not None else []
            if isinstance(lines, dict):
                lines = [lines]
        else:
            head, lines = item, []
        business_no = next((head[k] for k in keys if head.get(k)), "")
        docs.append(
            ParsedDocument(
                kind=kind,
                node=slot.name,
                head=head,
                lines=lines,
                guid=head.get("guid", ""),
                app_type=head.get("appType", ""),
                app_status=head.get("appStatus", ""),
                business_no=business_no,
            )
        )
    return docs


def _finish(
    mspec: MessageSpec, guid: str, version: str, body: dict[str, Any], run: _Run, signed: bool, fmt: str
) -> ParsedMessage:
    transfer = body.get("BaseTransfer") or {}
    return ParsedMessage(
        message_type=mspec.message_type,
        edition=mspec.edition,
        direction=mspec.direction,
        guid=guid,
        version=version,
        documents=_documents(mspec, body),
        transfer=transfer if isinstance(transfer, dict) else {},
        signed=signed,
        fmt=fmt,
        body=body,
        warnings=run.warnings,
    )


def _reject_fields(mspec: MessageSpec, guid: str | None, run: _Run) -> MessageRejected:
    n = len(run.errors)
    leading = [e for e in run.errors if e.code not in S.CODE_TIER] or run.errors
    first = leading[0].message if leading else ""
    more = f"等{n}处错误" if n > 1 else ""
    code = "format_invalid" if run.format_errors else "code_invalid"
    what = "不符合XSD规范" if run.format_errors else "字段代码或取值校验未通过"
    return MessageRejected(
        code,
        f"{mspec.message_type}报文{what}：{first}{more}",
        run.errors,
        guid=guid,
        message_type=mspec.message_type,
        edition=mspec.edition,
    )


def _choose(
    root_name: str,
    hinted: str,
    decisive: bool,
    validate: Any,
) -> tuple[MessageSpec, dict[str, Any], _Run]:
    """Validate against the hinted edition, and the other one when the hint is not decisive and fails."""
    editions = S.editions_of(root_name)
    first = hinted if hinted in editions else editions[0]
    mspec = S.messages(first)[root_name]
    body, run = validate(mspec)
    if run.format_errors and not decisive:
        for other in editions:
            if other == first:
                continue
            ospec = S.messages(other)[root_name]
            obody, orun = validate(ospec)
            if not orun.format_errors:
                return ospec, obody, orun
    return mspec, body, run


def _root_type(local: str) -> str:
    if local in S.all_roots():
        return local
    hint = f"（是否应为{local}Message？）" if local + "Message" in S.all_roots() else ""
    raise MessageRejected(
        "unknown_message_type", f"根元素{local}不是已知的CEB报文类型{hint}", message_type=None
    )


def _parse_xml(data: bytes, max_bytes: int, edition: str | None, check_codes: bool) -> ParsedMessage:
    try:
        root = safexml.parse_bytes(data, max_bytes)
    except safexml.XmlRefused as exc:
        raise MessageRejected(exc.code, exc.message) from None
    tag = root.tag
    if not isinstance(tag, str):
        raise MessageRejected("xml_malformed", "报文根节点不是元素")
    ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    root_name = _root_type(local)
    guid = root.get("guid")
    mtype = root_name.removesuffix("Message")
    if ns != CEB_NS:
        raise MessageRejected(
            "wrong_namespace",
            f"根元素{local}的命名空间应为{CEB_NS}，收到“{ns or '无'}”",
            guid=guid,
            message_type=mtype,
        )
    signature = next(root.iterchildren(f"{{{DS_NS}}}Signature"), None)
    decisive = False
    hinted = "202205"
    if edition is not None:
        hinted, decisive = edition, True
        if edition not in S.editions_of(root_name):
            raise MessageRejected(
                "type_not_in_edition",
                f"{edition}版规范未定义{root_name}",
                guid=guid,
                message_type=mtype,
                edition=edition,
            )
    elif len(S.editions_of(root_name)) == 1:
        hinted, decisive = S.editions_of(root_name)[0], True
    elif signature is not None:
        alg = _signature_algorithm(signature)
        if alg == SM_SIGNATURE:
            hinted, decisive = "202205", True
        elif alg == RSA_SHA1:
            hinted = "2018"
    chosen = _schema_accepted(root, root_name, hinted, decisive) if fast_path_enabled() else None
    if chosen is None:
        chosen = _choose(root_name, hinted, decisive, lambda m: _validate_xml(root, m, data))
    mspec, body, run = chosen
    result = _finish(mspec, guid or "", root.get("version") or "", body, run, signature is not None, "xml")
    if signature is None and f"{{{DS_NS}}}Signature" in mspec.node.by_tag:
        # "appStatus 填写2时，Signature节点必须填写" (XSD annotation of appStatus, FIELDS.md §2)
        declared = [n for n, d in enumerate(result.documents, 1) if d.app_status == "2"]
        if declared and not any(e.field == "Signature" for e in run.errors):
            run.err(
                "Signature",
                "signature_required",
                f"业务状态(appStatus)为2(申报)时必须加签，缺少电子签名(Signature)（第{declared[0]}票起）",
            )
    if not check_codes:
        run.demote_code_errors()
    if run.errors:
        raise _reject_fields(mspec, guid, run)
    return result


def _parse_json(data: bytes, max_bytes: int, edition: str | None, check_codes: bool) -> ParsedMessage:
    if len(data) > max_bytes:
        raise MessageRejected("xml_too_large", f"报文大小{len(data)}字节，超过上限{max_bytes}字节")
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise MessageRejected("xml_encoding", f"报文不是合法的UTF-8编码（第{exc.start}字节）") from None
    except json.JSONDecodeError as exc:
        raise MessageRejected(
            "json_malformed", f"JSON报文格式错误（第{exc.lineno}行第{exc.colno}列：{exc.msg}）"
        ) from None
    except RecursionError:
        raise MessageRejected("json_malformed", "JSON报文嵌套层数过深") from None
    return parse_json_object(obj, edition=edition, check_codes=check_codes)


def parse_json_object(obj: Any, *, edition: str | None = None, check_codes: bool = True) -> ParsedMessage:
    """Validate an already-decoded JSON-form message (docs/ceb-json.md)."""
    if not isinstance(obj, dict):
        raise MessageRejected("json_malformed", "JSON报文应为一个对象")
    mt = obj.get("messageType")
    if not isinstance(mt, str) or not mt:
        raise MessageRejected("unknown_message_type", "JSON报文缺少messageType（如“CEB621”）")
    root_name = _root_type(mt if mt.endswith("Message") else mt + "Message")
    guid = obj.get("guid") if isinstance(obj.get("guid"), str) else None
    declared = edition or obj.get("edition")
    if declared is not None and not isinstance(declared, str):
        raise MessageRejected("json_malformed", "JSON报文的edition应为字符串“2018”或“202205”", guid=guid)
    decisive = declared is not None
    if declared is not None and declared not in S.editions_of(root_name):
        raise MessageRejected(
            "type_not_in_edition",
            f"{declared}版规范未定义{root_name}",
            guid=guid,
            message_type=root_name.removesuffix("Message"),
        )
    if len(S.editions_of(root_name)) == 1:
        declared, decisive = S.editions_of(root_name)[0], True
    mspec, body, run = _choose(
        root_name, str(declared or "202205"), decisive, lambda m: _validate_json(obj, m)
    )
    if not check_codes:
        run.demote_code_errors()
    if run.errors:
        raise _reject_fields(mspec, guid, run)
    return _finish(mspec, guid or "", str(obj.get("version", "")), body, run, False, "json")


def _is_json(data: bytes, content_type: str | None) -> bool:
    if content_type:
        ct = content_type.split(";", 1)[0].strip().lower()
        if ct.endswith("json"):
            return True
        if ct.endswith("xml"):
            return False
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[")


def parse_message(
    data: bytes,
    *,
    content_type: str | None = None,
    max_bytes: int,
    edition: str | None = None,
    check_codes: bool = True,
) -> ParsedMessage:
    """Parse and validate one CEB message (XML or its JSON form). Raises MessageRejected.

    `content_type` chooses XML or JSON (else the first byte decides); `max_bytes` is the size limit
    (settings.max_message_bytes); `edition` forces "2018" or "202205" instead of detecting it.

    Rejection codes: the safexml codes (xml_too_large, xml_empty, xml_encoding, xml_dtd_forbidden,
    xml_malformed), json_malformed, unknown_message_type, wrong_namespace, type_not_in_edition,
    `format_invalid` (at least one field breaks the official XSD) and `code_invalid` (the XSD is
    satisfied but a value breaks a rule of the annotations or the code tables: code lists, times,
    import currency 142, appStatus 2 without signature). `errors` always lists every failing field.
    With `check_codes=False` the code-tier findings are returned as `warnings` instead (used to
    show that an official sample is XSD-valid as it is).
    """
    if edition is not None and edition not in S.EDITIONS:
        raise ValueError(f"unknown edition {edition}")
    if _is_json(data, content_type):
        return _parse_json(data, max_bytes, edition, check_codes)
    return _parse_xml(data, max_bytes, edition, check_codes)
