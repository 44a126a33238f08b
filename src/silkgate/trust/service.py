"""Trust operations: certificates on enterprise filings, the platform's own CA and signing key,
software keys for enterprises, and the signature check of incoming messages.

The platform keys are created on first use (`ensure_platform_keys`, run with the reference data on
every start); their private keys are stored SM4-GCM encrypted under the data key.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.config import get_settings
from silkgate.exceptions import Duplicate, FieldError, InvalidState, NotFound, ValidationFailed
from silkgate.kit import crypto
from silkgate.kit.cebtime import now_utc
from silkgate.models.registry import Enterprise
from silkgate.models.trust import EnterpriseCertificate, LedgerCheckpoint, PlatformKey
from silkgate.trust import certificates
from silkgate.trust.certificates import Certificate, CertificateUnreadable, read_certificate
from silkgate.trust.signatures import SignatureFailure, TrustedKey, verify_message

POLICIES = ("verify", "presence")
CA_DAYS = 20 * 365
SIGNING_DAYS = 5 * 365
ENTERPRISE_DAYS = 2 * 365


# --- certificates on filings -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _certificate(pem: str) -> Certificate:
    """Registered certificates, parsed once a process (ASN.1 parsing costs as much as an SM2 check)."""
    return read_certificate(pem.encode())


def _trusted(row: EnterpriseCertificate) -> TrustedKey:
    return TrustedKey(_certificate(row.certificate_pem), revoked_at=row.revoked_at)


def register_certificate(
    session: Session,
    enterprise: Enterprise,
    pem: bytes,
    *,
    actor: Principal | None = None,
    source: str = "upload",
    at: dt.datetime | None = None,
) -> EnterpriseCertificate:
    """Register a signing certificate (PEM, base64 or DER; SM2 or RSA) on an enterprise's filing."""
    try:
        cert = read_certificate(pem)
    except CertificateUnreadable as exc:
        raise ValidationFailed(
            [FieldError("pem", "certificate_unreadable", "无法解析为X.509证书（应为PEM格式）")]
        ) from exc
    errors = []
    if cert.algorithm not in ("sm2", "rsa"):
        errors.append(
            FieldError(
                "pem",
                "certificate_algorithm_unsupported",
                f"不支持的证书公钥算法{cert.algorithm}（应为SM2或RSA）",
            )
        )
    if cert.algorithm == "rsa" and cert.key_bits < 1024:
        errors.append(
            FieldError("pem", "certificate_key_too_short", f"RSA密钥长度{cert.key_bits}位，至少应为1024位")
        )
    if cert.not_after < (at or now_utc()):
        errors.append(FieldError("pem", "certificate_expired", f"证书已于{cert.not_after:%Y-%m-%d}过期"))
    if errors:
        raise ValidationFailed(errors, "签名证书未通过校验")
    existing = session.scalar(
        select(EnterpriseCertificate).where(
            EnterpriseCertificate.enterprise_id == enterprise.id,
            EnterpriseCertificate.fingerprint == cert.fingerprint,
        )
    )
    if existing is not None:
        raise Duplicate(f"证书{cert.serial_hex}已在{enterprise.name}的备案中登记")
    row = EnterpriseCertificate(
        enterprise_id=enterprise.id,
        fingerprint=cert.fingerprint,
        serial_hex=cert.serial_hex,
        subject=cert.subject,
        issuer=cert.issuer,
        algorithm=cert.algorithm,
        key_bits=cert.key_bits,
        not_before=cert.not_before,
        not_after=cert.not_after,
        certificate_pem=cert.pem,
        public_key=cert.public_key_der,
        source=source,
        registered_at=at or now_utc(),
        registered_by_org_id=actor.org_id if actor else None,
    )
    session.add(row)
    session.flush()
    return row


def list_certificates(session: Session, enterprise_id: int) -> list[EnterpriseCertificate]:
    return list(
        session.scalars(
            select(EnterpriseCertificate)
            .where(EnterpriseCertificate.enterprise_id == enterprise_id)
            .order_by(EnterpriseCertificate.id.desc())
        )
    )


def get_certificate(session: Session, enterprise_id: int, certificate_id: int) -> EnterpriseCertificate:
    row = session.get(EnterpriseCertificate, certificate_id)
    if row is None or row.enterprise_id != enterprise_id:
        raise NotFound("证书不存在")
    return row


