"""Buyers' annual quota (财关税〔2018〕49号: 26,000 CNY a calendar year): exact under concurrency."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from silkgate.clearance.identity import id_number_index
from silkgate.clearance.quota import annual_quota_remaining, annual_quota_used, release_quota, reserve_quota
from silkgate.db import unit_of_work
from silkgate.exceptions import InvalidState, ValidationFailed
from silkgate.models.clearance import QuotaMovement


def buyer() -> str:
    return id_number_index(secrets.token_hex(9))


def test_reservations_count_until_the_limit_inclusive(session: Session) -> None:
    b = buyer()
    assert annual_quota_remaining(session, b, 2026) == D("26000")
    assert reserve_quota(session, b, 2026, D("20000")).granted
    refused = reserve_quota(session, b, 2026, D("6000.01"))
    assert not refused.granted and refused.remaining == D("6000") and "26000" in refused.message
    assert reserve_quota(session, b, 2026, D("6000")).granted
    assert annual_quota_remaining(session, b, 2026) == D("0")
    # another year starts afresh
    assert annual_quota_remaining(session, b, 2027) == D("26000")


def test_release_gives_the_quota_back_and_keeps_history(session: Session) -> None:
    b = buyer()
    reserve_quota(session, b, 2026, D("5000"), reference="INV1")
    result = release_quota(session, b, 2026, D("1999.99"), reference="RETURN1")
    assert result.used == D("3000.01") and annual_quota_used(session, b, 2026) == D("3000.01")
    moves = session.scalars(
        select(QuotaMovement).where(QuotaMovement.buyer_id_index == b).order_by(QuotaMovement.id)
    )
    assert [(m.kind, m.amount, m.used_after, m.reference) for m in moves] == [
        ("reserve", D("5000"), D("5000"), "INV1"),
        ("release", D("-1999.99"), D("3000.01"), "RETURN1"),
    ]


def test_releasing_more_than_used_is_refused(session: Session) -> None:
    b = buyer()
    reserve_quota(session, b, 2026, D("100"))
    with pytest.raises(InvalidState):
        release_quota(session, b, 2026, D("100.01"))


def test_bad_arguments_are_named(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        reserve_quota(session, "abc", 1900, D("-1"))
    assert {e.field for e in exc.value.errors} == {"buyer_id_index", "year", "amount"}


# ---------------------------------------------------------------- the race, on real committed transactions


def _race(engine: Engine, b: str, amounts: list[D]) -> list[D]:
    """Each amount reserved in its own thread and transaction, all released at once; each holds
    its transaction open a little after reserving, so that they truly overlap."""
    start = threading.Barrier(len(amounts))
    granted: list[D] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(amount: D) -> None:
        try:
            start.wait()
            with unit_of_work(engine) as s:
                result = reserve_quota(s, b, 2026, amount, reference=f"race {amount}")
                time.sleep(0.05)
            if result.granted:
                with lock:
                    granted.append(amount)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(a,)) for a in amounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return granted


def test_parallel_reservations_never_exceed_the_annual_limit(own_engine: Engine) -> None:
    b = buyer()
    granted = _race(own_engine, b, [D("3000")] * 10)  # together 30,000 > 26,000
    assert len(granted) == 8 and sum(granted) == D("24000")
    with Session(own_engine) as s:
        assert annual_quota_used(s, b, 2026) == D("24000")
        moves = s.scalars(select(QuotaMovement.amount).where(QuotaMovement.buyer_id_index == b)).all()
        assert sorted(moves) == sorted(granted)


def test_parallel_uneven_reservations_fill_the_limit_exactly_as_granted(own_engine: Engine) -> None:
    b = buyer()
    amounts = [
        D("4999.99"),
        D("5000"),
        D("3333.33"),
        D("2500.50"),
        D("4000"),
        D("1234.56"),
        D("4999.99"),
        D("888.88"),
    ]
    granted = _race(own_engine, b, amounts)  # together 30,957.25
    assert sum(granted) <= D("26000")
    refused = list((Counter(amounts) - Counter(granted)).elements())
    assert all(sum(granted) + a > D("26000") for a in refused)  # nothing refused that would have fit
    with Session(own_engine) as s:
        assert annual_quota_used(s, b, 2026) == sum(granted)
