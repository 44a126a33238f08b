"""Retail import clearance, in the order the platform checks (issue 4):

1. filing      the enterprises named are filed and approved in their roles; each goods line is a
               filed commodity of the e-commerce enterprise whose HS code is on the retail import
               positive list (财关税〔2019〕96号 清单, via the zone's tariff table)
2. match       three-document match of order, payment and waybill with the list (三单对碰)
3. identity    the buyer's name and resident ID number against the identity registry
4. limits      5,000 CNY per transaction and 26,000 CNY per buyer and calendar year
               (财关税〔2018〕49号, 财关税〔2016〕18号), the annual quota reserved exactly
5. tax         the retail import tax (tax.calc), each released list gets its tax bill (CEB816)
6. bonded      1210 lists deduct the bonded account book; a shortfall rejects the list
7. decision    released, rejected, or held for inspection (credit supervision share, else the
               zone's inspection share, deterministic under the zone's seed)

Documents arrive in any order and from different senders. Each document's arrival runs the
waiting lists it completes; until the set is complete the list's receipt names what is missing.
Every outcome is a receipt (`declarations.service.issue_receipt`), a timeline event and, for
decisions, a `TradeEvent`.

Withdrawal (CEB623) and return (CEB625), 海关总署公告2018年第194号 and 海关总署公告2020年第45号:
- a list not yet released (waiting, declared, held) may be withdrawn at any time: the quota it
  reserved and any bonded stock it deducted are given back, no tax bill exists;
- a released list may be withdrawn within 30 days of release, before the withholding party pays
  the tax (194号: the tax is paid from the 31st to the 45th day after release): the tax bill is
  voided (status 3 作废), the quota and bonded stock are given back;
- goods of a released list may be returned (all or some lines) when the return is applied for
  within 30 days of release (2020年第45号; goods back at the original site within 45 days): the
  returned goods' tax is not levied (the bill is reduced, or voided when everything comes back)
  and their value is taken off the buyer's annual total (财关税〔2016〕18号 第四条);
- later applications are refused with the rule that applies.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from silkgate import events
from silkgate.auth.principal import Principal
from silkgate.clearance import bonded, identity, inspection, quota
from silkgate.clearance import rules as limit_rules
from silkgate.clearance.match import (
    DOCUMENT_LABELS,
    Mismatch,
    match_three_documents,
    missing_documents_message,
)
from silkgate.config import get_settings
from silkgate.declarations import codes, taxbills
from silkgate.declarations.documents import DocumentView, decimal_or_none, personal_head
from silkgate.declarations.lookups import lookups
from silkgate.declarations.service import (
    DECLARATIONS,
    StoredDocument,
    add_event,
    issue_receipt,
    load_row,
    now_for,
    run,
    set_status,
    update_columns,
)
from silkgate.exceptions import FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import BEIJING, parse_app_time
from silkgate.kit.crypto import field_cipher
from silkgate.kit.money import ZERO, fmt, round_cent
from silkgate.models.zone import Zone
from silkgate.tax.calc import TariffRates, TaxItemIn, TaxQuote, quote_import_tax

T = DECLARATIONS
OPEN_SUPPORT = ("declared", "matched")
ROLE_LABELS = {
    "platform": "电商平台",
    "seller": "电商企业",
    "logistics": "物流企业",
    "payment": "支付企业",
    "broker": "报关企业",
    "warehouse": "仓储企业",
}
WITHDRAW_DAYS = 30  # 海关总署公告2018年第194号: tax paid from day 31 after release; withdraw before


class _Refusable(Protocol):
    """A withdrawal/return as declarations.service hands it over."""

    @property
    def doc(self) -> Any: ...
    @property
    def sender(self) -> Principal: ...
    def store(self, *, related_declaration_id: int | None, status: str) -> StoredDocument: ...
    def refuse(
        self, code: str, message: str, *, declaration_id: int | None = None, field_name: str = "invtNo"
    ) -> None: ...


# --- arrival ---------------------------------------------------------------------------------------


_WAITING_FOR_ORDER = (
    select(T.c.id)
    .where(
        T.c.kind == "inventory",
        T.c.status == "waiting",
        T.c.order_no == bindparam("no"),
        T.c.ebp_code == bindparam("code"),
    )
    .order_by(T.c.id)
)
_WAITING_FOR_WAYBILL = (
    select(T.c.id)
    .where(
        T.c.kind == "inventory",
        T.c.status == "waiting",
        T.c.logistics_no == bindparam("no"),
        T.c.logistics_code == bindparam("code"),
    )
    .order_by(T.c.id)
)
_LIST_NUMBERS = select(T.c.customs_code, T.c.invt_no, T.c.pre_no).where(
    T.c.id == bindparam("_declaration_id")
)
# The open order and payment of a list (same platform order number) and its waybill.
_SUPPORTING = (
    select(T)
    .where(
        T.c.status.in_(OPEN_SUPPORT),
        or_(
            and_(
                T.c.kind.in_(("order", "payment")),
                T.c.order_no == bindparam("order_no"),
                T.c.ebp_code == bindparam("ebp_code"),
            ),
            and_(
                T.c.kind == "waybill",
                T.c.logistics_no == bindparam("logistics_no"),
                T.c.logistics_code == bindparam("logistics_code"),
            ),
        ),
    )
    .order_by(T.c.id.desc())
)


def on_import_document(session: Session, document: StoredDocument) -> None:
    """A declared import order, payment, waybill or list arrived (new or changed)."""
    if document.kind == "inventory":
        _accept_list(session, document)
        evaluate_list(session, document.id, trigger=document)
        return
    verb = "变更" if document.app_type == "2" else "新增"
    issue_receipt(session, document, codes.STATUS_CUSTOMS_RECORDED, f"{verb}申报成功[{document.guid}]")
    if document.kind in ("order", "payment"):
        waiting = run(session, _WAITING_FOR_ORDER, {"no": document.order_no, "code": document.ebp_code})
    else:
        waiting = run(
            session, _WAITING_FOR_WAYBILL, {"no": document.logistics_no, "code": document.logistics_code}
        )
    for list_id in list(waiting.scalars()):
        evaluate_list(session, list_id, trigger=document)


def _accept_list(session: Session, document: StoredDocument) -> None:
    """The platform's numbers for an accepted list: 预录入编号 preNo and 清单编号 invtNo
    (4-digit customs code + 4-digit year + I + 9-digit sequence, as customs numbers them)."""
    row = run(session, _LIST_NUMBERS, {"_declaration_id": document.id}).one()
    now = now_for(session).astimezone(BEIJING)
    invt_no = row.invt_no or f"{(row.customs_code or '0000')[:4]}{now:%Y}I{document.id % 10**9:09d}"
    pre_no = row.pre_no or f"B{now:%Y%m%d}{document.id % 10**9:09d}"
    update_columns(session, document.id, invt_no=invt_no, pre_no=pre_no)
    document.invt_no = invt_no


def _supporting(session: Session, inv: Any) -> dict[str, Any]:
    rows = run(
        session,
        _SUPPORTING,
        {
            "order_no": inv.order_no,
            "ebp_code": inv.ebp_code,
            "logistics_no": inv.logistics_no,
            "logistics_code": inv.logistics_code,
        },
    ).all()
    found: dict[str, Any] = {}
    for row in rows:
        found.setdefault(row.kind, row)
    return found


def evaluate_list(session: Session, list_id: int, *, trigger: StoredDocument) -> None:
    inv = load_row(session, list_id)
    docs = _supporting(session, inv)
    missing = [k for k in ("order", "payment", "waybill") if k not in docs]
    handle = StoredDocument.from_row(inv)
    if missing:
        text = missing_documents_message(missing)
        if inv.status != "waiting":
            set_status(session, list_id, "waiting")
        if trigger.id == list_id:
            add_event(session, list_id, "waiting", "match", text, {"missing": missing})
            issue_receipt(
                session, handle, codes.STATUS_CUSTOMS_RECORDED, f"清单已入库（清单编号{inv.invt_no}）；{text}"
            )
        else:
            add_event(
                session,
                list_id,
                "waiting",
                "match",
                f"收到{DOCUMENT_LABELS.get(trigger.kind, trigger.kind)}{trigger.business_no}；{text}",
                {"missing": missing, "arrived": trigger.kind},
            )
        return
    if trigger.id == list_id:
        issue_receipt(
            session, handle, codes.STATUS_CUSTOMS_RECORDED, f"清单已入库（清单编号{inv.invt_no}），三单齐全"
        )
    _clear(session, inv, docs, handle)


# --- the checks ------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    checks: dict[str, Any]

    def record(self, step: str, ok: bool, info: str, **detail: Any) -> None:
        self.checks[step] = {"ok": ok, "info": info, **detail}


def _filing_problems(session: Session, inv: Any, docs: dict[str, Any]) -> list[FieldError]:
    found = lookups(session)
    zone = inv.zone_code
    problems: list[FieldError] = []
    wanted = [
        ("ebpCode", inv.ebp_code, "platform"),
        ("ebcCode", inv.ebc_code, "seller"),
        ("logisticsCode", inv.logistics_code, "logistics"),
        ("payCode", docs["payment"].pay_code, "payment"),
        ("agentCode", inv.agent_code, "broker" if inv.agent_code != inv.ebc_code else "seller"),
    ]
    if inv.trade_mode == "1210":
        wanted.append(("areaCode", inv.area_code, "warehouse"))
    for field_name, code, role in wanted:
        path = f"{'PaymentHead' if field_name == 'payCode' else 'InventoryHead'}.{field_name}"
        if not code:
            problems.append(FieldError(path, "enterprise_code_missing", f"{ROLE_LABELS[role]}代码未填写"))
            continue
        filing = found.enterprise_by_code(code)
        if filing is None:
            problems.append(
                FieldError(path, "enterprise_not_filed", f"{ROLE_LABELS[role]}{code}未在综试区平台备案")
            )
        elif filing.status != "approved":
            problems.append(
                FieldError(
                    path,
                    "enterprise_not_approved",
                    f"{ROLE_LABELS[role]}{code}（{filing.name}）备案尚未审核通过",
                )
            )
        elif role not in filing.roles:
            problems.append(
                FieldError(
                    path, "enterprise_role_missing", f"{code}（{filing.name}）未备案为{ROLE_LABELS[role]}"
                )
            )
    seller = found.enterprise_by_code(inv.ebc_code or "")
    for n, line in enumerate(inv.line_fields or [], start=1):
        path = f"InventoryList[{n}]"
        item_no, gcode = line.get("itemNo", ""), line.get("gcode", "")
        if not item_no:
            problems.append(
                FieldError(
                    f"{path}.itemNo", "item_no_missing", f"第{n}项商品未填写商品货号，无法核对商品备案"
                )
            )
            continue
        commodity = found.commodity(seller.id, item_no) if seller else None
        if commodity is None:
            problems.append(
                FieldError(
                    f"{path}.itemNo",
                    "commodity_not_filed",
                    f"第{n}项商品货号{item_no}未在电商企业的商品备案中",
                )
            )
            continue
        if commodity.hs_code != gcode:
            problems.append(
                FieldError(
                    f"{path}.gcode",
                    "hs_code_differs_from_filing",
                    f"第{n}项商品编码{gcode}与商品备案的{commodity.hs_code}不一致",
                )
            )
        tariff = found.tariff(zone, gcode)
        if tariff is None:
            problems.append(
                FieldError(f"{path}.gcode", "hs_code_unknown", f"第{n}项商品编码{gcode}不在税则表中")
            )
        elif not tariff.positive_list or not commodity.positive_list:
            problems.append(
                FieldError(
                    f"{path}.gcode",
                    "not_on_positive_list",
                    f"第{n}项商品编码{gcode}不在《跨境电子商务零售进口商品清单》内（财关税〔2019〕96号）",
                )
            )
    return problems


def _view(session: Session, row: Any) -> DocumentView:
    cipher = field_cipher(get_settings().data_key)
    head = dict(row.head or {})
    head.update(personal_head(row.kind, row._mapping, cipher))
    return DocumentView(row.kind, head, list(row.line_fields or []))


def _quote(session: Session, inv: Any, order: Any, year_to_date: Decimal) -> TaxQuote:
    found = lookups(session)

    def rates(hs_code: str) -> TariffRates | None:
        line = found.tariff(inv.zone_code, hs_code)
        if line is None:
            return None
        return TariffRates(line.vat_rate, line.consumption_tax_rate, line.tariff_rate, line.positive_list)

    items = [
        TaxItemIn(
            hs_code=line.get("gcode", ""),
            unit_price=decimal_or_none(line.get("price")) or ZERO,
            quantity=decimal_or_none(line.get("qty")) or ZERO,
        )
        for line in inv.line_fields or []
    ]
    return quote_import_tax(
        items,
        freight=inv.freight or ZERO,
        insurance=inv.insured_fee or ZERO,
        discount=order.discount or ZERO,
        year_to_date=year_to_date,
        rates_lookup=rates,
    )


def _list_year(inv: Any) -> int:
    app_time = (inv.head or {}).get("appTime", "")
    try:
        return parse_app_time(app_time).astimezone(BEIJING).year
    except ValueError:
        moment: dt.datetime = inv.created_at or dt.datetime.now(dt.UTC)
        return moment.astimezone(BEIJING).year


def _quote_detail(quote: TaxQuote) -> dict[str, Any]:
    return {
        "decision": quote.decision,
        "reason_code": quote.reason_code,
        "reason": quote.reason,
        "transaction_value": fmt(quote.transaction_value),
        "tariff": fmt(quote.tariff),
        "vat": fmt(quote.vat),
        "consumption_tax": fmt(quote.consumption_tax),
        "total_tax": fmt(quote.total_tax),
        "quota_used": fmt(quote.quota_used),
        "quota_remaining": fmt(quote.quota_remaining),
        "items": [
            {
                "hs_code": i.hs_code,
                "dutiable_value": fmt(i.dutiable_value),
                "tariff": fmt(i.tariff),
                "vat": fmt(i.vat),
                "consumption_tax": fmt(i.consumption_tax),
                "vat_rate": str(i.vat_rate),
                "consumption_tax_rate": str(i.consumption_tax_rate),
                "tariff_rate": str(i.tariff_rate),
            }
            for i in quote.items
        ],
    }


def _clear(session: Session, inv: Any, docs: dict[str, Any], handle: StoredDocument) -> None:
    outcome = _Outcome(checks={})
    list_id = inv.id
    set_status(session, list_id, "matched")
    add_event(
        session,
        list_id,
        "matched",
        "match",
        "三单齐全，开始核验",
        {"documents": {k: docs[k].id for k in ("order", "payment", "waybill")}},
    )
    # 1. filing
    problems = _filing_problems(session, inv, docs)
    if problems:
        outcome.record("filing", False, "企业或商品备案核验未通过", errors=[e.as_dict() for e in problems])
        _reject(session, inv, handle, outcome, "filing", "企业或商品备案核验未通过", problems)
        return
    outcome.record("filing", True, "企业及商品备案核验通过")
    # the tax quote is needed by the match (the order's withheld tax must equal it)
    year = _list_year(inv)
    buyer_index = inv.buyer_id_index or ""
    used_before = quota.annual_quota_used(session, buyer_index, year) if buyer_index else ZERO
    try:
        quote = _quote(session, inv, docs["order"], used_before)
    except ValidationFailed as exc:
        outcome.record("tax", False, exc.message, errors=[e.as_dict() for e in exc.errors])
        _reject(session, inv, handle, outcome, "tax", f"无法计算税款：{exc.message}", exc.errors)
        return
    # 2. three-document match
    views = {k: _view(session, docs[k]) for k in ("order", "payment", "waybill")}
    inv_view = _view(session, inv)
    expected = quote.total_tax if quote.decision != limit_rules.GENERAL_TRADE else None
    mismatches: list[Mismatch] = match_three_documents(
        views["order"], views["payment"], views["waybill"], inv_view, expected_tax=expected
    )
    if mismatches:
        outcome.record(
            "match", False, f"三单对碰不一致{len(mismatches)}处", mismatches=[m.as_dict() for m in mismatches]
        )
        errors = [FieldError(m.field, m.code, m.message) for m in mismatches]
        _reject(
            session,
            inv,
            handle,
            outcome,
            "match",
            "三单对碰未通过：" + "；".join(m.message for m in mismatches[:3]),
            errors,
        )
        return
    outcome.record("match", True, "订单、支付单、运单与清单一致")
    # 3. identity
    result = identity.verify_identity(
        session, inv_view.head.get("buyerName", ""), inv_view.head.get("buyerIdNumber", "")
    )
    if not result.ok:
        outcome.record("identity", False, result.message, code=result.code)
        _reject(
            session,
            inv,
            handle,
            outcome,
            "identity",
            result.message,
            [FieldError("InventoryHead.buyerIdNumber", result.code, result.message)],
        )
        return
    outcome.record("identity", True, result.message)
    # 4. limits and the annual quota
    if quote.decision == limit_rules.GENERAL_TRADE:
        outcome.record("limits", False, quote.reason, code=quote.reason_code, quote=_quote_detail(quote))
        _reject(
            session,
            inv,
            handle,
            outcome,
            "limits",
            quote.reason,
            [FieldError("InventoryHead", quote.reason_code, quote.reason)],
        )
        return
    reserved = quota.reserve_quota(session, buyer_index, year, quote.quota_used, reference=inv.invt_no or "")
    if not reserved.granted:
        outcome.record("limits", False, reserved.message, code="annual_limit_exceeded")
        _reject(
            session,
            inv,
            handle,
            outcome,
            "limits",
            reserved.message,
            [FieldError("InventoryHead.buyerIdNumber", "annual_limit_exceeded", reserved.message)],
        )
        return
    outcome.record(
        "limits",
        True,
        f"{limit_rules.DECISION_LABELS.get(quote.decision, quote.decision)}：{reserved.message}",
        code=quote.reason_code,
        year=year,
        reserved=str(quote.quota_used),
        remaining=str(reserved.remaining),
    )
    # 5. tax
    outcome.record("tax", True, f"应征税款{quote.total_tax}元", quote=_quote_detail(quote))
    # 6. bonded stock (1210)
    if inv.trade_mode == "1210":
        area = lookups(session).enterprise_id_for(inv.area_code)
        assert area is not None  # the filing check made sure
        shortfalls = bonded.deduct_for_list(
            session,
            area,
            inv.line_fields or [],
            owner_code=inv.ebc_code or "",
            reference=inv.invt_no or "",
            declaration_id=list_id,
        )
        if shortfalls:
            quota.release_quota(
                session, buyer_index, year, quote.quota_used, reference=f"{inv.invt_no} 库存不足退单"
            )
            outcome.checks["limits"]["reserved"] = "0"
            outcome.record("bonded", False, "保税账册库存不足", shortfalls=[s.message for s in shortfalls])
            _reject(
                session,
                inv,
                handle,
                outcome,
                "bonded",
                "保税账册库存不足：" + "；".join(s.message for s in shortfalls),
                [s.as_field_error() for s in shortfalls],
            )
            return
        outcome.record("bonded", True, "已核减保税账册")
    # 7. decision
    _decide(session, inv, docs, handle, outcome, quote)


def _supervision(session: Session, inv: Any) -> tuple[Decimal, bool, list[str], int]:
    zone = session.get(Zone, inv.zone_code) if inv.zone_code else None
    seed = zone.inspection_seed if zone else 0
    if importlib.util.find_spec("silkgate.credit.service") is not None:
        module = importlib.import_module("silkgate.credit.service")
        supervision_for = getattr(module, "supervision_for", None)
        if supervision_for is not None:
            sup = supervision_for(session, inv.ebc_enterprise_id)
            return Decimal(sup.inspection_share), bool(sup.hold_all), list(sup.reasons), seed
    share = Decimal(zone.inspection_share) if zone else Decimal("0")
    return share, False, [f"综试区查验比例{share:%}"], seed


def _risk_hits(session: Session, inv: Any) -> list[Any]:
    if importlib.util.find_spec("silkgate.risk.service") is None:
        return []
    module = importlib.import_module("silkgate.risk.service")
    evaluate = getattr(module, "evaluate_declaration_id", None)
    return [] if evaluate is None else list(evaluate(session, inv.id) or [])


def _decide(
    session: Session,
    inv: Any,
    docs: dict[str, Any],
    handle: StoredDocument,
    outcome: _Outcome,
    quote: TaxQuote,
) -> None:
    share, hold_all, reasons, seed = _supervision(session, inv)
    hits = _risk_hits(session, inv)
    key = f"{inv.zone_code}:{inv.invt_no}"
    drawn = inspection.select_for_inspection(key, share, seed)
    if hold_all or drawn or hits:
        why = []
        if hold_all:
            why.append("信用监管：每票人工审核")
        if drawn:
            why.append(f"按查验比例{share:.2%}随机布控")
        if hits:
            why.append(f"风险布控命中{len(hits)}条")
        info = "布控查验：" + "；".join(why)
        outcome.record("decision", True, info, held=True, reasons=reasons, risk_hits=[str(h) for h in hits])
        now = now_for(session)
        set_status(
            session,
            inv.id,
            "held",
            decided_at=now,
            clearance=outcome.checks,
            tax_total=quote.total_tax,
            goods_value=_goods_value(inv),
            value_cny=_goods_value(inv),
            actual_paid=docs["order"].actual_paid,
        )
        add_event(session, inv.id, "held", "decision", info, {"reasons": reasons})
        issue_receipt(session, handle, codes.STATUS_INSPECTION, info)
        events.publish(session, _trade_event(session, "held", inv, docs, quote.total_tax))
        return
    outcome.record("decision", True, "放行", held=False, reasons=reasons)
    release(session, inv.id, outcome.checks, loaded=(inv, docs))


def _goods_value(inv: Any) -> Decimal:
    return sum((decimal_or_none(line.get("totalPrice")) or ZERO for line in inv.line_fields or []), ZERO)


def release(
    session: Session,
    list_id: int,
    checks: dict[str, Any],
    *,
    actor_org_id: int | None = None,
    loaded: tuple[Any, dict[str, Any]] | None = None,
) -> None:
    """Release a list: its status, the three documents' receipts, the tax bill, the trade event.

    `loaded`: the list's row and its documents' rows as the decision just read them (the fields
    used here do not change between the decision and the release)."""
    if loaded is None:
        inv = load_row(session, list_id)
        docs = _supporting(session, inv)
    else:
        inv, docs = loaded
    now = now_for(session)
    quote = checks.get("tax", {}).get("quote", {})
    tax_total = Decimal(quote.get("total_tax", "0"))
    value = _goods_value(inv)
    actual_paid = docs["order"].actual_paid if "order" in docs else None
    set_status(
        session,
        list_id,
        "released",
        decided_at=now,
        released_at=now,
        clearance=checks,
        tax_total=tax_total,
        goods_value=value,
        value_cny=value,
        actual_paid=actual_paid,
    )
    handle = StoredDocument.from_row(inv)
    add_event(
        session,
        list_id,
        "released",
        "decision",
        "清单放行",
        {"tax_total": str(tax_total)},
        actor_org_id=actor_org_id,
    )
    issue_receipt(
        session, handle, codes.STATUS_RELEASED, f"放行（清单编号{inv.invt_no}，应征税款{tax_total}元）"
    )
    for kind in ("order", "payment", "waybill"):
        doc = docs.get(kind)
        if doc is None:
            continue
        set_status(session, doc.id, "released", released_at=now, related_declaration_id=list_id)
        add_event(session, doc.id, "released", "decision", f"关联清单{inv.invt_no}已放行")
        issue_receipt(
            session,
            StoredDocument.from_row(doc),
            codes.STATUS_CONCLUDED,
            f"海关审结：三单对碰通过，关联清单{inv.invt_no}已放行",
        )
    taxbills.issue_tax_bill(session, inv, quote, released_at=now)
    events.publish(session, _trade_event(session, "released", inv, docs, tax_total, at=now))


def _reject(
    session: Session,
    inv: Any,
    handle: StoredDocument,
    outcome: _Outcome,
    step: str,
    info: str,
    errors: Sequence[FieldError],
) -> None:
    now = now_for(session)
    set_status(session, inv.id, "rejected", decided_at=now, clearance=outcome.checks)
    detail: dict[str, Any] = {"step": step, "errors": [e.as_dict() for e in errors]}
    add_event(session, inv.id, "rejected", step, info, detail)
    issue_receipt(session, handle, codes.STATUS_CUSTOMS_REJECTED, info, errors)
    events.publish(session, _trade_event(session, "rejected", inv, {}, ZERO, extra={"step": step}))


def _trade_event(
    session: Session,
    kind: str,
    inv: Any,
    docs: dict[str, Any],
    tax: Decimal,
    *,
    at: dt.datetime | None = None,
    lines: Sequence[events.TradeLine] | None = None,
    extra: dict[str, Any] | None = None,
) -> events.TradeEvent:
    if lines is None:
        lines = [
            events.TradeLine(
                hs_code=line.get("gcode", ""),
                item_no=line.get("itemNo", ""),
                quantity=decimal_or_none(line.get("qty")) or ZERO,
                value=decimal_or_none(line.get("totalPrice")) or ZERO,
                value_cny=decimal_or_none(line.get("totalPrice")) or ZERO,
                origin_country=line.get("country", "") or "",
            )
            for line in inv.line_fields or []
        ]
    total = sum((line.value_cny for line in lines), ZERO)
    ids = {
        "seller": inv.ebc_enterprise_id,
        "platform": inv.ebp_enterprise_id,
        "logistics": inv.logistics_enterprise_id,
        "agent": inv.agent_enterprise_id,
        "warehouse": inv.area_enterprise_id,
        "payment": docs["payment"].payment_enterprise_id if "payment" in docs else None,
    }
    return events.TradeEvent(
        kind=kind,
        zone_code=inv.zone_code or "",
        direction="import",
        trade_mode=inv.trade_mode or "",
        declaration_id=inv.id,
        business_no=inv.invt_no or inv.business_no,
        occurred_at=at or now_for(session),
        enterprise_ids={k: v for k, v in ids.items() if v is not None},
        customs_code=inv.customs_code or "",
        country=inv.country or "",
        currency=inv.currency or "142",
        total_value=total,
        total_value_cny=total,
        tax_cny=tax,
        freight_cny=inv.freight or ZERO,
        lines=tuple(lines),
        extra=extra or {},
    )


# --- inspection outcome ----------------------------------------------------------------------------


def conclude_inspection(session: Session, list_id: int, actor: Principal, *, passed: bool, note: str) -> None:
    """Customs or the zone office concludes the inspection of a held list: release or reject."""
    if not (actor.is_zone_office or actor.org_kind == "customs"):
        raise Forbidden("只有海关或综试办可以办结查验")
    inv = session.execute(select(T).where(T.c.id == list_id, T.c.kind == "inventory")).first()
    if inv is None or inv.zone_code != actor.zone_code:
        raise NotFound()
    if inv.status != "held":
        raise InvalidState(message=f"清单{inv.invt_no}当前状态为{inv.status}，不在查验中")
    checks = dict(inv.clearance or {})
    if passed:
        checks["inspection"] = {"ok": True, "info": f"查验通过：{note}"}
        add_event(session, list_id, "held", "inspection", f"查验通过：{note}", actor_org_id=actor.org_id)
        release(session, list_id, checks, actor_org_id=actor.org_id)
        return
    checks["inspection"] = {"ok": False, "info": f"查验不通过：{note}"}
    _give_back(session, inv, checks, reason=f"{inv.invt_no} 查验不通过")
    handle = StoredDocument.from_row(inv)
    _reject(
        session,
        inv,
        handle,
        _Outcome(checks),
        "inspection",
        f"查验不通过：{note}",
        [FieldError("Inventory", "inspection_failed", f"查验不通过：{note}")],
    )


def _give_back(session: Session, inv: Any, checks: dict[str, Any], *, reason: str) -> None:
    """Return what a list took: its annual quota and (1210) its bonded stock."""
    limits = checks.get("limits") or {}
    reserved = Decimal(limits.get("reserved") or "0")
    if reserved > 0 and inv.buyer_id_index:
        quota.release_quota(
            session,
            inv.buyer_id_index,
            int(limits.get("year") or _list_year(inv)),
            reserved,
            reference=reason,
        )
        limits["reserved"] = "0"
        limits["released"] = str(reserved)
    if inv.trade_mode == "1210" and (checks.get("bonded") or {}).get("ok"):
        area = lookups(session).enterprise_id_for(inv.area_code)
        if area is not None:
            bonded.restore_for_return(
                session,
                area,
                inv.line_fields or [],
                owner_code=inv.ebc_code or "",
                reference=reason,
                declaration_id=inv.id,
            )
            checks["bonded"]["restored"] = True


# --- withdrawal (CEB623) and return (CEB625) -------------------------------------------------------


def _target_list(session: Session, request: _Refusable) -> Any | None:
    head = request.doc.head
    return session.execute(
        select(T)
        .where(
            T.c.kind == "inventory",
            T.c.invt_no == head.get("invtNo", ""),
            T.c.ebc_code == head.get("ebcCode", ""),
        )
        .order_by(T.c.id.desc())
        .limit(1)
    ).first()


def _days_since_release(session: Session, inv: Any) -> int:
    released: dt.date = inv.released_at.astimezone(BEIJING).date()
    return (now_for(session).astimezone(BEIJING).date() - released).days


def on_withdrawal(session: Session, request: _Refusable) -> None:
    """CEB623 撤销申请单: withdraw a list (see the module docstring for what each case gets)."""
    inv = _target_list(session, request)
    if inv is None:
        request.refuse(
            "list_not_found", f"未找到清单编号{request.doc.head.get('invtNo', '')}对应的电商企业清单"
        )
        return
    if inv.status in ("withdrawn", "returned", "rejected", "deleted"):
        request.refuse(
            "list_not_withdrawable",
            f"清单{inv.invt_no}状态为{inv.status}，无需或不能撤销",
            declaration_id=inv.id,
        )
        return
    was_released = inv.status == "released"
    if was_released:
        days = _days_since_release(session, inv)
        if days > WITHDRAW_DAYS:
            request.refuse(
                "withdrawal_period_over",
                f"清单{inv.invt_no}已放行{days}日，超过放行后30日内（缴纳税款前）可撤销的期限（海关总署公告2018年第194号）",
                declaration_id=inv.id,
            )
            return
        if (inv.clearance or {}).get("returned"):
            request.refuse(
                "list_partly_returned", f"清单{inv.invt_no}已办理部分退货，不能再撤销", declaration_id=inv.id
            )
            return
    cancel = request.store(related_declaration_id=inv.id, status="closed")
    checks = dict(inv.clearance or {})
    _give_back(session, inv, checks, reason=f"{inv.invt_no} 撤销")
    reason = request.doc.head.get("reason", "")
    now = now_for(session)
    voided = (
        taxbills.void_tax_bill(session, inv.id, reason=f"清单撤销：{reason}", at=now)
        if was_released
        else None
    )
    checks["withdrawal"] = {
        "ok": True,
        "info": f"撤销：{reason}",
        "cancel_id": cancel.id,
        "tax_voided": str(voided) if voided is not None else "0",
    }
    set_status(session, inv.id, "withdrawn", clearance=checks, related_declaration_id=cancel.id)
    docs = _supporting_any(session, inv)
    for doc in docs:
        set_status(session, doc.id, "withdrawn")
    info = f"清单已撤销（{reason}）" + (
        "：税款不予征收，税单作废，年度交易额度已退还" if was_released else "：年度交易额度已退还"
    )
    add_event(
        session,
        inv.id,
        "withdrawn",
        "withdrawal",
        info,
        {"cancel_id": cancel.id},
        actor_org_id=request.sender.org_id,
    )
    issue_receipt(session, cancel, codes.STATUS_CONCLUDED, f"撤销申请审核通过：{info}")
    events.publish(
        session,
        _trade_event(session, "withdrawn", inv, {}, voided or ZERO, extra={"was_released": was_released}),
    )


def _supporting_any(session: Session, inv: Any) -> list[Any]:
    """The order/payment/waybill that belong to a list (released with it, or still open)."""
    rows = session.execute(
        select(T.c.id, T.c.kind).where(
            or_(
                and_(T.c.kind.in_(("order", "payment", "waybill")), T.c.related_declaration_id == inv.id),
                and_(
                    T.c.kind.in_(("order", "payment")),
                    T.c.order_no == inv.order_no,
                    T.c.ebp_code == inv.ebp_code,
                    T.c.status.in_(OPEN_SUPPORT),
                ),
                and_(
                    T.c.kind == "waybill",
                    T.c.logistics_no == inv.logistics_no,
                    T.c.logistics_code == inv.logistics_code,
                    T.c.status.in_(OPEN_SUPPORT),
                ),
            )
        )
    ).all()
    return list(rows)


def on_return(session: Session, request: _Refusable) -> None:
    """CEB625 退货申请单: return some or all goods of a released list within the period."""
    inv = _target_list(session, request)
    if inv is None:
        request.refuse(
            "list_not_found", f"未找到清单编号{request.doc.head.get('invtNo', '')}对应的电商企业清单"
        )
        return
    if inv.status != "released":
        request.refuse(
            "list_not_released",
            f"清单{inv.invt_no}状态为{inv.status}，只有已放行的清单可以退货",
            declaration_id=inv.id,
        )
        return
    released_on = inv.released_at.astimezone(BEIJING).date()
    applied_on = now_for(session).astimezone(BEIJING).date()
    ok, why = limit_rules.return_within_period(released_on, applied_on)
    if not ok:
        request.refuse("return_period_over", why, declaration_id=inv.id)
        return
    checks = dict(inv.clearance or {})
    returned_before: dict[str, str] = dict((checks.get("returned") or {}).get("quantities") or {})
    originals = {str(line.get("gnum")): line for line in inv.line_fields or []}
    problems: list[FieldError] = []
    wanted: dict[str, Decimal] = {}
    for n, line in enumerate(request.doc.lines, start=1):
        gnum = str(line.get("gnum", ""))
        qty = decimal_or_none(line.get("qty")) or ZERO
        original = originals.get(gnum)
        if original is None:
            problems.append(
                FieldError(f"InvtRefundList[{n}].gnum", "line_not_in_list", f"原清单没有第{gnum}项商品")
            )
            continue
        if original.get("gcode") != line.get("gcode"):
            problems.append(
                FieldError(
                    f"InvtRefundList[{n}].gcode",
                    "gcode_differs",
                    f"第{gnum}项商品编码{line.get('gcode')}与原清单{original.get('gcode')}不一致",
                )
            )
        left = (
            (decimal_or_none(original.get("qty")) or ZERO)
            - Decimal(returned_before.get(gnum, "0"))
            - wanted.get(gnum, ZERO)
        )
        if qty <= 0 or qty > left:
            problems.append(
                FieldError(
                    f"InvtRefundList[{n}].qty",
                    "return_qty_exceeds",
                    f"第{gnum}项退货数量{qty}超过可退数量{left}",
                )
            )
            continue
        wanted[gnum] = wanted.get(gnum, ZERO) + qty
    if problems:
        request.refuse(
            "return_lines_invalid",
            "；".join(p.message for p in problems),
            declaration_id=inv.id,
            field_name=problems[0].field,
        )
        return
    refund = request.store(related_declaration_id=inv.id, status="closed")
    goods_total = _goods_value(inv)
    returned_value = ZERO
    trade_lines: list[events.TradeLine] = []
    bonded_lines: list[dict[str, str]] = []
    fractions: dict[str, Decimal] = {}
    for gnum, qty in wanted.items():
        original = originals[gnum]
        orig_qty = decimal_or_none(original.get("qty")) or ZERO
        fraction = qty / orig_qty if orig_qty else ZERO
        fractions[gnum] = fraction
        value = round_cent((decimal_or_none(original.get("totalPrice")) or ZERO) * fraction)
        returned_value += value
        trade_lines.append(
            events.TradeLine(original.get("gcode", ""), original.get("itemNo", ""), qty, value, value)
        )
        bonded_lines.append({"gnum": gnum, "itemNo": original.get("itemNo", ""), "qty": str(qty)})
        returned_before[gnum] = str(Decimal(returned_before.get(gnum, "0")) + qty)
    # the quota given back: the returned goods' share of what the list took
    limits = checks.get("limits") or {}
    reserved = Decimal(limits.get("reserved") or "0")
    give_back = round_cent(reserved * returned_value / goods_total) if goods_total else ZERO
    everything = all(
        Decimal(returned_before.get(g, "0")) >= (decimal_or_none(line.get("qty")) or ZERO)
        for g, line in originals.items()
    )
    if everything:
        give_back = reserved
    if give_back > 0 and inv.buyer_id_index:
        quota.release_quota(
            session,
            inv.buyer_id_index,
            int(limits.get("year") or _list_year(inv)),
            give_back,
            reference=f"{inv.invt_no} 退货",
        )
        limits["reserved"] = str(reserved - give_back)
    if inv.trade_mode == "1210" and (checks.get("bonded") or {}).get("ok"):
        area = lookups(session).enterprise_id_for(inv.area_code)
        if area is not None:
            bonded.restore_for_return(
                session,
                area,
                bonded_lines,
                owner_code=inv.ebc_code or "",
                reference=f"{inv.invt_no} 退货",
                declaration_id=inv.id,
            )
    now = now_for(session)
    tax_off = taxbills.reduce_tax_bill(
        session,
        inv.id,
        fractions,
        everything=everything,
        reason=f"退货：{request.doc.head.get('reason', '')}",
        at=now,
    )
    checks["returned"] = {
        "ok": True,
        "quantities": returned_before,
        "value": str(returned_value),
        "quota_released": str(give_back),
        "tax_not_levied": str(tax_off),
        "refund_id": refund.id,
    }
    status = "returned" if everything else "released"
    set_status(session, inv.id, status, clearance=checks)
    info = (
        f"退货{'（全部）' if everything else '（部分）'}：退货商品价值{returned_value}元，"
        f"不予征收税款{tax_off}元，退还年度交易额度{give_back}元（{why}）"
    )
    add_event(
        session, inv.id, status, "return", info, {"refund_id": refund.id}, actor_org_id=request.sender.org_id
    )
    issue_receipt(session, refund, codes.STATUS_CONCLUDED, f"退货申请审核通过：{info}")
    events.publish(
        session,
        _trade_event(
            session, "returned", inv, {}, tax_off, lines=trade_lines, extra={"complete": everything}
        ),
    )
