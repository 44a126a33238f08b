"""Trust API shapes: registered certificates, ledger proofs and checkpoints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from silkgate.params import Count, DbId


class CertificateCreate(BaseModel):
    pem: str = Field(max_length=20_000, description="The X.509 certificate, PEM (SM2 or RSA)")


class CertificateRevoke(BaseModel):
    reason: str = Field(default="", max_length=500)


class CertificatePublic(BaseModel):
    id: DbId
    enterprise_id: DbId
    serial: str = Field(description="Serial number, upper-case hex (the KeyName of our signatures)")
    subject: str
    issuer: str
    algorithm: str = Field(description="sm2 | rsa")
    key_bits: int
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint: str = Field(description="SM3 of the DER certificate, hex")
    source: str = Field(description="upload | issued (by the platform CA) | load (silkgate load)")
    registered_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None


class CheckpointPublic(BaseModel):
    tree_size: Count
    root_hash: str = Field(description="SM3 Merkle tree hash, hex")
    checkpoint: str = Field(
        description="C2SP tlog-checkpoint body: origin, size, base64 root, each + newline"
    )
    checkpoint_signature: str = Field(
        description="base64 DER SM2 signature of `checkpoint` by the platform key"
    )
    created_at: dt.datetime


class InclusionProof(BaseModel):
    leaf_index: Count
    tree_size: Count
    leaf_hash: str
    source: str = Field(description="raw_messages | receipts | declaration_events")
    source_id: DbId
    guid: str | None
    audit_path: list[str] = Field(description="RFC 9162 §2.1.3 audit path, hex, leaf to root")
    root_hash: str
    checkpoint: str
    checkpoint_signature: str


class ConsistencyProof(BaseModel):
    first: Count
    second: Count
    first_hash: str
    second_hash: str
    consistency_path: list[str] = Field(description="RFC 9162 §2.1.4 consistency path, hex")
