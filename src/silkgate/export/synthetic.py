"""Realistic synthetic export transactions written as real CEB messages (202205 edition), for
`silkgate bench ingest --mix export|all`.

One transaction is an export order (CEB303), the payment collection (CEB403, unless the seller is on
清单核放、汇总统计 or ships 9810 stock, or the collection is still missing), the waybill (CEB505), the
inventory list (CEB603), the parcel's arrival at the supervised site (CEB507) and its departure
(CEB509). Most are 9610 parcels to the US, UK, Germany and Japan; the rebate-path seller also ships
9710 B2B consignments and 9810 stock to its filed overseas warehouse. A realistic share of them is
faulty (list disagreeing with the order or the waybill, a collection that never came, a parcel that
never reached the site, B2B consignments above the list limit or without a filing), so not every
list is released.

The setup goes through the same services users call (`declarations.trading.new_trade` for the
enterprises, `export.filings` for the seller settings, B2B and overseas-warehouse filings,
`export.fx.load_rates` for the rate table); the goods, markets and rates are the export demo's.
The factory is deterministic under its random generator (transaction content, faults, document
guids and arrival order; envelope guids are fresh UUIDs) and generates chunk by chunk, so a
benchmark's memory stays flat as N grows.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.orm import Session

from silkgate.declarations.synthetic import Party
from silkgate.declarations.trading import TradeSetup
from silkgate.export import fx
from silkgate.export import messages as M
from silkgate.export.demo import (
    DEMO_CUSTOMS,
    GOODS,
    MARKETS,
    RATES,
    WAREHOUSE_COUNTRY,
    enterprise_principal,
    file_seller_profile,
)
from silkgate.export.rules import (
    B2B_DIRECT_EXPORT,
    OVERSEAS_WAREHOUSE_EXPORT,
    RETAIL_EXPORT,
    collection_required,
)
from silkgate.models.export import ExportZoneSetting

D = Decimal

# Seller profiles, as in the export demo: 9610 on 汇总申报 without invoices (无票免税, 核定征收);
# 汇总统计 (no FX settlement, statisticsFlag A); 汇总申报 with invoices, also 9710 and 9810.
ROLES = ("exempt", "statistics", "rebate")
PATHS = {"exempt": "summary_declaration", "statistics": "summary_statistics", "rebate": "summary_declaration"}

# Realistic faults and their share of transactions.
EXPORT_FAULTS = (
    ("list_qty_differs", 0.010),  # the list declares another quantity than the order: 退单
    ("list_item_differs", 0.005),  # another item number (wrong SKU picked): 退单
    ("waybill_seller_differs", 0.004),  # the waybill names another consignor: 退单
    ("missing_collection", 0.012),  # no CEB403 although the seller settles FX: the list waits
    ("not_arrived", 0.010),  # the parcel never reached the supervised site: the list waits
    ("b2b_over_limit", 0.006),  # a 9710 consignment above 5,000 CNY belongs on a declaration form: 退单
    ("b2b_not_filed", 0.004),  # 9710 by a seller without the B2B filing: the list waits
    ("warehouse_not_filed", 0.004),  # 9810 to a country without a filed warehouse: the list waits
)


@dataclass(frozen=True)
class ExportSeller:
    party: Party
    role: str  # exempt | statistics | rebate
    b2b_modes: frozenset[str] = frozenset()
    warehouse_countries: frozenset[str] = frozenset()

    @property
    def declaration_path(self) -> str:
        return PATHS[self.role]


@dataclass(frozen=True)
class ExportParties:
    """The enterprises of a synthetic export trade."""

    sellers: list[ExportSeller]
    platforms: list[Party]
    payments: list[Party]
    logistics: list[Party]


@dataclass
class ExportPlan:
    """One synthetic export transaction and how its messages go out."""

    tx: M.ExportTransaction
    fault: str | None = None
    collection: Decimal | None = None  # amount of the CEB403; None: no collection is sent
    collection_late: bool = False  # the collection comes after the parcel's arrival
    arrives: bool = True
    departs: bool = True
    list_tx: M.ExportTransaction | None = None  # what the list says, when it disagrees with the order
    waybill_tx: M.ExportTransaction | None = None  # what the waybill says, when it disagrees

    def documents(self) -> list[bytes]:
        """Order, collection (when sent), waybill and list — in the order the enterprises sent them."""
        tx = self.tx
        out = [M.order_xml(tx)]
        if self.collection is not None and not self.collection_late:
            out.append(self.collection_message())
        out.append(M.waybill_xml(self.waybill_tx or tx))
        out.append(M.inventory_xml(self.list_tx or tx))
        return out

    def collection_message(self) -> bytes:
        assert self.collection is not None
        return M.collection_xml(self.tx, self.collection, self.tx.declared_at + dt.timedelta(minutes=5))

    def arrival(self) -> bytes:
        tx = self.tx
        at = tx.declared_at + dt.timedelta(hours=2)
        return M.arrival_xml(
            tx.logistics, tx.logistics, [tx.logistics_no], at, tx.customs_code, f"A{tx.cop_no}"[:30]
        )

    def departure(self) -> bytes:
        tx = self.tx
        at = tx.declared_at + dt.timedelta(hours=8)
        return M.departure_xml(tx.logistics, [tx.logistics_no], at, tx.customs_code, f"D{tx.cop_no}"[:30])


def prepare_export_trade(
    session: Session, setup: TradeSetup, zone_code: str, rng: random.Random, *, today: dt.date
) -> ExportParties:
    """Make the filed enterprises of `setup` an export trade: the zone's customs office, the rate
    table (from a month before `today`), each seller's declaration path and tax facts, and for the
    rebate-path seller the 9710/9810 filings and a US overseas warehouse."""
    if session.get(ExportZoneSetting, zone_code) is None:
        session.add(ExportZoneSetting(zone_code=zone_code, customs_codes=[DEMO_CUSTOMS]))
    source = "演示汇率（近似值，非官方折算率）"
    valid_from = (today - dt.timedelta(days=31)).replace(day=1)
    fx.load_rates(
        session,
        [fx.RateRow(c, r, valid_from.isoformat(), source) for c, r in RATES.items()],
        zone_code=zone_code,
        default_source=source,
        actor=None,
    )
    sellers: list[ExportSeller] = []
    for i, party in enumerate(setup.parties.sellers):
        role = ROLES[i % len(ROLES)]
        e = setup.enterprise(party)
        p = enterprise_principal(session, e)
        file_seller_profile(session, e, role, p, rng, today)
        modes: frozenset[str] = frozenset()
        countries: frozenset[str] = frozenset()
        if role == "rebate":
            modes = frozenset((B2B_DIRECT_EXPORT, OVERSEAS_WAREHOUSE_EXPORT))
            countries = frozenset((WAREHOUSE_COUNTRY,))
        sellers.append(ExportSeller(party, role, modes, countries))
    session.flush()
    parties = setup.parties
    return ExportParties(
        sellers=sellers,
        platforms=list(parties.platforms),
        payments=list(parties.payments),
        logistics=list(parties.logistics),
    )


class ExportTransactionFactory:
    """Draws realistic export transactions: sellers' trade modes and markets, basket sizes, partial
    and over-collections, late collections, parcels still on their way, and a share of faults."""

    def __init__(
        self,
        rng: random.Random,
        parties: ExportParties,
        goods: Sequence[M.ExportGoods] = GOODS,
        *,
        customs_code: str = DEMO_CUSTOMS,
        b2b_share: float = 0.25,
        fault_rate: float = 1.0,
        start: dt.datetime | None = None,
        spacing: dt.timedelta = dt.timedelta(seconds=37),
    ) -> None:
        if not parties.sellers:
            raise ValueError("an export trade needs at least one seller")
        self.rng = rng
        self.parties = parties
        self.goods = list(goods)
        self.customs_code = customs_code
        self.b2b_share = b2b_share
        self.fault_rate = fault_rate
        self.start = start or dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)
        self.spacing = spacing
        self.counter = 0

    # --- one transaction ---------------------------------------------------------------------

    def _fault(self) -> str | None:
        roll = self.rng.random()
        threshold = 0.0
        for fault, share in EXPORT_FAULTS:
            threshold += share * self.fault_rate
            if roll < threshold:
                return fault
        return None

    def _seller_and_mode(self, fault: str | None) -> tuple[ExportSeller, str]:
        rng = self.rng
        sellers = self.parties.sellers
        if fault == "b2b_not_filed":
            unfiled = [s for s in sellers if B2B_DIRECT_EXPORT not in s.b2b_modes]
            if unfiled:
                return rng.choice(unfiled), B2B_DIRECT_EXPORT
        if fault in ("b2b_over_limit", "warehouse_not_filed"):
            mode = B2B_DIRECT_EXPORT if fault == "b2b_over_limit" else OVERSEAS_WAREHOUSE_EXPORT
            filed = [s for s in sellers if mode in s.b2b_modes]
            if filed:
                return rng.choice(filed), mode
        seller = rng.choice(sellers)
        mode = RETAIL_EXPORT
        if seller.b2b_modes and rng.random() < self.b2b_share:
            mode = rng.choice(sorted(seller.b2b_modes))
        return seller, mode

    def _market(self, seller: ExportSeller, mode: str, fault: str | None) -> tuple[str, str]:
        if mode == OVERSEAS_WAREHOUSE_EXPORT:
            if fault == "warehouse_not_filed":
                others = [(d, c) for d, c, _ in MARKETS if d not in seller.warehouse_countries]
                if others:
                    return self.rng.choice(others)
            return self.rng.choice(sorted(seller.warehouse_countries or {WAREHOUSE_COUNTRY})), "502"
        dest, currency, _ = self.rng.choices(MARKETS, weights=[m[2] for m in MARKETS])[0]
        return dest, currency

    def _lines(self, mode: str, currency: str, over_limit: bool) -> list[tuple[M.ExportGoods, Decimal]]:
        rng = self.rng
        goods = rng.sample(self.goods, rng.randint(1, 3))
        if mode == RETAIL_EXPORT:
            lines = [(g, D(rng.choices((1, 2, 3, 4), weights=(5, 3, 1, 1))[0])) for g in goods]
        else:
            # 75号: a B2B consignment goes on a list only within 5,000 CNY (budget in USD-like units)
            budget = D(rng.randint(900, 1500) if over_limit else rng.randint(300, 650))
            lines = [(g, D(max(5, int(budget / len(goods) / g.price)))) for g in goods]
        if currency == "116":  # yen prices
            lines = [(replace(g, price=(g.price * D("148")).quantize(D("1"))), q) for g, q in lines]
        return lines

    def make(self) -> ExportPlan:
        rng = self.rng
        self.counter += 1
        n = self.counter
        fault = self._fault()
        seller, mode = self._seller_and_mode(fault)
        if fault in ("b2b_over_limit", "warehouse_not_filed") and mode == RETAIL_EXPORT:
            fault = None  # no seller files that mode
        if fault == "b2b_not_filed" and mode in seller.b2b_modes | {RETAIL_EXPORT}:
            fault = None  # every seller holds the filing
        dest, currency = self._market(seller, mode, fault)
        lines = self._lines(mode, currency, fault == "b2b_over_limit")
        when = self.start + self.spacing * n
        stamp = when.strftime("%y%m%d")
        tx = M.ExportTransaction(
            seller=seller.party,
            platform=rng.choice(self.parties.platforms),
            logistics=rng.choice(self.parties.logistics),
            agent=seller.party,
            payment=rng.choice(self.parties.payments),
            order_no=f"EX{stamp}{n:09d}{rng.randrange(100):02d}",
            logistics_no=f"EY{stamp}{n:010d}",
            cop_no=f"E{stamp}{n:011d}",
            lines=lines,
            declared_at=when,
            trade_mode=mode,
            statistics_flag="A" if seller.role == "statistics" else "B",
            currency=currency,
            country=dest,
            customs_code=self.customs_code,
            port_code=self.customs_code,
        )
        collected_at = when + dt.timedelta(minutes=5)
        for doc in ("order", "waybill", "inventory", f"collection-{collected_at.isoformat()}"):
            tx.guids[doc] = str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper()
        needs_collection = collection_required(mode, seller.declaration_path)
        if fault == "missing_collection" and not needs_collection:
            fault = None  # nothing to miss: this seller or mode settles no FX at export
        plan = ExportPlan(tx, fault)
        if needs_collection and fault != "missing_collection":
            share = rng.choices((D("1"), D("0.6"), D("1.05")), weights=(88, 8, 4))[0]
            plan.collection = (tx.goods_value * share).quantize(D("0.01"))
            plan.collection_late = rng.random() < 0.1
        if fault == "not_arrived":
            plan.arrives = plan.departs = False
        elif rng.random() < 0.03:  # the flight has not left yet
            plan.departs = False
        if fault == "list_qty_differs":
            g, q = lines[0]
            plan.list_tx = replace(tx, lines=[(g, q + 1), *lines[1:]])
        elif fault == "list_item_differs":
            g, q = lines[0]
            plan.list_tx = replace(tx, lines=[(replace(g, item_no=g.item_no + "-B"), q), *lines[1:]])
        elif fault == "waybill_seller_differs":
            others = [s.party for s in self.parties.sellers if s.party != seller.party]
            if others:
                plan.waybill_tx = replace(tx, seller=rng.choice(others))
            else:
                plan.fault = None
        return plan

    # --- a chunk of transactions, in arrival order ------------------------------------------

    def messages(self, count: int) -> list[bytes]:
        """`count` new transactions' messages in the order they reach the platform: the trade
        documents of neighbouring transactions interleave, each in the order its senders chose;
        a parcel's arrival comes a little later, its departure later still, and a late collection
        after the arrival (the list then waits for it). Everything of the chunk is in the chunk."""
        rng = self.rng
        keyed: list[tuple[float, int, bytes]] = []
        seq = 0

        def put(key: float, data: bytes) -> None:
            nonlocal seq
            keyed.append((key, seq, data))
            seq += 1

        for i in range(count):
            plan = self.make()
            docs = plan.documents()
            rng.shuffle(docs)  # order, collection, waybill and list come in any order
            for data in docs:
                put(i + rng.random() * 3, data)
            arrived = i + 3 + rng.expovariate(1 / 6)
            if plan.arrives:
                put(arrived, plan.arrival())
            if plan.departs:
                put(arrived + 1 + rng.expovariate(1 / 10), plan.departure())
            if plan.collection is not None and plan.collection_late:
                put(arrived + rng.expovariate(1 / 8), plan.collection_message())
        keyed.sort(key=lambda k: (k[0], k[1]))
        return [data for _, _, data in keyed]
