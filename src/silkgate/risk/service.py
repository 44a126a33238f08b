"""The risk rules engine (rules as versioned data, evaluated per declaration and in scans over
history), the hits and alerts it produces, and the alert workflow that feeds credit.

Every look-up of a person uses the SM3 blind indexes stored with the declaration (buyer_id_index,
phone_index, address_index): no rule decrypts personal data.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    event,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Executable

from silkgate.auth.principal import Principal
from silkgate.credit import service as credit_service
from silkgate.db import is_read_only
from silkgate.declarations.service import LIST_HOURS, pending_list_hours
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
    """The zone's current rule versions; the shipped catalogue is installed as version 1 once.

    Two first lists of a zone may arrive together on PostgreSQL: the catalogue goes in with
    INSERT ... ON CONFLICT DO NOTHING, so the second writer finds the first one's rows instead of
    failing on the unique (zone, code, version).
    """
    current = list(
        session.scalars(select(RiskRule).where(RiskRule.zone_code == zone_code, RiskRule.current.is_(True)))
    )
    have = {r.code for r in current}
    missing = [spec for spec in R.CATALOGUE if spec.code not in have]
    if not missing:
        return sorted(current, key=lambda r: r.code)
    known = set(
        session.scalars(
            select(RiskRule.code).where(
                RiskRule.zone_code == zone_code, RiskRule.code.in_([spec.code for spec in missing])
            )
        )
    )
    missing = [spec for spec in missing if spec.code not in known]  # retired on purpose: stays so
    if not missing:
        return sorted(current, key=lambda r: r.code)
    rows = [
        {
            "zone_code": zone_code,
            "code": spec.code,
            "version": 1,
            "current": True,
            "enabled": True,
            "name": spec.name,
            "category": spec.category,
            "severity": spec.severity,
            "thresholds": dict(spec.defaults),
            "change_note": "系统内置规则初始版本",
            "created_at": now_utc(),
        }
        for spec in missing
    ]
    if is_read_only(session):
        # shown as the shipped defaults; installed by the next write of the zone
        current += [RiskRule(**row) for row in rows]
        return sorted(current, key=lambda r: r.code)
    insert_ = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert_(RiskRule).values(rows).on_conflict_do_nothing(index_elements=["zone_code", "code", "version"])
    )
    return sorted(
        session.scalars(
            select(RiskRule)
            .where(RiskRule.zone_code == zone_code, RiskRule.current.is_(True))
            .execution_options(populate_existing=True)
        ),
        key=lambda r: r.code,
    )


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
#
# Evaluation runs on the ingest path for every decided list, so it is a handful of pre-built Core
# statements executed with bind parameters on the session's connection (no ORM objects, no
# autoflush of the pipeline's buffered writes):
#   1. the list, whether it was evaluated, its lines and their filed reference prices;
#   2. every figure the rules decide on (distinct buyers per phone, the buyer's orders in the
#      window, the enterprise's rejections...), each a scalar subquery: one round trip;
#   3. PRICE_OUTLIER's median, one per distinct HS code and currency of the list;
#   4. the evaluation record.
# Every history look-up is an index range scan bounded by its key and window (see the composite
# indexes on `declarations` and `declaration_lines`), so a list's cost does not grow with the
# history kept. Evidence is looked up, and the ORM used, only when a rule fires (rare).

T = cast(Table, Declaration.__table__)
LINES = cast(Table, DeclarationLine.__table__)
EVALUATIONS = cast(Table, RiskEvaluation.__table__)
COMMODITIES = cast(Table, Commodity.__table__)
ROLES = cast(Table, EnterpriseRole.__table__)
SAFETY = cast(Table, ProductSafetyAlert.__table__)
H = T.alias("h")  # history: other declarations the figures count
P = T.alias("p")  # the payment of the evaluated list's order
BY_ID = COMMODITIES.alias("by_id")  # a line's filed commodity, by its commodity id
BY_ITEM = COMMODITIES.alias("by_item")  # else by the seller's item number
# PRICE_OUTLIER compares with the median of at most this many recent same-HS, same-currency prices.
PRICE_SAMPLES = 500


@dataclass
class Finding:
    subject_key: str
    summary: str
    evidence: dict[str, Any]
    enterprise_id: int | None


class ListFacts(NamedTuple):
    """The columns of the list under evaluation the rules read (blind indexes, no personal data)."""

    id: int
    zone_code: str | None
    direction: str
    kind: str
    business_no: str
    ebp_code: str | None
    ebc_code: str | None
    ebp_enterprise_id: int | None
    ebc_enterprise_id: int | None
    order_no: str | None
    buyer_id_index: str | None
    phone_index: str | None
    address_index: str | None
    value_cny: Decimal | None
    goods_value: Decimal | None


@dataclass(frozen=True)
class Reference:
    """A filed commodity's reference price (UNDERVALUED / OVER_INVOICED)."""

    unit_price: Decimal
    currency: str


class LineFacts(NamedTuple):
    """The columns of a goods line the rules read, with its filed commodity's reference price."""

    g_num: int
    item_no: str | None
    item_name: str | None
    g_name: str | None
    hs_code: str | None
    price: Decimal | None
    total_price: Decimal | None
    currency: str | None
    commodity_id: int | None
    reference: Reference | None


