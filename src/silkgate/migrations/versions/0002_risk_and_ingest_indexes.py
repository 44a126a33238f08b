"""risk and ingest indexes, hourly list counts

Every history look-up of the risk rules becomes an index range scan bounded by its key and window
(phone, address and buyer blind indexes with created_at; an enterprise's lists by kind and date and
its rejected lists by status; the latest same-HS, same-currency prices); ingest finds a reused guid
by (kind, guid); export matches bank collections by (seller, order). The single-column indexes the
composites lead with are dropped. `list_hour_counts` keeps each enterprise's inventory lists per
UTC hour (REPEAT_VIOLATIONS adds a window's hours instead of counting its lists); it is filled from
the lists already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 02:34:29.843514
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from silkgate.models.base import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_hour_counts",
        sa.Column("zone_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("lists", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_list_hour_counts_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("zone_code", "enterprise_id", "hour", name=op.f("pk_list_hour_counts")),
    )
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
            "ix_declarations_ebc_status_kind_created",
            ["ebc_enterprise_id", "status", "kind", "created_at"],
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

    _count_stored_lists()


def _count_stored_lists() -> None:
    """Fill the hourly counts from the inventory lists already stored (read in pages by id)."""
    lists = sa.table(
        "declarations",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("zone_code", sa.String()),
        sa.column("ebc_enterprise_id", sa.Integer()),
        sa.column("created_at", UTCDateTime()),
    )
    counts = sa.table(
        "list_hour_counts",
        sa.column("zone_code", sa.String()),
        sa.column("enterprise_id", sa.Integer()),
        sa.column("hour", sa.Integer()),
        sa.column("lists", sa.Integer()),
    )
    bind = op.get_bind()
    merged: dict[tuple[str, int, int], int] = {}
    last = 0
    while True:
        page = bind.execute(
            sa.select(lists.c.id, lists.c.zone_code, lists.c.ebc_enterprise_id, lists.c.created_at)
            .where(
                lists.c.id > last,
                lists.c.kind == "inventory",
                lists.c.zone_code.is_not(None),
                lists.c.ebc_enterprise_id.is_not(None),
            )
            .order_by(lists.c.id)
            .limit(10_000)
        ).all()
        if not page:
            break
        for row in page:
            key = (row.zone_code, row.ebc_enterprise_id, int(row.created_at.timestamp() // 3600))
            merged[key] = merged.get(key, 0) + 1
        last = page[-1].id
    rows = [{"zone_code": z, "enterprise_id": e, "hour": h, "lists": n} for (z, e, h), n in merged.items()]
    for start in range(0, len(rows), 5_000):
        op.bulk_insert(counts, rows[start : start + 5_000])


def downgrade() -> None:
    with op.batch_alter_table("export_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_export_lists_seller_order")

    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_phone_created")
        batch_op.drop_index("ix_declarations_kind_guid")
        batch_op.drop_index("ix_declarations_id_zone_direction_kind_created")
        batch_op.drop_index("ix_declarations_ebc_status_kind_created")
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

    op.drop_table("list_hour_counts")
