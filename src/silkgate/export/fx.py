"""FX: the rate table a zone loads, conversion to CNY, payment collections matched to released lists,
per-seller outstanding / collected totals and the netting (轧差) of overseas costs with its audit trail.

`rate_to_cny` is shared with the statistics (trade_stats/fx.py calls it).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.exceptions import FieldError, NotFound, ValidationFailed
from silkgate.export.rules import CollectionStatus, collection_status
from silkgate.export.sql import query
from silkgate.kit import codelists
from silkgate.kit.money import round_cent
from silkgate.models.export import (
    NETTING_KINDS,
    ExchangeRate,
    ExportAuditEvent,
    ExportList,
    ExportReturn,
    FxCollection,
    NettingEntry,
)

CNY = "142"
ZERO = Decimal("0")
COLLECTIONS = cast(Table, FxCollection.__table__)
# Pre-built statements of the per-message path, each an index look-up: export_fx_collections
# (list_id) / (seller_enterprise_id, order_no); export_lists (ebp_code, order_no).
_HAS_COLLECTION = select(COLLECTIONS.c.id).where(COLLECTIONS.c.list_id == bindparam("list_id")).limit(1)
# `list_id + 0`: the unmatched test must not use the list_id index (every unmatched collection of
# the history shares list_id NULL); the (seller_enterprise_id, order_no) index finds the order's.
_UNMATCHED = (FxCollection.list_id + 0).is_(None)
_OPEN_OF_SELLER = select(FxCollection).where(
    FxCollection.seller_enterprise_id == bindparam("seller_id"),
    FxCollection.order_no == bindparam("order_no"),
    _UNMATCHED,
)
_OPEN_WITHOUT_SELLER = select(FxCollection).where(
    FxCollection.seller_enterprise_id.is_(None),
    FxCollection.order_no == bindparam("order_no"),
    _UNMATCHED,
)
_LIST_FOR_COLLECTION: dict[tuple[bool, bool], Any] = {}


def _list_for_collection_statement(by_platform: bool, by_seller: bool) -> Any:
    key = (by_platform, by_seller)
    if key not in _LIST_FOR_COLLECTION:
        q = select(ExportList).where(
            ExportList.order_no == bindparam("order_no"), ExportList.status != "withdrawn"
        )
        if by_platform:
            q = q.where(ExportList.ebp_code == bindparam("ebp_code"))
        if by_seller:
            q = q.where(ExportList.seller_enterprise_id == bindparam("seller_id"))
        _LIST_FOR_COLLECTION[key] = q.order_by(ExportList.id).limit(1)
    return _LIST_FOR_COLLECTION[key]


NETTING_KIND_LABELS = {
    "storage": "海外仓储费",
    "logistics": "境外物流费",
    "overseas_tax": "境外税费",
    "platform_fee": "平台佣金",
    "other": "其他境外费用",
}


# --------------------------------------------------------------------------------------------
# Rate table


@dataclass(frozen=True)
class Conversion:
    """An amount converted at the rate table: what it came to, the rate, and the rate's date."""

    amount: Decimal
    rate: Decimal  # units of the target currency per unit of the source
    rate_dates: tuple[dt.date, ...]  # valid_from of each rate row used (none for CNY to CNY)


def _rate_row(
    session: Session, currency: str, on_date: dt.date, zone_code: str | None
) -> tuple[Decimal, dt.date] | None:
    """(CNY per unit, valid_from) of the zone's newest row valid by `on_date`, else the
    deployment-wide one; cached per transaction."""
    cache: dict[tuple[str, dt.date, str | None], tuple[Decimal, dt.date] | None] = session.info.setdefault(
        "export.fx.rates", {}
    )
    key = (currency, on_date, zone_code)
    if key in cache:
        return cache[key]
    zones: list[str | None] = [zone_code, None] if zone_code else [None]
    found: tuple[Decimal, dt.date] | None = None
    for z in zones:
        cond = ExchangeRate.zone_code.is_(None) if z is None else ExchangeRate.zone_code == z
        row = session.execute(
            select(ExchangeRate.rate_to_cny, ExchangeRate.valid_from)
            .where(cond, ExchangeRate.currency == currency, ExchangeRate.valid_from <= on_date)
            .order_by(ExchangeRate.valid_from.desc())
            .limit(1)
        ).first()
        if row is not None:
            found = (Decimal(row[0]), row[1])
            break
    cache[key] = found
    return found


