"""The back office's central database: one SQLAlchemy Core metadata, the engine factory.

All amounts are integer cents, VAT rates integer basis points (2000 = 20 %), barcodes strings.
Tickets are written once and never updated (inalterability): corrections are new tickets.
The metadata here is the schema at the newest Alembic revision (backoffice/migrations/): a change of
schema is a change here plus a new revision, and ``create_all`` (which every entry point calls)
upgrades any database, empty or at an earlier revision, to that head.

Glossary: caisse = register (``register`` is the register number as printed, e.g. "1"),
device = the kiosk that syncs (``code`` e.g. "caisse-1").
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String,
    Table, Text, UniqueConstraint, create_engine, event, text,
)
from sqlalchemy.engine import Connection, Engine, make_url

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
    # SHA-256 of its token, never the token itself. A kiosk added with an enrolment code holds the hash
    # of a token never given to anyone until it enrols (kept NOT NULL: SQLite cannot relax a column
    # of a table others refer to without rebuilding it).
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("last_seen_at", DateTime),  # local time, naive
    # Every seq from 1 to last_seq has been received (stored, or acknowledged as a duplicate).
    Column("last_seq", BigInteger, nullable=False, default=0),
    # Revision 2: enrolment, revocation, how far behind the kiosk is.
    Column("enrol_sha256", String(64)),  # one-time enrolment code, hashed; NULL once used
    Column("enrol_expires_at", DateTime),
    Column("created_at", DateTime),
    Column("revoked_at", DateTime),  # a revoked device's token gets 401
    Column("head_seq", BigInteger, nullable=False, server_default=text("0")),  # highest seq the kiosk holds
    Index(None, "enrol_sha256", unique=True),
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
    # Revision 2: the fiscal chain (commerce.fiscal). prev_hash/hash as sealed by the kiosk when the
    # wire carries them (sealed true), else computed here from the register's previous ticket.
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
    Column("sealed", Boolean),
    Column("corrects_register", String(32)),  # the ticket this one corrects (refund), if any
    Column("corrects_number", BigInteger),
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
    Column("reference", String(64)),  # revision 2: gift card, credit note or cheque number
)

# Revision 2. Every seq a device has sent, in order, and what it was: a record sent again under the
# same seq gets the same answer, and one under an already used seq with other content is refused.
sync_record = Table(
    "sync_record", metadata,
    Column("device_id", Integer, ForeignKey("device.id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("duplicate", Boolean, nullable=False),  # acknowledged as a duplicate (the id was already stored)
    Column("received_at", DateTime, nullable=False),
    # Revision 4: a record of another kind than ticket (stock moves, receptions, counts, scrap…) is kept
    # here as received (canonical JSON), until the back office has tables of its own for it.
    Column("payload", Text),
    Index(None, "kind", "record_id"),
)

# Revision 2. A break in a register's fiscal chain found on ingest: the record is kept (nothing is lost)
# and the teacher sees the flag on the devices page.
chain_break = Table(
    "chain_break", metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, ForeignKey("device.id"), nullable=False),
    Column("register", String(32), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("reason", String(400), nullable=False),  # French, names what differs
    Column("detected_at", DateTime, nullable=False),
    Index(None, "register"),
)

# Revision 5. Purchase orders (bons de commande) made in the back office. Kiosks read them from a
# server cursor, `id`: an order is only ever added (a change is a new order, as on paper).
purchase_order = Table(
    "purchase_order", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("supplier", String(120), nullable=False),
    Column("expected_date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

purchase_order_line = Table(
    "purchase_order_line", metadata,
    Column("po_id", Integer, ForeignKey("purchase_order.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("gtin13", String(13), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_cost", Integer, nullable=False),  # cents excluding VAT (0: unknown)
    Column("pack", Integer, nullable=False),  # units per case
)


# Revision 6. Reference data published to every kiosk (backoffice.reference): an append-only log of
# versions, `id` being the kiosks' cursor; the latest version of (kind, key) is the one in force.
reference = Table(
    "reference", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # operator | customer | pricelist | promotion
    Column("key", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # canonical JSON
    Column("created_at", DateTime, nullable=False),
    Index(None, "kind", "key"),
)


def unreachable(e: Exception, url: str = "") -> str:
    """Why the back office's database cannot be used, in one line: the driver's own first line (a bad
    URL, a server down, no rights), not SQLAlchemy's wrapping."""
    where = f" {url}" if url else ""
    return f"base du back-office{where} inaccessible : {str(getattr(e, 'orig', None) or e).splitlines()[0]}"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sqlite_pragmas(dbapi_connection, _record):
    # pysqlite's own transaction handling is off (it would not wrap DDL, nor let us say IMMEDIATE):
    # the "begin" listener below opens every transaction itself.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    # Switching a new file to WAL takes an exclusive lock that the busy handler does not wait for:
    # workers starting together on a fresh database retry it briefly instead of failing.
    for attempt in range(100):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 99:
                raise
            time.sleep(0.02)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A writer asks for the write lock up front (execution option sqlite_immediate): two deferred
    # transactions that both read then write would fail with "database is locked" instead of waiting.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "BEGIN")


def make_engine(url: str | None = None) -> Engine:
    """Engine for ``url``, else $COMPTOIR_DATABASE_URL, else sqlite:///var/backoffice.db.

    SQLite files get their folder created, WAL journaling, foreign keys and real transactions (DDL
    included) on every connection.
    """
    u = make_url(database_url(url))
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(u, pool_pre_ping=True)


def writer(conn: Connection) -> Connection:
    """``conn`` set to take SQLite's write lock when its transaction begins (no effect elsewhere)."""
    return conn.execution_options(sqlite_immediate=True)


def create_all(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic upgrade to head); safe to call on every start."""
    from .migrate import upgrade
    upgrade(engine)


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