@dataclass
class Evaluation:
    """One list under evaluation: its facts and lines, the figures the rules decide on, the clock."""

    session: Session
    conn: Connection
    decl: ListFacts
    lines: list[LineFacts]
    figures: dict[str, Any]
    now: dt.datetime

    def since(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def run(self, statement: Executable, **params: Any) -> Any:
        """Execute a pre-built Core statement (its Result)."""
        return self.conn.execute(statement, params)


Check = Callable[[Evaluation, dict[str, Any]], list[Finding]]


def _since(days: int) -> dt.datetime:
    return now_utc() - dt.timedelta(days=days)


def _const(value: str) -> ColumnElement[Any]:
    """A code constant written into the statement's SQL: a bound parameter costs its processing at
    every execution (the figures statement would carry dozens)."""
    assert value == "" or value.isidentifier()
    return literal_column(f"'{value}'")


def _in_constants(column: ColumnElement[Any], values: tuple[str, ...]) -> ColumnElement[bool]:
    """`column IN (...)` of code constants written into the statement's SQL, so that it compiles
    once (an IN of bound values is expanded again at every execution)."""
    return column.in_([_const(v) for v in values])


def _import_lists(table: Any = T) -> ColumnElement[bool]:
    """The zone's import lists that reached customs (`zone_code` bound at execution)."""
    return and_(
        table.c.zone_code == bindparam("zone_code"),
        table.c.direction == _const("import"),
        table.c.kind == _const("inventory"),
        _in_constants(table.c.status, LIVE_STATUSES),
    )


def _value_cny(table: Any = T) -> ColumnElement[Any]:
    """The list's value in CNY: set at the decision; before it, the declared goods value (CNY lists)."""
    return func.coalesce(table.c.value_cny, table.c.goods_value)


def _current_value(decl: ListFacts, lines: list[LineFacts]) -> Decimal:
    """The list being decided: its value is set only at the decision, so add up its goods lines."""
    value = decl.value_cny if decl.value_cny is not None else decl.goods_value
    if value is not None:
        return value
    return sum((ln.total_price or Decimal("0") for ln in lines), Decimal("0"))


def _short(index: str) -> str:
    """A blind index shortened for display; still not reversible to the person."""
    return index[:12]


# 1. The list, whether it was evaluated, and one row per goods line (none: one row of NULLs) with
#    its filed commodity: by the line's commodity id, else by the seller's item number.
_SELECT_LIST = (
    select(
        *(T.c[name] for name in ListFacts._fields),
        EVALUATIONS.c.hit_count,
        *(LINES.c[name] for name in LineFacts._fields if name != "reference"),
        BY_ID.c.unit_price.label("by_id_price"),
        BY_ID.c.currency.label("by_id_currency"),
        BY_ITEM.c.unit_price.label("by_item_price"),
        BY_ITEM.c.currency.label("by_item_currency"),
    )
    .select_from(
        T.outerjoin(EVALUATIONS, EVALUATIONS.c.declaration_id == T.c.id)
        .outerjoin(LINES, LINES.c.declaration_id == T.c.id)
        .outerjoin(BY_ID, BY_ID.c.id == LINES.c.commodity_id)
        .outerjoin(
            BY_ITEM,
            and_(
                LINES.c.commodity_id.is_(None),
                LINES.c.item_no != _const(""),
                BY_ITEM.c.enterprise_id == T.c.ebc_enterprise_id,
                BY_ITEM.c.item_no == LINES.c.item_no,
            ),
        )
    )
    .where(T.c.id == bindparam("declaration_id"))
    .order_by(LINES.c.g_num)
)
_SELECT_EVALUATED = select(EVALUATIONS.c.hit_count).where(
    EVALUATIONS.c.declaration_id == bindparam("declaration_id")
)
_INSERT_EVALUATION = insert(EVALUATIONS)
_FACTS = len(ListFacts._fields)
_LINE_FIELDS = len(LineFacts._fields) - 1


def _line_of(row: Any) -> LineFacts | None:
    """A goods line of a `_SELECT_LIST` row (None: the list has no lines)."""
    values = row[_FACTS + 1 : _FACTS + 1 + _LINE_FIELDS]
    if values[0] is None:
        return None
    reference = None
    if row.by_id_price is not None:
        reference = Reference(row.by_id_price, row.by_id_currency)
    elif row.by_item_price is not None:
        reference = Reference(row.by_item_price, row.by_item_currency)
    return LineFacts._make((*values, reference))


# 2. The figures. Each rule's window is its own bound `since_<CODE>`; the list's columns are bound
#    by name (zone_code, declaration_id, phone_index, buyer_id_index, order_no...).


def _window(code: str) -> Any:
    return bindparam(f"since_{code}", type_=T.c.created_at.type)


def _count_distinct(column: ColumnElement[Any], *where: ColumnElement[bool]) -> Any:
    return select(func.count(func.distinct(column))).where(*where).scalar_subquery()


# The payer on the payment of the list's order (its blind index).
_PAYER = (
    select(P.c.buyer_id_index)
    .where(
        P.c.kind == _const("payment"),
        P.c.direction == _const("import"),
        P.c.order_no == bindparam("order_no"),
        P.c.ebp_code.is_not_distinct_from(bindparam("ebp_code")),
    )
    .limit(1)
    .scalar_subquery()
)
_OF_BUYER = H.c.buyer_id_index == bindparam("buyer_id_index")
_NOT_THIS_LIST = H.c.id != bindparam("declaration_id")
_OF_ENTERPRISE = H.c.ebc_enterprise_id == bindparam("ebc_enterprise_id")
_FIGURES: dict[str, Any] = {
    # BRUSH_SHARED_PHONE / _ADDRESS: distinct buyers per phone / address.
    "phone_buyers": _count_distinct(
        H.c.buyer_id_index,
        _import_lists(H),
        H.c.phone_index == bindparam("phone_index"),
        H.c.created_at >= _window("BRUSH_SHARED_PHONE"),
    ),
    "address_buyers": _count_distinct(
        H.c.buyer_id_index,
        _import_lists(H),
        H.c.address_index == bindparam("address_index"),
        H.c.created_at >= _window("BRUSH_SHARED_ADDRESS"),
    ),
    # BRUSH_SHARED_PAYER / PAYER_NOT_BUYER: the payer, and the orders it paid in the window.
    "payer": _PAYER,
    "payer_orders": _count_distinct(
        func.nullif(H.c.order_no, _const("")),
        H.c.buyer_id_index == _PAYER,
        H.c.kind == _const("payment"),
        H.c.direction == _const("import"),
        H.c.created_at >= _window("BRUSH_SHARED_PAYER"),
    ),
    # ORDER_SPLIT: the buyer's other lists with the same seller (the rows only when enough).
    "split_orders": select(func.count(H.c.id))
    .where(
        _import_lists(H),
        _OF_BUYER,
        H.c.ebc_code == bindparam("ebc_code"),
        _NOT_THIS_LIST,
        H.c.created_at >= _window("ORDER_SPLIT"),
    )
    .scalar_subquery(),
    # UNCONNECTED_CHANNEL: the platform is filed as one.
    "platform": exists().where(
        ROLES.c.enterprise_id == bindparam("ebp_enterprise_id"), ROLES.c.role == _const("platform")
    ),
    # ROUND_TRIP: the seller exported anything in the window (the goods only when it did).
    "exported": exists().where(
        _OF_ENTERPRISE,
        H.c.direction == _const("export"),
        H.c.kind == _const("inventory"),
        H.c.created_at >= _window("ROUND_TRIP"),
    ),
    # PRODUCT_SAFETY: the zone's active alerts (read only when there are any).
    "safety_alerts": select(func.count(SAFETY.c.id))
    .where(
        SAFETY.c.zone_code == bindparam("zone_code"),
        SAFETY.c.active_from <= bindparam("today"),
        or_(SAFETY.c.active_until.is_(None), SAFETY.c.active_until >= bindparam("today")),
    )
    .scalar_subquery(),
}
# Figures read together from one scan, each group a one-row derived table.
_GROUPS = (
    # BRUSH_SHARED_ID: the buyer's distinct phones and addresses.
    select(
        func.count(func.distinct(H.c.phone_index)).label("buyer_phones"),
        func.count(func.distinct(H.c.address_index)).label("buyer_addresses"),
    )
    .where(_import_lists(H), _OF_BUYER, H.c.created_at >= _window("BRUSH_SHARED_ID"))
    .subquery("buyer_contacts"),
    # QUOTA_DRAIN: the buyer's other lists and their value.
    select(
        func.count(H.c.id).label("quota_orders"),
        func.coalesce(func.sum(_value_cny(H)), literal_column("0")).label("quota_total"),
    )
    .where(_import_lists(H), _OF_BUYER, _NOT_THIS_LIST, H.c.created_at >= _window("QUOTA_DRAIN"))
    .subquery("buyer_orders"),
    # REPEAT_VIOLATIONS: the seller's rejected lists (few: ix_declarations_ebc_status_kind_created);
    # all of its lists come from the hourly counts (`_seller_lists`).
    select(func.count(H.c.id).label("repeat_rejected"))
    .where(
        _OF_ENTERPRISE,
        H.c.status == _const("rejected"),
        H.c.kind == _const("inventory"),
        H.c.created_at >= _window("REPEAT_VIOLATIONS"),
        H.c.zone_code == bindparam("zone_code"),
    )
    .subquery("seller_rejected"),
)
_SELECT_FIGURES = select(
    *(figure.label(name) for name, figure in _FIGURES.items()), *(c for group in _GROUPS for c in group.c)
).select_from(_GROUPS[0].join(_GROUPS[1], true()).join(_GROUPS[2], true()))
# The rules whose window the figures bind (a rule not enabled binds `now`: an empty range).
_WINDOWED = (
    "BRUSH_SHARED_PHONE",
    "BRUSH_SHARED_ADDRESS",
    "BRUSH_SHARED_ID",
    "BRUSH_SHARED_PAYER",
    "QUOTA_DRAIN",
    "ORDER_SPLIT",
    "ROUND_TRIP",
    "REPEAT_VIOLATIONS",
)


def _window_of(thresholds: dict[str, Any]) -> dt.timedelta:
    if "window_hours" in thresholds:
        return dt.timedelta(hours=R.param_int(thresholds, "window_hours"))
    return dt.timedelta(days=R.param_int(thresholds, "window_days"))


def _figures(
    session: Session, conn: Connection, decl: ListFacts, rules: list[RuleView], now: dt.datetime
) -> dict[str, Any]:
    params: dict[str, Any] = {f"since_{code}": now for code in _WINDOWED}
    for view in rules:
        if view.code in _WINDOWED:
            params[f"since_{view.code}"] = now - _window_of(view.thresholds)
    params.update(
        declaration_id=decl.id,
        zone_code=decl.zone_code,
        phone_index=decl.phone_index,
        address_index=decl.address_index,
        buyer_id_index=decl.buyer_id_index,
        order_no=decl.order_no,
        ebp_code=decl.ebp_code,
        ebc_code=decl.ebc_code,
        ebp_enterprise_id=decl.ebp_enterprise_id,
        ebc_enterprise_id=decl.ebc_enterprise_id,
        today=credit_service.beijing_today(),
    )
    figures = dict(conn.execute(_SELECT_FIGURES, params).one()._mapping)
    since = params["since_REPEAT_VIOLATIONS"]
    figures["repeat_lists"] = (
        _seller_lists(session, conn, decl.zone_code, decl.ebc_enterprise_id, since)
        if since < now and decl.zone_code and decl.ebc_enterprise_id is not None
        else 0
    )
    return figures


_LISTS_BETWEEN = select(func.count(H.c.id)).where(
    _OF_ENTERPRISE,
    H.c.kind == _const("inventory"),
    H.c.created_at >= bindparam("since"),
    H.c.created_at < bindparam("until"),
    H.c.zone_code == bindparam("zone_code"),
)
_LISTS_FROM_HOUR = select(func.coalesce(func.sum(LIST_HOURS.c.lists), 0)).where(
    LIST_HOURS.c.zone_code == bindparam("zone_code"),
    LIST_HOURS.c.enterprise_id == bindparam("ebc_enterprise_id"),
    LIST_HOURS.c.hour >= bindparam("hour"),
)


def _seller_lists(
    session: Session, conn: Connection, zone_code: str, enterprise_id: int, since: dt.datetime
) -> int:
    """The enterprise's inventory lists in the zone created at or after `since`, exactly, at a cost
    bounded by one hour of its lists: the partial first hour counted from the index, every whole
    hour after it from the hourly counts kept at storing (plus this transaction's, not yet written)."""
    hour = -(-int(since.timestamp()) // 3600)  # the first whole hour at or after `since`
    boundary = dt.datetime.fromtimestamp(hour * 3600, dt.UTC)
    params = {"zone_code": zone_code, "ebc_enterprise_id": enterprise_id}
    partial = conn.execute(_LISTS_BETWEEN, {**params, "since": since, "until": boundary}).scalar_one()
    whole = conn.execute(_LISTS_FROM_HOUR, {**params, "hour": hour}).scalar_one()
    pending = sum(n for h, n in pending_list_hours(session, zone_code, enterprise_id).items() if h >= hour)
    return int(partial) + int(whole) + pending


# Evidence, read only when a rule fires.


def _lists_sharing_statement(column: ColumnElement[Any]) -> Select[Any]:
    return (
        select(T.c.business_no)
        .where(_import_lists(), column == bindparam("value"), T.c.created_at >= bindparam("since"))
        .order_by(T.c.id.desc())
        .limit(20)
    )


_LISTS_BY_PHONE = _lists_sharing_statement(T.c.phone_index)
_LISTS_BY_ADDRESS = _lists_sharing_statement(T.c.address_index)


def check_shared_phone(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not decl.phone_index:
        return []
    n = int(ev.figures["phone_buyers"] or 0)
    if n < R.param_int(t, "max_buyers"):
        return []
    lists = ev.run(
        _LISTS_BY_PHONE,
        zone_code=decl.zone_code,
        value=decl.phone_index,
        since=ev.since(R.param_int(t, "window_days")),
    )
    return [
        Finding(
            f"phone:{decl.phone_index}",
            f"同一手机号（索引{_short(decl.phone_index)}）近{t['window_days']}天关联{n}名购买人",
            {
                "phone_index": _short(decl.phone_index),
                "distinct_buyers": n,
                "threshold": t["max_buyers"],
                "lists": list(lists.scalars()),
            },
            decl.ebc_enterprise_id,
        )
    ]


def check_shared_address(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not decl.address_index:
        return []
    n = int(ev.figures["address_buyers"] or 0)
    if n < R.param_int(t, "max_buyers"):
        return []
    lists = ev.run(
        _LISTS_BY_ADDRESS,
        zone_code=decl.zone_code,
        value=decl.address_index,
        since=ev.since(R.param_int(t, "window_days")),
    )
    return [
        Finding(
            f"address:{decl.address_index}",
            f"同一收货地址（索引{_short(decl.address_index)}）近{t['window_days']}天关联{n}名购买人",
            {
                "address_index": _short(decl.address_index),
                "distinct_buyers": n,
                "threshold": t["max_buyers"],
                "lists": list(lists.scalars()),
            },
            decl.ebc_enterprise_id,
        )
    ]


def check_shared_id(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not decl.buyer_id_index:
        return []
    phones, addresses = ev.figures["buyer_phones"], ev.figures["buyer_addresses"]
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


def _payer_of(ev: Evaluation) -> str | None:
    """The payer's blind index on the payment of the list's order."""
    return cast(str | None, ev.figures["payer"]) if ev.decl.order_no else None


_ORDERS_OF_PAYER = select(T.c.order_no, T.c.ebp_code).where(
    T.c.buyer_id_index == bindparam("payer"),
    T.c.kind == "payment",
    T.c.direction == "import",
    T.c.created_at >= bindparam("since"),
)
# The lists of those orders, found by order number (ix_declarations_kind_order_no); zone, status and
# platform are checked on the few rows found, so the planner cannot prefer a scan of the zone's lists.
_LISTS_OF_ORDERS = select(T.c.buyer_id_index, T.c.zone_code, T.c.direction, T.c.status, T.c.ebp_code).where(
    T.c.kind == "inventory", T.c.order_no.in_(bindparam("order_nos", expanding=True))
)


def check_shared_payer(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    payer = _payer_of(ev)
    if not payer or int(ev.figures["payer_orders"] or 0) < R.param_int(t, "max_buyers"):
        return []
    since = ev.since(R.param_int(t, "window_days"))
    # Two indexed look-ups (payments by payer index, then lists by order number), not a join.
    orders = [(o, e) for o, e in ev.run(_ORDERS_OF_PAYER, payer=payer, since=since)]
    order_nos = {o for o, _ in orders if o}
    if len(order_nos) < R.param_int(t, "max_buyers"):
        return []
    ebps = {e for _, e in orders if e is not None}
    buyers = {
        buyer
        for buyer, zone_code, direction, status, ebp_code in ev.run(
            _LISTS_OF_ORDERS, order_nos=sorted(order_nos)
        )
        if buyer is not None
        and zone_code == decl.zone_code
        and direction == "import"
        and status in LIVE_STATUSES
        and ebp_code in ebps
    }
    n = len(buyers)
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


_PAYMENT = T.alias("payment")
_PAYER_SHARE = (
    select(
        func.count(T.c.id),
        func.count(T.c.id).filter(_PAYMENT.c.buyer_id_index != T.c.buyer_id_index),
    )
    .select_from(
        T.join(_PAYMENT, and_(_PAYMENT.c.order_no == T.c.order_no, _PAYMENT.c.ebp_code == T.c.ebp_code))
    )
    .where(
        _import_lists(),
        _PAYMENT.c.kind == "payment",
        T.c.ebc_enterprise_id == bindparam("enterprise_id"),
        T.c.created_at >= bindparam("since"),
    )
)


def check_payer_not_buyer(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    payer = _payer_of(ev)
    if not payer or not decl.buyer_id_index or decl.ebc_enterprise_id is None:
        return []
    if payer == decl.buyer_id_index:
        return []
    total, differing = ev.run(
        _PAYER_SHARE,
        zone_code=decl.zone_code,
        enterprise_id=decl.ebc_enterprise_id,
        since=ev.since(R.param_int(t, "window_days")),
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


def check_quota_drain(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not decl.buyer_id_index:
        return []
    count = int(ev.figures["quota_orders"] or 0) + 1
    total_cny = Decimal(str(ev.figures["quota_total"] or 0)) + _current_value(decl, ev.lines)
    if not R.drains_quota(count, total_cny, R.param_int(t, "min_orders"), R.param_decimal(t, "quota_share")):
        return []
    return [
        Finding(
            f"buyer:{decl.buyer_id_index}",
            f"同一购买人（索引{_short(decl.buyer_id_index)}）近{t['window_days']}天{count}单合计{total_cny:.2f}元",
            {"buyer_index": _short(decl.buyer_id_index), "orders": count, "total_cny": f"{total_cny:.2f}"},
            decl.ebc_enterprise_id,
        )
    ]


_BUYER_ORDERS_WITH_SELLER = (
    select(T.c.business_no, _value_cny())
    .where(
        _import_lists(),
        T.c.buyer_id_index == bindparam("buyer"),
        T.c.ebc_code == bindparam("ebc_code"),
        T.c.id != bindparam("declaration_id"),
        T.c.created_at >= bindparam("since"),
    )
    .order_by(T.c.id)
)


def check_order_split(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not decl.buyer_id_index or decl.ebc_code is None:
        return []
    min_orders = R.param_int(t, "min_orders")
    if int(ev.figures["split_orders"] or 0) + 1 < min_orders:
        return []  # fewer orders than the pattern needs: no need for their values
    rows: list[tuple[str, Any]] = [
        (b, v)
        for b, v in ev.run(
            _BUYER_ORDERS_WITH_SELLER,
            zone_code=decl.zone_code,
            buyer=decl.buyer_id_index,
            ebc_code=decl.ebc_code,
            declaration_id=decl.id,
            since=ev.now - dt.timedelta(hours=R.param_int(t, "window_hours")),
        )
    ]
    rows.append((decl.business_no, _current_value(decl, ev.lines)))
    values = [Decimal(str(v or 0)) for _, v in rows]
    if not R.split_pattern(values, min_orders):
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


def _references(ev: Evaluation) -> dict[int, Reference]:
    """The filed commodity of each line (by its commodity id, else the seller's item number)."""
    found: dict[int, Reference] = {}
    for ln in ev.lines:  # by commodity id first, as they take precedence
        if ln.commodity_id and ln.reference is not None:
            found[ln.g_num] = ln.reference
    if ev.decl.ebc_enterprise_id is not None:
        for ln in ev.lines:
            if not ln.commodity_id and ln.item_no and ln.reference is not None:
                found[ln.g_num] = ln.reference
    return found


def _mispriced(ev: Evaluation, test: Callable[[Decimal, Decimal], bool], word: str) -> list[Finding]:
    decl = ev.decl
    refs = _references(ev)
    if not refs:
        return []
    bad = []
    for ln in ev.lines:
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


def check_undervalued(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    ratio = R.param_decimal(t, "min_ratio")
    return _mispriced(ev, lambda p, ref: R.is_undervalued(p, ref, ratio), "明显低于")


def check_over_invoiced(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    ratio = R.param_decimal(t, "max_ratio")
    return _mispriced(ev, lambda p, ref: R.is_over_invoiced(p, ref, ratio), "明显高于")


def _price_reference_statement(*, null_currency: bool) -> Select[Any]:
    """The median of the positive prices among the last PRICE_SAMPLES same-HS, same-currency lines
    of the zone's lists of that direction in the window, worked out by the database: a backward walk
    of ix_declaration_lines_hs_currency_decl_price that stops after PRICE_SAMPLES lines, answering
    the one or two middle positive prices (ascending) with the number of samples (non-null prices)
    and of positive prices. No window functions: they cost more than the walk itself on SQLite."""
    currency = LINES.c.currency.is_(None) if null_currency else LINES.c.currency == bindparam("currency")
    recent = (
        select(LINES.c.price.label("price"))
        .select_from(LINES.join(T, T.c.id == LINES.c.declaration_id))
        .where(
            LINES.c.hs_code == bindparam("hs_code"),
            currency,
            T.c.zone_code == bindparam("zone_code"),
            T.c.direction == bindparam("direction"),
            T.c.kind == _const("inventory"),
            T.c.id != bindparam("declaration_id"),
            T.c.created_at >= bindparam("since"),
        )
        .order_by(LINES.c.declaration_id.desc())
        .limit(PRICE_SAMPLES)
        .cte("recent")
    )
    usable = select(func.count()).select_from(recent).where(recent.c.price > 0).scalar_subquery()
    samples = select(func.count(recent.c.price)).select_from(recent).scalar_subquery()
    return (
        select(recent.c.price, samples.label("samples"), usable.label("usable"))
        .where(recent.c.price > 0)
        .order_by(recent.c.price)
        .limit(2)
        .offset((usable - 1) // 2)
    )


_PRICE_REFERENCE = _price_reference_statement(null_currency=False)
_PRICE_REFERENCE_NO_CURRENCY = _price_reference_statement(null_currency=True)

# On SQLite a list's row is wide (its JSON head, lines and checks spill onto overflow pages), so
# reading its created_at for every walked line costs more than the rest of the walk; the
# statement there reads zone, direction, kind and created_at from a covering index keyed by id.
# SQLite always looks a row up by rowid when it can, so the index is named (INDEXED BY); until a
# database has it, the portable statement above runs.
SQLITE_PRICE_INDEX = "ix_declarations_id_zone_direction_kind_created"
_SQLITE_PRICE_INDEX_KEY = "silkgate.risk.sqlite_price_index"
_SQLITE_PRICE_REFERENCE = (
    text(
        f"""
WITH recent AS (
    SELECT l.price AS price
    FROM declaration_lines AS l
    JOIN declarations AS d INDEXED BY {SQLITE_PRICE_INDEX} ON d.id = l.declaration_id
    WHERE l.hs_code = :hs_code AND l.currency IS :currency
      AND d.zone_code = :zone_code AND d.direction = :direction AND d.kind = 'inventory'
      AND d.id != :declaration_id AND d.created_at >= :since
    ORDER BY l.declaration_id DESC
    LIMIT {PRICE_SAMPLES}
)
SELECT price,
       (SELECT count(price) FROM recent) AS samples,
       (SELECT count(*) FROM recent WHERE price > 0) AS usable
FROM recent
WHERE price > 0
ORDER BY price
LIMIT 2 OFFSET ((SELECT count(*) FROM recent WHERE price > 0) - 1) / 2
"""
    )
    .bindparams(bindparam("since", type_=T.c.created_at.type))
    .columns(price=LINES.c.price.type, samples=Integer(), usable=Integer())
)


def _price_reference_for(conn: Connection, *, null_currency: bool) -> Executable:
    if conn.dialect.name == "sqlite":
        hinted = conn.info.get(_SQLITE_PRICE_INDEX_KEY)
        if hinted is None:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (SQLITE_PRICE_INDEX,)
            ).first()
            hinted = conn.info[_SQLITE_PRICE_INDEX_KEY] = found is not None
        if hinted:
            return _SQLITE_PRICE_REFERENCE
    return _PRICE_REFERENCE_NO_CURRENCY if null_currency else _PRICE_REFERENCE


@dataclass(frozen=True)
class PriceReference:
    median: Decimal | None
    usable: int  # positive prices among the samples
    samples: int  # non-null prices among the last PRICE_SAMPLES lines


def _price_reference(
    ev: Evaluation, hs_code: str, currency: str | None, since: dt.datetime
) -> PriceReference:
    rows = ev.run(
        _price_reference_for(ev.conn, null_currency=currency is None),
        hs_code=hs_code,
        currency=currency,
        zone_code=ev.decl.zone_code,
        direction=ev.decl.direction,
        declaration_id=ev.decl.id,
        since=since,
    ).all()
    if not rows:
        return PriceReference(None, 0, 0)
    usable = int(rows[0].usable)
    # The median of the positive samples: the middle one, or the mean of the middle two.
    middle = [Decimal(str(r.price)) for r in rows[: 2 - usable % 2]]
    return PriceReference(Decimal(str(statistics.median(middle))), usable, int(rows[0].samples))


def check_price_outlier(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    bad = []
    since = ev.since(R.param_int(t, "window_days"))
    factor, min_samples = R.param_decimal(t, "factor"), R.param_int(t, "min_samples")
    references: dict[tuple[str, str | None], PriceReference] = {}
    for ln in ev.lines:
        if not ln.hs_code or ln.price is None:
            continue
        key = (ln.hs_code, ln.currency)
        if key not in references:
            references[key] = _price_reference(ev, ln.hs_code, ln.currency, since)
        ref = references[key]
        direction = R.outlier_against_median(ln.price, ref.median, ref.usable, factor, min_samples)
        if direction:
            bad.append(
                {
                    "g_num": ln.g_num,
                    "hs_code": ln.hs_code,
                    "price": str(ln.price),
                    "direction": direction,
                    "samples": ref.samples,
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


def check_unconnected_channel(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if decl.ebp_enterprise_id is not None and ev.figures["platform"]:
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


def _exports_of(enterprise: ColumnElement[Any]) -> ColumnElement[bool]:
    return and_(
        T.c.ebc_enterprise_id == enterprise,
        T.c.direction == "export",
        T.c.kind == "inventory",
        T.c.created_at >= bindparam("since"),
    )


_EXPORTED_ITEM = (
    select(T.c.business_no)
    .select_from(T.join(LINES, LINES.c.declaration_id == T.c.id))
    .where(
        _exports_of(bindparam("enterprise_id")),
        LINES.c.item_no == bindparam("item_no"),
        LINES.c.hs_code == bindparam("hs_code"),
    )
    .limit(1)
)


def check_round_trip(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if decl.ebc_enterprise_id is None:
        return []
    keys = {(ln.item_no, ln.hs_code) for ln in ev.lines if ln.item_no and ln.hs_code}
    if not keys:
        return []
    if not ev.figures["exported"]:
        return []  # the seller exported nothing in the window (most importers export nothing)
    since = ev.since(R.param_int(t, "window_days"))
    matches = []
    for item_no, hs in sorted(keys):
        exported = ev.run(
            _EXPORTED_ITEM, enterprise_id=decl.ebc_enterprise_id, since=since, item_no=item_no, hs_code=hs
        ).scalar()
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


def check_repeat_violations(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    if ev.decl.ebc_enterprise_id is None:
        return []
    total, rejected = int(ev.figures["repeat_lists"] or 0), int(ev.figures["repeat_rejected"] or 0)
    return _repeat_violations(ev.decl.ebc_enterprise_id, total, rejected, t)


_LISTS_AND_REJECTED = select(func.count(T.c.id), func.count(T.c.id).filter(T.c.status == "rejected")).where(
    T.c.ebc_enterprise_id == bindparam("enterprise_id"),
    T.c.kind == "inventory",
    T.c.created_at >= bindparam("since"),
    T.c.zone_code == bindparam("zone_code"),
)


def _repeat_violations_of(
    conn: Connection, zone_code: str | None, enterprise_id: int, t: dict[str, Any], now: dt.datetime
) -> list[Finding]:
    total, rejected = conn.execute(
        _LISTS_AND_REJECTED,
        {
            "enterprise_id": enterprise_id,
            "zone_code": zone_code,
            "since": now - dt.timedelta(days=R.param_int(t, "window_days")),
        },
    ).one()
    return _repeat_violations(enterprise_id, int(total or 0), int(rejected or 0), t)


def _repeat_violations(enterprise_id: int, total: int, rejected: int, t: dict[str, Any]) -> list[Finding]:
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


_ACTIVE_SAFETY_ALERTS = (
    select(SAFETY.c.title, SAFETY.c.hs_prefix, SAFETY.c.keyword, SAFETY.c.notice_no)
    .where(
        SAFETY.c.zone_code == bindparam("zone_code"),
        SAFETY.c.active_from <= bindparam("today"),
        or_(SAFETY.c.active_until.is_(None), SAFETY.c.active_until >= bindparam("today")),
    )
    .order_by(SAFETY.c.id)
)


def check_product_safety(ev: Evaluation, t: dict[str, Any]) -> list[Finding]:
    decl = ev.decl
    if not ev.figures["safety_alerts"]:
        return []
    alerts = ev.run(
        _ACTIVE_SAFETY_ALERTS, zone_code=decl.zone_code, today=credit_service.beijing_today()
    ).all()
    found = []
    for ln in ev.lines:
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


@dataclass(frozen=True)
class RuleView:
    """An enabled declaration rule as evaluation needs it (plain data, read once per session)."""

    id: int
    code: str
    directions: tuple[str, ...]
    thresholds: dict[str, Any]
    check: Check


def _rules_for(session: Session, zone_code: str) -> list[RuleView]:
    """The zone's enabled declaration rules, read once per session (an edit in the session clears it)."""
    cache: dict[str, list[RuleView]] = session.info.setdefault(_RULES_CACHE, {})
    if zone_code not in cache:
        views = []
        for rule in ensure_rules(session, zone_code):
            spec = R.CATALOGUE_BY_CODE.get(rule.code)
            check = DECLARATION_CHECKS.get(rule.code)
            if rule.enabled and spec is not None and check is not None:
                views.append(RuleView(rule.id, rule.code, spec.directions, dict(rule.thresholds), check))
        cache[zone_code] = views
    return cache[zone_code]


def evaluate_declaration(session: Session, declaration: Declaration) -> list[RiskHit]:
    """Run every enabled declaration rule of the zone on one inventory list; record hits and
    raise or extend alerts. Idempotent: a list already evaluated returns its recorded hits."""
    if declaration.kind != "inventory" or not declaration.zone_code:
        return []
    if session.is_modified(declaration):
        session.flush()  # the rules read the list as stored
    return evaluate_declaration_id(session, declaration.id)


def evaluate_declaration_id(session: Session, declaration_id: int) -> list[RiskHit]:
    """`evaluate_declaration` for the list with this id (what clearance's decision and the
    decided-list subscriber call on the ingest path)."""
    conn = session.connection()
    rows = conn.execute(_SELECT_LIST, {"declaration_id": declaration_id}).all()
    if not rows:
        return []
    facts = ListFacts(*rows[0][:_FACTS])
    if facts.kind != "inventory" or not facts.zone_code:
        return []
    if rows[0].hit_count is not None:
        return _recorded_hits(session, declaration_id, rows[0].hit_count)
    lines = [line for line in map(_line_of, rows) if line is not None]
    return _evaluate(session, conn, facts, lines)


# The lists this session evaluated in its current transaction: the decided-list subscriber skips
# them without a query (forgotten at commit, and at any rollback, savepoints included).
_EVALUATED_KEY = "silkgate.risk.evaluated_in_transaction"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_evaluated(session: Session) -> None:
    session.info.pop(_EVALUATED_KEY, None)


def ensure_evaluated(session: Session, declaration_id: int) -> None:
    """Evaluate the list unless it already was (no query when this transaction evaluated it, else
    one primary-key look-up)."""
    if declaration_id in session.info.get(_EVALUATED_KEY, ()):
        return
    conn = session.connection()
    if conn.execute(_SELECT_EVALUATED, {"declaration_id": declaration_id}).first() is None:
        evaluate_declaration_id(session, declaration_id)


def _recorded_hits(session: Session, declaration_id: int, hit_count: int) -> list[RiskHit]:
    if not hit_count:
        return []
    return list(
        session.scalars(select(RiskHit).where(RiskHit.declaration_id == declaration_id).order_by(RiskHit.id))
    )


def _evaluate(session: Session, conn: Connection, facts: ListFacts, lines: list[LineFacts]) -> list[RiskHit]:
    assert facts.zone_code is not None
    # The rules only read: no flush of the pipeline's buffered writes before a look-up.
    with session.no_autoflush:
        rules = [v for v in _rules_for(session, facts.zone_code) if facts.direction in v.directions]
    now = now_utc()
    ev = Evaluation(
        session, conn, facts, lines, _figures(session, conn, facts, rules, now) if rules else {}, now
    )
    findings: list[tuple[RuleView, Finding]] = []
    for view in rules:
        findings.extend((view, f) for f in view.check(ev, view.thresholds))
    hits: list[RiskHit] = []
    for view, finding in findings:
        rule = session.get(RiskRule, view.id)
        assert rule is not None
        hits.append(_record_hit(session, rule, finding, facts.id, "declaration"))
    conn.execute(
        _INSERT_EVALUATION,
        {
            "declaration_id": facts.id,
            "zone_code": facts.zone_code,
            "rule_ids": [view.id for view in rules],
            "hit_count": len(hits),
            "at": now_utc(),
        },
    )
    session.info.setdefault(_EVALUATED_KEY, set()).add(facts.id)
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
    rules_by_code = {r.code: r for r in ensure_rules(session, zone_code) if r.enabled}
    q = (
        select(Declaration.id)
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
    for declaration_id in list(session.scalars(q.order_by(Declaration.id))):
        for hit in evaluate_declaration_id(session, declaration_id):
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
            for finding in _repeat_violations_of(
                session.connection(), zone_code, int(ent_id), rule.thresholds, now_utc()
            ):
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
