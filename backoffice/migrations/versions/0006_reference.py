"""Reference data published to the kiosks (operators, customers, pricelists, promotions): an
append-only log read from a server cursor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference")),
    )
    op.create_index(op.f("ix_reference_kind_key"), "reference", ["kind", "key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reference_kind_key"), table_name="reference")
    op.drop_table("reference")