def revoke_certificate(
    session: Session,
    enterprise_id: int,
    certificate_id: int,
    reason: str = "",
    *,
    at: dt.datetime | None = None,
) -> EnterpriseCertificate:
    """Revoke a registered certificate: messages signed with it from now on are refused. The row is
    kept (what it verified before stays explainable)."""
    row = get_certificate(session, enterprise_id, certificate_id)
    if row.revoked_at is not None:
        raise InvalidState(f"证书{row.serial_hex}已于{row.revoked_at:%Y-%m-%d}注销")
    row.revoked_at = at or now_utc()
    row.revoked_reason = reason[:500] or None
    session.flush()
    return row


def key_finder(session: Session, enterprise_id: int | None) -> Any:
    """The KeyFinder of one sender: its registered certificate with the KeyInfo certificate's
    fingerprint, or (no certificate in KeyInfo) with the KeyName as serial."""

    def find(certificate_der: bytes | None, key_name: str) -> TrustedKey | None:
        if enterprise_id is None:
            return None
        q = select(EnterpriseCertificate).where(EnterpriseCertificate.enterprise_id == enterprise_id)
        if certificate_der is not None:
            q = q.where(EnterpriseCertificate.fingerprint == certificates.fingerprint(certificate_der))
        elif key_name:
            q = q.where(EnterpriseCertificate.serial_hex == key_name.upper().lstrip("0"))
        else:
            return None
        row = session.scalars(q.order_by(EnterpriseCertificate.id.desc()).limit(1)).first()
        return _trusted(row) if row is not None else None

    return find


def verify_signature(
    session: Session, enterprise_id: int | None, data: bytes, *, at: dt.datetime, max_bytes: int
) -> SignatureFailure | None:
    """Verify a message's enveloped signature against the sender's registered certificates."""
    return verify_message(data, key_finder(session, enterprise_id), at=at, max_bytes=max_bytes)


# --- the platform's keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformSigner:
    key: Any
    certificate: Certificate
    origin: str  # the ledger's checkpoint origin line


_SIGNERS: dict[str, PlatformSigner] = {}


def _cipher() -> Any:
    return crypto.field_cipher(get_settings().data_key)


def _store_key(session: Session, role: str, key: Any, cert: Certificate) -> PlatformKey:
    row = PlatformKey(
        role=role,
        fingerprint=cert.fingerprint,
        serial_hex=cert.serial_hex,
        certificate_pem=cert.pem,
        private_key_enc=_cipher().encrypt(crypto.sm2_private_key_pem(key).decode()),
        not_after=cert.not_after,
        created_at=now_utc(),
    )
    session.add(row)
    session.flush()
    return row


def _current(session: Session, role: str) -> PlatformKey | None:
    return session.scalar(
        select(PlatformKey)
        .where(PlatformKey.role == role, PlatformKey.retired_at.is_(None))
        .order_by(PlatformKey.id.desc())
        .limit(1)
    )


def ensure_platform_keys(session: Session, *, deployment: str = "silkgate") -> None:
    """Create the platform CA and signing key on first use (idempotent)."""
    now = now_utc() - dt.timedelta(minutes=5)
    ca_row = _current(session, "ca")
    if ca_row is None:
        ca_key = crypto.sm2_generate_private_key()
        ca = certificates.build_certificate(
            signing_key=ca_key,
            issuer=None,
            subject_key_der=crypto.sm2_public_key_der(ca_key),
            common_name=f"{deployment} 综试区平台根证书",
            organisation=f"{deployment} 跨境电商综试区线上综合服务平台",
            not_before=now,
            days=CA_DAYS,
            ca=True,
        )
        ca_row = _store_key(session, "ca", ca_key, ca)
    if _current(session, "signing") is None:
        ca_key, ca = _load(ca_row)
        key = crypto.sm2_generate_private_key()
        cert = certificates.build_certificate(
            signing_key=ca_key,
            issuer=ca,
            subject_key_der=crypto.sm2_public_key_der(key),
            common_name=f"{deployment} 平台签名证书（回执与溯源日志）",
            organisation=f"{deployment} 跨境电商综试区线上综合服务平台",
            not_before=now,
            days=SIGNING_DAYS,
            ca=False,
        )
        _store_key(session, "signing", key, cert)


