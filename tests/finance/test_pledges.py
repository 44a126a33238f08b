"""Warehouse-receipt pledge (仓单质押, FIN-02): the pledged quantity is locked — a second pledge of
the same goods is refused, an outbound that would take pledged goods is refused, and the lock is
released when the loan closes or is declined. Exact under concurrency (two transactions at once)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from silkgate.db import unit_of_work
from silkgate.exceptions import ValidationFailed
from silkgate.finance import pledges, schemas, service
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import schemas as lschemas
from silkgate.logistics import service as logistics
from silkgate.models.finance import FinancingApplication, FinancingEvent, PledgeLock, PledgePosition
from silkgate.models.logistics import StockMovement, Warehouse, WarehouseStock
from silkgate.models.org import ApiKey, AuditEntry, Organisation
from silkgate.models.registry import Enterprise, EnterpriseChange, EnterpriseRole

from .conftest import World, build_world, pledge_application


def _pledged(session: Session, w: World) -> Decimal:
    return pledges.pledged_quantity(session, "overseas", pledges.overseas_position_key(w.stock_id))


def _outbound(session: Session, w: World, qty: str, ref: str) -> lschemas.StockReportResult:
    return logistics.report_stock(
        session,
        w.warehouse_p,
        w.warehouse_id,
        [
            lschemas.MovementIn(
                reference=ref,
                kind="outbound",
                owner_customs_code=w.seller.customs_code,
                item_no="SKU-LAMP",
                quantity=Decimal(qty),
                occurred_at=now_utc(),
            )
        ],
    )


def test_double_pledge_of_the_same_goods_is_refused(session: Session, world: World) -> None:
    pledge_application(session, world, quantity="70", amount="2000")
    assert _pledged(session, world) == Decimal("70")
    with pytest.raises(ValidationFailed) as exc:
        pledge_application(session, world, quantity="31", amount="500")
    assert exc.value.errors[0].field == "pledge_lines[0].quantity"
    assert exc.value.errors[0].code == "pledge_exceeds_free_stock"
    pledge_application(session, world, quantity="30", amount="500")  # exactly the free rest
    assert _pledged(session, world) == Decimal("100")


def test_pledged_goods_cannot_leave_the_warehouse(session: Session, world: World) -> None:
    pledge_application(session, world, quantity="70", amount="2000")
    with pytest.raises(ValidationFailed) as exc:
        _outbound(session, world, "31", "OUT-1")
    assert exc.value.errors[0].code == "stock_pledged_or_short"
    assert _outbound(session, world, "30", "OUT-2").accepted == 1


def test_decline_and_repayment_release_the_lock(session: Session, world: World) -> None:
    w = world
    declined = pledge_application(session, w, quantity="50", amount="1000")
    service.decide(session, w.bank_p, declined, schemas.DecisionIn(approve=False, note="押品估值不足"))
    assert _pledged(session, w) == Decimal("0")
    app = pledge_application(session, w, quantity="60", amount="1500")
    service.decide(session, w.bank_p, app, schemas.DecisionIn(approve=True, annual_rate=Decimal("0.05")))
    service.disburse(session, w.bank_p, app, Decimal("1500"))
    service.record_repayment(
        session, w.bank_p, app, schemas.RepaymentIn(amount=Decimal("500"), paid_on=dt.date(2026, 3, 1))
    )
    assert app.status == "disbursed" and _pledged(session, w) == Decimal("60")
    service.record_repayment(
        session, w.bank_p, app, schemas.RepaymentIn(amount=Decimal("1000"), paid_on=dt.date(2026, 4, 1))
    )
    assert app.status == "closed"
    assert _pledged(session, w) == Decimal("0")
    assert [e.status for e in service.application_events(session, app.id)] == [
        "applied",
        "approved",
        "disbursed",
        "disbursed",
        "disbursed",
        "closed",
    ]


def test_amount_above_advance_ratio_is_refused(session: Session, world: World) -> None:
    # 40 units x 50 CNY = 2,000 CNY of collateral; a pledge advances at most 60 % = 1,200 CNY
    with pytest.raises(ValidationFailed) as exc:
        pledge_application(session, world, quantity="40", amount="1200.01")
    assert exc.value.errors[0].code == "exceeds_collateral"


def test_concurrent_pledges_never_exceed_the_stock(engine: Engine) -> None:
    """Two transactions pledge 60 of the same 100 units at the same moment: exactly one wins."""
    with unit_of_work(engine) as s:
        w = build_world(s, zone_code="222401")  # committed: removed again by _purge below
    try:
        _race(engine, w)
    finally:
        _purge(engine, w)


def _purge(engine: Engine, w: World) -> None:
    """Delete what the concurrency test committed, children first, so later tests see a clean zone."""
    with unit_of_work(engine) as s:
        ents = [w.seller.id, w.warehouse_p.enterprise_id]
        orgs = [w.seller.org_id, w.warehouse_p.org_id, w.bank_org_id, w.other_bank_org_id, w.insurer_org_id]
        apps = select(FinancingApplication.id).where(FinancingApplication.enterprise_id == w.seller.id)
        s.execute(delete(FinancingEvent).where(FinancingEvent.application_id.in_(apps)))
        s.execute(delete(PledgeLock).where(PledgeLock.application_id.in_(apps)))
        s.execute(delete(FinancingApplication).where(FinancingApplication.enterprise_id == w.seller.id))
        s.execute(delete(PledgePosition).where(PledgePosition.enterprise_id == w.seller.id))
        s.execute(delete(StockMovement).where(StockMovement.warehouse_id == w.warehouse_id))
        s.execute(delete(WarehouseStock).where(WarehouseStock.warehouse_id == w.warehouse_id))
        s.execute(delete(Warehouse).where(Warehouse.id == w.warehouse_id))
        s.execute(delete(EnterpriseChange).where(EnterpriseChange.enterprise_id.in_(ents)))
        s.execute(delete(EnterpriseRole).where(EnterpriseRole.enterprise_id.in_(ents)))
        s.execute(delete(Enterprise).where(Enterprise.id.in_(ents)))
        s.execute(delete(AuditEntry).where(AuditEntry.actor_org_id.in_(orgs)))
        s.execute(delete(ApiKey).where(ApiKey.org_id.in_(orgs)))
        s.execute(delete(Organisation).where(Organisation.id.in_(orgs)))


def _race(engine: Engine, w: World) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            with unit_of_work(engine) as s:
                service.apply_for_financing(
                    s,
                    w.seller_p,
                    schemas.ApplicationCreate(
                        bank_org_id=w.bank_org_id,
                        product="warehouse_pledge",
                        amount_requested=Decimal("1000"),
                        term_days=60,
                        purpose="并发质押",
                        pledge_lines=[
                            schemas.PledgeLineIn(
                                source="overseas", stock_id=w.stock_id, quantity=Decimal("60")
                            )
                        ],
                    ),
                )
            outcomes.append("ok")
        except ValidationFailed as exc:
            outcomes.append(exc.errors[0].code)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "pledge_exceeds_free_stock"]
    with Session(engine) as s:
        position = s.scalar(
            select(PledgePosition).where(
                PledgePosition.position_key == pledges.overseas_position_key(w.stock_id)
            )
        )
        assert position is not None and position.pledged_quantity == Decimal("60")
        apps = s.scalars(
            select(FinancingApplication).where(FinancingApplication.enterprise_id == w.seller.id)
        )
        assert len(list(apps)) == 1