def rate_to_cny(
    session: Session, currency: str, on_date: dt.date, zone_code: str | None = None
) -> Decimal | None:
    """CNY for one unit of `currency` on `on_date`: the zone's newest row valid by then, else the
    deployment-wide row; None when neither exists. CNY (142) is always 1."""
    if currency == CNY:
        return Decimal("1")
    row = _rate_row(session, currency, on_date, zone_code)
    return None if row is None else row[0]


def convert(
    session: Session,
    amount: Decimal,
    currency: str,
    on_date: dt.date,
    zone_code: str | None,
    *,
    to: str = CNY,
    quantum: Decimal = Decimal("0.01"),
) -> Conversion | None:
    """`amount` of `currency` in `to` on `on_date`, through the zone's rate table (both legs via CNY,
    the table's unit). Every conversion of the platform goes through here: the export values, the
    statistics in US dollars, the finance records and the demo. None when a rate is missing."""
    dates: list[dt.date] = []
    legs: list[Decimal] = []
    for code in (currency, to):
        if code == CNY:
            legs.append(Decimal("1"))
            continue
        row = _rate_row(session, code, on_date, zone_code)
        if row is None:
            return None
        legs.append(row[0])
        dates.append(row[1])
    rate = legs[0] / legs[1]
    value = (amount * legs[0] / legs[1]).quantize(quantum, rounding=ROUND_HALF_UP)
    return Conversion(value, rate, tuple(dates))


def to_cny(
    session: Session, amount: Decimal, currency: str, on_date: dt.date, zone_code: str | None
) -> Decimal | None:
    converted = convert(session, amount, currency, on_date, zone_code)
    return None if converted is None else round_cent(converted.amount)


@dataclass(frozen=True)
class RateRow:
    currency: str
    rate_to_cny: str
    valid_from: str
    source: str = ""


def load_rates(
    session: Session,
    rows: Iterable[RateRow],
    *,
    zone_code: str | None,
    default_source: str,
    actor: Principal | None,
) -> int:
    """Validate every row first (errors name the row and field), then insert or replace. All or nothing."""
    errors: list[FieldError] = []
    parsed: list[tuple[str, Decimal, dt.date, str]] = []
    for i, r in enumerate(rows, start=1):
        p = f"rows[{i}]"
        ok = True
        if r.currency not in codelists.currencies():
            errors.append(
                FieldError(f"{p}.currency", "unknown_currency", f"币制代码{r.currency!r}不在海关币制代码表中")
            )
            ok = False
        elif r.currency == CNY:
            errors.append(FieldError(f"{p}.currency", "cny_rate", "人民币（142）折算率恒为1，无需导入"))
            ok = False
        try:
            rate = Decimal(r.rate_to_cny.strip())
            if not rate.is_finite() or rate <= 0:
                raise InvalidOperation
        except (InvalidOperation, AttributeError):
            errors.append(
                FieldError(f"{p}.rate_to_cny", "invalid_rate", f"折算率{r.rate_to_cny!r}应为大于0的数字")
            )
            ok = False
            rate = ZERO
        try:
            valid_from = dt.date.fromisoformat(r.valid_from.strip())
        except ValueError:
            errors.append(
                FieldError(f"{p}.valid_from", "invalid_date", f"生效日期{r.valid_from!r}应为YYYY-MM-DD")
            )
            ok = False
            valid_from = dt.date.min
        if ok:
            parsed.append((r.currency, rate, valid_from, (r.source or default_source)[:200]))
    if not parsed and not errors:
        errors.append(FieldError("rows", "required", "没有可导入的汇率"))
    if errors:
        raise ValidationFailed(errors, "汇率表未导入：请更正以下各行后重新提交")
    for currency, rate, valid_from, source in parsed:
        cond = ExchangeRate.zone_code.is_(None) if zone_code is None else ExchangeRate.zone_code == zone_code
        existing = session.scalar(
            select(ExchangeRate).where(
                cond, ExchangeRate.currency == currency, ExchangeRate.valid_from == valid_from
            )
        )
        if existing is None:
            session.add(
                ExchangeRate(
                    zone_code=zone_code,
                    currency=currency,
                    rate_to_cny=rate,
                    valid_from=valid_from,
                    source=source,
                )
            )
        else:
            existing.rate_to_cny = rate
            existing.source = source
    session.add(
        ExportAuditEvent(
            zone_code=zone_code,
            subject="rate",
            action="loaded",
            actor_org_id=actor.org_id if actor else None,
            actor_user_id=actor.user_id if actor else None,
            detail={"rows": len(parsed), "source": default_source},
        )
    )
    session.info.pop("export.fx.rates", None)
    session.flush()
    return len(parsed)