def _load(row: PlatformKey) -> tuple[Any, Certificate]:
    key = crypto.sm2_load_private_key(_cipher().decrypt(row.private_key_enc).encode())
    return key, read_certificate(row.certificate_pem.encode())


def _signer(session: Session, role: str) -> PlatformSigner:
    row = _current(session, role)
    if row is None:
        raise InvalidState("平台密钥尚未生成：请先运行 silkgate db upgrade")
    cached = _SIGNERS.get(row.fingerprint)
    if cached is None:
        key, cert = _load(row)
        ca_row = _current(session, "ca")
        anchor = ca_row.fingerprint if ca_row is not None else row.fingerprint
        cached = _SIGNERS[row.fingerprint] = PlatformSigner(key, cert, f"silkgate/{anchor[:16]}")
    return cached


def platform_signer(session: Session) -> PlatformSigner:
    """The key that signs receipts and checkpoints, with its certificate."""
    return _signer(session, "signing")


def platform_ca(session: Session) -> PlatformSigner:
    return _signer(session, "ca")


def platform_certificate_pem(session: Session) -> str:
    """The signing certificate, then the CA certificate that issued it (PEM)."""
    return platform_signer(session).certificate.pem + platform_ca(session).certificate.pem


def checkpoint_signature_valid(session: Session, checkpoint: LedgerCheckpoint) -> bool:
    row = session.scalar(select(PlatformKey).where(PlatformKey.fingerprint == checkpoint.key_fingerprint))
    if row is None:
        return False
    cert = read_certificate(row.certificate_pem.encode())
    try:
        signature = base64.b64decode(checkpoint.signature)
    except ValueError:
        return False
    return crypto.sm2_verify(
        crypto.sm2_load_public_key(cert.public_key_der), checkpoint.checkpoint.encode(), signature
    )


# --- software keys for enterprises -----------------------------------------------------------------


def issue_enterprise_key(
    session: Session,
    enterprise: Enterprise,
    *,
    key: Any | None = None,
    actor: Principal | None = None,
    at: dt.datetime | None = None,
    days: int = ENTERPRISE_DAYS,
) -> tuple[Any, EnterpriseCertificate]:
    """A new SM2 key (or `key`) and an SM2/SM3 certificate for it issued by the platform CA,
    registered on the enterprise's filing. Returns the private key (the caller writes it out; the
    platform does not keep it) and the registered certificate."""
    ca = platform_ca(session)
    key = key or crypto.sm2_generate_private_key()
    start = (at or now_utc()) - dt.timedelta(minutes=5)
    cert = certificates.build_certificate(
        signing_key=ca.key,
        issuer=ca.certificate,
        subject_key_der=crypto.sm2_public_key_der(key),
        common_name=enterprise.name,
        organisation=enterprise.name,
        serial_number=enterprise.uscc,
        not_before=start,
        days=days,
        ca=False,
    )
    row = register_certificate(session, enterprise, cert.pem.encode(), actor=actor, source="issued", at=at)
    return key, row


def certificates_of(session: Session, enterprise_ids: Sequence[int]) -> dict[int, int]:
    """How many unrevoked certificates each enterprise has registered."""
    counts: dict[int, int] = {}
    for row in session.scalars(
        select(EnterpriseCertificate).where(
            EnterpriseCertificate.enterprise_id.in_(enterprise_ids),
            EnterpriseCertificate.revoked_at.is_(None),
        )
    ):
        counts[row.enterprise_id] = counts.get(row.enterprise_id, 0) + 1
    return counts


# --- the check of incoming messages ----------------------------------------------------------------


@dataclass(frozen=True)
class IncomingRefusal:
    """A message refused for its signature: the receipt's code, message and the failing field."""

    code: str
    message: str
    errors: list[FieldError]


def verify_incoming(
    session: Session, *, enterprise_id: int | None, data: bytes, signed: bool, at: dt.datetime
) -> IncomingRefusal | None:
    """The ingest path's check of an incoming message that carries ds:Signature (under the policy
    `verify`); None when it may go on."""
    settings = get_settings()
    if not signed or settings.signature_policy != "verify":
        return None
    failure = verify_signature(session, enterprise_id, data, at=at, max_bytes=settings.max_message_bytes)
    if failure is None:
        return None
    return IncomingRefusal(
        failure.code,
        f"电子签名未通过验证，报文不予接收：{failure.message}",
        [FieldError(failure.field, failure.code, failure.message)],
    )
