"""Set up the enterprises, goods, broker authorisations, buyers and bonded stock a synthetic import
trade needs, through the same services users call (registry filing, identity registry, bonded
account book). Used by the clearance demo, the ingest benchmark and the tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from silkgate.clearance import bonded, identity
from silkgate.declarations.service import authorise_broker
from silkgate.declarations.synthetic import (
    DEFAULT_PRODUCTS,
    ImportTransaction,
    Party,
    Product,
    TradingParties,
)
from silkgate.demo import synth
from silkgate.models.registry import Enterprise
from silkgate.registry import service as registry

_NAMES = {
    "platform": ["{city}优选跨境电商平台有限公司", "{city}全球购网络科技有限公司"],
    "seller": ["{city}海淘商贸有限公司", "{city}环球母婴用品有限公司", "{city}美妆国际贸易有限公司"],
    "payment": ["{city}易付通支付科技有限公司"],
    "logistics": ["{city}速达国际物流有限公司", "{city}跨境通供应链有限公司"],
    "broker": ["{city}通关报关服务有限公司"],
    "warehouse": ["{city}综合保税区仓储有限公司"],
}


@dataclass
class TradeSetup:
    parties: TradingParties
    enterprises: dict[str, Enterprise] = field(default_factory=dict)  # customs code -> filing

    def enterprise(self, party: Party) -> Enterprise:
        return self.enterprises[party.code]


def _file(session: Session, rng: random.Random, zone_code: str, role: str, name: str) -> Enterprise:
    while True:
        uscc = synth.uscc(rng, zone_code)
        code = synth.customs_code(rng, zone_code)
        if (
            registry.enterprise_by_uscc(session, uscc) is None
            and registry.enterprise_by_customs_code(session, code) is None
        ):
            break
    return registry.file_enterprise(
        session,
        {
            "uscc": uscc,
            "customs_code": code,
            "name": name,
            "roles": [role],
            "contact_name": synth.person_name(rng),
            "contact_phone": synth.phone(rng),
            "registered_address": synth.address(rng, "140000"),
        },
        zone_code=zone_code,
        approved=True,
    )


def _party(enterprise: Enterprise) -> Party:
    return Party(enterprise.customs_code, enterprise.name)


def file_commodities(session: Session, seller: Enterprise, products: Sequence[Product]) -> None:
    for p in products:
        if registry.commodity_by_item_no(session, seller.id, p.item_no) is not None:
            continue
        registry.file_commodity(
            session,
            seller,
            {
                "item_no": p.item_no,
                "name": p.name,
                "hs_code": p.hs_code,
                "model": p.model,
                "origin_country": p.country,
                "unit": p.unit,
                "unit_price": p.price,
                "barcode": p.bar_code or None,
            },
        )


def new_trade(
    session: Session,
    zone_code: str,
    rng: random.Random,
    *,
    city: str = "运城",
    sellers: int = 2,
    broker_for_first_seller: bool = True,
    products: Sequence[Product] = DEFAULT_PRODUCTS,
) -> TradeSetup:
    """File a platform, sellers (with their goods), a payment and a logistics enterprise, a customs
    broker authorised by the first seller, and a bonded warehouse — all approved."""
    made: dict[str, list[Enterprise]] = {}
    counts = {"platform": 1, "seller": sellers, "payment": 1, "logistics": 1, "broker": 1, "warehouse": 1}
    for role, count in counts.items():
        names = _NAMES[role]
        made[role] = [
            _file(
                session,
                rng,
                zone_code,
                role,
                names[i % len(names)].format(city=city) + ("" if i < len(names) else f"{i}"),
            )
            for i in range(count)
        ]
    for seller in made["seller"]:
        file_commodities(session, seller, products)
    brokers: dict[str, Party] = {}
    if broker_for_first_seller:
        authorise_broker(session, made["seller"][0].id, made["broker"][0].id)
        brokers[made["seller"][0].customs_code] = _party(made["broker"][0])
    warehouse = made["warehouse"][0]
    parties = TradingParties(
        platforms=[_party(e) for e in made["platform"]],
        sellers=[_party(e) for e in made["seller"]],
        payments=[_party(e) for e in made["payment"]],
        logistics=[_party(e) for e in made["logistics"]],
        brokers=brokers,
        warehouses=[_party(warehouse)],
        ems_no_by_warehouse={
            warehouse.customs_code: f"T{warehouse.customs_code[:4]}W{warehouse.id:06d}"[:12]
        },
    )
    setup = TradeSetup(parties=parties)
    for group in made.values():
        for e in group:
            setup.enterprises[e.customs_code] = e
    return setup


def register_buyers(session: Session, transactions: Iterable[ImportTransaction]) -> int:
    """Put the transactions' buyers into the identity registry, as the zone loads it. A transaction
    with the `identity_mismatch` fault registers its ID number under another name."""
    rows: dict[str, str] = {}
    for tx in transactions:
        registered = tx.overrides.get("identity", {}).get("registered_name", tx.buyer_name)
        rows.setdefault(tx.buyer_id, registered)
    if not rows:
        return 0
    report = identity.load_identities(
        session, [{"name": n, "id_number": i} for i, n in rows.items()], source="synthetic"
    )
    return report.total


def stock_in_bonded(
    session: Session,
    setup: TradeSetup,
    zone_code: str,
    *,
    quantity: Decimal = Decimal("100000"),
    reference: str = "入区核注清单QD0001",
    products: Sequence[Product] = DEFAULT_PRODUCTS,
) -> None:
    """Enter every seller's goods into the bonded warehouse's account book."""
    warehouse = setup.enterprise(setup.parties.warehouses[0])
    for seller in setup.parties.sellers:
        bonded.stock_in(
            session,
            warehouse_enterprise_id=warehouse.id,
            zone_code=zone_code,
            owner_code=seller.code,
            lines=[
                bonded.StockInLine(item_no=p.item_no, quantity=quantity, item_name=p.name, unit=p.unit)
                for p in products
            ],
            reference=reference,
        )
