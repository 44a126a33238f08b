"""Buyers' annual quota (个人年度交易限值, 财关税〔2018〕49号: 26,000 CNY per calendar year and ID).

Exact under concurrency: one row per buyer and year, created with INSERT ... ON CONFLICT DO NOTHING
and then locked (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the engine opens every transaction with
BEGIN IMMEDIATE, which serialises writers). The check and the increment happen under that lock in
Decimal, so two lists of one buyer arriving together can never both pass when together they exceed
the limit. The buyer is identified only by the keyed SM3 blind index of the ID number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from silkgate.clearance.rules import ANNUAL_LIMIT
from silkgate.exceptions import FieldError, InvalidState, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.models.clearance import BuyerAnnualQuota, QuotaMovement

ZERO = Decimal("0")


@dataclass(frozen=True)
class QuotaResult:
    granted: bool
    amount: Decimal
    used: Decimal  # the year's total after this call
    remaining: Decimal
    limit: Decimal
    message: str


def _check(buyer_id_index: str, year: int, amount: Decimal) -> None:
    errors: list[FieldError] = []
    if len(buyer_id_index) != 64:
        errors.append(FieldError("buyer_id_index", "index_format", "订购人证件号码索引应为64位十六进制"))
    if not 2000 <= year <= 2100:
        errors.append(FieldError("year", "year_out_of_range", "年度超出范围"))
    if amount < ZERO:
        errors.append(FieldError("amount", "amount_negative", "金额不能为负数"))
    if errors:
        raise ValidationFailed(errors)


QUOTAS = cast(Table, BuyerAnnualQuota.__table__)
MOVEMENTS = cast(Table, QuotaMovement.__table__)
_ENSURE: dict[str, Any] = {}
_LOCK = (
    select(QUOTAS.c.used)
    .where(QUOTAS.c.buyer_id_index == bindparam("b_buyer"), QUOTAS.c.year == bindparam("b_year"))
    .with_for_update()
)
_SET_USED = (
    update(QUOTAS)
    .where(QUOTAS.c.buyer_id_index == bindparam("b_buyer"), QUOTAS.c.year == bindparam("b_year"))
    .values(used=bindparam("b_used", type_=QUOTAS.c.used.type), updated_at=bindparam("b_now"))
)
_ADD_MOVEMENT = insert(MOVEMENTS)


def _ensure_statement(dialect: str) -> Any:
    statement = _ENSURE.get(dialect)
    if statement is None:
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _ENSURE[dialect] = (
            insert_(QUOTAS)
            .values(
                buyer_id_index=bindparam("b_buyer"),
                year=bindparam("b_year"),
                used=ZERO,
                updated_at=bindparam("b_now"),
            )
            .on_conflict_do_nothing(index_elements=["buyer_id_index", "year"])
        )
    return statement


def _locked_used(session: Session, buyer_id_index: str, year: int) -> Decimal:
    """The buyer-year row's use, the row created if absent and locked for the rest of the
    transaction (Core statements: the hot path of every list)."""
    connection = session.connection()
    params = {"b_buyer": buyer_id_index, "b_year": year, "b_now": now_utc()}
    used = connection.execute(_LOCK, params).scalar()
    if used is None:
        connection.execute(_ensure_statement(connection.dialect.name), params)
        used = connection.execute(_LOCK, params).scalar_one()
    return Decimal(used)


def _move(
    session: Session,
    buyer_id_index: str,
    year: int,
    kind: str,
    amount: Decimal,
    used: Decimal,
    reference: str,
) -> None:
    connection = session.connection()
    now = now_utc()
    connection.execute(_SET_USED, {"b_buyer": buyer_id_index, "b_year": year, "b_used": used, "b_now": now})
    connection.execute(
        _ADD_MOVEMENT,
        {
            "buyer_id_index": buyer_id_index,
            "year": year,
            "kind": kind,
            "amount": amount,
            "used_after": used,
            "reference": reference[:80],
            "at": now,
        },
    )


def reserve_quota(
    session: Session, buyer_id_index: str, year: int, amount: Decimal, *, reference: str = ""
) -> QuotaResult:
    """Take `amount` from the buyer's quota for `year` if it fits within the annual limit (inclusive).

    Not granted: nothing changes, and the result says how much is left."""
    _check(buyer_id_index, year, amount)
    used = _locked_used(session, buyer_id_index, year)
    if used + amount > ANNUAL_LIMIT:
        remaining = max(ANNUAL_LIMIT - used, ZERO)
        return QuotaResult(
            granted=False,
            amount=amount,
            used=used,
            remaining=remaining,
            limit=ANNUAL_LIMIT,
            message=(
                f"订购人{year}年度已累计{used:.2f}元，本次{amount:.2f}元将超过个人年度交易限值26000元"
                f"（剩余额度{remaining:.2f}元，财关税〔2018〕49号）"
            ),
        )
    used += amount
    _move(session, buyer_id_index, year, "reserve", amount, used, reference)
    return QuotaResult(
        granted=True,
        amount=amount,
        used=used,
        remaining=ANNUAL_LIMIT - used,
        limit=ANNUAL_LIMIT,
        message=f"已计入订购人{year}年度交易额：累计{used:.2f}元，剩余额度{ANNUAL_LIMIT - used:.2f}元",
    )


def release_quota(
    session: Session, buyer_id_index: str, year: int, amount: Decimal, *, reference: str = ""
) -> QuotaResult:
    """Give `amount` back (list withdrawn, or goods returned within the period; 财关税〔2016〕18号第四条).

    Releasing more than was used is a programming error, refused with InvalidState."""
    _check(buyer_id_index, year, amount)
    used = _locked_used(session, buyer_id_index, year)
    if amount > used:
        raise InvalidState(
            message=f"退还额度{amount:.2f}元超过订购人{year}年度已使用额度{used:.2f}元",
        )
    used -= amount
    _move(session, buyer_id_index, year, "release", -amount, used, reference)
    return QuotaResult(
        granted=True,
        amount=amount,
        used=used,
        remaining=ANNUAL_LIMIT - used,
        limit=ANNUAL_LIMIT,
        message=f"已退还订购人{year}年度交易额{amount:.2f}元，累计{used:.2f}元",
    )


def annual_quota_used(session: Session, buyer_id_index: str, year: int) -> Decimal:
    used = session.scalar(
        select(BuyerAnnualQuota.used).where(
            BuyerAnnualQuota.buyer_id_index == buyer_id_index, BuyerAnnualQuota.year == year
        )
    )
    return Decimal(used) if used is not None else ZERO


def annual_quota_remaining(session: Session, buyer_id_index: str, year: int) -> Decimal:
    return max(ANNUAL_LIMIT - annual_quota_used(session, buyer_id_index, year), ZERO)
