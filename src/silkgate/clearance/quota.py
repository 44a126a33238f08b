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

from sqlalchemy import select
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


def _locked_row(session: Session, buyer_id_index: str, year: int) -> BuyerAnnualQuota:
    """The buyer-year row, created if absent, locked for the rest of the transaction."""
    dialect = session.get_bind().dialect.name
    values = {"buyer_id_index": buyer_id_index, "year": year, "used": ZERO, "updated_at": now_utc()}
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(BuyerAnnualQuota)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["buyer_id_index", "year"])
    )
    row = session.scalars(
        select(BuyerAnnualQuota)
        .where(BuyerAnnualQuota.buyer_id_index == buyer_id_index, BuyerAnnualQuota.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def reserve_quota(
    session: Session, buyer_id_index: str, year: int, amount: Decimal, *, reference: str = ""
) -> QuotaResult:
    """Take `amount` from the buyer's quota for `year` if it fits within the annual limit (inclusive).

    Not granted: nothing changes, and the result says how much is left."""
    _check(buyer_id_index, year, amount)
    row = _locked_row(session, buyer_id_index, year)
    used = Decimal(row.used)
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
    row.used = used + amount
    row.updated_at = now_utc()
    session.add(
        QuotaMovement(
            buyer_id_index=buyer_id_index,
            year=year,
            kind="reserve",
            amount=amount,
            used_after=row.used,
            reference=reference[:80],
        )
    )
    session.flush()
    return QuotaResult(
        granted=True,
        amount=amount,
        used=row.used,
        remaining=ANNUAL_LIMIT - row.used,
        limit=ANNUAL_LIMIT,
        message=f"已计入订购人{year}年度交易额：累计{row.used:.2f}元，剩余额度{ANNUAL_LIMIT - row.used:.2f}元",
    )


def release_quota(
    session: Session, buyer_id_index: str, year: int, amount: Decimal, *, reference: str = ""
) -> QuotaResult:
    """Give `amount` back (list withdrawn, or goods returned within the period; 财关税〔2016〕18号第四条).

    Releasing more than was used is a programming error, refused with InvalidState."""
    _check(buyer_id_index, year, amount)
    row = _locked_row(session, buyer_id_index, year)
    used = Decimal(row.used)
    if amount > used:
        raise InvalidState(
            message=f"退还额度{amount:.2f}元超过订购人{year}年度已使用额度{used:.2f}元",
        )
    row.used = used - amount
    row.updated_at = now_utc()
    session.add(
        QuotaMovement(
            buyer_id_index=buyer_id_index,
            year=year,
            kind="release",
            amount=-amount,
            used_after=row.used,
            reference=reference[:80],
        )
    )
    session.flush()
    return QuotaResult(
        granted=True,
        amount=amount,
        used=row.used,
        remaining=ANNUAL_LIMIT - row.used,
        limit=ANNUAL_LIMIT,
        message=f"已退还订购人{year}年度交易额{amount:.2f}元，累计{row.used:.2f}元",
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
