"""Incoming signatures under the `verify` policy: what is accepted, and each way a signature fails
answered with its own decoded reason (海关跨境电商统一版系统企业对接报文规范 202205版: ds:Signature
with SM2-SM3 / SM3; 2018年第113号公告: RSA-SHA1)."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.declarations import synthetic
from silkgate.declarations.synthetic import ImportTransaction
from silkgate.declarations.trading import TradeSetup
from silkgate.kit import safexml
from silkgate.models.declarations import RawMessage
from silkgate.trust import service
from silkgate.trust.signatures import sign_message

from .conftest import KeyPair, sign_as

pytestmark = pytest.mark.usefixtures("verify_policy")


def _flip(data: bytes, start: bytes, offset: int = 10) -> bytes:
    """`data` with one base64 character changed `offset` characters into the element `start` opens."""
    i = data.index(start) + len(start) + offset
    replacement = b"B" if data[i : i + 1] != b"B" else b"C"
    return data[:i] + replacement + data[i + 1 :]


def _refusal(receipts: list) -> dict:
    (receipt,) = receipts
    assert receipt.receipt_type == "CEB900", receipt.as_dict()
    (error,) = receipt.errors
    return error


def test_a_message_signed_with_the_senders_registered_key_is_accepted(
    session: Session, signed_order: bytes, send: Callable[..., list]
) -> None:
    receipts = send(signed_order)
    assert [r.receipt_type for r in receipts] == ["CEB312"]
    assert receipts[0].return_status not in ("-1", "100"), receipts[0].as_dict()
    raw = session.scalars(select(RawMessage).order_by(RawMessage.id.desc())).first()
    assert raw is not None and raw.outcome == "accepted"


def test_one_byte_changed_in_the_content_is_a_digest_mismatch_naming_sm3_and_both_values(
    signed_order: bytes, send: Callable[..., list]
) -> None:
    tampered = re.sub(
        rb"<ceb:freight>(\d)",
        lambda m: b"<ceb:freight>" + str((int(m.group(1)) + 1) % 10).encode(),
        signed_order,
        count=1,
    )
    assert tampered != signed_order
    error = _refusal(send(tampered))
    assert error["code"] == "signature_digest_mismatch"
    assert "SM3" in error["message"] and "第3步" in error["message"]
    declared = re.search(rb"<ds:DigestValue>([^<]+)</ds:DigestValue>", signed_order)
    assert declared is not None and declared.group(1).decode() in error["message"]
    assert error["message"].count("=") >= 2  # both base64 values


def test_one_byte_changed_in_the_signature_value_is_a_signature_that_does_not_verify(
    signed_order: bytes, send: Callable[..., list]
) -> None:
    error = _refusal(send(_flip(signed_order, b"<ds:SignatureValue>")))
    assert error["code"] == "signature_value_invalid"
    assert "第4步" in error["message"] and "SM2-SM3" in error["message"]


def test_one_byte_changed_in_the_certificate_is_a_certificate_not_registered(
    signed_order: bytes, send: Callable[..., list]
) -> None:
    error = _refusal(send(_flip(signed_order, b"<ds:X509Certificate>", 200)))
    assert error["code"] in ("signature_certificate_not_registered", "signature_certificate_unreadable")
    assert error["field"].startswith("Signature.KeyInfo")


def test_a_valid_signature_by_another_enterprises_certificate_is_refused_naming_its_serial(
    session: Session,
    trade: TradeSetup,
    tx: ImportTransaction,
    issue: Callable[..., KeyPair],
    send: Callable[..., list],
) -> None:
    other = issue(trade.enterprise(trade.parties.sellers[0]))
    with synthetic.signed_by(sign_as(other)):
        data = synthetic.order_xml(tx)
    error = _refusal(send(data))
    assert error["code"] == "signature_certificate_not_registered"
    assert other.certificate.serial_hex in error["message"]


def test_an_expired_certificate_is_refused(
    trade: TradeSetup,
    tx: ImportTransaction,
    issue: Callable[..., KeyPair],
    send: Callable[..., list],
    now: dt.datetime,
) -> None:
    old = issue(trade.enterprise(tx.platform), at=now - dt.timedelta(days=40), days=30)
    with synthetic.signed_by(sign_as(old)):
        data = synthetic.order_xml(tx)
    error = _refusal(send(data))
    assert error["code"] == "signature_certificate_expired"
    assert old.certificate.serial_hex in error["message"]


def test_a_revoked_certificate_is_refused_and_stays_on_record(
    session: Session, trade: TradeSetup, signed_order: bytes, platform_key: KeyPair, send: Callable[..., list]
) -> None:
    enterprise = trade.enterprise(trade.parties.platforms[0])
    row = service.revoke_certificate(session, enterprise.id, platform_key.row_id, "私钥泄露")
    error = _refusal(send(signed_order))
    assert error["code"] == "signature_certificate_revoked"
    assert row in service.list_certificates(session, enterprise.id)


def test_an_unsupported_algorithm_is_refused_naming_it(
    signed_order: bytes, send: Callable[..., list]
) -> None:
    data = signed_order.replace(
        b"http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3",
        b"http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    )
    error = _refusal(send(data))
    assert error["code"] == "signature_algorithm_unsupported"
    assert "rsa-md5" in error["message"]


def test_the_signature_is_checked_before_the_content_is_judged(
    signed_order: bytes, send: Callable[..., list]
) -> None:
    """A tampered message whose content would also be refused is answered for its signature."""
    tampered = signed_order.replace(
        b"<ceb:currency>142</ceb:currency>", b"<ceb:currency>142</ceb:currency>", 1
    )
    tampered = re.sub(rb"<ceb:orderNo>[^<]+", b"<ceb:orderNo>X", tampered, count=1)
    assert _refusal(send(tampered))["code"] == "signature_digest_mismatch"


def test_presence_policy_takes_the_placeholder_signature_of_the_synthetic_messages(
    tx: ImportTransaction, send: Callable[..., list], presence_policy: None
) -> None:
    (receipt,) = send(synthetic.order_xml(tx))
    assert receipt.receipt_type == "CEB312"


def test_rsa_sha256_signed_by_signxml_is_accepted_and_tampering_refused(
    session: Session, trade: TradeSetup, tx: ImportTransaction, send: Callable[..., list]
) -> None:
    """The W3C algorithms (2018 edition) with an RSA certificate registered on the filing; the
    message is signed by signxml, an independent XML-DSig implementation."""
    from signxml import XMLSigner
    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "测试平台RSA证书")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    service.register_certificate(session, trade.enterprise(tx.platform), pem)
    unsigned = synthetic.order_xml(tx, app_status="1")  # no placeholder block
    root = safexml.parse_bytes(unsigned, 10**7)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    signed_root = signer.sign(root, key=key, cert=pem.decode())
    data = safexml.to_bytes(signed_root)
    tampered = re.sub(rb"<ceb:orderNo>[^<]+", b"<ceb:orderNo>X1", data, count=1)
    error = _refusal(send(tampered))  # first: the same guid again would be answered as a replay
    assert error["code"] == "signature_digest_mismatch" and "SHA-256" in error["message"]
    (receipt,) = send(data)
    assert receipt.receipt_type == "CEB312", receipt.as_dict()


def test_signed_output_verifies_with_lxml_c14n_and_an_independent_sm2(
    signed_order: bytes, platform_key: KeyPair, tmp_path: Path
) -> None:
    """An independent verifier: lxml's C14N and hashlib's SM3 for the digest, and the openssl
    command (OpenSSL 3, SM2 with the default ID) for the signature value."""
    import hashlib
    import shutil
    import subprocess

    from lxml import etree

    from silkgate.kit import crypto

    ns = {"ds": "http://www.w3.org/2000/09/xmldsig#"}
    root = etree.fromstring(signed_order)
    sig = root.find("ds:Signature", ns)
    signed_info = etree.tostring(sig.find("ds:SignedInfo", ns), method="c14n")
    value = base64.b64decode(sig.findtext("ds:SignatureValue", namespaces=ns))
    tail = sig.tail
    previous = sig.getprevious()
    root.remove(sig)
    previous.tail = (previous.tail or "") + (tail or "")
    document = etree.tostring(root.getroottree(), method="c14n")
    digest = base64.b64decode(sig.findtext("ds:SignedInfo/ds:Reference/ds:DigestValue", namespaces=ns))
    sm3 = (
        hashlib.new("sm3", document).digest()
        if "sm3" in hashlib.algorithms_available
        else crypto.sm3(document)
    )
    assert sm3 == digest
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to check the SM2 signature value independently")
    (tmp_path / "cert.pem").write_text(platform_key.certificate.pem)
    (tmp_path / "signed_info").write_bytes(signed_info)
    (tmp_path / "sig.der").write_bytes(crypto.sm2_der_signature(value))
    subprocess.run(
        [
            "openssl",
            "x509",
            "-in",
            str(tmp_path / "cert.pem"),
            "-pubkey",
            "-noout",
            "-out",
            str(tmp_path / "pub.pem"),
        ],
        check=True,
    )
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(tmp_path / "pub.pem"),
            "-rawin",
            "-digest",
            "sm3",
            "-pkeyopt",
            "distid:1234567812345678",
            "-in",
            str(tmp_path / "signed_info"),
            "-sigfile",
            str(tmp_path / "sig.der"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_signing_twice_replaces_the_old_signature(signed_order: bytes, platform_key: KeyPair) -> None:
    again = sign_message(signed_order, platform_key.key, platform_key.certificate)
    assert again.count(b"<ds:Signature xmlns") == 1
