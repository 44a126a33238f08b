"""Trust over HTTP: certificates on a filing (POST/GET/DELETE, tenant rules), a signed message in,
the platform certificate, receipts signed detached and checked against it, ledger proofs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from factories import auth_headers, make_enterprise, make_org
from silkgate.declarations.synthetic import ImportTransaction
from silkgate.declarations.trading import TradeSetup
from silkgate.kit import safexml
from silkgate.trust import ledger
from silkgate.trust.certificates import read_certificate
from silkgate.trust.signatures import verify_detached

from .conftest import KeyPair


def _cert_pem(session: Session, issue: Callable[..., KeyPair]) -> tuple[int, str]:
    """A certificate issued to a throwaway enterprise (its filing is not the one under test)."""
    pair = issue(make_enterprise(session))
    return pair.row_id, pair.certificate.pem


def test_an_enterprise_registers_lists_and_revokes_its_certificate(
    client: TestClient, session: Session, issue: Callable[..., KeyPair]
) -> None:
    me = make_enterprise(session)
    headers = auth_headers(session, me.org_id)
    _, pem = _cert_pem(session, issue)
    r = client.post(f"/api/v1/enterprises/{me.id}/certificates", json={"pem": pem}, headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["algorithm"] == "sm2" and body["serial"] == read_certificate(pem.encode()).serial_hex
    assert body["not_after"] > body["not_before"]
    again = client.post(f"/api/v1/enterprises/{me.id}/certificates", json={"pem": pem}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    listed = client.get(f"/api/v1/enterprises/{me.id}/certificates", headers=headers).json()
    assert [c["id"] for c in listed] == [body["id"]]
    gone = client.delete(
        f"/api/v1/enterprises/{me.id}/certificates/{body['id']}",
        params={"reason": "更换UKey"},
        headers=headers,
    )
    assert (
        gone.status_code == 200 and gone.json()["revoked_at"] and gone.json()["revoked_reason"] == "更换UKey"
    )


def test_a_certificate_that_is_not_one_is_refused_naming_the_field(
    client: TestClient, session: Session
) -> None:
    me = make_enterprise(session)
    r = client.post(
        f"/api/v1/enterprises/{me.id}/certificates",
        json={"pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
        headers=auth_headers(session, me.org_id),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "pem"


def test_another_enterprise_cannot_see_or_change_a_filings_certificates(
    client: TestClient, session: Session, issue: Callable[..., KeyPair]
) -> None:
    owner, other = make_enterprise(session), make_enterprise(session)
    pair = issue(owner)
    headers = auth_headers(session, other.org_id)
    assert client.get(f"/api/v1/enterprises/{owner.id}/certificates", headers=headers).status_code == 404
    r = client.post(
        f"/api/v1/enterprises/{owner.id}/certificates", json={"pem": pair.certificate.pem}, headers=headers
    )
    assert r.status_code == 404
    assert (
        client.delete(
            f"/api/v1/enterprises/{owner.id}/certificates/{pair.row_id}", headers=headers
        ).status_code
        == 404
    )


def test_the_zone_office_registers_a_certificate_for_an_enterprise_of_its_zone(
    client: TestClient, session: Session, issue: Callable[..., KeyPair]
) -> None:
    office = make_org(session, "zone_office")
    enterprise = make_enterprise(session)
    _, pem = _cert_pem(session, issue)
    r = client.post(
        f"/api/v1/enterprises/{enterprise.id}/certificates",
        json={"pem": pem},
        headers=auth_headers(session, office.id),
    )
    assert r.status_code == 201, r.text


def test_the_platform_certificate_is_served_as_pem(client: TestClient) -> None:
    r = client.get("/api/v1/platform/certificate")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-pem-file")
    cert = read_certificate(r.content)
    assert cert.algorithm == "sm2" and r.text.count("BEGIN CERTIFICATE") == 2


def test_a_signed_message_over_http_is_accepted_and_its_receipt_verifies_against_the_platform_certificate(
    client: TestClient,
    session: Session,
    trade: TradeSetup,
    tx: ImportTransaction,
    signed_order: bytes,
    verify_policy: None,
) -> None:
    headers = auth_headers(session, trade.enterprise(tx.platform).org_id)
    r = client.post(
        "/api/v1/messages", content=signed_order, headers={**headers, "Content-Type": "application/xml"}
    )
    assert r.status_code == 200 and r.json()["receipts"][0]["receipt_type"] == "CEB312", r.text
    page = client.get("/api/v1/receipts", headers=headers).json()
    receipt_id = page["receipts"][-1]["id"]
    xml = client.get(f"/api/v1/receipts/{receipt_id}?format=xml", headers=headers)
    again = client.get(f"/api/v1/receipts/{receipt_id}?format=xml", headers=headers)
    assert xml.content == again.content  # the bytes a detached signature covers do not change
    signature = client.get(f"/api/v1/receipts/{receipt_id}/signature", headers=headers)
    assert signature.status_code == 200, signature.text
    assert f'URI="/api/v1/receipts/{receipt_id}?format=xml"'.encode() in signature.content
    platform = read_certificate(client.get("/api/v1/platform/certificate").content)
    assert verify_detached(signature.content, xml.content, platform) is None
    failure = verify_detached(signature.content, xml.content.replace(b"</", b" </", 1), platform)
    assert failure is not None and failure.code == "signature_digest_mismatch"


def test_a_tampered_message_over_http_gets_a_decoded_rejection(
    client: TestClient,
    session: Session,
    trade: TradeSetup,
    tx: ImportTransaction,
    signed_order: bytes,
    verify_policy: None,
) -> None:
    headers = auth_headers(session, trade.enterprise(tx.platform).org_id)
    tampered = re.sub(rb"<ceb:orderNo>[^<]+", b"<ceb:orderNo>X", signed_order, count=1)
    r = client.post(
        "/api/v1/messages", content=tampered, headers={**headers, "Content-Type": "application/xml"}
    )
    (receipt,) = r.json()["receipts"]
    assert receipt["receipt_type"] == "CEB900" and receipt["errors"][0]["code"] == "signature_digest_mismatch"
    assert "摘要不符" in receipt["return_info"]


def test_another_enterprise_cannot_read_a_receipts_signature(
    client: TestClient, session: Session, trade: TradeSetup, tx: ImportTransaction, signed_order: bytes
) -> None:
    headers = auth_headers(session, trade.enterprise(tx.platform).org_id)
    client.post(
        "/api/v1/messages", content=signed_order, headers={**headers, "Content-Type": "application/xml"}
    )
    receipt_id = client.get("/api/v1/receipts", headers=headers).json()["receipts"][-1]["id"]
    stranger = auth_headers(session, make_enterprise(session).org_id)
    assert client.get(f"/api/v1/receipts/{receipt_id}/signature", headers=stranger).status_code == 404


def test_the_proof_of_a_message_over_http_is_the_senders_and_the_zone_offices(
    client: TestClient, session: Session, trade: TradeSetup, tx: ImportTransaction, signed_order: bytes
) -> None:
    headers = auth_headers(session, trade.enterprise(tx.platform).org_id)
    client.post(
        "/api/v1/messages", content=signed_order, headers={**headers, "Content-Type": "application/xml"}
    )
    guid = signed_order.split(b'guid="')[1].split(b'"')[0].decode()
    early = client.get("/api/v1/ledger/proof", params={"guid": guid}, headers=headers)
    assert early.status_code == 409  # not yet in a signed checkpoint
    ledger.make_checkpoint(session)
    proof = client.get("/api/v1/ledger/proof", params={"guid": guid}, headers=headers)
    assert proof.status_code == 200, proof.text
    body = proof.json()
    assert ledger.verify_inclusion(
        body["leaf_index"],
        body["tree_size"],
        bytes.fromhex(body["leaf_hash"]),
        [bytes.fromhex(h) for h in body["audit_path"]],
        bytes.fromhex(body["root_hash"]),
    )
    office = auth_headers(session, make_org(session, "zone_office").id)
    assert client.get("/api/v1/ledger/proof", params={"guid": guid}, headers=office).status_code == 200
    stranger = auth_headers(session, make_enterprise(session).org_id)
    assert client.get("/api/v1/ledger/proof", params={"guid": guid}, headers=stranger).status_code == 404
    checkpoint = client.get("/api/v1/ledger/checkpoint", headers=headers).json()
    assert checkpoint["tree_size"] == body["tree_size"]


def test_receipts_stay_valid_against_the_official_xsd(
    client: TestClient,
    session: Session,
    trade: TradeSetup,
    tx: ImportTransaction,
    signed_order: bytes,
    reference_dir: Path,
) -> None:
    xsd = reference_dir / "ceb" / "xsd" / "202205" / "海关跨境进口业务节点报文定义202205.xsd"
    if not xsd.exists():
        pytest.skip("the official 202205 XSDs are not in ../shared/reference")
    headers = auth_headers(session, trade.enterprise(tx.platform).org_id)
    client.post(
        "/api/v1/messages", content=signed_order, headers={**headers, "Content-Type": "application/xml"}
    )
    receipt_id = client.get("/api/v1/receipts", headers=headers).json()["receipts"][-1]["id"]
    xml = client.get(f"/api/v1/receipts/{receipt_id}?format=xml", headers=headers).content
    schema = safexml.load_schema(str(xsd))
    assert safexml.validate_against(schema, safexml.parse_bytes(xml, 10**6)) == []


def test_signed_messages_stay_valid_against_the_official_xsd(
    signed_order: bytes, reference_dir: Path
) -> None:
    xsd = reference_dir / "ceb" / "xsd" / "202205" / "海关跨境进口业务节点报文定义202205.xsd"
    if not xsd.exists():
        pytest.skip("the official 202205 XSDs are not in ../shared/reference")
    schema = safexml.load_schema(str(xsd))
    assert safexml.validate_against(schema, safexml.parse_bytes(signed_order, 10**7)) == []
