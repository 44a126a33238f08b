"""Clearance outcomes through ingest: mismatches name both sides, identity, limits, filing, withdrawal
and return within the periods (海关总署公告2018年第194号、2020年第45号), inspection holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate import events
from silkgate.clearance import pipeline, quota
from silkgate.declarations.synthetic import (
    GoodsLine,
    ImportTransaction,
    cancel_xml,
    inject_fault,
    refund_xml,
    transaction_messages,
)
from silkgate.declarations.trading import register_buyers
from silkgate.kit.money import round_cent
from silkgate.models.declarations import Declaration, Receipt, TaxBill

from .conftest import declaration_status


def _send_all(send: Callable[..., list], tx: ImportTransaction, at: dt.datetime | None = None) -> None:
    for data in transaction_messages(tx).values():
        send(data, received_at=at)


def _list(session: Session, tx: ImportTransaction) -> Declaration:
    row = session.scalars(
        select(Declaration).where(Declaration.kind == "inventory", Declaration.order_no == tx.order_no)
    ).one()
    session.refresh(row)
    return row


def _last_list_receipt(session: Session, declaration_id: int) -> Receipt:
    row = session.scalars(
        select(Receipt).where(Receipt.declaration_id == declaration_id).order_by(Receipt.id.desc())
    ).first()
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("payer_differs", "order_payment_buyer_id"),
        ("paid_amount_differs", "order_payment_amount"),
        ("line_qty_differs", "qty"),
        ("freight_differs", "freight"),
        ("waybill_order_differs", "order_waybill_order_no"),
    ],
)
def test_a_mismatch_rejects_the_list_naming_both_sides(
    session: Session,
    make_tx: Callable[..., ImportTransaction],
    send: Callable[..., list],
    fault: str,
    code: str,
) -> None:
    tx = make_tx()
    inject_fault(tx, fault)
    _send_all(send, tx)
    if fault == "waybill_order_differs":
        # the waybill names another order: the list waits for its own waybill's order to match
        inv = _list(session, tx)
        assert inv.status in ("rejected", "waiting")
        if inv.status == "waiting":
            return
    inv = _list(session, tx)
    assert inv.status == "rejected"
    receipt = _last_list_receipt(session, inv.id)
    assert receipt.return_status == "100"
    assert any(code in e["code"] or code in e["field"] for e in receipt.errors), receipt.errors
    mismatches = inv.clearance["match"]["mismatches"]
    assert all(m["left_value"] != m["right_value"] for m in mismatches)
    assert all(m["left_doc"] and m["right_doc"] for m in mismatches)


def test_identity_failure_rejects_the_list(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list], factory
) -> None:
    tx = factory.make()
    inject_fault(tx, "identity_mismatch")
    register_buyers(session, [tx])
    _send_all(send, tx)
    inv = _list(session, tx)
    assert inv.status == "rejected"
    assert _last_list_receipt(session, inv.id).errors[0]["code"] == "identity_name_mismatch"


def test_an_unfiled_item_fails_the_filing_check(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    inject_fault(tx, "unfiled_item")
    _send_all(send, tx)
    inv = _list(session, tx)
    assert inv.status == "rejected"
    assert _last_list_receipt(session, inv.id).errors[0]["code"] == "commodity_not_filed"
    assert inv.clearance["filing"]["ok"] is False


def test_above_the_single_limit_with_several_goods_is_general_trade(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    from silkgate.declarations.synthetic import DEFAULT_PRODUCTS, estimate_retail_tax

    tx = make_tx()
    cream = next(p for p in DEFAULT_PRODUCTS if p.price == Decimal("1650"))
    tx.lines = [GoodsLine(cream, Decimal("4"))]  # 6,600 CNY, four items: not a single indivisible good
    tx.tax_total = estimate_retail_tax(tx)
    _send_all(send, tx)
    inv = _list(session, tx)
    assert inv.status == "rejected"
    receipt = _last_list_receipt(session, inv.id)
    assert receipt.errors[0]["code"] == "single_limit_exceeded"
    assert "财关税〔2018〕49号" in receipt.return_info


def test_withdrawal_within_30_days_voids_the_bill_and_returns_the_quota(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    published: list[events.TradeEvent] = []
    events.subscribe("withdrawn", lambda _s, e: published.append(e))
    released_at = dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)
    tx = make_tx(at=released_at)
    _send_all(send, tx, released_at)
    inv = _list(session, tx)
    assert inv.status == "released"
    year = inv.clearance["limits"]["year"]
    used = quota.annual_quota_used(session, inv.buyer_id_index or "", year)
    assert used > 0
    (answer,) = send(
        cancel_xml(tx, inv.invt_no or "", "订购人取消订单"), received_at=released_at + dt.timedelta(days=10)
    )
    assert answer.receipt_type == "CEB624" and answer.return_status == "399"
    inv = _list(session, tx)
    assert inv.status == "withdrawn"
    assert quota.annual_quota_used(session, inv.buyer_id_index or "", year) == 0
    bill = session.scalars(select(TaxBill).where(TaxBill.declaration_id == inv.id)).one()
    assert bill.status == "3"
    assert published and published[-1].declaration_id == inv.id


def test_withdrawal_after_30_days_is_refused(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    released_at = dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)
    tx = make_tx(at=released_at)
    _send_all(send, tx, released_at)
    inv = _list(session, tx)
    (answer,) = send(
        cancel_xml(tx, inv.invt_no or "", "取消"), received_at=released_at + dt.timedelta(days=31)
    )
    assert answer.return_status == "100" and answer.errors[0]["code"] == "withdrawal_period_over"
    assert "194号" in answer.return_info
    assert _list(session, tx).status == "released"


def test_partial_return_within_30_days_reduces_tax_and_quota(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    from silkgate.declarations.synthetic import DEFAULT_PRODUCTS, estimate_retail_tax

    released_at = dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)
    tx = make_tx(at=released_at)
    serum, milk = DEFAULT_PRODUCTS[3], DEFAULT_PRODUCTS[0]
    tx.lines = [GoodsLine(serum, Decimal("1")), GoodsLine(milk, Decimal("2"))]
    tx.tax_total = estimate_retail_tax(tx)
    _send_all(send, tx, released_at)
    inv = _list(session, tx)
    assert inv.status == "released"
    bill = session.scalars(select(TaxBill).where(TaxBill.declaration_id == inv.id)).one()
    before_tax = bill.total_tax
    year = inv.clearance["limits"]["year"]
    before_quota = quota.annual_quota_used(session, inv.buyer_id_index or "", year)
    (answer,) = send(
        refund_xml(tx, inv.invt_no or "", "质量问题", returned={2: Decimal("1")}),
        received_at=released_at + dt.timedelta(days=20),
    )
    assert answer.receipt_type == "CEB626" and answer.return_status == "399", answer
    inv = _list(session, tx)
    assert inv.status == "released"  # part of the goods stays sold
    session.refresh(bill)
    assert bill.status == "1" and bill.total_tax < before_tax
    after_quota = quota.annual_quota_used(session, inv.buyer_id_index or "", year)
    # the returned goods' share of what the list counted (freight and discount apportioned by value)
    expected = round_cent(before_quota * milk.price / tx.goods_value)
    assert after_quota == before_quota - expected


def test_return_after_30_days_is_refused(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    released_at = dt.datetime(2026, 10, 2, 2, 0, tzinfo=dt.UTC)
    tx = make_tx(at=released_at)
    _send_all(send, tx, released_at)
    inv = _list(session, tx)
    (answer,) = send(
        refund_xml(tx, inv.invt_no or "", "不想要了"), received_at=released_at + dt.timedelta(days=31)
    )
    assert answer.return_status == "100" and answer.errors[0]["code"] == "return_period_over"
    assert "2020年第45号" in answer.return_info


def test_held_list_is_released_or_rejected_by_customs(
    session: Session,
    make_tx: Callable[..., ImportTransaction],
    send: Callable[..., list],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from factories import make_org
    from silkgate.auth.service import principal_for_org

    monkeypatch.setattr(pipeline, "_supervision", lambda _s, _inv: (Decimal("1"), False, ["全部布控"], 1))
    first, second = make_tx(), make_tx()
    _send_all(send, first)
    _send_all(send, second)
    assert _list(session, first).status == "held"
    assert _last_list_receipt(session, _list(session, first).id).return_status == "500"
    customs = principal_for_org(session, make_org(session, "customs"))
    pipeline.conclude_inspection(session, _list(session, first).id, customs, passed=True, note="货证相符")
    assert _list(session, first).status == "released"
    inv = _list(session, second)
    index, year = inv.buyer_id_index or "", inv.clearance["limits"]["year"]
    used = quota.annual_quota_used(session, index, year)
    pipeline.conclude_inspection(session, inv.id, customs, passed=False, note="货证不符")
    inv = _list(session, second)
    assert inv.status == "rejected"
    assert quota.annual_quota_used(session, index, year) == used - Decimal(
        inv.clearance["limits"]["released"]
    )
    assert declaration_status(session, "order", order_no=second.order_no) == "declared"
