"""The kiosk's local store: its copy of the catalogue and its tickets, in SQLite (WAL).

A sale is committed, with its outbox record, before anything is printed. Validated tickets are
never updated or deleted: triggers refuse it in the database itself.

Fiscal chain (commerce.fiscal): each ticket row keeps, in the same transaction as the sale, every
field the law asks for (lines with their HT, the VAT per rate in ticket_vat, payments, the ticket it
corrects), the canonical payload as sealed (`canonical`, kept to tell which field changed), the
previous ticket's hash and its own. `comptoir fiscal verify` (kiosk.fiscal_verify) recomputes the
hashes from the columns, not from `canonical`. Technical events go to the journal (kiosk.journal).

Databases from earlier versions open: the missing columns are added (ALTER TABLE ADD COLUMN); their
old tickets keep NULL hashes and are reported as "antérieurs à la chaîne". The chain of a register
starts at its first ticket stored by this version.
"""
from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path
from typing import Iterable, Optional

from commerce import fiscal
from commerce.catalogue import Product
from commerce.ticket import ITEM, Line, Payment, Ticket, ValidatedTicket, next_ticket_number
from sync import outbox
from sync.wire import ticket_to_wire

from . import accounts, journal, sessions

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
    corrects_register TEXT,          -- the ticket this one corrects (refund, exchange), if any
    corrects_number INTEGER,
    canonical TEXT,                  -- commerce.fiscal canonical payload, as sealed
    prev_hash TEXT,                  -- hash of the register's previous ticket (GENESIS for the first)
    hash TEXT,                       -- SHA-256(prev_hash || canonical fields), hex
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
    ht INTEGER,                      -- the line's total excluding VAT (commerce.fiscal.line_ht)
    kind TEXT,                       -- item, return, discount, promo, gift_card… (commerce.ticket.Line.kind)
    origin_ticket_id TEXT,           -- a returned line: the ticket and line it comes back from
    origin_line_no INTEGER,
    net INTEGER,                     -- an item's total after its share of the ticket's discounts
    PRIMARY KEY (ticket_id, line_no)
);
CREATE TABLE IF NOT EXISTS ticket_vat (  -- totals per VAT rate of a ticket, highest rate first
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    rate_bp INTEGER NOT NULL,
    ht INTEGER NOT NULL,
    tva INTEGER NOT NULL,
    ttc INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, rate_bp)
);
CREATE TABLE IF NOT EXISTS payment (
    ticket_id TEXT NOT NULL REFERENCES ticket(id),
    line_no INTEGER NOT NULL,
    method TEXT NOT NULL,
    amount INTEGER NOT NULL,
    given INTEGER NOT NULL,
    reference TEXT,                  -- gift card, credit note or cheque number
    PRIMARY KEY (ticket_id, line_no)
);
"""
# Tickets put aside before payment (mise en attente): not fiscal records yet, so a row goes when the
# ticket is resumed; the journal keeps both events.
PARKED_SCHEMA = """
CREATE TABLE IF NOT EXISTS parked_ticket (
    id INTEGER PRIMARY KEY,
    register TEXT NOT NULL,
    operator TEXT NOT NULL,
    parked_at TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL            -- JSON (kiosk.parking)
);
"""
# Columns added since the first version: added to older databases when they open.
ADDED_COLUMNS = {
    "ticket": (("corrects_register", "TEXT"), ("corrects_number", "INTEGER"), ("canonical", "TEXT"),
               ("prev_hash", "TEXT"), ("hash", "TEXT")),
    "ticket_line": (("ht", "INTEGER"), ("kind", "TEXT"), ("origin_ticket_id", "TEXT"), ("origin_line_no", "INTEGER"),
                    ("net", "INTEGER")),
    "payment": (("reference", "TEXT"),),
    "journal": (("canonical", "TEXT"),),
}
# Inalterability is enforced by the database, not only by this code.
FROZEN_TABLES = ("ticket", "ticket_line", "payment", "ticket_vat", "journal")
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
        self.conn.executescript(SCHEMA + journal.SCHEMA)
        self._add_missing_columns()
        self.conn.executescript(TRIGGERS)
        sessions.create(self.conn)  # cash sessions, movements and closings (kiosk.sessions)
        accounts.create(self.conn)  # customers, offers, gift cards, credit notes, points (kiosk.accounts)
        self.conn.executescript(PARKED_SCHEMA)
        outbox.create(self.conn)
        if not self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'stock_level'").fetchone():
            from . import stock_store  # imported when first needed: the register opens sooner
            stock_store.create(self.conn)  # the stock ledger: a sale moves its units out of the shelf

    def _add_missing_columns(self) -> None:
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in have:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

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
                    now: Optional[datetime] = None, corrects: Optional[tuple[str, int]] = None) -> ValidatedTicket:
        """Number, validate, chain and store a paid ticket and its outbox record, in one transaction.

        `corrects` is the (register, number) of the ticket this one corrects (a refund), if any.
        """
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")  # serialises numbering between processes too
            last, prev_hash = self.conn.execute(
                "SELECT number, hash FROM ticket WHERE register = ? ORDER BY number DESC LIMIT 1",
                (register,)).fetchone() or (None, None)
            v = ticket.validate(ticket_id=str(uuid.uuid4()), register=register, number=next_ticket_number(last),
                                cashier=cashier, created_at=(now or datetime.now()).replace(microsecond=0))
            corrects = corrects or v.corrects
            self._insert_sale(v, corrects, prev_hash or fiscal.GENESIS)  # GENESIS: first ticket of the chain
            if corrects:  # the corrected ticket is marked as such in a new record, never in its own row
                journal.append(self.conn, "ticket_corrected", corrects[0], v.cashier,
                               {"ticket": corrects[1], "corrected_by": {"register": v.register, "number": v.number},
                                "total": v.total}, v.created_at)
        return v

    def corrections(self, register: str, number: int) -> list[int]:
        """Numbers of the tickets that corrected ticket `number` (returns, exchanges), oldest first."""
        return [n for (n,) in self.conn.execute(
            "SELECT number FROM ticket WHERE corrects_register = ? AND corrects_number = ? ORDER BY number",
            (str(register), number))]

    def _insert_sale(self, v: ValidatedTicket, corrects: Optional[tuple[str, int]], prev_hash: str) -> str:
        """Insert a validated ticket, its fiscal fields, hashes and outbox record (caller's transaction).
        Returns its hash."""
        record = fiscal.fiscal_ticket(v, corrects)
        canonical = fiscal.canonical_ticket(record)
        digest = fiscal.chain_hash(prev_hash, canonical)
        self.conn.execute(
            "INSERT INTO ticket(id, register, number, created_at, cashier, total, training, corrects_register, "
            "corrects_number, canonical, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (v.id, v.register, v.number, record.timestamp, v.cashier, v.total, int(v.training),
             corrects[0] if corrects else None, corrects[1] if corrects else None,
             canonical.decode("utf-8"), prev_hash, digest))
        self.conn.executemany(
            "INSERT INTO ticket_line(ticket_id, line_no, gtin13, label, qty, unit_price, vat_bp, total, ht, kind, "
            "origin_ticket_id, origin_line_no, net) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(v.id, i, f.gtin, f.label, f.qty, f.unit_price, f.vat_rate, f.total, f.ht, l.kind,
              l.origin[0] if l.origin else None, l.origin[1] if l.origin else None, l.net)
             for i, (f, l) in enumerate(zip(record.lines, v.lines))])
        self.conn.executemany(
            "INSERT INTO ticket_vat(ticket_id, rate_bp, ht, tva, ttc) VALUES (?,?,?,?,?)",
            [(v.id, r.rate, r.ht, r.tva, r.ttc) for r in record.vat])
        self.conn.executemany(
            "INSERT INTO payment(ticket_id, line_no, method, amount, given, reference) VALUES (?,?,?,?,?,?)",
            [(v.id, i, p.method, p.amount, p.given, p.reference or None) for i, p in enumerate(v.payments)])
        accounts.record_ticket(self.conn, v)  # gift cards, credit notes, loyalty points
        outbox.enqueue(self.conn, "ticket", v.id, ticket_to_wire(v))
        # The sale's stock moves, in the same transaction; the ticket's outbox record carries them to
        # the back office (its lines are the moves), so they get no outbox record of their own.
        from . import stock_store
        stock_store.record_sale_moves(self.conn, v.id, v.lines, operator=v.cashier, at=v.created_at, sync=False)
        return digest

    def load_ticket(self, ticket_id: str) -> Optional[ValidatedTicket]:
        """A stored ticket as it was validated (for a reprint or a return)."""
        row = self.conn.execute(
            "SELECT id, register, number, created_at, cashier, training, corrects_register, corrects_number "
            "FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            return None
        lines = tuple(
            Line(gtin, label, qty, unit_price, vat, kind or ITEM, origin=(ot, ol) if ot else None, net=net)
            for gtin, label, qty, unit_price, vat, kind, ot, ol, net in self.conn.execute(
                "SELECT gtin13, label, qty, unit_price, vat_bp, kind, origin_ticket_id, origin_line_no, net "
                "FROM ticket_line WHERE ticket_id = ? ORDER BY line_no", (ticket_id,)))
        payments = tuple(Payment(m, a, g, r or "") for m, a, g, r in self.conn.execute(
            "SELECT method, amount, given, reference FROM payment WHERE ticket_id = ? ORDER BY line_no", (ticket_id,)))
        return ValidatedTicket(id=row[0], register=row[1], number=row[2], cashier=row[4],
                               created_at=datetime.fromisoformat(row[3]), lines=lines, payments=payments,
                               training=bool(row[5]), corrects=(row[6], row[7]) if row[6] is not None else None)

    def find_ticket(self, register: str, number: int) -> Optional[ValidatedTicket]:
        row = self.conn.execute("SELECT id FROM ticket WHERE register = ? AND number = ?",
                                (str(register), number)).fetchone()
        return self.load_ticket(row[0]) if row else None

    def returned(self, ticket_id: str) -> dict[int, int]:
        """{line no of the original ticket: units already returned} (returns stored so far)."""
        return dict(self.conn.execute(
            "SELECT origin_line_no, -sum(qty) FROM ticket_line WHERE origin_ticket_id = ? AND kind = 'return' "
            "GROUP BY origin_line_no", (ticket_id,)).fetchall())

    # -- parked tickets (kiosk.parking) ------------------------------------------------------------
    def park(self, register: str, operator: str, summary: str, payload: str, now: datetime) -> int:
        with self.conn:
            cur = self.conn.execute("INSERT INTO parked_ticket(register, operator, parked_at, summary, payload) "
                                    "VALUES (?,?,?,?,?)", (register, operator, now.isoformat(), summary, payload))
        return cur.lastrowid

    def parked(self, register: str) -> list[tuple[int, str, str, str]]:
        """[(id, parked_at, operator, summary)] oldest first."""
        return self.conn.execute("SELECT id, parked_at, operator, summary FROM parked_ticket WHERE register = ? "
                                 "ORDER BY id", (register,)).fetchall()

    def unpark(self, register: str, parked_id: int) -> Optional[str]:
        """Take a parked ticket back (its payload), or None if it is not there (resumed elsewhere)."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self.conn.execute("SELECT payload FROM parked_ticket WHERE id = ? AND register = ?",
                                    (parked_id, register)).fetchone()
            if row:
                self.conn.execute("DELETE FROM parked_ticket WHERE id = ?", (parked_id,))
        return row[0] if row else None

    def ticket_hash(self, ticket_id: str) -> Optional[str]:
        """The chain hash of a stored ticket (its first characters are printed on the receipt)."""
        row = self.conn.execute("SELECT hash FROM ticket WHERE id = ?", (ticket_id,)).fetchone()
        return row[0] if row else None

    # -- technical events journal (JET) -------------------------------------------------------
    def record_event(self, kind: str, register: str, operator: str, details: Optional[dict] = None,
                     now: Optional[datetime] = None) -> fiscal.JournalEntry:
        """Append a chained technical event (printer error, reprint, drawer opened with no sale…)."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            entry = journal.append(self.conn, kind, register, operator, details or {}, now)
        return entry

    def events(self, register: str) -> list[fiscal.JournalEntry]:
        return journal.entries(self.conn, register)

    # -- cash sessions and closings (kiosk.sessions; the rules are commerce.cash) --------------------
    def _write(self, fn, *args, **kwargs):
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            return fn(self.conn, *args, **kwargs)

    def open_session(self, register: str, operator: str, opening_count, now: Optional[datetime] = None):
        """Open a cash session with its float counted by denomination (commerce.cash.CashCount)."""
        return self._write(sessions.open_session, register, operator, opening_count, now)

    def current_session(self, register: str):
        return sessions.current_session(self.conn, register)

    def check_can_sell(self, register: str, now: Optional[datetime] = None):
        """Raise CommerceError when no session is open, it is over 24 hours old, or the day is closed."""
        return sessions.check_can_sell(self.conn, register, now)

    def cash_movement(self, register: str, direction: str, amount: int, reason: str, *, note: str = "",
                      operator: str, now: Optional[datetime] = None):
        """Cash in ('in') or out ('out') of the open session, with its reason (commerce.cash.MOVEMENT_REASONS)."""
        return self._write(sessions.add_movement, register, direction, amount, reason, note=note,
                           operator=operator, now=now)

    def x_report(self, register: str, operator: str, now: Optional[datetime] = None):
        """Rapport X of the open session (writes nothing)."""
        return sessions.x_report(self.conn, register, operator, now)

    def close_session(self, register: str, counted_cash, counted_other=None, *, operator: str,
                      now: Optional[datetime] = None, end_of_day: bool = True):
        """Clôture Z, with the period closings due; returns kiosk.sessions.ClosingResult."""
        return self._write(sessions.close_session, register, counted_cash, counted_other, operator=operator,
                           now=now, end_of_day=end_of_day)

    def close_periods(self, register: str, through, *, operator: str, now: Optional[datetime] = None):
        """Day, month and year closings due up to the date `through`, on demand."""
        return self._write(sessions.close_periods, register, through, operator=operator, now=now)

    def closings(self, register: str, kind: Optional[str] = None):
        return sessions.closings(self.conn, register, kind)

    def ticket_count(self, register: str) -> int:
        """Tickets of the register so far (numbers have no gaps, so the last number is the count)."""
        last = self.conn.execute("SELECT max(number) FROM ticket WHERE register = ?", (register,)).fetchone()[0]
        return last or 0

    # -- operators (kiosk.operators_store; the sign-in service is kiosk.signin_service) ---------
    def operators(self, active_only: bool = False):
        from . import operators_store
        return operators_store.operators(self.conn, active_only=active_only)

    def operator(self, operator_id: str):
        from . import operators_store
        return operators_store.get(self.conn, operator_id)

    def add_operator(self, operator, now: Optional[datetime] = None):
        from . import operators_store
        return operators_store.add(self.conn, operator, now)
