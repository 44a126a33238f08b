"""The risk rules engine (rules as versioned data, evaluated per declaration and in scans over
history), the hits and alerts it produces, and the alert workflow that feeds credit.

Every look-up of a person uses the SM3 blind indexes stored with the declaration (buyer_id_index,
phone_index, address_index): no rule decrypts personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from silkgate.auth.principal import Principal
from silkgate.credit import service as credit_service
from silkgate.exceptions import FieldError, Forbidden, InvalidState, NotFound, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.kit.crypto import sm3_hex
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.export import ExportList, FxCollection
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Commodity, Enterprise, EnterpriseRole
from silkgate.models.risk import (
    AlertAttachment,
    AlertNote,
    ProductSafetyAlert,
    RiskAlert,
    RiskEvaluation,
    RiskHit,
    RiskRule,
)
from silkgate.risk import rules as R

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Statuses in which a list counts as declared (for the pattern rules): every list that reached
# customs, rejected ones included (a refused fake list is still evidence of the pattern).
LIVE_STATUSES = (
    "declared",
    "waiting",
    "matched",
    "released",
    "rejected",
    "held",
    "departed",
    "closed",
    "withdrawn",
    "returned",
)


# ---------------------------------------------------------------- rules as data


def ensure_rules(session: Session, zone_code: str) -> list[RiskRule]:
    """The zone's current rule versions; the shipped catalogue is installed as version 1 once."""
    current = list(
        session.scalars(select(RiskRule).where(RiskRule.zone_code == zone_code, RiskRule.current.is_(True)))
    )
    have = {r.code for r in current}
    added = False
    for spec in R.CATALOGUE:
        if spec.code in have:
            continue
        exists = session.scalar(
            select(RiskRule.id).where(RiskRule.zone_code == zone_code, RiskRule.code == spec.code)
        )
        if exists:
            continue
        rule = RiskRule(
            zone_code=zone_code,
            code=spec.code,
            version=1,
            current=True,
            enabled=True,
            name=spec.name,
            category=spec.category,
            severity=spec.severity,
            thresholds=dict(spec.defaults),
            change_note="系统内置规则初始版本",
        )
        session.add(rule)
        current.append(rule)
        added = True
    if added:
        session.flush()
    return sorted(current, key=lambda r: r.code)


def edit_rule(
    session: Session,
    principal: Principal,
    code: str,
    *,
    enabled: bool,
    thresholds: dict[str, Any],
    severity: str | None = None,
    note: str = "",
) -> RiskRule:
    """Editing creates the next version; the previous version stays for the hits that cite it."""
    principal.require_zone_office()
    assert principal.zone_code is not None
    spec = R.CATALOGUE_BY_CODE.get(code)
    if spec is None:
        raise NotFound(f"规则{code}不存在")
    ensure_rules(session, principal.zone_code)
    current = session.scalar(
        select(RiskRule).where(
            RiskRule.zone_code == principal.zone_code, RiskRule.code == code, RiskRule.current.is_(True)
        )
    )
    assert current is not None
    clean, problems = R.validate_thresholds(spec, thresholds)
    errors = [FieldError(f, c, m) for f, c, m in problems]
    severity = severity or current.severity
    if severity not in R.SEVERITIES:
        errors.append(FieldError("severity", "unknown_severity", "风险等级应为 low/medium/high/critical"))
    if not note.strip():
        errors.append(FieldError("note", "required", "请说明修改原因"))
    if errors:
        raise ValidationFailed(errors)
    current.current = False
    session.info.pop(_RULES_CACHE, None)
    rule = RiskRule(
        zone_code=current.zone_code,
        code=code,
        version=current.version + 1,
        current=True,
        enabled=enabled,
        name=current.name,
        category=current.category,
        severity=severity,
        thresholds=clean,
        change_note=note.strip(),
        created_by_user_id=principal.user_id,
    )
    session.add(rule)
    session.flush()
    return rule


def rule_versions(session: Session, zone_code: str, code: str) -> list[RiskRule]:
    return list(
        session.scalars(
            select(RiskRule)
            .where(RiskRule.zone_code == zone_code, RiskRule.code == code)
            .order_by(RiskRule.version.desc())
        )
    )


# ---------------------------------------------------------------- evaluation


@dataclass
class Finding:
    subject_key: str
    summary: str
    evidence: dict[str, Any]
    enterprise_id: int | None


Check = Callable[[Session, Declaration, list[DeclarationLine], dict[str, Any]], list[Finding]]


def _since(days: int) -> dt.datetime:
    return now_utc() - dt.timedelta(days=days)


def _import_lists(zone_code: str | None) -> Any:
    return and_(
        Declaration.zone_code == zone_code,
        Declaration.direction == "import",
        Declaration.kind == "inventory",
        Declaration.status.in_(LIVE_STATUSES),
    )


def _value_cny() -> Any:
    """The list's value in CNY: set at the decision; before it, the declared goods value (CNY lists)."""
    return func.coalesce(Declaration.value_cny, Declaration.goods_value)


def _current_value(decl: Declaration, lines: list[DeclarationLine]) -> Decimal:
    """The list being decided: its value is set only at the decision, so add up its goods lines."""
    value = decl.value_cny if decl.value_cny is not None else decl.goods_value
    if value is not None:
        return value
    return sum((ln.total_price or Decimal("0") for ln in lines), Decimal("0"))


def _short(index: str) -> str:
    """A blind index shortened for display; still not reversible to the person."""
    return index[:12]


def _distinct_buyers_by(session: Session, decl: Declaration, column: Any, value: str, days: int) -> int:
    return int(
        session.scalar(
            select(func.count(func.distinct(Declaration.buyer_id_index))).where(
                _import_lists(decl.zone_code),
                column == value,
                Declaration.created_at >= _since(days),
            )
        )
        or 0
    )


