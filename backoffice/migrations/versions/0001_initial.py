"""The first back-office schema: devices and their tokens, the catalogue, tickets with lines, VAT and
payments (as metadata.create_all made it before Alembic).

Revision ID: 0001
Revises:
Create Date: 2025-06-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("register", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("code", name=op.f("uq_device_code")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_device_token_sha256")),
    )
    op.create_table(
        "product",
        sa.Column("gtin13", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("vat_bp", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gtin13", name=op.f("pk_product")),
        sa.UniqueConstraint("version", name=op.f("uq_product_version")),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cashier", sa.String(length=80), nullable=False),
        sa.Column("training", sa.Boolean(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("total_ht", sa.Integer(), nullable=False),
        sa.Column("total_tva", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_ticket_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("device_id", "seq", name=op.f("uq_ticket_device_id_seq")),
        sa.UniqueConstraint("register", "number", name=op.f("uq_ticket_register_number")),
    )
    op.create_index(op.f("ix_ticket_created_at"), "ticket", ["created_at"], unique=False)
    op.create_table(
        "payment",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_payment_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("ticket_id", "line_no", name=op.f("pk_payment")),
    )
    op.create_table(
        "ticket_line",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=13), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("vat_bp", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("ht", sa.Integer(), nullable=False),
        sa.Column("tva", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_line_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("ticket_id", "line_no", name=op.f("pk_ticket_line")),
    )
    op.create_table(
        "ticket_vat",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("ht", sa.Integer(), nullable=False),
        sa.Column("tva", sa.Integer(), nullable=False),
        sa.Column("ttc", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_vat_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("ticket_id", "rate_bp", name=op.f("pk_ticket_vat")),
    )


def downgrade() -> None:
    for table in ("ticket_vat", "ticket_line", "payment", "ticket", "product", "device"):
        op.drop_table(table)
