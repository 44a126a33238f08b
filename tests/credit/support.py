"""Principals and declarations for the credit and risk tests, built like the real ones."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from factories import make_enterprise, make_org, make_user
from silkgate.auth.principal import Principal
from silkgate.auth.service import principal_for_org
from silkgate.config import get_settings
from silkgate.kit.cebtime import now_utc
from silkgate.kit.crypto import field_cipher
from silkgate.models.declarations import Declaration, DeclarationLine
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Enterprise

_seq = itertools.count(1)


def principal_of(session: Session, org_id: int, user: User | None = None) -> Principal:
    org = session.get(Organisation, org_id)
    assert org is not None
    return principal_for_org(session, org, user)


def agency(session: Session, kind: str, zone_code: str = "140800", *, with_user: bool = False) -> Principal:
    """An organisation of `kind` acting through its API key (or a web user when asked: slower,
    the password is hashed with argon2)."""
    org = make_org(session, kind, zone_code=zone_code)
    user = make_user(session, org.id, f"{kind}{next(_seq)}_{uuid.uuid4().hex[:6]}") if with_user else None
    return principal_of(session, org.id, user)


def enterprise_principal(session: Session, ent: Enterprise) -> Principal:
    return principal_of(session, ent.org_id)


def blind(kind: str, value: str) -> str:
    return field_cipher(get_settings().data_key).blind_index(kind, value)


def declare(
    session: Session,
    seller: Enterprise,
    *,
    kind: str = "inventory",
    direction: str = "import",
    status: str = "matched",
    buyer: str | None = "110101199001011234",
    phone: str | None = "13800000000",
    address: str | None = "山西省运城市盐湖区人民路1号",
    order_no: str | None = None,
    ebp: Enterprise | None = None,
    ebp_code: str | None = None,
    value_cny: Decimal = Decimal("300"),
    lines: list[dict[str, object]] | None = None,
    created_at: dt.datetime | None = None,
    released_at: dt.datetime | None = None,
) -> Declaration:
    """A declaration row as the import/export pipeline stores it (blind indexes, no plaintext)."""
    n = next(_seq)
    decl = Declaration(
        zone_code=seller.zone_code,
        direction=direction,
        kind=kind,
        message_type="CEB621" if direction == "import" else "CEB603",
        guid=str(uuid.uuid4()).upper(),
        business_no=f"T{n:012d}",
        trade_mode="9610",
        ebp_code=ebp_code if ebp_code is not None else (ebp.customs_code if ebp else seller.customs_code),
        ebc_code=seller.customs_code,
        ebp_enterprise_id=(ebp.id if ebp else None),
        ebc_enterprise_id=seller.id,
        order_no=order_no or f"ORD{n:010d}",
        status=status,
        currency="142",
        goods_value=value_cny,
        value_cny=value_cny,
        buyer_id_index=blind("id_number", buyer) if buyer else None,
        phone_index=blind("phone", phone) if phone else None,
        address_index=blind("address", address) if address else None,
        created_at=created_at or now_utc(),
        released_at=released_at,
    )
    session.add(decl)
    session.flush()
    for g, spec in enumerate(lines or [], start=1):
        session.add(
            DeclarationLine(
                declaration_id=decl.id,
                g_num=g,
                item_no=spec.get("item_no"),
                item_name=spec.get("item_name", "测试商品"),
                hs_code=spec.get("hs_code", "3304990099"),
                qty=Decimal("1"),
                price=spec.get("price"),
                total_price=spec.get("price"),
                currency="142",
                commodity_id=spec.get("commodity_id"),
            )
        )
    session.flush()
    return decl


def seller_and_platform(session: Session) -> tuple[Enterprise, Enterprise]:
    return make_enterprise(session, roles=("seller",)), make_enterprise(session, roles=("platform",))
