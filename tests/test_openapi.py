"""The OpenAPI document tells the truth, and input that once answered 500 answers a 4xx naming the
field: bounds in the schema, problem+json for every error status, security schemes, `Allow` on 405,
a last-resort 500 that carries the request id the log carries."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_org
from silkgate.auth import kinds
from silkgate.openapi import PROBLEM_MEDIA_TYPE

MAX = 2**63 - 1


def _walk(spec: dict[str, Any], schema: Any, path: str, seen: frozenset[str], out: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            _walk(spec, spec["components"]["schemas"][name], f"{path}<{name}>", seen | {name}, out)
        return
    if schema.get("type") == "integer" and ("maximum" not in schema or "minimum" not in schema):
        out.append(path)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _walk(spec, sub, path, seen, out)
    for name, sub in schema.get("properties", {}).items():
        _walk(spec, sub, f"{path}.{name}", seen, out)
    _walk(spec, schema.get("items"), f"{path}[]", seen, out)


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def test_every_integer_a_client_sends_has_bounds_in_the_schema(app: FastAPI) -> None:
    spec = app.openapi()
    unbounded: list[str] = []
    for path, method, op in _operations(spec):
        for param in op.get("parameters", []):
            _walk(spec, param.get("schema"), f"{method} {path} {param['name']}", frozenset(), unbounded)
        for content in op.get("requestBody", {}).get("content", {}).values():
            _walk(spec, content.get("schema"), f"{method} {path} body", frozenset(), unbounded)
    assert unbounded == []


def test_every_operation_documents_its_errors_as_problem_json(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "API 密钥：`Authorization: Bearer sg_…`",
    }
    assert spec["components"]["securitySchemes"]["webSession"]["in"] == "cookie"
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, method, op in _operations(spec):
        expected = {"404", "422", "500"} | ({"401", "403"} if op.get("security") else set())
        for code in expected:
            content = op["responses"][code]["content"]
            assert list(content) == [PROBLEM_MEDIA_TYPE], (method, path, code)
    secured = [p for p, _m, op in _operations(spec) if op.get("security")]
    assert len(secured) > 100 and "/api/v1/public/credit" not in secured


def test_wrong_method_is_405_with_allow_and_problem_json(client: TestClient) -> None:
    r = client.delete("/api/v1/me")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    assert r.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert r.json()["code"] == "method_not_allowed"


def test_unexpected_error_is_problem_json_with_the_request_id_the_log_has(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/api/v1/test-boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, "silkgate"):
        r = client.get("/api/v1/test-boom", headers={"X-Request-ID": "req-42"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert r.json()["request_id"] == "req-42" == r.headers["x-request-id"]
    assert "req-42" in r.json()["detail"]
    assert any("request_id=req-42" in rec.getMessage() for rec in caplog.records)


def test_every_answer_carries_a_request_id_and_the_server_time(client: TestClient) -> None:
    r = client.get("/healthz")
    assert len(r.headers["x-request-id"]) == 16
    assert r.headers["server-timing"].startswith("app;dur=")


@pytest.fixture
def office(session: Session) -> dict[str, str]:
    return auth_headers(session, make_org(session, kinds.ZONE_OFFICE).id)


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("get", f"/api/v1/enterprises/{MAX + 1}", "enterprise_id"),
        ("get", f"/api/v1/declarations?offset={MAX + 1}", "offset"),
        ("get", f"/api/v1/receipts?since={MAX + 1}", "since"),
        ("get", f"/api/v1/risk/attachments/{MAX + 1}", "attachment_id"),
        ("get", "/api/v1/stats/summary?date_from=0669-03-19", "date_from"),
        ("get", "/api/v1/export/lists?period=2024-13", "period"),
        ("get", "/api/v1/export/rebate?period=0000-01", "period"),
    ],
)
def test_out_of_range_input_is_422_naming_the_field(
    client: TestClient, office: dict[str, str], method: str, url: str, field: str
) -> None:
    r = client.request(method, url, headers=office)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]


def test_bodies_that_once_answered_500_are_refused_naming_the_field(
    client: TestClient, session: Session, office: dict[str, str]
) -> None:
    r = client.post(
        "/api/v1/tariff", content=b"\xaaU\x9f\x1f", headers={**office, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = client.post(
        "/api/v1/stats/historical",
        content=b"month,direction,trade_mode,list_count,value_cny\r2024-01,import,9610,3,100\r",
        headers={**office, "Content-Type": "text/csv"},
    )
    assert r.status_code < 500, r.text
    park = {"name": "测试园区", "kind": "industrial_park", "county": "盐湖区", "warehouse_id": 999999}
    r = client.post("/api/v1/parks", json=park, headers=office)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["warehouse_id"]
    created = client.post("/api/v1/parks", json={**park, "warehouse_id": None}, headers=office)
    assert created.status_code == 201, created.text
    r = client.patch(f"/api/v1/parks/{created.json()['id']}", json={"area_m2": None}, headers=office)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["area_m2"]


def test_a_role_is_checked_before_any_look_up(client: TestClient, session: Session) -> None:
    seller = auth_headers(session, make_org(session, kinds.ENTERPRISE).id)
    r = client.get(f"/api/v1/finance/bank/enterprises/1/applications/{MAX + 1}", headers=seller)
    assert r.status_code in (403, 422), r.text
    r = client.get("/api/v1/finance/bank/enterprises/1/applications/1", headers=seller)
    assert r.status_code == 403
