"""Devices: one-time enrolment code, creation and revocation times, and the kiosk's own highest seq
(to show how far behind it is).

Revision ID: 0002
Revises: 0001
Create Date: 2025-06-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("device", sa.Column("enrol_sha256", sa.String(length=64), nullable=True))
    op.add_column("device", sa.Column("enrol_expires_at", sa.DateTime(), nullable=True))
    op.add_column("device", sa.Column("created_at", sa.DateTime(), nullable=True))
    op.add_column("device", sa.Column("revoked_at", sa.DateTime(), nullable=True))
    op.add_column("device", sa.Column("head_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.create_index(op.f("ix_device_enrol_sha256"), "device", ["enrol_sha256"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_device_enrol_sha256"), table_name="device")
    for column in ("head_seq", "revoked_at", "created_at", "enrol_expires_at", "enrol_sha256"):
        op.drop_column("device", column)