def _lists_sharing(session: Session, decl: Declaration, column: Any, value: str, days: int) -> list[str]:
    """The list numbers behind a brushing finding (looked up only when the rule fires)."""
    return list(
        session.scalars(
            select(Declaration.business_no)
            .where(_import_lists(decl.zone_code), column == value, Declaration.created_at >= _since(days))
            .order_by(Declaration.id.desc())
            .limit(20)
        )
    )


def check_shared_phone(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if not decl.phone_index:
        return []
    n = _distinct_buyers_by(
        session, decl, Declaration.phone_index, decl.phone_index, R.param_int(t, "window_days")
    )
    if n < R.param_int(t, "max_buyers"):
        return []
    return [
        Finding(
            f"phone:{decl.phone_index}",
            f"同一手机号（索引{_short(decl.phone_index)}）近{t['window_days']}天关联{n}名购买人",
            {
                "phone_index": _short(decl.phone_index),
                "distinct_buyers": n,
                "threshold": t["max_buyers"],
                "lists": _lists_sharing(
                    session, decl, Declaration.phone_index, decl.phone_index, R.param_int(t, "window_days")
                ),
            },
            decl.ebc_enterprise_id,
        )
    ]


def check_shared_address(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if not decl.address_index:
        return []
    n = _distinct_buyers_by(
        session, decl, Declaration.address_index, decl.address_index, R.param_int(t, "window_days")
    )
    if n < R.param_int(t, "max_buyers"):
        return []
    return [
        Finding(
            f"address:{decl.address_index}",
            f"同一收货地址（索引{_short(decl.address_index)}）近{t['window_days']}天关联{n}名购买人",
            {
                "address_index": _short(decl.address_index),
                "distinct_buyers": n,
                "threshold": t["max_buyers"],
                "lists": _lists_sharing(
                    session,
                    decl,
                    Declaration.address_index,
                    decl.address_index,
                    R.param_int(t, "window_days"),
                ),
            },
            decl.ebc_enterprise_id,
        )
    ]


def check_shared_id(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if not decl.buyer_id_index:
        return []
    phones, addresses = session.execute(
        select(
            func.count(func.distinct(Declaration.phone_index)),
            func.count(func.distinct(Declaration.address_index)),
        ).where(
            _import_lists(decl.zone_code),
            Declaration.buyer_id_index == decl.buyer_id_index,
            Declaration.created_at >= _since(R.param_int(t, "window_days")),
        )
    ).one()
    worst = max(int(phones or 0), int(addresses or 0))
    if worst < R.param_int(t, "max_contacts"):
        return []
    return [
        Finding(
            f"buyer:{decl.buyer_id_index}",
            f"同一购买人证件（索引{_short(decl.buyer_id_index)}）近{t['window_days']}天使用{phones}个手机号、"
            f"{addresses}个收货地址",
            {"buyer_index": _short(decl.buyer_id_index), "phones": phones, "addresses": addresses},
            decl.ebc_enterprise_id,
        )
    ]


def _payment_of(session: Session, decl: Declaration) -> Declaration | None:
    """The payment of the list's order (looked up once per evaluation)."""
    cache: dict[int, Declaration | None] = session.info.setdefault("risk_payment_of", {})
    if decl.id in cache:
        return cache[decl.id]
    cache.clear()
    cache[decl.id] = _find_payment(session, decl)
    return cache[decl.id]


def _find_payment(session: Session, decl: Declaration) -> Declaration | None:
    if not decl.order_no:
        return None
    return session.scalar(
        select(Declaration)
        .where(
            Declaration.kind == "payment",
            Declaration.direction == "import",
            Declaration.order_no == decl.order_no,
            Declaration.ebp_code == decl.ebp_code,
        )
        .limit(1)
    )


def check_shared_payer(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    payment = _payment_of(session, decl)
    if payment is None or not payment.buyer_id_index:
        return []
    payer = payment.buyer_id_index
    since = _since(R.param_int(t, "window_days"))
    # Two indexed look-ups (payments by payer index, then lists by order number), not a join.
    orders = list(
        session.execute(
            select(Declaration.order_no, Declaration.ebp_code).where(
                Declaration.buyer_id_index == payer,
                Declaration.kind == "payment",
                Declaration.direction == "import",
                Declaration.created_at >= since,
            )
        ).tuples()
    )
    order_nos = {o for o, _ in orders if o}
    if len(order_nos) < R.param_int(t, "max_buyers"):
        return []
    ebps = {e for _, e in orders}
    n = int(
        session.scalar(
            select(func.count(func.distinct(Declaration.buyer_id_index))).where(
                Declaration.kind == "inventory",
                Declaration.order_no.in_(order_nos),
                Declaration.ebp_code.in_(ebps),
                _import_lists(decl.zone_code),
            )
        )
        or 0
    )
    if n < R.param_int(t, "max_buyers"):
        return []
    return [
        Finding(
            f"payer:{payer}",
            f"同一支付人（索引{_short(payer)}）近{t['window_days']}天为{n}名购买人付款",
            {
                "payer_index": _short(payer),
                "distinct_buyers": n,
                "threshold": t["max_buyers"],
                "orders": sorted(order_nos)[:20],
            },
            decl.ebc_enterprise_id,
        )
    ]


def check_payer_not_buyer(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    payment = _payment_of(session, decl)
    if (
        payment is None
        or not payment.buyer_id_index
        or not decl.buyer_id_index
        or decl.ebc_enterprise_id is None
    ):
        return []
    if payment.buyer_id_index == decl.buyer_id_index:
        return []
    pay = aliased(Declaration)
    total, differing = session.execute(
        select(
            func.count(Declaration.id),
            func.count(Declaration.id).filter(pay.buyer_id_index != Declaration.buyer_id_index),
        )
        .join(pay, and_(pay.order_no == Declaration.order_no, pay.ebp_code == Declaration.ebp_code))
        .where(
            _import_lists(decl.zone_code),
            pay.kind == "payment",
            Declaration.ebc_enterprise_id == decl.ebc_enterprise_id,
            Declaration.created_at >= _since(R.param_int(t, "window_days")),
        )
    ).one()
    total, differing = int(total or 0), int(differing or 0)
    if not R.share_at_least(differing, total, R.param_decimal(t, "min_share"), R.param_int(t, "min_orders")):
        return []
    return [
        Finding(
            f"enterprise:{decl.ebc_enterprise_id}",
            f"电商企业近{t['window_days']}天{total}单中{differing}单支付人与购买人不一致",
            {"orders": total, "payer_not_buyer": differing, "min_share": t["min_share"]},
            decl.ebc_enterprise_id,
        )
    ]


def check_quota_drain(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if not decl.buyer_id_index:
        return []
    count, total = session.execute(
        select(func.count(Declaration.id), func.coalesce(func.sum(_value_cny()), 0)).where(
            _import_lists(decl.zone_code),
            Declaration.buyer_id_index == decl.buyer_id_index,
            Declaration.id != decl.id,
            Declaration.created_at >= _since(R.param_int(t, "window_days")),
        )
    ).one()
    count = int(count or 0) + 1
    total_cny = Decimal(str(total or 0)) + _current_value(decl, lines)
    if not R.drains_quota(
        int(count or 0), total_cny, R.param_int(t, "min_orders"), R.param_decimal(t, "quota_share")
    ):
        return []
    return [
        Finding(
            f"buyer:{decl.buyer_id_index}",
            f"同一购买人（索引{_short(decl.buyer_id_index)}）近{t['window_days']}天{count}单合计{total_cny:.2f}元",
            {"buyer_index": _short(decl.buyer_id_index), "orders": count, "total_cny": f"{total_cny:.2f}"},
            decl.ebc_enterprise_id,
        )
    ]


def check_order_split(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if not decl.buyer_id_index or decl.ebc_code is None:
        return []
    since = now_utc() - dt.timedelta(hours=R.param_int(t, "window_hours"))
    rows: list[tuple[str, Any]] = list(
        session.execute(
            select(Declaration.business_no, _value_cny()).where(
                _import_lists(decl.zone_code),
                Declaration.buyer_id_index == decl.buyer_id_index,
                Declaration.ebc_code == decl.ebc_code,
                Declaration.id != decl.id,
                Declaration.created_at >= since,
            )
        ).tuples()
    )
    rows.append((decl.business_no, _current_value(decl, lines)))
    values = [Decimal(str(v or 0)) for _, v in rows]
    if not R.split_pattern(values, R.param_int(t, "min_orders")):
        return []
    return [
        Finding(
            f"buyer:{decl.buyer_id_index}:ebc:{decl.ebc_code}",
            f"同一购买人{t['window_hours']}小时内向同一电商企业下{len(values)}单，每单低于5000元、合计"
            f"{sum(values, Decimal('0')):.2f}元",
            {"lists": [b for b, _ in rows][:20], "total_cny": f"{sum(values, Decimal('0')):.2f}"},
            decl.ebc_enterprise_id,
        )
    ]


def _references(session: Session, decl: Declaration, lines: list[DeclarationLine]) -> dict[int, Commodity]:
    """The filed commodity of each line (by its commodity id, else the seller's item number)."""
    by_id = {ln.commodity_id for ln in lines if ln.commodity_id}
    by_item = {ln.item_no for ln in lines if not ln.commodity_id and ln.item_no}
    found: dict[int, Commodity] = {}
    if by_id:
        for c in session.scalars(select(Commodity).where(Commodity.id.in_(by_id))):
            for ln in lines:
                if ln.commodity_id == c.id:
                    found[ln.g_num] = c
    if by_item and decl.ebc_enterprise_id is not None:
        for c in session.scalars(
            select(Commodity).where(
                Commodity.enterprise_id == decl.ebc_enterprise_id, Commodity.item_no.in_(by_item)
            )
        ):
            for ln in lines:
                if not ln.commodity_id and ln.item_no == c.item_no:
                    found[ln.g_num] = c
    return found


def _mispriced(
    session: Session,
    decl: Declaration,
    lines: list[DeclarationLine],
    test: Callable[[Decimal, Decimal], bool],
    word: str,
) -> list[Finding]:
    refs = _references(session, decl, lines)
    bad = []
    for ln in lines:
        ref = refs.get(ln.g_num)
        if ref is None or ln.price is None or (ln.currency and ln.currency != ref.currency):
            continue
        if test(ln.price, ref.unit_price):
            bad.append(
                {
                    "g_num": ln.g_num,
                    "item_no": ln.item_no,
                    "price": str(ln.price),
                    "reference": str(ref.unit_price),
                }
            )
    if not bad:
        return []
    return [
        Finding(
            f"enterprise:{decl.ebc_enterprise_id}",
            f"清单{decl.business_no}有{len(bad)}项商品{word}备案参考价",
            {"declaration": decl.business_no, "lines": bad},
            decl.ebc_enterprise_id,
        )
    ]


def check_undervalued(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    ratio = R.param_decimal(t, "min_ratio")
    return _mispriced(session, decl, lines, lambda p, ref: R.is_undervalued(p, ref, ratio), "明显低于")


def check_over_invoiced(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    ratio = R.param_decimal(t, "max_ratio")
    return _mispriced(session, decl, lines, lambda p, ref: R.is_over_invoiced(p, ref, ratio), "明显高于")


def check_price_outlier(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    bad = []
    since = _since(R.param_int(t, "window_days"))
    for ln in lines:
        if not ln.hs_code or ln.price is None:
            continue
        samples = [
            Decimal(str(p))
            for p in session.scalars(
                select(DeclarationLine.price)
                .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                .where(
                    Declaration.zone_code == decl.zone_code,
                    Declaration.direction == decl.direction,
                    Declaration.kind == "inventory",
                    Declaration.id != decl.id,
                    Declaration.created_at >= since,
                    DeclarationLine.hs_code == ln.hs_code,
                    DeclarationLine.currency == ln.currency,
                )
                .order_by(Declaration.id.desc())
                .limit(500)
            )
            if p is not None
        ]
        direction = R.outlier_direction(
            ln.price, samples, R.param_decimal(t, "factor"), R.param_int(t, "min_samples")
        )
        if direction:
            bad.append(
                {
                    "g_num": ln.g_num,
                    "hs_code": ln.hs_code,
                    "price": str(ln.price),
                    "direction": direction,
                    "samples": len(samples),
                }
            )
    if not bad:
        return []
    return [
        Finding(
            f"enterprise:{decl.ebc_enterprise_id}",
            f"清单{decl.business_no}有{len(bad)}项商品价格偏离同类商品中位数{t['factor']}倍以上",
            {"declaration": decl.business_no, "lines": bad},
            decl.ebc_enterprise_id,
        )
    ]


def check_unconnected_channel(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if decl.ebp_enterprise_id is not None:
        is_platform = session.scalar(
            select(EnterpriseRole.id).where(
                EnterpriseRole.enterprise_id == decl.ebp_enterprise_id, EnterpriseRole.role == "platform"
            )
        )
        if is_platform:
            return []
    code = decl.ebp_code or "（空）"
    return [
        Finding(
            f"ebp:{code}",
            f"电商平台代码{code}不是本区已备案的电商平台",
            {"ebp_code": code, "declaration": decl.business_no},
            decl.ebc_enterprise_id,
        )
    ]


def check_round_trip(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if decl.ebc_enterprise_id is None:
        return []
    keys = {(ln.item_no, ln.hs_code) for ln in lines if ln.item_no and ln.hs_code}
    if not keys:
        return []
    since = _since(R.param_int(t, "window_days"))
    matches = []
    for item_no, hs in sorted(keys):
        exported = session.scalar(
            select(Declaration.business_no)
            .join(DeclarationLine, DeclarationLine.declaration_id == Declaration.id)
            .where(
                Declaration.direction == "export",
                Declaration.kind == "inventory",
                Declaration.ebc_enterprise_id == decl.ebc_enterprise_id,
                Declaration.created_at >= since,
                DeclarationLine.item_no == item_no,
                DeclarationLine.hs_code == hs,
            )
            .limit(1)
        )
        if exported:
            matches.append({"item_no": item_no, "hs_code": hs, "export_list": exported})
    if not matches:
        return []
    return [
        Finding(
            f"enterprise:{decl.ebc_enterprise_id}",
            f"清单{decl.business_no}进口的{len(matches)}种商品近{t['window_days']}天曾由同一企业出口",
            {"declaration": decl.business_no, "matches": matches},
            decl.ebc_enterprise_id,
        )
    ]


def check_repeat_violations(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    if decl.ebc_enterprise_id is None:
        return []
    return _repeat_violations_of(session, decl.zone_code, decl.ebc_enterprise_id, t)


def _repeat_violations_of(
    session: Session, zone_code: str | None, enterprise_id: int, t: dict[str, Any]
) -> list[Finding]:
    total, rejected = session.execute(
        select(
            func.count(Declaration.id), func.count(Declaration.id).filter(Declaration.status == "rejected")
        ).where(
            Declaration.zone_code == zone_code,
            Declaration.kind == "inventory",
            Declaration.ebc_enterprise_id == enterprise_id,
            Declaration.created_at >= _since(R.param_int(t, "window_days")),
        )
    ).one()
    total, rejected = int(total or 0), int(rejected or 0)
    if rejected < R.param_int(t, "min_rejected") or not R.share_at_least(
        rejected, total, R.param_decimal(t, "min_share"), 1
    ):
        return []
    return [
        Finding(
            f"enterprise:{enterprise_id}",
            f"近{t['window_days']}天{total}票清单中被退单{rejected}票",
            {"lists": total, "rejected": rejected},
            enterprise_id,
        )
    ]


def active_safety_alerts(session: Session, zone_code: str | None, today: dt.date) -> list[ProductSafetyAlert]:
    return list(
        session.scalars(
            select(ProductSafetyAlert).where(
                ProductSafetyAlert.zone_code == zone_code,
                ProductSafetyAlert.active_from <= today,
                (ProductSafetyAlert.active_until.is_(None)) | (ProductSafetyAlert.active_until >= today),
            )
        )
    )


def check_product_safety(
    session: Session, decl: Declaration, lines: list[DeclarationLine], t: dict[str, Any]
) -> list[Finding]:
    alerts = active_safety_alerts(session, decl.zone_code, credit_service.beijing_today())
    if not alerts:
        return []
    found = []
    for ln in lines:
        text = f"{ln.item_name or ''} {ln.g_name or ''}"
        for a in alerts:
            by_hs = bool(a.hs_prefix) and (ln.hs_code or "").startswith(a.hs_prefix or "")
            by_word = bool(a.keyword) and (a.keyword or "") in text
            if by_hs or by_word:
                found.append(
                    {"g_num": ln.g_num, "hs_code": ln.hs_code, "alert": a.title, "notice_no": a.notice_no}
                )
    if not found:
        return []
    return [
        Finding(
            f"enterprise:{decl.ebc_enterprise_id}",
            f"清单{decl.business_no}有{len(found)}项商品命中产品质量安全预警",
            {"declaration": decl.business_no, "lines": found},
            decl.ebc_enterprise_id,
        )
    ]


DECLARATION_CHECKS: dict[str, Check] = {
    "BRUSH_SHARED_PHONE": check_shared_phone,
    "BRUSH_SHARED_ADDRESS": check_shared_address,
    "BRUSH_SHARED_ID": check_shared_id,
    "BRUSH_SHARED_PAYER": check_shared_payer,
    "QUOTA_DRAIN": check_quota_drain,
    "ORDER_SPLIT": check_order_split,
    "UNDERVALUED": check_undervalued,
    "OVER_INVOICED": check_over_invoiced,
    "PRICE_OUTLIER": check_price_outlier,
    "UNCONNECTED_CHANNEL": check_unconnected_channel,
    "PAYER_NOT_BUYER": check_payer_not_buyer,
    "ROUND_TRIP": check_round_trip,
    "REPEAT_VIOLATIONS": check_repeat_violations,
    "PRODUCT_SAFETY": check_product_safety,
}


_RULES_CACHE = "risk_enabled_rules"


def _rules_for(session: Session, zone_code: str) -> list[RiskRule]:
    """The zone's enabled rules, read once per session (an edit in the session clears it)."""
    cache: dict[str, list[RiskRule]] = session.info.setdefault(_RULES_CACHE, {})
    if zone_code not in cache:
        cache[zone_code] = [r for r in ensure_rules(session, zone_code) if r.enabled]
    return cache[zone_code]


def evaluate_declaration(session: Session, declaration: Declaration) -> list[RiskHit]:
    """Run every enabled declaration rule of the zone on one inventory list; record hits and
    raise or extend alerts. Idempotent: a list already evaluated returns its recorded hits."""
    if declaration.kind != "inventory" or not declaration.zone_code:
        return []
    evaluated: set[int] = session.info.setdefault("risk_evaluated", set())
    # The rules only read: no flush of the pipeline's buffered writes before each look-up.
    if declaration.id in evaluated:
        session.flush()  # rare: evaluated earlier in this session (and maybe rolled back since)
        evaluated.discard(declaration.id)
    with session.no_autoflush:
        if session.get(RiskEvaluation, declaration.id) is not None:
            evaluated.add(declaration.id)
            return list(session.scalars(select(RiskHit).where(RiskHit.declaration_id == declaration.id)))
        lines = list(
            session.scalars(
                select(DeclarationLine)
                .where(DeclarationLine.declaration_id == declaration.id)
                .order_by(DeclarationLine.g_num)
            )
        )
        hits: list[RiskHit] = []
        applied: list[int] = []
        findings: list[tuple[RiskRule, Finding]] = []
        for rule in _rules_for(session, declaration.zone_code):
            spec = R.CATALOGUE_BY_CODE.get(rule.code)
            check = DECLARATION_CHECKS.get(rule.code)
            if spec is None or check is None or declaration.direction not in spec.directions:
                continue
            applied.append(rule.id)
            findings.extend((rule, f) for f in check(session, declaration, lines, rule.thresholds))
    for rule, finding in findings:
        hits.append(_record_hit(session, rule, finding, declaration.id, "declaration"))
    session.add(
        RiskEvaluation(
            declaration_id=declaration.id,
            zone_code=declaration.zone_code,
            rule_ids=applied,
            hit_count=len(hits),
        )
    )
    evaluated.add(declaration.id)
    return hits


def _record_hit(
    session: Session, rule: RiskRule, finding: Finding, declaration_id: int | None, source: str
) -> RiskHit:
    alert = session.scalar(
        select(RiskAlert).where(
            RiskAlert.zone_code == rule.zone_code,
            RiskAlert.rule_code == rule.code,
            RiskAlert.subject_key == finding.subject_key[:120],
            RiskAlert.status != "closed",
        )
    )
    if alert is None:
        alert = RiskAlert(
            zone_code=rule.zone_code,
            rule_code=rule.code,
            rule_version=rule.version,
            category=rule.category,
            severity=rule.severity,
            title=f"{rule.name}：{finding.summary}"[:250],
            subject_key=finding.subject_key[:120],
            enterprise_id=finding.enterprise_id,
            status="new",
            deadline=R.alert_deadline(rule.severity, credit_service.beijing_today()),
            hit_count=0,
        )
        session.add(alert)
        session.flush()
    alert.hit_count += 1
    alert.updated_at = now_utc()
    hit = RiskHit(
        zone_code=rule.zone_code,
        rule_id=rule.id,
        rule_code=rule.code,
        rule_version=rule.version,
        declaration_id=declaration_id,
        enterprise_id=finding.enterprise_id,
        subject_key=finding.subject_key[:120],
        severity=rule.severity,
        summary=finding.summary,
        evidence=finding.evidence,
        source=source,
        alert_id=alert.id,
    )
    session.add(hit)
    session.flush()
    return hit


# ---------------------------------------------------------------- scans over history


def _export_overdue(session: Session, zone_code: str, days: int, *, missing: str) -> dict[int, list[str]]:
    """Export lists released more than `days` ago still missing a departure or a collection."""
    cutoff = _since(days)
    base = select(Declaration.ebc_enterprise_id, Declaration.business_no).where(
        Declaration.zone_code == zone_code,
        Declaration.direction == "export",
        Declaration.kind == "inventory",
        Declaration.released_at.is_not(None),
        Declaration.released_at < cutoff,
        Declaration.ebc_enterprise_id.is_not(None),
    )
    if missing == "departure":
        q = base.where(Declaration.status == "released")
    else:
        # Collected when a CEB403 collection (receipts) or an FX collection the export domain holds
        # (CEB403 or a bank record) names the list or its order.
        receipt = aliased(Declaration)
        q = base.where(
            Declaration.status.in_(("released", "departed", "closed")),
            ~select(receipt.id)
            .where(
                receipt.kind == "receipts",
                receipt.direction == "export",
                receipt.order_no == Declaration.order_no,
                receipt.ebp_code == Declaration.ebp_code,
            )
            .exists(),
            ~select(FxCollection.id)
            .join(ExportList, ExportList.id == FxCollection.list_id)
            .where(ExportList.declaration_id == Declaration.id)
            .exists(),
            ~select(FxCollection.id)
            .where(
                FxCollection.order_no == Declaration.order_no,
                FxCollection.seller_enterprise_id == Declaration.ebc_enterprise_id,
            )
            .exists(),
        )
    out: dict[int, list[str]] = {}
    for ent_id, no in session.execute(q.order_by(Declaration.id)):
        if ent_id is not None:
            out.setdefault(int(ent_id), []).append(no)
    return out


@dataclass
class ScanResult:
    evaluated: int
    hits: int
    by_rule: dict[str, int]


def scan(session: Session, zone_code: str, since: dt.datetime | None = None) -> ScanResult:
    """The scheduled run: evaluate lists not yet evaluated (since `since`), then the history rules
    (export without FX, goods never departed, repeated violations per enterprise)."""
    rules_by_code = {r.code: r for r in _rules_for(session, zone_code)}
    q = (
        select(Declaration)
        .outerjoin(RiskEvaluation, RiskEvaluation.declaration_id == Declaration.id)
        .where(
            Declaration.zone_code == zone_code,
            Declaration.kind == "inventory",
            RiskEvaluation.declaration_id.is_(None),
        )
    )
    if since is not None:
        q = q.where(Declaration.created_at >= since)
    by_rule: dict[str, int] = {}
    evaluated = 0
    for decl in session.scalars(q.order_by(Declaration.id)):
        for hit in evaluate_declaration(session, decl):
            by_rule[hit.rule_code] = by_rule.get(hit.rule_code, 0) + 1
        evaluated += 1
    for code, missing in (("EXPORT_NO_FX", "collection"), ("EXPORT_NOT_DEPARTED", "departure")):
        rule = rules_by_code.get(code)
        if rule is None:
            continue
        overdue = _export_overdue(session, zone_code, R.param_int(rule.thresholds, "days"), missing=missing)
        for ent_id, lists in overdue.items():
            if len(lists) < R.param_int(rule.thresholds, "min_lists"):
                continue
            word = "未收汇" if missing == "collection" else "未离境"
            finding = Finding(
                f"enterprise:{ent_id}",
                f"{len(lists)}票出口清单放行超过{rule.thresholds['days']}天仍{word}",
                {"lists": lists[:50], "count": len(lists)},
                ent_id,
            )
            if _scan_finding_is_new(session, rule, finding):
                _record_hit(session, rule, finding, None, "scan")
                by_rule[code] = by_rule.get(code, 0) + 1
    rule = rules_by_code.get("REPEAT_VIOLATIONS")
    if rule is not None:
        ent_ids = session.scalars(
            select(Declaration.ebc_enterprise_id)
            .where(
                Declaration.zone_code == zone_code,
                Declaration.status == "rejected",
                Declaration.ebc_enterprise_id.is_not(None),
                Declaration.created_at >= _since(R.param_int(rule.thresholds, "window_days")),
            )
            .distinct()
        )
        for ent_id in [e for e in ent_ids if e is not None]:
            for finding in _repeat_violations_of(session, zone_code, int(ent_id), rule.thresholds):
                if _scan_finding_is_new(session, rule, finding):
                    _record_hit(session, rule, finding, None, "scan")
                    by_rule["REPEAT_VIOLATIONS"] = by_rule.get("REPEAT_VIOLATIONS", 0) + 1
    session.flush()
    return ScanResult(evaluated=evaluated, hits=sum(by_rule.values()), by_rule=by_rule)


def _scan_finding_is_new(session: Session, rule: RiskRule, finding: Finding) -> bool:
    """A scan repeats daily: record a hit only when the open alert's evidence has grown."""
    last = session.scalar(
        select(RiskHit.evidence)
        .join(RiskAlert, RiskAlert.id == RiskHit.alert_id)
        .where(
            RiskAlert.zone_code == rule.zone_code,
            RiskAlert.rule_code == rule.code,
            RiskAlert.subject_key == finding.subject_key,
            RiskAlert.status != "closed",
        )
        .order_by(RiskHit.id.desc())
        .limit(1)
    )
    if last is None:
        return True
    key = "count" if "count" in finding.evidence else "rejected"
    return bool(int(finding.evidence.get(key, 0)) > int(last.get(key, 0)))


# ---------------------------------------------------------------- alerts and their handling


def require_handler(principal: Principal) -> None:
    if not (principal.is_zone_office or principal.is_agency):
        raise Forbidden("只有综试办和监管部门可以处理风险预警")


def get_alert(session: Session, principal: Principal, alert_id: int) -> RiskAlert:
    require_handler(principal)
    alert = session.get(RiskAlert, alert_id)
    if alert is None or not principal.sees_zone(alert.zone_code):
        raise NotFound()
    return alert


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    rule_code: str | None = None,
    severity: str | None = None,
    enterprise_id: int | None = None,
    limit: int = 200,
) -> list[RiskAlert]:
    require_handler(principal)
    q = select(RiskAlert).where(RiskAlert.zone_code == principal.zone_code)
    if status:
        q = q.where(RiskAlert.status == status)
    if rule_code:
        q = q.where(RiskAlert.rule_code == rule_code)
    if severity:
        q = q.where(RiskAlert.severity == severity)
    if enterprise_id:
        q = q.where(RiskAlert.enterprise_id == enterprise_id)
    return list(session.scalars(q.order_by(RiskAlert.id.desc()).limit(limit)))


def alert_hits(session: Session, alert_id: int) -> list[RiskHit]:
    return list(
        session.scalars(
            select(RiskHit).where(RiskHit.alert_id == alert_id).order_by(RiskHit.id.desc()).limit(200)
        )
    )


def alert_notes(session: Session, alert_id: int) -> list[AlertNote]:
    return list(
        session.scalars(select(AlertNote).where(AlertNote.alert_id == alert_id).order_by(AlertNote.id))
    )


def alert_attachments(session: Session, alert_id: int) -> list[AlertAttachment]:
    return list(
        session.scalars(
            select(AlertAttachment).where(AlertAttachment.alert_id == alert_id).order_by(AlertAttachment.id)
        )
    )


def assign_alert(session: Session, principal: Principal, alert_id: int, owner_user_id: int) -> RiskAlert:
    alert = get_alert(session, principal, alert_id)
    owner = session.get(User, owner_user_id)
    org = session.get(Organisation, owner.org_id) if owner else None
    if owner is None or org is None or org.zone_code != alert.zone_code or org.kind == "enterprise":
        raise ValidationFailed(
            [FieldError("owner_user_id", "not_a_handler", "负责人须是本区综试办或监管部门的用户")]
        )
    alert.owner_user_id = owner.id
    alert.updated_at = now_utc()
    session.add(
        AlertNote(
            alert_id=alert.id,
            author_org_id=principal.org_id,
            author_user_id=principal.user_id,
            text=f"指定负责人：{owner.display_name}（{org.name}）",
        )
    )
    session.flush()
    return alert


def add_note(session: Session, principal: Principal, alert_id: int, text: str) -> AlertNote:
    alert = get_alert(session, principal, alert_id)
    if not text.strip():
        raise ValidationFailed([FieldError("text", "required", "备注内容不能为空")])
    if len(text) > 4000:
        raise ValidationFailed([FieldError("text", "too_long", "备注最多4000个字符")])
    note = AlertNote(
        alert_id=alert.id, author_org_id=principal.org_id, author_user_id=principal.user_id, text=text.strip()
    )
    session.add(note)
    alert.updated_at = now_utc()
    session.flush()
    return note


def advance_alert(
    session: Session,
    principal: Principal,
    alert_id: int,
    *,
    to_status: str,
    note: str,
    outcome: str | None = None,
    deadline: dt.date | None = None,
) -> RiskAlert:
    """Move an alert one step: new -> assessed -> disposed (with outcome) -> followed_up -> closed.
    A confirmed outcome records a risk case in the enterprise's credit record."""
    alert = get_alert(session, principal, alert_id)
    errors = []
    expected = R.NEXT_STATUS.get(alert.status)
    if expected is None:
        raise InvalidState("预警已关闭")
    if to_status != expected:
        raise InvalidState(
            f"预警当前为“{R.ALERT_STATUSES[alert.status]}”，下一步只能是“{R.ALERT_STATUSES[expected]}”"
        )
    if not note.strip():
        errors.append(FieldError("note", "required", "请填写本环节的处理意见"))
    if to_status == "disposed":
        if outcome not in R.OUTCOMES:
            errors.append(
                FieldError("outcome", "required", "处置时必须选择结论：查实（confirmed）或排除（dismissed）")
            )
    elif outcome is not None:
        errors.append(FieldError("outcome", "not_allowed_here", "只有处置环节可以给出结论"))
    if deadline is not None and deadline < credit_service.beijing_today():
        errors.append(FieldError("deadline", "in_past", "期限不能早于今天"))
    if errors:
        raise ValidationFailed(errors)
    previous = alert.status
    alert.status = to_status
    alert.updated_at = now_utc()
    if deadline is not None:
        alert.deadline = deadline
    if to_status == "disposed":
        alert.outcome = outcome
        alert.disposal = note.strip()
        if outcome == "confirmed" and alert.enterprise_id is not None:
            item = credit_service.record_platform_item(
                session,
                alert.enterprise_id,
                "risk_case_confirmed",
                summary=f"风险预警#{alert.id}查实：{alert.title}",
                detail={
                    "alert_id": alert.id,
                    "rule_code": alert.rule_code,
                    "rule_version": alert.rule_version,
                },
            )
            alert.credit_item_id = item.id
    if to_status == "closed":
        alert.closed_at = now_utc()
    session.add(
        AlertNote(
            alert_id=alert.id,
            author_org_id=principal.org_id,
            author_user_id=principal.user_id,
            from_status=previous,
            to_status=to_status,
            text=note.strip(),
        )
    )
    session.flush()
    return alert


def attach_file(
    session: Session, principal: Principal, alert_id: int, *, filename: str, content_type: str, data: bytes
) -> AlertAttachment:
    alert = get_alert(session, principal, alert_id)
    errors = []
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        errors.append(FieldError("file", "required", "请选择要上传的文件"))
    if len(data) == 0:
        errors.append(FieldError("file", "empty", "文件为空"))
    if len(data) > MAX_ATTACHMENT_BYTES:
        errors.append(
            FieldError("file", "too_large", f"附件不能超过{MAX_ATTACHMENT_BYTES // 1024 // 1024}MB")
        )
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in ATTACHMENT_TYPES:
        errors.append(
            FieldError("file", "type_not_allowed", "只接受 PDF、PNG、JPEG、TXT、CSV、XLSX、DOCX 文件")
        )
    if errors:
        raise ValidationFailed(errors)
    att = AlertAttachment(
        alert_id=alert.id,
        filename=name[:200],
        content_type=ctype,
        size=len(data),
        sm3=sm3_hex(data),
        data=data,
        uploaded_by_user_id=principal.user_id,
    )
    session.add(att)
    alert.updated_at = now_utc()
    session.flush()
    return att


def get_attachment(session: Session, principal: Principal, attachment_id: int) -> AlertAttachment:
    att = session.get(AlertAttachment, attachment_id)
    if att is None:
        raise NotFound()
    get_alert(session, principal, att.alert_id)
    return att


# ---------------------------------------------------------------- product-safety alerts


def publish_safety_alert(
    session: Session,
    principal: Principal,
    *,
    title: str,
    reason: str,
    hs_prefix: str | None,
    keyword: str | None,
    active_from: dt.date,
    active_until: dt.date | None,
    notice_no: str | None,
) -> ProductSafetyAlert:
    principal.require("market_regulation", "customs", "zone_office")
    errors = []
    hs = (hs_prefix or "").strip()
    word = (keyword or "").strip()
    if not title.strip():
        errors.append(FieldError("title", "required", "请填写预警标题"))
    if not reason.strip():
        errors.append(FieldError("reason", "required", "请填写预警原因"))
    if not hs and not word:
        errors.append(FieldError("hs_prefix", "required", "商品编码前缀和品名关键词至少填写一项"))
    if hs and (not hs.isdigit() or not 2 <= len(hs) <= 10):
        errors.append(FieldError("hs_prefix", "invalid", "商品编码前缀应为2到10位数字"))
    if active_until is not None and active_until < active_from:
        errors.append(FieldError("active_until", "before_start", "截止日期不能早于生效日期"))
    if errors:
        raise ValidationFailed(errors)
    assert principal.zone_code is not None
    row = ProductSafetyAlert(
        zone_code=principal.zone_code,
        title=title.strip(),
        reason=reason.strip(),
        hs_prefix=hs or None,
        keyword=word or None,
        active_from=active_from,
        active_until=active_until,
        notice_no=(notice_no or "").strip() or None,
        source_org_id=principal.org_id,
    )
    session.add(row)
    session.flush()
    return row


def safety_alerts(session: Session, zone_code: str) -> list[ProductSafetyAlert]:
    return list(
        session.scalars(
            select(ProductSafetyAlert)
            .where(ProductSafetyAlert.zone_code == zone_code)
            .order_by(ProductSafetyAlert.id.desc())
        )
    )


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class RuleReport:
    code: str
    name: str
    version: int
    enabled: bool
    evaluated: int
    declarations_hit: int
    hits: int
    alerts: int
    confirmed: int
    dismissed: int

    @property
    def hit_rate(self) -> Decimal | None:
        return R.hit_rate(self.declarations_hit, self.evaluated)

    @property
    def confirmed_rate(self) -> Decimal | None:
        return R.confirmed_rate(self.confirmed, self.confirmed + self.dismissed)


def report_by_rule(session: Session, zone_code: str) -> list[RuleReport]:
    rules = ensure_rules(session, zone_code)
    evaluated = int(
        session.scalar(
            select(func.count()).select_from(RiskEvaluation).where(RiskEvaluation.zone_code == zone_code)
        )
        or 0
    )
    hits = {
        code: (int(n), int(d))
        for code, n, d in session.execute(
            select(
                RiskHit.rule_code, func.count(RiskHit.id), func.count(func.distinct(RiskHit.declaration_id))
            )
            .where(RiskHit.zone_code == zone_code)
            .group_by(RiskHit.rule_code)
        )
    }
    alerts: dict[str, dict[str | None, int]] = {}
    for code, outcome, n in session.execute(
        select(RiskAlert.rule_code, RiskAlert.outcome, func.count(RiskAlert.id))
        .where(RiskAlert.zone_code == zone_code)
        .group_by(RiskAlert.rule_code, RiskAlert.outcome)
    ):
        alerts.setdefault(code, {})[outcome] = int(n)
    out = []
    for r in rules:
        a = alerts.get(r.code, {})
        spec = R.CATALOGUE_BY_CODE.get(r.code)
        out.append(
            RuleReport(
                code=r.code,
                name=r.name,
                version=r.version,
                enabled=r.enabled,
                evaluated=evaluated if spec and spec.mode == "declaration" else 0,
                declarations_hit=hits.get(r.code, (0, 0))[1],
                hits=hits.get(r.code, (0, 0))[0],
                alerts=sum(a.values()),
                confirmed=a.get("confirmed", 0),
                dismissed=a.get("dismissed", 0),
            )
        )
    return out


@dataclass(frozen=True)
class EnterpriseReport:
    enterprise_id: int
    name: str
    alerts: int
    open_alerts: int
    confirmed: int
    dismissed: int


def report_by_enterprise(session: Session, zone_code: str) -> list[EnterpriseReport]:
    rows = session.execute(
        select(
            RiskAlert.enterprise_id,
            Enterprise.name,
            func.count(RiskAlert.id),
            func.count(RiskAlert.id).filter(RiskAlert.status != "closed"),
            func.count(RiskAlert.id).filter(RiskAlert.outcome == "confirmed"),
            func.count(RiskAlert.id).filter(RiskAlert.outcome == "dismissed"),
        )
        .join(Enterprise, Enterprise.id == RiskAlert.enterprise_id)
        .where(RiskAlert.zone_code == zone_code)
        .group_by(RiskAlert.enterprise_id, Enterprise.name)
        .order_by(func.count(RiskAlert.id).desc())
    )
    return [
        EnterpriseReport(int(e), n, int(a), int(o), int(c), int(d))
        for e, n, a, o, c, d in rows
        if e is not None
    ]


def report_by_outcome(session: Session, zone_code: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, outcome, n in session.execute(
        select(RiskAlert.status, RiskAlert.outcome, func.count(RiskAlert.id))
        .where(RiskAlert.zone_code == zone_code)
        .group_by(RiskAlert.status, RiskAlert.outcome)
    ):
        counts[f"status:{status}"] = counts.get(f"status:{status}", 0) + int(n)
        key = f"outcome:{outcome or 'pending'}"
        counts[key] = counts.get(key, 0) + int(n)
    overdue = session.scalar(
        select(func.count(RiskAlert.id)).where(
            RiskAlert.zone_code == zone_code,
            RiskAlert.status != "closed",
            RiskAlert.deadline < credit_service.beijing_today(),
        )
    )
    counts["overdue"] = int(overdue or 0)
    return counts
