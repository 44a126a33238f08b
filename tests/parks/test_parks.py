"""The offline park platform (OFF-01..11): park roll-ups equal a recount of the released lists,
operators manage their own park only, services are requested and answered, counts by kind."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from factories import api_key_for, make_enterprise, make_org
from silkgate.auth.principal import Principal
from silkgate.auth.service import authenticate_api_key
from silkgate.clearance import pipeline
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
from silkgate.declarations.trading import new_trade, register_buyers
from silkgate.exceptions import Forbidden, InvalidState, NotFound
from silkgate.models.declarations import Declaration
from silkgate.models.zone import Zone
from silkgate.parks import schemas, service

ZONE = "140800"
YEAR = (dt.date(2026, 1, 1), dt.date(2027, 12, 31))


def _p(session: Session, org_id: int) -> Principal:
    return authenticate_api_key(session, api_key_for(session, org_id))


def _park(
    session: Session, office: Principal, name: str, operator_org_id: int | None, capacity: int = 4
) -> int:
    return service.create_park(
        session,
        office,
        schemas.ParkCreate(
            name=name,
            kind="industrial_park",
            layout_role="core",
            county="盐湖区",
            operator_org_id=operator_org_id,
            operator_name="运城经开区跨境电商产业园运营有限公司",
            area_m2=Decimal("30000"),
            tenant_capacity=capacity,
        ),
    ).id


def test_park_trade_rollup_equals_a_recount_of_released_lists(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.execute(update(Zone).where(Zone.code == ZONE).values(inspection_share=Decimal("0")))
    monkeypatch.setattr(pipeline, "_supervision", lambda _s, _inv: (Decimal("0"), False, ["测试：不布控"], 0))
    trade = new_trade(session, ZONE, random.Random(21), sellers=3)
    factory = TransactionFactory(random.Random(22), trade.parties, fault_rate=0.0, buyers=6)
    txs = [factory.make(trade_mode="9610") for _ in range(9)]
    register_buyers(session, txs)
    for tx in txs:
        for data in transaction_messages(tx).values():
            ingest(session, data, sender=None)
    office = _p(session, make_org(session, "zone_office").id)
    park_id = _park(session, office, "运城开发区跨境电商产业园（测试）", None)
    sellers = [trade.enterprises[s.code] for s in trade.parties.sellers]
    tenants, outsider = sellers[:2], sellers[2]
    for e in tenants:
        service.add_tenant(
            session,
            office,
            park_id,
            schemas.TenantIn(enterprise_id=e.id, role="seller", moved_in_on=dt.date(2026, 1, 5)),
        )
    detail = service.park_detail(session, office, park_id, *YEAR)
    assert detail.trade is not None

    def recount(ids: list[int]) -> Decimal:
        return Decimal(
            session.scalar(
                select(func.coalesce(func.sum(Declaration.value_cny), 0)).where(
                    Declaration.kind == "inventory",
                    Declaration.status == "released",
                    Declaration.ebc_enterprise_id.in_(ids),
                    Declaration.zone_code == ZONE,
                )
            )
        )

    tenant_total = recount([e.id for e in tenants])
    assert tenant_total > 0 and recount([outsider.id]) > 0
    assert detail.trade.total_cny == tenant_total
    for row in detail.tenants:
        assert row.import_cny == recount([row.enterprise_id])
    zone_total = detail.trade.zone_total_cny
    assert zone_total >= tenant_total + recount([outsider.id])
    assert detail.trade.share_of_zone == (tenant_total / zone_total).quantize(Decimal("0.0001"))
    assert detail.occupancy == Decimal("0.5000")


def test_operator_manages_its_own_park_only(session: Session, client: TestClient) -> None:
    office = _p(session, make_org(session, "zone_office").id)
    op_a = make_org(session, "park_operator", name="园区运营甲")
    op_b = make_org(session, "park_operator", name="园区运营乙")
    park_a = _park(session, office, "甲园", op_a.id)
    park_b = _park(session, office, "乙园", op_b.id)
    ent = make_enterprise(session, roles=("seller",))
    a = _p(session, op_a.id)
    service.add_tenant(
        session,
        a,
        park_a,
        schemas.TenantIn(enterprise_id=ent.id, role="seller", moved_in_on=dt.date(2026, 3, 1)),
    )
    with pytest.raises(Forbidden):
        service.add_tenant(
            session,
            a,
            park_b,
            schemas.TenantIn(enterprise_id=ent.id, role="seller", moved_in_on=dt.date(2026, 3, 1)),
        )
    with pytest.raises(Forbidden):
        service.update_park(session, a, park_a, schemas.ParkUpdate(level="provincial", level_year=2026))
    # trade figures are for the zone office, the operator and agencies; another zone sees nothing
    seller_p = _p(session, ent.org_id)
    assert service.park_detail(session, seller_p, park_a, *YEAR).trade is None
    assert service.park_detail(session, a, park_a, *YEAR).trade is not None
    other_zone = _p(session, make_org(session, "zone_office", zone_code="451100").id)
    with pytest.raises(NotFound):
        service.park_detail(session, other_zone, park_a, *YEAR)
    key = api_key_for(session, op_b.id)
    r = client.post(
        f"/api/v1/parks/{park_a}/tenants",
        headers={"Authorization": f"Bearer {key}"},
        json={"enterprise_id": ent.id, "role": "seller", "moved_in_on": "2026-04-01"},
    )
    assert r.status_code == 403


def test_service_request_flow_and_counts(session: Session) -> None:
    office = _p(session, make_org(session, "zone_office").id)
    op = make_org(session, "park_operator")
    park_id = _park(session, office, "运城跨境电子商务产业孵化基地（测试）", op.id)
    operator = _p(session, op.id)
    svc = service.add_service(
        session, operator, park_id, schemas.ServiceIn(category="compliance", title="出口合规辅导")
    )
    ent = make_enterprise(session, roles=("seller",))
    seller = _p(session, ent.org_id)
    req = service.request_service(session, seller, svc.id, schemas.RequestIn(note="欧盟CE认证"))
    assert [r.id for r, _, _ in service.requests_for(session, operator)] == [req.id]
    with pytest.raises(InvalidState):
        service.reply_request(session, operator, req.id, schemas.RequestReply(status="done"))
    service.reply_request(
        session, operator, req.id, schemas.RequestReply(status="accepted", reply="周三上门")
    )
    service.reply_request(session, operator, req.id, schemas.RequestReply(status="done"))
    with pytest.raises(NotFound):
        service.reply_request(session, seller, req.id, schemas.RequestReply(status="done"))
    counts = service.counts_by_type(session, ZONE)
    assert set(counts) >= {
        "industrial_park",
        "incubator",
        "bonded_logistics_centre",
        "public_overseas_warehouse",
    }
    assert counts["industrial_park"] >= 1