def parse_rate_csv(text: str) -> list[RateRow]:
    """CSV with a header: currency,rate_to_cny,valid_from[,source]."""
    reader = csv.DictReader(io.StringIO(text))
    needed = {"currency", "rate_to_cny", "valid_from"}
    if not reader.fieldnames or not needed <= {f.strip() for f in reader.fieldnames}:
        raise ValidationFailed(
            [FieldError("file", "bad_header", "CSV表头应为 currency,rate_to_cny,valid_from[,source]")]
        )
    return [
        RateRow(
            (row.get("currency") or "").strip(),
            row.get("rate_to_cny") or "",
            row.get("valid_from") or "",
            (row.get("source") or "").strip(),
        )
        for row in reader
    ]


def list_rates(session: Session, zone_code: str | None) -> list[ExchangeRate]:
    q = select(ExchangeRate).where(or_(ExchangeRate.zone_code.is_(None), ExchangeRate.zone_code == zone_code))
    return list(session.scalars(q.order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())))


# --------------------------------------------------------------------------------------------
# Collections


def list_expected_value(session: Session, lst: ExportList) -> Decimal:
    """What the list is worth to collect: its goods value less what was returned."""
    returned = session.scalar(
        select(func.coalesce(func.sum(ExportReturn.value), 0)).where(ExportReturn.list_id == lst.id)
    )
    return lst.goods_value - Decimal(returned or 0)


def find_list_for_collection(session: Session, c: FxCollection) -> ExportList | None:
    statement = _list_for_collection_statement(bool(c.ebp_code), c.seller_enterprise_id is not None)
    params = {"order_no": c.order_no, "ebp_code": c.ebp_code, "seller_id": c.seller_enterprise_id}
    return session.scalars(statement, params).first()


def match_collection(session: Session, c: FxCollection) -> ExportList | None:
    """Attach a collection to the list of its order (by seller, platform and order number)."""
    lst = find_list_for_collection(session, c)
    c.list_id = lst.id if lst else None
    c.match_status = "matched" if lst else "unmatched"
    if c.amount_cny is None:
        rate = rate_to_cny(session, c.currency, c.collected_on, c.zone_code)
        if rate is not None:
            c.rate_to_cny = rate
            c.amount_cny = round_cent(c.amount * rate)
    return lst


def match_open_collections(session: Session, lst: ExportList) -> None:
    """A list that arrives after its collection picks the collection up."""
    found = list(session.scalars(_OPEN_WITHOUT_SELLER, {"order_no": lst.order_no}))
    if lst.seller_enterprise_id is not None:
        params = {"seller_id": lst.seller_enterprise_id, "order_no": lst.order_no}
        found += session.scalars(_OPEN_OF_SELLER, params)
    for c in found:
        if c.ebp_code in (None, lst.ebp_code):
            c.list_id = lst.id
            c.match_status = "matched"


def collected_for_list(session: Session, lst: ExportList) -> Decimal:
    """Collected in the list's currency; other currencies are converted through CNY on their date."""
    total = ZERO
    for c in session.scalars(select(FxCollection).where(FxCollection.list_id == lst.id)):
        if c.currency == lst.currency:
            total += c.amount
            continue
        list_rate = rate_to_cny(session, lst.currency, c.collected_on, lst.zone_code)
        if c.amount_cny is not None and list_rate:
            total += round_cent(c.amount_cny / list_rate)
    return total


