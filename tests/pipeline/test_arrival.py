"""Documents arrive in any order from different senders; the list is cleared when the set is complete."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.declarations.synthetic import ImportTransaction, transaction_messages
from silkgate.models.declarations import Declaration, DeclarationEvent, Receipt, TaxBill

from .conftest import declaration_status

ORDERS = list(itertools.permutations(("order", "payment", "waybill", "inventory")))


@pytest.mark.parametrize("arrival", ORDERS, ids=["-".join(k[0] for k in p) for p in ORDERS])
def test_every_arrival_order_releases_the_list_once(
    session: Session,
    make_tx: Callable[..., ImportTransaction],
    send: Callable[..., list],
    arrival: tuple[str, ...],
) -> None:
    tx = make_tx(trade_mode="9610")
    messages = transaction_messages(tx)
    for n, kind in enumerate(arrival):
        receipts = send(messages[kind])
        assert receipts, kind
        if n < 3:
            assert declaration_status(session, "inventory", order_no=tx.order_no) in (None, "waiting")
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "released"
    inv_id = session.scalar(
        select(Declaration.id).where(Declaration.kind == "inventory", Declaration.order_no == tx.order_no)
    )
    released = session.scalar(
        select(func.count())
        .select_from(Receipt)
        .where(Receipt.declaration_id == inv_id, Receipt.return_status == "800")
    )
    assert released == 1
    assert (
        session.scalar(select(func.count()).select_from(TaxBill).where(TaxBill.declaration_id == inv_id)) == 1
    )
    for kind in ("order", "payment", "waybill"):
        assert declaration_status(session, kind, order_no=tx.order_no) == "released"


def test_list_first_says_which_documents_are_missing(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    messages = transaction_messages(tx)
    (receipt,) = send(messages["inventory"])
    assert receipt.message_type == "CEB621"
    assert receipt.receipt_type == "CEB622"
    assert receipt.return_status == "120"
    assert (
        "电子订单" in receipt.return_info
        and "支付凭证" in receipt.return_info
        and "物流运单" in receipt.return_info
    )
    send(messages["order"])
    (after_payment,) = send(messages["payment"])
    assert after_payment.message_type == "CEB411"
    inv_id = session.scalar(
        select(Declaration.id).where(Declaration.kind == "inventory", Declaration.order_no == tx.order_no)
    )
    infos = list(
        session.scalars(select(DeclarationEvent.info).where(DeclarationEvent.declaration_id == inv_id))
    )
    assert any("物流运单" in i and "尚未收到" in i for i in infos)


def test_personal_data_is_stored_encrypted_only(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    for data in transaction_messages(tx).values():
        send(data)
    rows = session.scalars(select(Declaration).where(Declaration.order_no == tx.order_no)).all()
    assert len(rows) == 4
    for row in rows:
        text = repr(row.head) + repr(row.line_fields)
        assert tx.buyer_id not in text and tx.buyer_name not in text and tx.buyer_phone not in text
        assert tx.address not in text
        for column in ("buyer_id_enc", "buyer_name_enc", "consignee_address_enc"):
            value = getattr(row, column)
            assert value is None or tx.buyer_id not in value
    inventory = next(r for r in rows if r.kind == "inventory")
    assert inventory.buyer_id_index and len(inventory.buyer_id_index) == 64
    assert inventory.buyer_id_enc
