"""Purchase orders (bons de commande) made in the back office, read by the stockroom kiosks from a
server cursor.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("supplier", sa.String(length=120), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    op.create_table(
        "purchase_order_line",
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("gtin13", sa.String(length=13), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Integer(), nullable=False),
        sa.Column("pack", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["po_id"], ["purchase_order.id"],
                                name=op.f("fk_purchase_order_line_po_id_purchase_order")),
        sa.PrimaryKeyConstraint("po_id", "line_no", name=op.f("pk_purchase_order_line")),
    )


def downgrade() -> None:
    op.drop_table("purchase_order_line")
    op.drop_table("purchase_order")
