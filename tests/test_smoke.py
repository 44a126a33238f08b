"""The skeleton answers: health, login page, 401 without a key, /me with a key."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from silkgate.auth.service import create_api_key, create_organisation


def test_health_and_login_page(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    page = client.get("/login")
    assert page.status_code == 200
    assert "登录" in page.text


def test_api_requires_a_key_and_names_the_caller(client: TestClient, session: Session) -> None:
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_authenticated"
    org = create_organisation(session, kind="customs", name="运城海关", zone_code="140800")
    key = create_api_key(session, org.id)
    session.commit()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["org_kind"] == "customs" and me["zone_code"] == "140800"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
