"""The back office's central database: one SQLAlchemy Core metadata, the engine factory.

All amounts are integer cents, VAT rates integer basis points (2000 = 20 %), barcodes strings.
Tickets are written once and never updated (inalterability): corrections are new tickets.
The metadata lives here, in one place, so that Alembic can be pointed at it later.

Glossary: caisse = register (``register`` is the register number as printed, e.g. "1"),
device = the kiosk that syncs (``code`` e.g. "caisse-1").
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String,
    Table, UniqueConstraint, create_engine, event,
)
from sqlalchemy.engine import Engine, make_url

DEFAULT_URL = "sqlite:///var/backoffice.db"
ENV_URL = "COMPTOIR_DATABASE_URL"

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

device = Table(
    "device", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),  # "caisse-1"
    Column("register", String(32), nullable=False),  # "1": the only register it may write
    Column("name", String(120), nullable=False, default=""),
    Column("token_sha256", String(64), nullable=False, unique=True),  # never the token itself
    Column("last_seen_at", DateTime),  # local time, naive
    Column("last_seq", BigInteger, nullable=False, default=0),  # highest seq stored for it
)

product = Table(
    "product", metadata,
    Column("gtin13", String(13), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("price", Integer, nullable=False),  # cents TTC
    Column("vat_bp", Integer, nullable=False),
    Column("category", String(120), nullable=False, default=""),
    Column("updated_at", DateTime, nullable=False),
    # Server cursor for kiosks: every insert or change takes a new, higher version.
    Column("version", BigInteger, nullable=False, unique=True),
)

ticket = Table(
    "ticket", metadata,
    Column("id", String(64), primary_key=True),  # the kiosk's uuid
    Column("device_id", Integer, ForeignKey("device.id"), nullable=False),
    Column("register", String(32), nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),  # local time, naive
    Column("cashier", String(80), nullable=False),
    Column("training", Boolean, nullable=False),
    Column("total", Integer, nullable=False),
    Column("total_ht", Integer, nullable=False),
    Column("total_tva", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("received_at", DateTime, nullable=False),
    # sha256 of the canonical wire form: a record re-sent with the same id must be identical.
    Column("content_sha256", String(64), nullable=False),
    UniqueConstraint("register", "number"),
    UniqueConstraint("device_id", "seq"),
    Index(None, "created_at"),
)

ticket_line = Table(
    "ticket_line", metadata,
    Column("ticket_id", String(64), ForeignKey("ticket.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),  # 1-based, in receipt order
    Column("gtin", String(13), nullable=False),
    Column("label", String(200), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_price", Integer, nullable=False),
    Column("vat_bp", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("ht", Integer, nullable=False),  # line share: ht = ttc / (1 + rate), shop's rounding
    Column("tva", Integer, nullable=False),
)

ticket_vat = Table(
    "ticket_vat", metadata,
    Column("ticket_id", String(64), ForeignKey("ticket.id"), primary_key=True),
    Column("rate_bp", Integer, primary_key=True),
    Column("ht", Integer, nullable=False),
    Column("tva", Integer, nullable=False),
    Column("ttc", Integer, nullable=False),
)

payment = Table(
    "payment", metadata,
    Column("ticket_id", String(64), ForeignKey("ticket.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("method", String(16), nullable=False),  # commerce.ticket.PAYMENT_METHODS key
    Column("amount", Integer, nullable=False),
    Column("given", Integer, nullable=False),
)

def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url``, else $COMPTOIR_DATABASE_URL, else sqlite:///var/backoffice.db.

    SQLite files get their folder created, WAL journaling and foreign keys on every connection.
    """
    u = make_url(database_url(url))
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(u, pool_pre_ping=True)


def create_all(engine: Engine) -> None:
    metadata.create_all(engine)


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
