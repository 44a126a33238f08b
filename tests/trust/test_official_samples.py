"""The official samples carry illustrative signatures (海关跨境电商统一版系统企业对接报文规范 样例报文):
the 202205 ones say SignatureMethod sm2-sm3 / DigestMethod sm3 but hold a 20-byte DigestValue and an
RSA-1024 certificate. Under `presence` they are accepted (tests/pipeline/test_official_samples.py
ingests every valid one); under `verify` they are refused with the decoded reason, even with their
certificate registered on the sender's filing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from silkgate.auth.service import principal_for_org
from silkgate.declarations.service import ingest
from silkgate.models.org import Organisation
from silkgate.registry import service as registry
from silkgate.trust import service
from silkgate.trust.certificates import der_from_text, read_certificate

SAMPLES = Path("ceb") / "samples" / "Weasley-J__chinaport-data-signature"


def _sample(reference_dir: Path, name: str) -> bytes:
    path = reference_dir / SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} not in ../shared/reference (the official samples are not redistributed here)")
    return path.read_bytes()


def _sender_with_sample_certificate(session: Session, data: bytes) -> object:
    from factories import make_enterprise

    enterprise = make_enterprise(session, roles=("platform", "seller"))
    cert_b64 = data.split(b"<ds:X509Certificate>")[1].split(b"</ds:X509Certificate>")[0]
    service.register_certificate(session, enterprise, read_certificate(der_from_text(cert_b64)).pem.encode())
    org = session.get(Organisation, enterprise.org_id)
    assert org is not None and registry.enterprise_by_customs_code(session, enterprise.customs_code)
    return principal_for_org(session, org)


def test_the_202205_sample_under_verify_is_refused_for_its_20_byte_sm3_digest(
    session: Session, reference_dir: Path, verify_policy: None
) -> None:
    data = _sample(reference_dir, "CEB311Message.xml")
    sender = _sender_with_sample_certificate(session, data)
    (receipt,) = ingest(session, data, sender=sender)  # type: ignore[arg-type]
    assert receipt.receipt_type == "CEB900"
    (error,) = receipt.errors
    assert error["code"] == "signature_digest_mismatch"
    assert "SF/P+2sVsRQ9dJIqJSroW6ajb0Y=" in error["message"]  # the sample's DigestValue
    assert "20字节" in error["message"] and "SM3" in error["message"]


def test_the_202205_sample_under_verify_without_its_certificate_names_the_certificate(
    session: Session, reference_dir: Path, verify_policy: None
) -> None:
    from factories import make_org

    data = _sample(reference_dir, "CEB311Message.xml")
    sender = principal_for_org(session, make_org(session, "enterprise"))
    (receipt,) = ingest(session, data, sender=sender)
    (error,) = receipt.errors
    assert error["code"] == "signature_certificate_not_registered"
    assert "KeyName“0001”" in error["message"] and "9927" in error["message"]  # the serial, hex


def test_the_2018_sample_under_verify_is_refused_with_its_reason(
    session: Session, reference_dir: Path, verify_policy: None
) -> None:
    data = _sample(reference_dir, "2018-113/CEB311Message.xml")
    sender = _sender_with_sample_certificate(session, data)
    (receipt,) = ingest(session, data, sender=sender)  # type: ignore[arg-type]
    assert receipt.receipt_type == "CEB900"
    (error,) = receipt.errors
    assert error["code"] in (
        "signature_digest_mismatch",
        "signature_value_invalid",
        "signature_certificate_expired",
    )
    assert "第" in error["message"] and "步" in error["message"]


def test_the_202205_sample_under_presence_is_not_refused_for_its_signature(
    session: Session, reference_dir: Path, presence_policy: None
) -> None:
    data = _sample(reference_dir, "CEB311Message.xml")
    sender = _sender_with_sample_certificate(session, data)
    receipts = ingest(session, data, sender=sender)  # type: ignore[arg-type]
    assert not any(e["code"].startswith("signature_") for r in receipts for e in r.errors)
