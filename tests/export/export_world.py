"""An export world: a platform, seller, logistics and payment firm of zone 140800, a USD rate, and
helpers that send real CEB messages through the shared `ingest` pipeline."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_enterprise
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import Party
from silkgate.export import fx
from silkgate.export import messages as M
from silkgate.models.export import ExportList, ExportSellerSetting, ExportZoneSetting
from silkgate.models.registry import Enterprise

BEIJING_NOON = dt.timezone(dt.timedelta(hours=8))
SHIRT = M.ExportGoods(
    "SKU-TS-01",
    "棉制针织T恤衫",
    "6109100021",
    "男式，100%棉，针织",
    "011",
    "035",
    Decimal("0.2"),
    Decimal("12.5"),
)
MUG = M.ExportGoods(
    "SKU-MUG-02", "陶瓷马克杯", "6912001000", "350ml，日用陶瓷", "011", "035", Decimal("0.4"), Decimal("8")
)
_seq = itertools.count(1)


def party(e: Enterprise) -> Party:
    return Party(e.customs_code, e.name)


@dataclass
class World:
    session: Session
    seller: Enterprise
    platform: Enterprise
    logistics: Enterprise
    payment: Enterprise

    def tx(
        self,
        lines: list[tuple[M.ExportGoods, Decimal]] | None = None,
        *,
        at: dt.datetime | None = None,
        seller: Enterprise | None = None,
        **kw: object,
    ) -> M.ExportTransaction:
        n = next(_seq)
        s = seller or self.seller
        return M.ExportTransaction(
            seller=party(s),
            platform=party(self.platform),
            logistics=party(self.logistics),
            agent=party(s),
            payment=party(self.payment),
            order_no=f"EO{n:08d}{s.id}",
            logistics_no=f"LP{n:010d}{s.id}",
            cop_no=f"C{n:08d}{s.id}",
            lines=lines or [(SHIRT, Decimal("2")), (MUG, Decimal("1"))],
            declared_at=at or dt.datetime(2026, 3, 5, 10, 0, tzinfo=BEIJING_NOON),
            **kw,  # type: ignore[arg-type]
        )

    def send(self, data: bytes, at: dt.datetime | None = None) -> list[dict[str, object]]:
        out = ingest(self.session, data, received_at=at)
        self.session.flush()
        return [r.as_dict() for r in out]

    def ship(
        self,
        tx: M.ExportTransaction,
        *,
        collect: Decimal | None = None,
        arrive: bool = True,
        depart: bool = True,
    ) -> ExportList:
        """Order, collection (full unless told), waybill, list, arrival, departure — as a day of trade."""
        at = tx.declared_at
        self.send(M.order_xml(tx), at)
        if collect is None:
            collect = tx.goods_value
        if collect:
            self.send(M.collection_xml(tx, collect, at + dt.timedelta(minutes=5)), at)
        self.send(M.waybill_xml(tx), at)
        self.send(M.inventory_xml(tx), at + dt.timedelta(minutes=10))
        if arrive:
            self.send(
                M.arrival_xml(
                    party(self.logistics),
                    party(self.logistics),
                    [tx.logistics_no],
                    at + dt.timedelta(hours=2),
                    tx.customs_code,
                    f"A{tx.cop_no}",
                ),
                at + dt.timedelta(hours=2),
            )
        if depart:
            self.send(
                M.departure_xml(
                    party(self.logistics),
                    [tx.logistics_no],
                    at + dt.timedelta(hours=20),
                    tx.customs_code,
                    f"D{tx.cop_no}",
                ),
                at + dt.timedelta(hours=20),
            )
        return self.list_of(tx)

    def list_of(self, tx: M.ExportTransaction) -> ExportList:
        lst = self.session.scalar(select(ExportList).where(ExportList.order_no == tx.order_no))
        assert lst is not None, "the list was not stored"
        return lst


def make_world(session: Session) -> World:
    w = World(
        session=session,
        seller=make_enterprise(session, roles=("seller",)),
        platform=make_enterprise(session, roles=("platform",)),
        logistics=make_enterprise(session, roles=("logistics",)),
        payment=make_enterprise(session, roles=("payment",)),
    )
    fx.load_rates(
        session,
        [fx.RateRow("502", "7.1", "2026-01-01"), fx.RateRow("300", "7.8", "2026-01-01")],
        zone_code="140800",
        default_source="测试汇率",
        actor=None,
    )
    if session.get(ExportZoneSetting, "140800") is None:
        session.add(ExportZoneSetting(zone_code="140800", customs_codes=["0509"]))
    session.flush()
    return w


def seller_settings(session: Session, seller: Enterprise, **values: object) -> ExportSellerSetting:
    s = session.scalar(select(ExportSellerSetting).where(ExportSellerSetting.enterprise_id == seller.id))
    if s is None:
        s = ExportSellerSetting(enterprise_id=seller.id, zone_code=seller.zone_code)
        session.add(s)
    for k, v in values.items():
        setattr(s, k, v)
    session.flush()
    return s
