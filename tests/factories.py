"""Test data built through the same services users call (every helper's tests use these)."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from sqlalchemy.orm import Session

from silkgate.auth import kinds
from silkgate.auth.service import create_api_key, create_organisation, create_user
from silkgate.demo import synth
from silkgate.models.org import Organisation, User
from silkgate.models.registry import Commodity, Enterprise
from silkgate.registry import service

_rng = random.Random()
_seq = itertools.count(1)


def _unique_codes(session: Session, zone_code: str) -> tuple[str, str]:
    while True:
        uscc = synth.uscc(_rng, zone_code)
        customs = synth.customs_code(_rng, zone_code)
        if (
            service.enterprise_by_uscc(session, uscc) is None
            and service.enterprise_by_customs_code(session, customs) is None
        ):
            return uscc, customs


def make_enterprise(
    session: Session,
    roles: tuple[str, ...] | list[str] = ("seller",),
    zone_code: str = "140800",
    approved: bool = True,
    name: str | None = None,
) -> Enterprise:
    """A filed enterprise with valid synthetic codes, approved unless asked otherwise."""
    uscc, customs = _unique_codes(session, zone_code)
    n = next(_seq)
    return service.file_enterprise(
        session,
        {
            "uscc": uscc,
            "customs_code": customs,
            "name": name or f"测试{'、'.join(kinds.ROLE_LABELS[r] for r in roles)}{n}号有限公司",
            "roles": list(roles),
            "contact_name": "王伟",
            "contact_phone": "13912345678",
            "settlement_bank": "中国银行运城分行",
            "settlement_account": "6217000012345678",
            "shops": [{"platform": "亚马逊", "shop": f"Shop{n}"}] if "seller" in roles else [],
        },
        zone_code=zone_code,
        approved=approved,
    )


def make_org(
    session: Session, kind: str, zone_code: str | None = "140800", name: str | None = None
) -> Organisation:
    """An organisation of any kind; an enterprise is filed (and approved) through the registry."""
    if kind == kinds.ENTERPRISE:
        enterprise = make_enterprise(session, zone_code=zone_code or "140800", name=name)
        org = session.get(Organisation, enterprise.org_id)
        assert org is not None
        return org
    return create_organisation(
        session,
        kind=kind,
        name=name or f"{kinds.KIND_LABELS[kind]}{next(_seq)}",
        zone_code=None if kind in kinds.FINANCE_KINDS and zone_code == "140800" else zone_code,
    )


def api_key_for(session: Session, org_id: int) -> str:
    return create_api_key(session, org_id, "test")


def auth_headers(session: Session, org_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key_for(session, org_id)}"}


def make_user(session: Session, org_id: int, username: str, password: str = "silkgate-demo") -> User:
    return create_user(session, org_id=org_id, username=username, password=password, display_name=username)


def make_commodity(
    session: Session,
    owner: Enterprise,
    hs_code: str = "3304990099",
    unit_price: Decimal = Decimal("100"),
    positive_list: bool = True,
    item_no: str | None = None,
) -> Commodity:
    """A filed good of `owner` (an approved seller or platform); positive_list is forced as asked."""
    commodity = service.file_commodity(
        session,
        owner,
        {
            "item_no": item_no or f"SKU{next(_seq):06d}",
            "name": "测试商品",
            "hs_code": hs_code,
            "origin_country": "116",
            "unit": "007",
            "unit_price": unit_price,
        },
    )
    commodity.positive_list = positive_list
    session.flush()
    return commodity
