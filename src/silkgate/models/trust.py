"""Trust: the certificates registered on enterprise filings, the platform's own keys, and the
append-only Merkle log (RFC 9162 with SM3) of every raw message, receipt and status change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp, intpk

CERTIFICATE_ALGORITHMS = ("sm2", "rsa")
CERTIFICATE_SOURCES = ("upload", "issued", "load")
PLATFORM_KEY_ROLES = ("ca", "signing")
LEDGER_SOURCES = ("raw_messages", "receipts", "declaration_events")


class EnterpriseCertificate(Base):
    """A signing certificate registered on an enterprise's filing: messages that enterprise sends
    with a ds:Signature must be signed with the key of one of its registered, valid, unrevoked
    certificates. Identified by the SM3 fingerprint of its DER encoding."""

    __tablename__ = "enterprise_certificates"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "fingerprint"),
        Index("ix_enterprise_certificates_enterprise_serial", "enterprise_id", "serial_hex"),
    )

    id: Mapped[intpk]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SM3 of the DER certificate, hex
    serial_hex: Mapped[str] = mapped_column(String(64))  # upper-case hex, no leading zeros
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    algorithm: Mapped[str] = mapped_column(String(8))  # sm2 | rsa
    key_bits: Mapped[int]
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    certificate_pem: Mapped[str] = mapped_column(Text)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # SubjectPublicKeyInfo, DER
    source: Mapped[str] = mapped_column(String(8), default="upload")  # upload | issued | load
    registered_at: Mapped[Timestamp]
    registered_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class PlatformKey(Base):
    """The deployment's own SM2 keys: the platform CA (issues enterprise certificates) and the
    platform signing key (signs receipts and ledger checkpoints). The private key is stored
    SM4-GCM encrypted under the data key; only the newest unretired key of a role is used."""

    __tablename__ = "platform_keys"

    id: Mapped[intpk]
    role: Mapped[str] = mapped_column(String(8), index=True)  # ca | signing
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    serial_hex: Mapped[str] = mapped_column(String(64))
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key_enc: Mapped[str] = mapped_column(Text)
    not_after: Mapped[dt.datetime]
    created_at: Mapped[Timestamp]
    retired_at: Mapped[dt.datetime | None]


class LedgerLeaf(Base):
    """One leaf of the traceability log, in log order (`leaf_index` from 0, dense).

    `leaf_hash` = SM3(0x00 ‖ leaf input), RFC 9162 §2.1.1 with SM3; the leaf input is recomputed
    from the source row by `silkgate ledger verify` (docs/signatures-and-ledger.md)."""

    __tablename__ = "ledger_leaves"
    __table_args__ = (Index("ix_ledger_leaves_source_row", "source", "source_id"),)

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(24))  # raw_messages | receipts | declaration_events
    source_id: Mapped[int] = mapped_column(BigInteger)
    guid: Mapped[str | None] = mapped_column(String(64), index=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    appended_at: Mapped[Timestamp]


class LedgerCheckpoint(Base):
    """A signed tree head: the C2SP tlog-checkpoint body and its SM2 signature by the platform key.
    `frontier` holds the roots of the perfect subtrees of the tree (largest first, hex), so the
    next checkpoint hashes only the leaves appended since."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[intpk]
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    checkpoint: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)  # base64 DER SM2 signature of `checkpoint`
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    frontier: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[Timestamp]
