"""Sync log per (device, seq) and the fiscal chain on the back office: tickets keep prev_hash/hash and
what they correct, payments their reference; breaks found on ingest are flagged in chain_break.

Tickets stored before this revision are entered in the sync log as they were received; their hashes
stay NULL (stored before the chain, as on the kiosks).

Revision ID: 0003
Revises: 0002
Create Date: 2025-06-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_record",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_sync_record_device_id_device")),
        sa.PrimaryKeyConstraint("device_id", "seq", name=op.f("pk_sync_record")),
    )
    op.create_table(
        "chain_break",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_chain_break_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_break")),
    )
    op.create_index(op.f("ix_chain_break_register"), "chain_break", ["register"], unique=False)
    op.add_column("payment", sa.Column("reference", sa.String(length=64), nullable=True))
    for name, kind in (("prev_hash", sa.String(length=64)), ("hash", sa.String(length=64)), ("sealed", sa.Boolean()),
                       ("corrects_register", sa.String(length=32)), ("corrects_number", sa.BigInteger())):
        op.add_column("ticket", sa.Column(name, kind, nullable=True))

    ticket = sa.table("ticket", sa.column("device_id"), sa.column("seq"), sa.column("id"),
                      sa.column("content_sha256"), sa.column("received_at"))
    log = sa.table("sync_record", sa.column("device_id"), sa.column("seq"), sa.column("kind"),
                   sa.column("record_id"), sa.column("content_sha256"), sa.column("duplicate"),
                   sa.column("received_at"))
    op.execute(log.insert().from_select(
        ["device_id", "seq", "kind", "record_id", "content_sha256", "duplicate", "received_at"],
        sa.select(ticket.c.device_id, ticket.c.seq, sa.literal("ticket"), ticket.c.id, ticket.c.content_sha256,
                  sa.false(), ticket.c.received_at)))


def downgrade() -> None:
    for column in ("corrects_number", "corrects_register", "sealed", "hash", "prev_hash"):
        op.drop_column("ticket", column)
    op.drop_column("payment", "reference")
    op.drop_index(op.f("ix_chain_break_register"), table_name="chain_break")
    op.drop_table("chain_break")
    op.drop_table("sync_record")
