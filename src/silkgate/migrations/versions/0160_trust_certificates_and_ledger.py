"""trust: enterprise certificates, platform keys, traceability ledger

`enterprise_certificates` holds the signing certificates registered on enterprise filings (an
incoming ds:Signature must be made with one of the sender's); `platform_keys` the deployment's own
SM2 CA and signing key (private keys SM4-encrypted under the data key); `ledger_leaves` and
`ledger_checkpoints` the RFC 9162 Merkle log (SM3) of raw messages, receipts and status changes,
with its signed tree heads. Rows stored before this revision are not in the log.

Revision ID: 0160
Revises: 0003
Create Date: 2026-12-08 01:35:25.342010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import silkgate.models.base

revision: str = "0160"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("frontier", silkgate.models.base.JSONType(), nullable=False),
        sa.Column("created_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
        sa.UniqueConstraint("tree_size", name=op.f("uq_ledger_checkpoints_tree_size")),
    )
    op.create_table(
        "ledger_leaves",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("guid", sa.String(length=64), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("appended_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_ledger_leaves")),
    )
    with op.batch_alter_table("ledger_leaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_leaves_guid"), ["guid"], unique=False)
        batch_op.create_index("ix_ledger_leaves_source_row", ["source", "source_id"], unique=False)

    op.create_table(
        "platform_keys",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("serial_hex", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("private_key_enc", sa.Text(), nullable=False),
        sa.Column("not_after", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_platform_keys_fingerprint")),
    )
    with op.batch_alter_table("platform_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_keys_role"), ["role"], unique=False)

    op.create_table(
        "enterprise_certificates",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("serial_hex", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("key_bits", sa.Integer(), nullable=False),
        sa.Column("not_before", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("registered_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "registered_by_org_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("revoked_at", silkgate.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_certificates_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_org_id"],
            ["organisations.id"],
            name=op.f("fk_enterprise_certificates_registered_by_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_certificates")),
        sa.UniqueConstraint(
            "enterprise_id", "fingerprint", name=op.f("uq_enterprise_certificates_enterprise_id_fingerprint")
        ),
    )
    with op.batch_alter_table("enterprise_certificates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enterprise_certificates_enterprise_serial", ["enterprise_id", "serial_hex"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("enterprise_certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_certificates_enterprise_serial")

    op.drop_table("enterprise_certificates")
    with op.batch_alter_table("platform_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_keys_role"))

    op.drop_table("platform_keys")
    with op.batch_alter_table("ledger_leaves", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_leaves_source_row")
        batch_op.drop_index(batch_op.f("ix_ledger_leaves_guid"))

    op.drop_table("ledger_leaves")
    op.drop_table("ledger_checkpoints")
