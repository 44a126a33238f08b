"""Demo step "clearance": four months of retail import trade (the export step's window) (9610 direct purchase and 1210 bonded)
declared as real CEB messages through `ingest`, by the registry demo's enterprises (platform1,
seller1..3, payment1, logistics1, broker1, warehouse1): the buyers in the identity registry, the
bonded warehouse's stock-in, a realistic share of faulty declarations, inspections concluded by
customs, withdrawals and returns (some in time, one too late)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.clearance import bonded, pipeline
from silkgate.declarations.service import authorise_broker, clock_at, ingest
from silkgate.declarations.synthetic import (
    DEFAULT_PRODUCTS,
    ImportTransaction,
    Party,
    TradingParties,
    TransactionFactory,
    cancel_xml,
    refund_xml,
    transaction_messages,
)
from silkgate.declarations.trading import file_commodities, register_buyers
from silkgate.demo import DemoContext, trading_start
from silkgate.export.demo import load_demo_rates
from silkgate.kit.cebtime import now_utc
from silkgate.models.declarations import Declaration
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Enterprise

TRANSACTIONS = 240
_ROLE_LOGINS = {
    "platform": ("platform1",),
    "seller": ("seller1", "seller2", "seller3"),
    "payment": ("payment1",),
    "logistics": ("logistics1",),
    "broker": ("broker1",),
    "warehouse": ("warehouse1",),
}


def _enterprises(ctx: DemoContext, role: str) -> list[Enterprise]:
    """The demo logins' enterprises of a role (in zones without them: the first approved ones)."""
    session = ctx.session
    logins = [f"{name}" for name in _ROLE_LOGINS[role]]
    found = list(
        session.scalars(
            select(Enterprise)
            .join(Organisation, Organisation.id == Enterprise.org_id)
            .join(User, User.org_id == Organisation.id)
            .where(
                User.username.in_(logins),
                Enterprise.zone_code == ctx.zone_code,
                Enterprise.status == "approved",
            )
            .order_by(User.username)
        )
    )
    if found:
        return found
    ids = ctx.shared.get("enterprise_ids_by_role", {}).get(role, [])[: len(logins)]
    return [e for e in (session.get(Enterprise, i) for i in ids) if e is not None]


def _party(e: Enterprise) -> Party:
    return Party(e.customs_code, e.name)


