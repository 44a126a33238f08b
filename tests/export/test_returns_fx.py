"""Returns (CEB213, 海关总署公告2020年第44号) and FX collections through the shared pipeline, the
tax-free ledger and the events statistics read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from export.export_world import BEIJING_NOON, World, seller_settings
from silkgate import events
from silkgate.exceptions import ValidationFailed
from silkgate.export import fx, ledgers
from silkgate.export import messages as M
from silkgate.models.declarations import Receipt
from silkgate.models.export import ExportReturn, FxCollection


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[events.TradeEvent]:
    got: list[events.TradeEvent] = []
    original = events.publish

    def spy(session: Session, event: events.TradeEvent) -> None:
        got.append(event)
        original(session, event)

    monkeypatch.setattr(events, "publish", spy)
    return got


def test_partial_returns_add_up_and_one_too_many_is_refused(
    world: World, session: Session, seen: list[events.TradeEvent]
) -> None:
    tx = world.tx()  # 2 shirts, 1 mug
    lst = world.ship(tx)
    at = tx.declared_at + dt.timedelta(days=20)
    world.send(M.refund_xml(tx, lst.invt_no, [(1, Decimal("1"))], "尺码不合适", at), at)
    world.send(M.refund_xml(tx, lst.invt_no, [(1, Decimal("2"))], "再退两件", at + dt.timedelta(days=1)), at)
    rets = list(session.scalars(select(ExportReturn).where(ExportReturn.list_id == lst.id)))
    assert len(rets) == 1 and rets[0].value == Decimal("12.50")
    refused = session.scalars(
        select(Receipt).where(Receipt.return_status == "100", Receipt.message_type == "CEB214")
    ).all()
    assert refused and any(e["code"] == "return_exceeds_export" for r in refused for e in r.errors)
    world.send(
        M.refund_xml(
            tx, lst.invt_no, [(1, Decimal("1")), (2, Decimal("1"))], "全部退回", at + dt.timedelta(days=2)
        ),
        at,
    )
    assert world.list_of(tx).status == "returned"
    kinds = [e.kind for e in seen if e.business_no == lst.invt_no]
    assert kinds == ["released", "departed", "returned", "returned"]
    assert seen[-1].total_value == Decimal("20.50") and seen[-1].trade_mode == "9610"


def test_return_after_a_year_is_refused(world: World, session: Session) -> None:
    tx = world.tx(at=dt.datetime(2025, 1, 10, 10, tzinfo=BEIJING_NOON))
    fx.load_rates(
        session, [fx.RateRow("502", "7.2", "2025-01-01")], zone_code="140800", default_source="t", actor=None
    )
    lst = world.ship(tx)
    late = dt.datetime(2026, 1, 12, 10, tzinfo=BEIJING_NOON)
    world.send(M.refund_xml(tx, lst.invt_no, [(1, Decimal("1"))], "超期", late), late)
    rec = session.scalars(
        select(Receipt).where(Receipt.message_type == "CEB214", Receipt.return_status == "100")
    ).first()
    assert rec is not None and "2026-01-10前" in rec.return_info
    assert any(e["code"] == "return_period_expired" for e in rec.errors)


def test_partial_and_over_collection_are_tracked_per_list(world: World, session: Session) -> None:
    partial = world.ship(world.tx(), collect=Decimal("20"))
    over_tx = world.tx()
    over = world.ship(over_tx, collect=Decimal("33"))
    world.send(M.collection_xml(over_tx, Decimal("5"), over_tx.declared_at, pay_no="EXTRA1"))
    assert fx.list_collection_status(session, partial).status == "partial"
    st = fx.list_collection_status(session, over)
    assert st.status == "over" and st.over == Decimal("5")
    totals = fx.seller_fx_totals(session, world.seller.id)
    assert totals.outstanding_cny == Decimal("92.30")  # 13 USD × 7.1
    assert totals.over_cny == Decimal("35.50")
    assert totals.partial_lists == 1 and totals.over_lists == 1


def test_collection_before_the_list_is_matched_when_the_list_comes(world: World, session: Session) -> None:
    tx = world.tx()
    world.send(M.collection_xml(tx, tx.goods_value, tx.declared_at))
    c = session.scalars(select(FxCollection).where(FxCollection.order_no == tx.order_no)).one()
    assert c.list_id is None and c.amount_cny == Decimal("234.30")
    lst = world.ship(tx, collect=Decimal("0"))
    assert c.list_id == lst.id and lst.status == "departed"


def test_rate_table_refuses_bad_rows_naming_each(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        fx.load_rates(
            session,
            [
                fx.RateRow("999", "7", "2026-01-01"),
                fx.RateRow("502", "-1", "2026-01-01"),
                fx.RateRow("300", "7.8", "2026-13-01"),
            ],
            zone_code="140800",
            default_source="t",
            actor=None,
        )
    assert [e.field for e in exc.value.errors] == [
        "rows[1].currency",
        "rows[2].rate_to_cny",
        "rows[3].valid_from",
    ]
    assert fx.rate_to_cny(session, "142", dt.date(2026, 1, 1)) == Decimal("1")


def test_zone_rate_overrides_the_national_one(session: Session) -> None:
    fx.load_rates(
        session, [fx.RateRow("116", "0.05", "2026-01-01")], zone_code=None, default_source="全国", actor=None
    )
    fx.load_rates(
        session,
        [fx.RateRow("116", "0.048", "2026-02-01")],
        zone_code="140800",
        default_source="本区",
        actor=None,
    )
    assert fx.rate_to_cny(session, "116", dt.date(2026, 1, 15), "140800") == Decimal("0.05")
    assert fx.rate_to_cny(session, "116", dt.date(2026, 2, 15), "140800") == Decimal("0.048")
    assert fx.rate_to_cny(session, "116", dt.date(2026, 2, 15), "370800") == Decimal("0.05")
    assert fx.rate_to_cny(session, "116", dt.date(2025, 12, 31)) is None


def test_tax_free_ledger_shows_why_an_export_does_not_qualify(world: World, session: Session) -> None:
    seller_settings(session, world.seller, purchase_invoices="none")
    ok = world.ship(world.tx())
    elsewhere = world.ship(world.tx(customs_code="0101", port_code="0101"))
    rows = {
        r.lst.id: r
        for r in ledgers.tax_free_ledger(session, world.seller.id, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    }
    assert rows[ok.id].decision.qualifies
    assert not rows[elsewhere.id].decision.qualifies
    assert "0101" in rows[elsewhere.id].decision.reasons[0]
    assert ledgers.ledger_xlsx(list(rows.values()))[:2] == b"PK"


def test_tax_records_follow_a_return(world: World, session: Session) -> None:
    """The ledger nets the return off its list; the deemed-income revenue drops in the quarter of return."""
    tx = world.tx()  # 33 USD = 234.30 CNY, exported 2026-03-05 (Q1)
    lst = world.ship(tx)
    back = dt.datetime(2026, 4, 10, 10, tzinfo=BEIJING_NOON)  # Q2
    world.send(M.refund_xml(tx, lst.invt_no, [(2, Decimal("1"))], "破损", back), back)  # the 8 USD mug
    (row,) = ledgers.tax_free_ledger(session, world.seller.id, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert row.returned_cny == Decimal("56.80") and row.net_cny == Decimal("177.50")
    st = ledgers.deemed_statement(session, world.seller.id, 2026)
    assert st is not None
    assert [p.revenue for p in st.periods[:2]] == [Decimal("234.30"), Decimal("-56.80")]
    assert st.periods[4].cumulative_revenue == Decimal("177.50")
