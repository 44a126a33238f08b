"""A small financing world built through the services: a seller with overseas stock, a bank,
a second bank, an insurer, and a pledge application addressed to the first bank."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from factories import api_key_for, make_enterprise, make_org
from silkgate.auth.principal import Principal
from silkgate.auth.service import authenticate_api_key
from silkgate.finance import schemas, service
from silkgate.kit.cebtime import now_utc
from silkgate.logistics import schemas as lschemas
from silkgate.logistics import service as logistics
from silkgate.models.finance import DataGrant, FinancingApplication
from silkgate.models.logistics import WarehouseStock
from silkgate.models.registry import Enterprise


@dataclass
class World:
    seller: Enterprise
    seller_p: Principal
    seller_key: str
    warehouse_p: Principal
    warehouse_id: int
    stock_id: int
    bank_org_id: int
    bank_p: Principal
    bank_key: str
    other_bank_org_id: int
    insurer_org_id: int
    insurer_p: Principal
    insurer_key: str

    def headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def principal(session: Session, org_id: int) -> tuple[Principal, str]:
    key = api_key_for(session, org_id)
    return authenticate_api_key(session, key), key


def overseas_stock(
    session: Session, warehouse_p: Principal, owner: Enterprise, quantity: str, code: str
) -> tuple[int, int]:
    wh = logistics.register_warehouse(
        session,
        warehouse_p,
        lschemas.WarehouseCreate(
            code=code,
            name=f"洛杉矶公共海外仓{code}",
            kind="overseas",
            country="502",
            city="洛杉矶",
            area_m2=Decimal("12000"),
            capacity_units=Decimal("50000"),
            is_public=True,
        ),
    )
    logistics.report_stock(
        session,
        warehouse_p,
        wh.id,
        [
            lschemas.MovementIn(
                reference=f"IN-{code}",
                kind="inbound",
                owner_customs_code=owner.customs_code,
                item_no="SKU-LAMP",
                item_name="LED台灯",
                quantity=Decimal(quantity),
                unit_value_cny=Decimal("50"),
                occurred_at=now_utc() - dt.timedelta(days=2),
            )
        ],
    )
    stock = session.query(WarehouseStock).filter_by(warehouse_id=wh.id).one()
    return wh.id, stock.id


def build_world(session: Session, zone_code: str = "140800") -> World:
    seller = make_enterprise(session, roles=("seller",), zone_code=zone_code)
    seller_p, seller_key = principal(session, seller.org_id)
    wh_ent = make_enterprise(session, roles=("warehouse",), zone_code=zone_code)
    warehouse_p, _ = principal(session, wh_ent.org_id)
    wh_id, stock_id = overseas_stock(session, warehouse_p, seller, "100", f"US-LA-{seller.id}")
    bank = make_org(session, "bank", name=f"测试银行{seller.id}")
    bank_p, bank_key = principal(session, bank.id)
    other = make_org(session, "bank", name=f"另一银行{seller.id}")
    insurer = make_org(session, "insurer", name=f"测试保险{seller.id}")
    insurer_p, insurer_key = principal(session, insurer.id)
    return World(
        seller,
        seller_p,
        seller_key,
        warehouse_p,
        wh_id,
        stock_id,
        bank.id,
        bank_p,
        bank_key,
        other.id,
        insurer.id,
        insurer_p,
        insurer_key,
    )


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def grant(session: Session, w: World, grantee_org_id: int, slices: list[str], days: int = 30) -> DataGrant:
    return service.grant_access(
        session,
        w.seller_p,
        schemas.GrantCreate(
            grantee_org_id=grantee_org_id,
            slices=slices,
            purpose="融资审核",  # type: ignore[arg-type]
            valid_until=now_utc() + dt.timedelta(days=days),
        ),
    )


def pledge_application(
    session: Session, w: World, quantity: str = "40", amount: str = "1000"
) -> FinancingApplication:
    return service.apply_for_financing(
        session,
        w.seller_p,
        schemas.ApplicationCreate(
            bank_org_id=w.bank_org_id,
            product="warehouse_pledge",
            amount_requested=Decimal(amount),
            term_days=90,
            purpose="海外仓备货周转",
            pledge_lines=[
                schemas.PledgeLineIn(source="overseas", stock_id=w.stock_id, quantity=Decimal(quantity))
            ],
        ),
    )
