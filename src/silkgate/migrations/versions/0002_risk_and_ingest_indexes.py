"""risk and ingest indexes

Every history look-up of the risk rules becomes an index range scan bounded by its key and window
(phone, address and buyer blind indexes with created_at; an enterprise's lists by kind and date; the
latest same-HS, same-currency prices); ingest finds a reused guid by (kind, guid); export matches
bank collections by (seller, order). The single-column indexes the composites lead with are dropped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 02:19:56.774353
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("declaration_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_lines_hs_code"))
        batch_op.create_index(
            "ix_declaration_lines_hs_currency_decl_price",
            ["hs_code", "currency", "declaration_id", "price"],
            unique=False,
        )

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarations_address_index"))
        batch_op.drop_index(batch_op.f("ix_declarations_buyer_id_index"))
        batch_op.drop_index(batch_op.f("ix_declarations_phone_index"))
        batch_op.create_index(
            "ix_declarations_address_created", ["address_index", "created_at"], unique=False
        )
        batch_op.create_index("ix_declarations_buyer_created", ["buyer_id_index", "created_at"], unique=False)
        batch_op.create_index(
            "ix_declarations_ebc_direction_kind_created",
            ["ebc_enterprise_id", "direction", "kind", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_declarations_ebc_kind_created",
            ["ebc_enterprise_id", "kind", "created_at", "zone_code", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_declarations_id_zone_direction_kind_created",
            ["id", "zone_code", "direction", "kind", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_declarations_kind_guid", ["kind", "guid"], unique=False)
        batch_op.create_index("ix_declarations_phone_created", ["phone_index", "created_at"], unique=False)

    with op.batch_alter_table("export_lists", schema=None) as batch_op:
        batch_op.create_index(
            "ix_export_lists_seller_order", ["seller_enterprise_id", "order_no"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("export_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_export_lists_seller_order")

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_phone_created")
        batch_op.drop_index("ix_declarations_kind_guid")
        batch_op.drop_index("ix_declarations_id_zone_direction_kind_created")
        batch_op.drop_index("ix_declarations_ebc_kind_created")
        batch_op.drop_index("ix_declarations_ebc_direction_kind_created")
        batch_op.drop_index("ix_declarations_buyer_created")
        batch_op.drop_index("ix_declarations_address_created")
        batch_op.create_index(batch_op.f("ix_declarations_phone_index"), ["phone_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_declarations_buyer_id_index"), ["buyer_id_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_declarations_address_index"), ["address_index"], unique=False)

    with op.batch_alter_table("declaration_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_declaration_lines_hs_currency_decl_price")
        batch_op.create_index(batch_op.f("ix_declaration_lines_hs_code"), ["hs_code"], unique=False)
