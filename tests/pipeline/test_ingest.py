"""Ingest: replay, appType change/delete, who may send, hostile or broken XML, bonded stock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.declarations.synthetic import (
    ImportTransaction,
    inject_fault,
    inventory_xml,
    order_xml,
    transaction_messages,
)
from silkgate.declarations.trading import TradeSetup
from silkgate.kit.crypto import sm3_hex
from silkgate.models.declarations import Declaration, DeclarationLine, RawMessage, Receipt, TaxBill

from .conftest import declaration_status


def _counts(session: Session) -> dict[str, int]:
    return {
        "declarations": session.scalar(select(func.count()).select_from(Declaration)) or 0,
        "lines": session.scalar(select(func.count()).select_from(DeclarationLine)) or 0,
        "receipts": session.scalar(select(func.count()).select_from(Receipt)) or 0,
        "raw": session.scalar(select(func.count()).select_from(RawMessage)) or 0,
    }


def _release(send: Callable[..., list], tx: ImportTransaction) -> None:
    for data in transaction_messages(tx).values():
        send(data)


def test_replaying_a_message_returns_the_same_receipts_and_changes_nothing(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    messages = transaction_messages(tx)
    for kind in ("order", "payment", "waybill"):
        send(messages[kind])
    first = send(messages["inventory"])
    assert [r.return_status for r in first] == ["120", "800"]
    before = _counts(session)
    again = send(messages["inventory"])
    assert [r.as_dict() for r in again] == [r.as_dict() for r in first]
    after = _counts(session)
    assert after["raw"] == before["raw"] + 1  # what was received is always kept
    assert {k: v for k, v in after.items() if k != "raw"} == {k: v for k, v in before.items() if k != "raw"}
    raw = session.scalars(select(RawMessage).order_by(RawMessage.id.desc())).first()
    assert raw is not None and raw.outcome == "replayed" and raw.sm3 == sm3_hex(messages["inventory"])


def test_change_and_delete_of_a_released_list_are_refused_with_the_reason(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    _release(send, tx)
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "released"
    for app_type in ("2", "3"):
        tx.guids.pop("inventory")
        (refused,) = send(inventory_xml(tx, app_type=app_type))
        assert refused.return_status == "100"
        assert "已放行" in refused.return_info and "CEB623" in refused.return_info
        assert refused.errors[0]["code"] == "locked_released"
    tx.guids.pop("order")
    (order_refused,) = send(order_xml(tx, app_type="2"))
    assert order_refused.return_status == "100" and "已放行" in order_refused.return_info
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "released"


def test_change_before_release_replaces_the_list_and_delete_removes_it(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    inject_fault(tx, "freight_differs")  # the waybill disagrees: the list is rejected
    _release(send, tx)
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "rejected"
    # the enterprise corrects the list and the waybill: changing the list re-runs the checks
    tx.overrides.clear()
    tx.guids.pop("waybill")
    from silkgate.declarations.synthetic import waybill_xml

    waybill = session.scalar(
        select(Declaration).where(Declaration.kind == "waybill", Declaration.logistics_no == tx.logistics_no)
    )
    assert waybill is not None and waybill.version == 1  # an ORM copy held across the change
    (waybill_changed,) = send(waybill_xml(tx, app_type="2"))
    assert waybill_changed.return_status == "120"
    assert waybill.version == 2  # the Core update expired it: no stale copy
    tx.guids.pop("inventory")
    receipts = send(inventory_xml(tx, app_type="2"))
    assert receipts[-1].return_status == "800", receipts
    version = session.scalar(
        select(Declaration.version).where(
            Declaration.kind == "inventory", Declaration.order_no == tx.order_no
        )
    )
    assert version == 2
    other = make_tx()
    send(inventory_xml(other))
    other.guids.pop("inventory")
    (deleted,) = send(inventory_xml(other, app_type="3"))
    assert deleted.return_status == "120" and "删除" in deleted.return_info
    assert declaration_status(session, "inventory", order_no=other.order_no) == "deleted"


def test_a_sender_not_named_in_the_documents_is_refused_and_nothing_but_the_raw_message_is_kept(
    session: Session,
    make_tx: Callable[..., ImportTransaction],
    send: Callable[..., list],
    trade: TradeSetup,
    principal_of: Callable[[str], Principal],
) -> None:
    tx = make_tx()
    logistics = principal_of(trade.parties.logistics[0].code)
    before = _counts(session)
    (refused,) = send(transaction_messages(tx)["order"], sender=logistics)
    assert refused.receipt_type == "CEB900" and refused.return_status.startswith("-")
    assert refused.errors[0]["code"] == "sender_not_named"
    after = _counts(session)
    assert after == {**before, "raw": before["raw"] + 1}


def test_the_authorised_broker_may_declare_the_list_and_an_unauthorised_one_may_not(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list], trade: TradeSetup
) -> None:
    first_seller = trade.parties.sellers[0]
    tx = make_tx()
    tx.seller = first_seller
    tx.agent = trade.parties.brokers[first_seller.code]
    receipts = send(inventory_xml(tx))
    assert receipts[0].return_status == "120"
    second = make_tx()
    second.seller = trade.parties.sellers[1]
    second.agent = trade.parties.brokers[first_seller.code]  # not authorised by the second seller
    (refused,) = send(inventory_xml(second))
    assert refused.receipt_type == "CEB900"
    assert {e["code"] for e in refused.errors} == {"agent_not_authorised"}


HOSTILE = {
    "xxe": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0">&x;</ceb:CEB311Message>',
        "xml_dtd_forbidden",
    ),
    "entity_expansion": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<lolz>&lol2;</lolz>",
        "xml_dtd_forbidden",
    ),
    "wrong_encoding": (
        '<?xml version="1.0" encoding="GBK"?><ceb:CEB311Message/>'.encode("gbk"),
        "xml_encoding",
    ),
    "truncated": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="A',
        "xml_malformed",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_broken_xml_is_refused_with_only_the_raw_message_kept(
    session: Session,
    send: Callable[..., list],
    trade: TradeSetup,
    principal_of: Callable[[str], Principal],
    case: str,
) -> None:
    data, code = HOSTILE[case]
    sender = principal_of(trade.parties.platforms[0].code)
    before = _counts(session)
    (refused,) = send(data, sender=sender)
    assert refused.receipt_type == "CEB900"
    assert refused.return_status.startswith("-")
    assert refused.errors[0]["code"] == code or code in {e["code"] for e in refused.errors} or refused.errors
    assert _counts(session) == {**before, "raw": before["raw"] + 1}
    raw = session.scalars(select(RawMessage).order_by(RawMessage.id.desc())).first()
    assert raw is not None and raw.body == data and raw.outcome == "rejected" and raw.sm3 == sm3_hex(data)


def test_oversize_message_is_refused_and_kept(
    session: Session,
    send: Callable[..., list],
    trade: TradeSetup,
    principal_of: Callable[[str], Principal],
    monkeypatch: pytest.MonkeyPatch,
    make_tx: Callable[..., ImportTransaction],
) -> None:
    from silkgate.config import get_settings

    monkeypatch.setattr(get_settings(), "max_message_bytes", 2000)
    data = transaction_messages(make_tx())["order"]
    assert len(data) > 2000
    before = _counts(session)
    (refused,) = send(data, sender=principal_of(trade.parties.platforms[0].code))
    assert refused.receipt_type == "CEB900" and "xml_too_large" in {e["code"] for e in refused.errors} | {
        refused.errors[0]["code"]
    }
    assert _counts(session) == {**before, "raw": before["raw"] + 1}


def test_a_1210_list_beyond_the_bonded_stock_is_rejected_and_takes_nothing(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list], trade: TradeSetup
) -> None:
    from silkgate.clearance import quota
    from silkgate.models.clearance import BondedStock

    tx = make_tx(trade_mode="1210")
    item = tx.lines[0].product.item_no
    warehouse = trade.enterprise(trade.parties.warehouses[0])
    stock = session.scalars(
        select(BondedStock).where(
            BondedStock.warehouse_enterprise_id == warehouse.id,
            BondedStock.owner_code == tx.seller.code,
            BondedStock.item_no == item,
        )
    ).one()
    stock.quantity = tx.lines[0].qty - 1
    session.flush()
    _release(send, tx)
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "rejected"
    receipt = session.scalars(
        select(Receipt)
        .where(Receipt.declared_type == "CEB621", Receipt.return_status == "100")
        .order_by(Receipt.id.desc())
    ).first()
    assert receipt is not None and "库存不足" in receipt.return_info
    assert receipt.errors[0]["code"] == "bonded_stock_insufficient"
    session.refresh(stock)
    assert stock.quantity == tx.lines[0].qty - 1
    index = session.scalar(
        select(Declaration.buyer_id_index).where(
            Declaration.kind == "inventory", Declaration.order_no == tx.order_no
        )
    )
    assert quota.annual_quota_used(session, index or "", tx.declared_at.year) == Decimal("0")
    assert session.scalar(select(func.count()).select_from(TaxBill)) == 0


def test_a_1210_list_within_stock_deducts_it(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list], trade: TradeSetup
) -> None:
    from silkgate.models.clearance import BondedStock

    tx = make_tx(trade_mode="1210")
    _release(send, tx)
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "released"
    stock = session.scalars(
        select(BondedStock).where(
            BondedStock.owner_code == tx.seller.code, BondedStock.item_no == tx.lines[0].product.item_no
        )
    ).one()
    assert stock.quantity == Decimal("100000") - tx.lines[0].qty


def test_stored_documents_wait_for_their_declaration(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    (stored,) = send(inventory_xml(tx, app_status="1"))
    assert stored.return_status == "1"
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "stored"
    for kind in ("order", "payment", "waybill"):
        send(transaction_messages(tx)[kind])
    assert declaration_status(session, "inventory", order_no=tx.order_no) == "stored"
    tx.guids.pop("inventory")
    receipts = send(inventory_xml(tx, app_type="2"))
    assert receipts[-1].return_status == "800"


def test_demo_clock_dates_the_decision(
    session: Session, make_tx: Callable[..., ImportTransaction], send: Callable[..., list]
) -> None:
    tx = make_tx()
    when = dt.datetime(2026, 10, 3, 2, 0, tzinfo=dt.UTC)
    for data in transaction_messages(tx).values():
        send(data, received_at=when)
    released_at = session.scalar(
        select(Declaration.released_at).where(
            Declaration.kind == "inventory", Declaration.order_no == tx.order_no
        )
    )
    assert released_at == when


def test_an_unexpected_failure_rolls_the_message_back_but_keeps_and_answers_it(
    session: Session, make_tx: Callable[..., ImportTransaction], monkeypatch: pytest.MonkeyPatch
) -> None:
    from silkgate.clearance import pipeline
    from silkgate.declarations.service import BatchItem, ingest_batch

    def broken(*_args: object) -> None:
        raise RuntimeError("simulated crash in clearance")

    monkeypatch.setattr(pipeline, "on_import_document", broken)
    tx = make_tx()
    before = _counts(session)
    answers: list[list] = []
    ingest_batch(
        session, [BatchItem(transaction_messages(tx)["order"])], on_result=lambda _i, r: answers.append(r)
    )
    ((receipt,),) = answers
    assert receipt.return_status == "-2" and receipt.errors[0]["code"] == "processing_failed"
    assert _counts(session) == {**before, "raw": before["raw"] + 1}


def test_a_failing_message_in_a_batch_leaves_the_others_written(
    session: Session, make_tx: Callable[..., ImportTransaction], monkeypatch: pytest.MonkeyPatch
) -> None:
    from silkgate.clearance import pipeline
    from silkgate.declarations.service import BatchItem, ingest_batch

    real = pipeline.on_import_document

    def fails_on_payments(s: Session, document: object) -> None:
        if getattr(document, "kind", "") == "payment":
            raise RuntimeError("simulated crash")
        real(s, document)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "on_import_document", fails_on_payments)
    tx = make_tx()
    messages = transaction_messages(tx)
    before = _counts(session)
    items = [BatchItem(messages["order"]), BatchItem(messages["payment"]), BatchItem(messages["waybill"])]
    assert ingest_batch(session, items) == 3
    after = _counts(session)
    assert after["declarations"] == before["declarations"] + 2
    assert after["receipts"] == before["receipts"] + 2  # the order's and the waybill's
    assert after["raw"] == before["raw"] + 3
