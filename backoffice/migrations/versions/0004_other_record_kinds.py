"""Records of other kinds than tickets (stock moves, receptions, counts, scrap…) kept in the sync log
as received, and found again by (kind, record id).

Revision ID: 0004
Revises: 0003
Create Date: 2025-06-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_record", sa.Column("payload", sa.Text(), nullable=True))
    op.create_index(op.f("ix_sync_record_kind_record_id"), "sync_record", ["kind", "record_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sync_record_kind_record_id"), table_name="sync_record")
    op.drop_column("sync_record", "payload")
