"""serving indexes: a zone's newest declarations in index order

The declarations page and `GET /api/v1/declarations` list a zone's lists newest first; with
(zone_code, direction, id) SQLite and PostgreSQL read the first page straight from the index
instead of sorting every list of the zone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_declarations_zone_direction_id", ["zone_code", "direction", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_zone_direction_id")
