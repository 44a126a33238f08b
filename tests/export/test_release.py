"""清单核放: a CEB603 list is released once order, collection, waybill match and the goods arrived;
departure closes it. Everything through the shared `ingest` pipeline."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from export.export_world import World, seller_settings
from silkgate.export import messages as M
from silkgate.models.declarations import Declaration, Receipt


def test_list_waits_for_each_document_then_is_released_and_closed_by_departure(
    world: World, session: Session
) -> None:
    tx = world.tx()
    world.send(M.inventory_xml(tx))
    lst = world.list_of(tx)
    assert lst.status == "waiting"
    assert lst.missing == ["order", "collection", "waybill", "arrival"]
    world.send(M.order_xml(tx))
    world.send(M.waybill_xml(tx))
    assert world.list_of(tx).missing == ["collection", "arrival"]
    world.send(M.collection_xml(tx, tx.goods_value, tx.declared_at))
    assert world.list_of(tx).missing == ["arrival"]
    world.send(
        M.arrival_xml(
            M.Party(world.logistics.customs_code, world.logistics.name),
            M.Party(world.logistics.customs_code, world.logistics.name),
            [tx.logistics_no],
            tx.declared_at,
            tx.customs_code,
            "A1",
        )
    )
    lst = world.list_of(tx)
    assert lst.status == "released" and lst.released_at is not None
    assert lst.value_cny == Decimal("234.30")  # (2×12.5 + 8) USD × 7.1
    world.send(
        M.departure_xml(
            M.Party(world.logistics.customs_code, world.logistics.name),
            [tx.logistics_no],
            tx.declared_at,
            tx.customs_code,
            "D1",
        )
    )
    assert world.list_of(tx).status == "departed"
    decl = session.get(Declaration, lst.declaration_id)
    assert decl is not None and decl.status == "departed"
    statuses = list(session.scalars(select(Receipt.return_status).where(Receipt.declaration_id == decl.id)))
    assert "800" in statuses and "899" in statuses


def test_statistics_path_seller_is_released_without_collection(world: World, session: Session) -> None:
    seller_settings(session, world.seller, declaration_path="summary_statistics")
    tx = world.tx(statistics_flag="A")
    lst = world.ship(tx, collect=Decimal("0"))
    assert lst.status == "departed"


def test_list_that_contradicts_its_order_is_refused_naming_the_item(world: World, session: Session) -> None:
    tx = world.tx()
    world.send(M.order_xml(tx))
    tx.lines[0] = (tx.lines[0][0], Decimal("3"))  # the list declares 3 shirts, the order 2
    world.send(M.inventory_xml(tx))
    lst = world.list_of(tx)
    assert lst.status == "withdrawn"
    codes = {m["code"] for m in lst.mismatches}
    assert {"qty_mismatch", "amount_mismatch"} <= codes
    rec = session.scalars(
        select(Receipt).where(Receipt.declaration_id == lst.declaration_id, Receipt.return_status == "100")
    ).first()
    assert rec is not None and "第1项数量" in rec.return_info
    tx.lines[0] = (tx.lines[0][0], Decimal("2"))  # corrected and declared again as a change (appType=2)
    tx.guids.pop("inventory")
    world.send(M.inventory_xml(tx, app_type="2"))
    assert world.list_of(tx).mismatches == [] and world.list_of(tx).missing == [
        "collection",
        "waybill",
        "arrival",
    ]


def test_a_whole_transaction_in_arrival_order_ends_departed(world: World) -> None:
    tx = world.tx()
    for data in M.transaction_messages(tx):
        world.send(data)
    assert world.list_of(tx).status == "departed"
