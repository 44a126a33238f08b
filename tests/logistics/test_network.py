"""Warehouses and their data feed (LOG-02/05/15), multimodal one-bill (LOG-08) and the returns
centre (LOG-12, 海关总署公告2020年第45号 退货监管)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import make_enterprise
from silkgate.events import TradeEvent, TradeLine, publish
from silkgate.exceptions import InvalidState, ValidationFailed
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import schemas, service

from .conftest import keyed


def _warehouse(kind: str = "overseas", code: str = "DE-HAM-01", country: str = "304") -> dict[str, object]:
    return {
        "code": code,
        "name": "汉堡公共海外仓",
        "kind": kind,
        "country": country,
        "city": "汉堡",
        "area_m2": "8000",
        "capacity_units": "1000",
        "is_public": True,
        "services": ["仓储", "退换货"],
    }


def _move(ref: str, kind: str, owner: str, qty: str, item: str = "SKU-A") -> dict[str, object]:
    return {
        "reference": ref,
        "kind": kind,
        "owner_customs_code": owner,
        "item_no": item,
        "item_name": "陶瓷茶具",
        "quantity": qty,
        "unit_value_cny": "80",
        "occurred_at": now_utc().isoformat(),
    }


def test_overseas_warehouse_feed_is_idempotent_and_all_or_nothing(
    session: Session, client: TestClient
) -> None:
    operator = make_enterprise(session, roles=("warehouse",))
    seller = make_enterprise(session, roles=("seller",))
    other = make_enterprise(session, roles=("seller",))
    _, h = keyed(session, operator)
    bad = client.post("/api/v1/logistics/warehouses", headers=h, json=_warehouse(country="142"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "overseas_in_china"
    wh = client.post("/api/v1/logistics/warehouses", headers=h, json=_warehouse()).json()
    url = f"/api/v1/logistics/warehouses/{wh['id']}/stock-reports"
    feed = {
        "movements": [
            _move("IN-1", "inbound", seller.customs_code, "300"),
            _move("IN-2", "inbound", other.customs_code, "50"),
        ]
    }
    assert client.post(url, headers=h, json=feed).json() == {"accepted": 2, "duplicates": 0}
    assert client.post(url, headers=h, json=feed).json() == {"accepted": 0, "duplicates": 2}
    # one good line and one that takes more than is there: nothing is written
    mixed = {
        "movements": [
            _move("OUT-1", "outbound", seller.customs_code, "10"),
            _move("OUT-2", "outbound", other.customs_code, "51"),
        ]
    }
    r = client.post(url, headers=h, json=mixed)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "movements[1].quantity"
    detail = client.get(f"/api/v1/logistics/warehouses/{wh['id']}", headers=h).json()
    assert Decimal(detail["stock_units"]) == 350
    assert Decimal(detail["utilisation"]) == Decimal("0.35")
    assert Decimal(detail["inbound_30d"]) == 350 and Decimal(detail["outbound_30d"]) == 0
    # an owner sees its own lines only; another enterprise's warehouse feed is refused
    _, seller_h = keyed(session, seller)
    mine = client.get(f"/api/v1/logistics/warehouses/{wh['id']}", headers=seller_h).json()
    assert [s["owner_enterprise_id"] for s in mine["stock"]] == [seller.id]
    assert client.post(url, headers=seller_h, json=feed).status_code == 403


def _bill(bill_no: str, legs: list[tuple[str, str, str, str]]) -> schemas.ConsignmentCreate:
    return schemas.ConsignmentCreate(
        bill_no=bill_no,
        route_name="中欧班列（运城—杜伊斯堡）",
        origin=legs[0][2],
        destination=legs[-1][3],
        packages=420,
        gross_weight_kg=Decimal("8600"),
        waybill_nos=["YT1", "YT2"],
        legs=[schemas.LegIn(mode=m, carrier_name=c, from_place=f, to_place=t) for m, c, f, t in legs],  # type: ignore[arg-type]
    )


RAIL = [
    ("road", "运城顺达公路运输", "运城", "西安国际港站"),
    ("rail", "中欧班列（长安号）", "西安国际港站", "杜伊斯堡"),
    ("road", "DB Schenker", "杜伊斯堡", "汉堡"),
]


def test_multimodal_bill_moves_leg_by_leg(session: Session) -> None:
    operator = make_enterprise(session, roles=("logistics",))
    p, _ = keyed(session, operator)
    with pytest.raises(ValidationFailed) as exc:
        service.create_consignment(session, p, _bill("MT-BAD", [RAIL[0], RAIL[2]]))
    assert exc.value.errors[0].code == "legs_not_connected"
    c = service.create_consignment(session, p, _bill("MT-2026-0001", RAIL))
    t = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidState):
        service.update_leg(session, p, c.id, 2, schemas.LegUpdate(status="in_transit", at=t))
    for seq, (dep, arr) in enumerate(((0, 10), (12, 300), (310, 330)), start=1):
        service.update_leg(
            session, p, c.id, seq, schemas.LegUpdate(status="in_transit", at=t + dt.timedelta(hours=dep))
        )
        service.update_leg(
            session, p, c.id, seq, schemas.LegUpdate(status="arrived", at=t + dt.timedelta(hours=arr))
        )
    assert c.status == "delivered"
    out = service.consignment_public(session, c)
    assert [(leg.mode, leg.status) for leg in out.legs] == [
        ("road", "arrived"),
        ("rail", "arrived"),
        ("road", "arrived"),
    ]
    fig = service.figures(session, "140800")
    route = next(r for r in fig.routes if r.route_name == "中欧班列（运城—杜伊斯堡）")
    assert route.mode == "rail+road" and route.packages >= 420


def test_returned_event_routes_goods_to_the_returns_warehouse(session: Session) -> None:
    operator = make_enterprise(session, roles=("warehouse",))
    seller = make_enterprise(session, roles=("seller",))
    p, _ = keyed(session, operator)
    wh = service.register_warehouse(
        session,
        p,
        schemas.WarehouseCreate(
            code="YC-RT-01",
            name="运城跨境电商退货中心仓",
            kind="returns",
            city="运城",
            area_m2=Decimal("2000"),
            capacity_units=Decimal("5000"),
        ),
    )
    event = TradeEvent(
        kind="returned",
        zone_code="140800",
        direction="export",
        trade_mode="9610",
        declaration_id=987654,
        business_no="RT-LIST-1",
        occurred_at=dt.datetime(2026, 10, 5, tzinfo=dt.UTC),
        enterprise_ids={"seller": seller.id},
        customs_code="0514",
        country="502",
        currency="502",
        total_value=Decimal("40"),
        total_value_cny=Decimal("284"),
        lines=(
            TradeLine(
                hs_code="6912001000",
                item_no="SKU-TEA",
                quantity=Decimal("2"),
                value=Decimal("40"),
                value_cny=Decimal("284"),
            ),
        ),
    )
    publish(session, event)
    publish(session, event)  # the same event twice routes once
    routed = [r for r in service.list_returns(session, p) if r.declaration_id == 987654]
    assert len(routed) == 1 and routed[0].warehouse_id == wh.id and routed[0].status == "routed"
    service.receive_return(session, p, routed[0].id, now_utc())
    detail = service.warehouse_detail(session, p, wh.id)
    assert [(s.item_no, s.quantity) for s in detail.stock] == [("SKU-TEA", Decimal("2"))]
    with pytest.raises(InvalidState):
        service.receive_return(session, p, routed[0].id, now_utc())