def load(ctx: DemoContext) -> str:
    session = ctx.session
    rng = ctx.rng
    ents = {role: _enterprises(ctx, role) for role in _ROLE_LOGINS}
    missing = [role for role, found in ents.items() if not found]
    if missing:
        return f"跳过：本综试区缺少{'、'.join(missing)}企业备案"
    sellers = ents["seller"]
    warehouse = ents["warehouse"][0]
    # The rate table before the first release: imports are counted in US dollars as exports are.
    load_demo_rates(session, ctx.zone_code, ctx.today)
    for seller in sellers:
        file_commodities(session, seller, DEFAULT_PRODUCTS)
    authorise_broker(session, sellers[0].id, ents["broker"][0].id)
    parties = TradingParties(
        platforms=[_party(e) for e in ents["platform"]],
        sellers=[_party(e) for e in sellers],
        payments=[_party(e) for e in ents["payment"]],
        logistics=[_party(e) for e in ents["logistics"]],
        brokers={sellers[0].customs_code: _party(ents["broker"][0])},
        warehouses=[_party(warehouse)],
        ems_no_by_warehouse={warehouse.customs_code: f"T{ctx.zone_code[:4]}W{warehouse.id:06d}"},
    )
    # Goods entered into the bonded warehouse (入区), one item kept short to show a stock rejection.
    for n, seller in enumerate(sellers):
        bonded.stock_in(
            session,
            warehouse_enterprise_id=warehouse.id,
            zone_code=ctx.zone_code,
            owner_code=seller.customs_code,
            lines=[
                bonded.StockInLine(
                    item_no=p.item_no,
                    quantity=Decimal(2) if (n, p.item_no) == (2, "MK-A2-900") else Decimal(400),
                    item_name=p.name,
                    unit=p.unit,
                )
                for p in DEFAULT_PRODUCTS
            ],
            reference=f"QD{ctx.zone_code}{n + 1:04d}",
        )
    # Not later than the load itself: nothing of the demo is stamped in the future.
    now = min(dt.datetime.combine(ctx.today, dt.time(2, 0), tzinfo=dt.UTC), now_utc())
    start = dt.datetime.combine(trading_start(ctx.today), dt.time(1, 0), tzinfo=dt.UTC)
    factory = TransactionFactory(rng, parties, buyers=90, start=start, fault_rate=1.5)
    step = (now - start) / TRANSACTIONS
    txs: list[tuple[ImportTransaction, dt.datetime]] = []
    for i in range(TRANSACTIONS):
        at = start + step * i + dt.timedelta(minutes=rng.randint(0, 50))
        txs.append((factory.make(at=at), at))
    register_buyers(session, [tx for tx, _ in txs])
    outcomes: Counter[str] = Counter()
    for tx, at in txs:
        messages = transaction_messages(tx)
        kinds = ["order", "payment", "waybill", "inventory"]
        if rng.random() < 0.3:
            rng.shuffle(kinds)  # documents from different senders arrive in any order
        for n, kind in enumerate(kinds):
            ingest(session, messages[kind], received_at=at + dt.timedelta(minutes=3 * n + rng.randint(0, 2)))
    lists = {
        row.order_no: row
        for row in session.execute(
            select(
                Declaration.id,
                Declaration.order_no,
                Declaration.status,
                Declaration.invt_no,
                Declaration.released_at,
            ).where(Declaration.kind == "inventory", Declaration.zone_code == ctx.zone_code)
        )
    }
    # Customs concludes the inspections of lists held for more than a day.
    customs_ids = ctx.shared.get("org_ids_by_kind", {}).get("customs") or []
    customs = session.get(Organisation, customs_ids[0]) if customs_ids else None
    if customs is not None:
        inspector = principal_for_org(session, customs)
        held = [
            (tx, at)
            for tx, at in txs
            if lists.get(tx.order_no) is not None and lists[tx.order_no].status == "held"
        ]
        for n, (tx, at) in enumerate(held):
            if at > now - dt.timedelta(days=1):
                continue
            passed = n % 7 != 3
            ingest_clock = at + dt.timedelta(hours=rng.randint(3, 20))
            _conclude(session, lists[tx.order_no].id, inspector, passed, ingest_clock)
    lists = {
        row.order_no: row
        for row in session.execute(
            select(
                Declaration.id,
                Declaration.order_no,
                Declaration.status,
                Declaration.invt_no,
                Declaration.released_at,
            ).where(Declaration.kind == "inventory", Declaration.zone_code == ctx.zone_code)
        )
    }
    released = [
        (tx, lists[tx.order_no])
        for tx, _ in txs
        if tx.order_no in lists and lists[tx.order_no].status == "released"
    ]
    rng.shuffle(released)
    withdrawals = returns = 0
    for tx, row in released[:6]:
        when = row.released_at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
        if when < now:
            ingest(
                session,
                cancel_xml(tx, row.invt_no, rng.choice(("订购人取消订单", "商品缺货无法发货", "重复下单"))),
                received_at=when,
            )
            withdrawals += 1
    for k, (tx, row) in enumerate(released[6:16]):
        late = k == 0 and row.released_at < now - dt.timedelta(days=32)
        days = 31 if late else rng.randint(2, 20)
        when = row.released_at + dt.timedelta(days=days, hours=rng.randint(0, 8))
        if when >= now:
            continue
        part = {1: tx.lines[0].qty} if len(tx.lines) > 1 and k % 2 else None
        ingest(
            session,
            refund_xml(
                tx, row.invt_no, rng.choice(("商品破损", "尺码/规格不符", "七日无理由退货")), returned=part
            ),
            received_at=when,
        )
        returns += 1
    for status in session.scalars(
        select(Declaration.status).where(
            Declaration.kind == "inventory", Declaration.zone_code == ctx.zone_code
        )
    ):
        outcomes[status] += 1
    labels = {
        "released": "放行",
        "rejected": "退单",
        "held": "查验中",
        "withdrawn": "撤销",
        "returned": "退货",
        "waiting": "待三单",
        "declared": "已申报",
    }
    summary = "，".join(f"{labels.get(k, k)}{v}" for k, v in sorted(outcomes.items(), key=lambda kv: -kv[1]))
    return (
        f"进口交易{TRANSACTIONS}笔（{TRANSACTIONS * 4}个CEB报文，{start:%Y-%m-%d}起，9610与1210）经申报管道处理："
        f"{summary}；撤销申请{withdrawals}份，退货申请{returns}份"
    )


def _conclude(session: Session, list_id: int, inspector: Principal, passed: bool, at: dt.datetime) -> None:
    with clock_at(session, at):
        pipeline.conclude_inspection(
            session,
            list_id,
            inspector,
            passed=passed,
            note="货证相符，准予放行" if passed else "申报品名与实货不符",
        )
