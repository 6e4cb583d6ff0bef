"""The kiosk's local store: its copy of the catalogue and its tickets, in SQLite (WAL).

A sale is committed, with its outbox record, before anything is printed. Validated tickets are
never updated or deleted: triggers refuse it in the database itself.
"""
from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path
from typing import Iterable, Optional

from commerce.catalogue import Product
from commerce.ticket import Ticket, ValidatedTicket, next_ticket_number
from sync import outbox
from sync.wire import ticket_to_wire

SCHEMA = """
CREATE TABLE IF NOT EXISTS product (
    gtin13 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_fold TEXT NOT NULL,          -- lower case, no accents: for search by name
    price INTEGER NOT NULL,           -- cents TTC
    vat_bp INTEGER NOT NULL,
    category TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ticket (
    id TEXT PRIMARY KEY,
    register TEXT NOT NULL,
    number INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    cashier TEXT NOT NULL,
    total INTEGER NOT NULL,
    training INTEGER NOT NULL,
    UNIQUE (register, number)
);
CREATE TABLE IF NOT EXISTS ticket_line (
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    line_no INTEGER NOT NULL,
    gtin13 TEXT NOT NULL,
    label TEXT NOT NULL,
    qty INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    vat_bp INTEGER NOT NULL,
    total INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, line_no)
);
CREATE TABLE IF NOT EXISTS payment (
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    line_no INTEGER NOT NULL,
    method TEXT NOT NULL,
    amount INTEGER NOT NULL,
    given INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, line_no)
);
"""
# Inalterability is enforced by the database, not only by this code.
FROZEN_TABLES = ("ticket", "ticket_line", "payment")
TRIGGERS = "".join(
    f"""CREATE TRIGGER IF NOT EXISTS {t}_no_{op} BEFORE {op.upper()} ON {t}
        BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite ({t})'); END;
    """ for t in FROZEN_TABLES for op in ("update", "delete"))


def fold(text: str) -> str:
    """'Pâte à TARTINER' -> 'pate a tartiner' (search ignores case and accents)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class KioskStore:
    def __init__(self, path: str | Path):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        self.conn.executescript(SCHEMA + TRIGGERS)
        outbox.create(self.conn)

    def close(self) -> None:
        self.conn.close()

    # -- catalogue -----------------------------------------------------------------------
    def product(self, gtin13: str) -> Optional[Product]:
        row = self.conn.execute("SELECT gtin13, name, price, vat_bp, category FROM product WHERE gtin13 = ?",
                                (gtin13,)).fetchone()
        return Product(*row) if row else None

    def search(self, text: str, limit: int = 30) -> list[Product]:
        words = fold(text).split()
        if not words:
            return []
        where = " AND ".join("name_fold LIKE ?" for _ in words)
        rows = self.conn.execute(
            f"SELECT gtin13, name, price, vat_bp, category FROM product WHERE {where} LIMIT ?",
            [f"%{w}%" for w in words] + [limit]).fetchall()
        return sorted((Product(*r) for r in rows), key=lambda p: p.name)

    def upsert_products(self, products: Iterable[Product], cursor: Optional[str] = None) -> int:
        """Apply a catalogue batch (and the server cursor it reaches) atomically."""
        rows = [(p.gtin13, p.name, fold(p.name), p.price, p.vat_bp, p.category) for p in products]
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT INTO product(gtin13, name, name_fold, price, vat_bp, category) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(gtin13) DO UPDATE SET name=excluded.name, name_fold=excluded.name_fold, "
                "price=excluded.price, vat_bp=excluded.vat_bp, category=excluded.category", rows)
            if cursor is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('catalogue_cursor', ?)",
                                  (str(cursor),))
        return len(rows)

    def catalogue_cursor(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'catalogue_cursor'").fetchone()
        return row[0] if row else "0"

    def product_count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM product").fetchone()[0]

    # -- tickets -------------------------------------------------------------------------
    def record_sale(self, ticket: Ticket, register: str, cashier: str,
                    now: Optional[datetime] = None) -> ValidatedTicket:
        """Number, validate and store a paid ticket and its outbox record, in one transaction."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")  # serialises numbering between processes too
            last = self.conn.execute("SELECT max(number) FROM ticket WHERE register = ?", (register,)).fetchone()[0]
            v = ticket.validate(ticket_id=str(uuid.uuid4()), register=register, number=next_ticket_number(last),
                                cashier=cashier, created_at=(now or datetime.now()).replace(microsecond=0))
            self.conn.execute(
                "INSERT INTO ticket(id, register, number, created_at, cashier, total, training) VALUES (?,?,?,?,?,?,?)",
                (v.id, v.register, v.number, v.created_at.isoformat(), v.cashier, v.total, int(v.training)))
            self.conn.executemany(
                "INSERT INTO ticket_line VALUES (?,?,?,?,?,?,?,?)",
                [(v.id, i, l.gtin13, l.label, l.qty, l.unit_price, l.vat_bp, l.total) for i, l in enumerate(v.lines)])
            self.conn.executemany(
                "INSERT INTO payment VALUES (?,?,?,?,?)",
                [(v.id, i, p.method, p.amount, p.given) for i, p in enumerate(v.payments)])
            outbox.enqueue(self.conn, "ticket", v.id, ticket_to_wire(v))
        return v

    def ticket_count(self, register: str) -> int:
        """Tickets of the register so far (numbers have no gaps, so the last number is the count)."""
        last = self.conn.execute("SELECT max(number) FROM ticket WHERE register = ?", (register,)).fetchone()[0]
        return last or 0
