"""The /parks pages: the layout for everyone in the zone, the console for the park's operator."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.auth.service import authenticate_api_key
from silkgate.parks import schemas, service


def test_parks_pages(session: Session, client: TestClient) -> None:
    office_org = make_org(session, "zone_office")
    office_h = auth_headers(session, office_org.id)
    office = authenticate_api_key(session, office_h["Authorization"].split()[1])
    op = make_org(session, "park_operator")
    park = service.create_park(
        session,
        office,
        schemas.ParkCreate(
            name="运城跨境电子商务产业孵化基地（页面测试）",
            kind="incubator",
            layout_role="core",
            operator_org_id=op.id,
            tenant_capacity=10,
            area_m2=Decimal("900"),
        ),
    )
    ent = make_enterprise(session, roles=("seller",))
    r = client.get("/parks", headers=office_h)
    assert r.status_code == 200 and "孵化基地" in r.text and park.name in r.text
    op_h = auth_headers(session, op.id)
    added = client.post(
        f"/parks/{park.id}/tenants",
        headers=op_h,
        data={"enterprise": ent.customs_code, "role": "seller"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(f"/parks/{park.id}", headers=op_h)
    assert ent.name in page.text and "占全区比重" in page.text
    bad = client.post(f"/parks/{park.id}/tenants", headers=op_h, data={"enterprise": "123", "role": "seller"})
    assert bad.status_code == 422 and "统一社会信用代码（18位）" in bad.text

    x = client.get("/parks/export.xlsx", headers=office_h)
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert client.get("/parks/export.xlsx", headers=op_h).status_code == 403
    svc = client.post(
        f"/parks/{park.id}/services",
        headers=op_h,
        data={"category": "legal", "title": "跨境合同审查"},
        follow_redirects=False,
    )
    assert svc.status_code == 303
    assert "跨境合同审查" in client.get("/parks", headers=office_h).text
    empty = client.post(
        f"/parks/{park.id}/services", headers=op_h, data={"category": "nonsense", "title": ""}
    )
    assert empty.status_code == 422 and "请选择服务类别并填写服务名称" in empty.text