def list_collection_status(session: Session, lst: ExportList) -> CollectionStatus:
    return collection_status(list_expected_value(session, lst), collected_for_list(session, lst))


def has_collection(session: Session, lst: ExportList) -> bool:
    return query(session, _HAS_COLLECTION, {"list_id": lst.id}).first() is not None


@dataclass(frozen=True)
class SellerFxTotals:
    released_cny: Decimal
    collected_cny: Decimal
    outstanding_cny: Decimal
    over_cny: Decimal
    partial_lists: int
    outstanding_lists: int
    over_lists: int
    unmatched_collections: int
    netted_cny: Decimal

    @property
    def gross_restored_cny(self) -> Decimal:
        """还原数据: actual receipts plus the overseas costs netted against them."""
        return self.collected_cny + self.netted_cny


def seller_fx_totals(
    session: Session,
    seller_id: int,
    *,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> SellerFxTotals:
    """Per seller: shipped (released) value, collected, outstanding (shipped, not yet collected), over."""
    q = select(ExportList).where(
        ExportList.seller_enterprise_id == seller_id,
        ExportList.status.in_(("released", "departed", "returned")),
    )
    if period_start:
        q = q.where(ExportList.ie_date >= period_start)
    if period_end:
        q = q.where(ExportList.ie_date <= period_end)
    released = collected = outstanding = over = ZERO
    partial_n = outstanding_n = over_n = 0
    for lst in session.scalars(q):
        st = list_collection_status(session, lst)
        rate = (
            Decimal("1")
            if lst.currency == CNY
            else rate_to_cny(session, lst.currency, lst.ie_date, lst.zone_code)
        )
        if rate is None:
            continue
        released += round_cent(st.expected * rate)
        collected += round_cent(st.collected * rate)
        outstanding += round_cent(st.outstanding * rate)
        over += round_cent(st.over * rate)
        partial_n += st.status == "partial"
        outstanding_n += st.status == "outstanding"
        over_n += st.status == "over"
    unmatched = (
        session.scalar(
            select(func.count())
            .select_from(FxCollection)
            .where(FxCollection.seller_enterprise_id == seller_id, FxCollection.list_id.is_(None))
        )
        or 0
    )
    nq = select(func.coalesce(func.sum(NettingEntry.amount_cny), 0)).where(
        NettingEntry.seller_enterprise_id == seller_id, NettingEntry.reversed_at.is_(None)
    )
    if period_start:
        nq = nq.where(NettingEntry.period >= f"{period_start:%Y-%m}")
    if period_end:
        nq = nq.where(NettingEntry.period <= f"{period_end:%Y-%m}")
    netted = Decimal(session.scalar(nq) or 0)
    return SellerFxTotals(
        released, collected, outstanding, over, partial_n, outstanding_n, over_n, unmatched, netted
    )


def record_bank_collection(
    session: Session,
    *,
    seller_id: int,
    zone_code: str | None,
    order_no: str,
    currency: str,
    amount: Decimal,
    collected_on: dt.date,
    pay_no: str | None,
    actor: Principal,
) -> FxCollection:
    """A collection the seller records from its bank statement (when no CEB403 was sent)."""
    errors = []
    if currency not in codelists.currencies():
        errors.append(FieldError("currency", "unknown_currency", f"币制代码{currency!r}不在海关币制代码表中"))
    if amount <= 0:
        errors.append(FieldError("amount", "not_positive", "收款金额应大于0"))
    if not order_no.strip():
        errors.append(FieldError("order_no", "required", "订单编号必填"))
    if errors:
        raise ValidationFailed(errors)
    c = FxCollection(
        zone_code=zone_code,
        seller_enterprise_id=seller_id,
        source="bank",
        order_no=order_no.strip(),
        pay_no=pay_no,
        currency=currency,
        amount=amount,
        collected_on=collected_on,
    )
    session.add(c)
    match_collection(session, c)
    session.flush()
    session.add(
        ExportAuditEvent(
            zone_code=zone_code,
            enterprise_id=seller_id,
            subject="fx",
            subject_id=c.id,
            action="collection_recorded",
            actor_org_id=actor.org_id,
            actor_user_id=actor.user_id,
            detail={
                "order_no": c.order_no,
                "amount": str(amount),
                "currency": currency,
                "matched": c.list_id,
            },
        )
    )
    return c


# --------------------------------------------------------------------------------------------
# Netting (轧差)


def add_netting(
    session: Session,
    *,
    seller_id: int,
    zone_code: str | None,
    values: Mapping[str, str],
    actor: Principal,
) -> NettingEntry:
    """Record an overseas cost netted against proceeds; every field checked, audited."""
    errors: list[FieldError] = []
    period = values.get("period", "").strip()
    try:
        dt.date.fromisoformat(period + "-01")
    except ValueError:
        errors.append(FieldError("period", "invalid_period", "所属期应为YYYY-MM"))
    kind = values.get("kind", "")
    if kind not in NETTING_KINDS:
        errors.append(
            FieldError("kind", "invalid_kind", "费用类型应为：" + "、".join(NETTING_KIND_LABELS.values()))
        )
    currency = values.get("currency", "").strip()
    if currency not in codelists.currencies():
        errors.append(FieldError("currency", "unknown_currency", f"币制代码{currency!r}不在海关币制代码表中"))
    try:
        amount = Decimal(values.get("amount", "").strip())
        if not amount.is_finite() or amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        errors.append(FieldError("amount", "invalid_amount", "金额应为大于0的数字"))
        amount = ZERO
    counterparty = values.get("counterparty", "").strip()
    if not counterparty:
        errors.append(FieldError("counterparty", "required", "境外收款方必填"))
    reference = values.get("reference", "").strip()
    if not reference:
        errors.append(FieldError("reference", "required", "费用凭证号必填"))
    amount_cny: Decimal | None = None
    if not errors:
        amount_cny = to_cny(session, amount, currency, dt.date.fromisoformat(period + "-01"), zone_code)
        if amount_cny is None:
            errors.append(
                FieldError(
                    "currency", "exchange_rate_missing", f"汇率表中没有币制{currency}在{period}的折算率"
                )
            )
    if errors or amount_cny is None:
        raise ValidationFailed(errors, "轧差费用未保存")
    entry = NettingEntry(
        zone_code=zone_code,
        seller_enterprise_id=seller_id,
        period=period,
        kind=kind,
        counterparty=counterparty[:200],
        reference=reference[:100],
        currency=currency,
        amount=amount,
        amount_cny=amount_cny,
        note=values.get("note") or None,
    )
    session.add(entry)
    session.flush()
    session.add(
        ExportAuditEvent(
            zone_code=zone_code,
            enterprise_id=seller_id,
            subject="netting",
            subject_id=entry.id,
            action="netted",
            actor_org_id=actor.org_id,
            actor_user_id=actor.user_id,
            detail={"kind": kind, "amount": str(amount), "currency": currency, "amount_cny": str(amount_cny)},
        )
    )
    return entry


def reverse_netting(
    session: Session, entry_id: int, seller_id: int, actor: Principal, reason: str
) -> NettingEntry:
    entry = session.get(NettingEntry, entry_id)
    if entry is None or entry.seller_enterprise_id != seller_id:
        raise NotFound()
    if entry.reversed_at is not None:
        raise ValidationFailed([FieldError("id", "already_reversed", "该笔轧差已冲销")])
    if not reason.strip():
        raise ValidationFailed([FieldError("reason", "required", "冲销原因必填")])
    entry.reversed_at = dt.datetime.now(dt.UTC)
    session.add(
        ExportAuditEvent(
            zone_code=entry.zone_code,
            enterprise_id=seller_id,
            subject="netting",
            subject_id=entry.id,
            action="reversed",
            actor_org_id=actor.org_id,
            actor_user_id=actor.user_id,
            detail={"reason": reason.strip()},
        )
    )
    return entry
