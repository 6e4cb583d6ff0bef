"""The stock ledger in the kiosk's SQLite database (the same file as kiosk.store.KioskStore).

Works on the kiosk's sqlite3 connection (isolation_level=None). Module functions that take `conn`
run inside the caller's transaction (record_sale_moves runs inside KioskStore._insert_sale's);
StockStore's writing methods open their own (BEGIN IMMEDIATE). The rules live in commerce.stock.

Tables. Append-only (triggers refuse UPDATE and DELETE, as kiosk.store.TRIGGERS do):
- stock_move: the ledger. One row per move, qty > 0 from `source` to `dest` (commerce.stock.Move);
  `ref` names what caused it (ticket id, reception id, count id…), `op` the operation it belongs to.
- reception_event: every action of a reception being scanned (a draft), replayed by
  commerce.stock.ReceptionDraft, so a restart loses nothing scanned.
- reception, reception_line, reception_anomaly: a validated reception, as it was decided.
- count_session, count_expected (the ledger's stock when the count started), count_entry (each scan
  or typed quantity), count_step (round closed, approved with the approver, cancelled).
- parcel, parcel_event: click-and-collect parcels and what happened to them.
Kept up to date (not a record, a cache):
- stock_level: stock per (product, location), changed in the same transaction as each move, so that
  reading stock is one indexed lookup. `verify()` recomputes it from the ledger.
Configuration: location, stock_rule (min/max), product_supplier (last supplier, cost and case size),
purchase_order and purchase_order_line (from `comptoir purchase import`, later from the back office).

Outbox (sync.outbox, same transaction): "stock_moves" (a sale, a return, a transfer…), "reception",
"count", "scrap" and "parcel" records; see the to_wire functions for their payloads.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Optional, Sequence

from commerce import stock
from commerce.catalogue import Product
from commerce.errors import CommerceError
from commerce.stock import (CountLine, CountSheet, Location, MinMax, Move, OrderLine, PurchaseOrder,
                            ReceptionDraft, ReceptionResult)
from sync import outbox

# Executed statement by statement (never executescript, which would commit a caller's transaction).
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS location (
        code TEXT PRIMARY KEY,            -- also its Code 128 barcode
        name TEXT NOT NULL,
        kind TEXT NOT NULL                -- commerce.stock.LOCATION_KINDS
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS stock_move (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        op TEXT NOT NULL,                 -- the operation (one outbox record) it belongs to
        at TEXT NOT NULL,                 -- ISO 8601, whole seconds, local time
        kind TEXT NOT NULL,               -- commerce.stock.MOVE_KINDS
        gtin13 TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        source TEXT NOT NULL,
        dest TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        unit_cost INTEGER,                -- cents excluding VAT, purchase cost known at the time
        unit_price INTEGER,               -- cents including VAT, selling price at the time
        best_before TEXT,
        ref TEXT NOT NULL DEFAULT '',     -- ticket, reception, count, parcel… that caused it
        operator TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS stock_move_by_product ON stock_move(gtin13, seq)",
    "CREATE INDEX IF NOT EXISTS stock_move_by_kind ON stock_move(kind, at)",
    "CREATE INDEX IF NOT EXISTS stock_move_by_ref ON stock_move(ref)",
    """CREATE TABLE IF NOT EXISTS stock_level (
        gtin13 TEXT NOT NULL,
        location TEXT NOT NULL,
        qty INTEGER NOT NULL,
        PRIMARY KEY (gtin13, location)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS stock_level_by_location ON stock_level(location, gtin13)",
    """CREATE TABLE IF NOT EXISTS stock_rule (
        gtin13 TEXT NOT NULL,
        location TEXT NOT NULL,
        min INTEGER NOT NULL,
        max INTEGER NOT NULL,
        PRIMARY KEY (gtin13, location)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS product_supplier (
        gtin13 TEXT PRIMARY KEY,
        supplier TEXT NOT NULL,
        unit_cost INTEGER NOT NULL,       -- cents excluding VAT, last purchase order
        pack INTEGER NOT NULL DEFAULT 1
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS purchase_order (
        number TEXT PRIMARY KEY,
        supplier TEXT NOT NULL,
        expected_date TEXT NOT NULL,
        backorder_of TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL,             -- import | backorder | sync
        created_at TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS purchase_order_line (
        po TEXT NOT NULL REFERENCES purchase_order(number),
        line_no INTEGER NOT NULL,
        gtin13 TEXT NOT NULL,
        qty INTEGER NOT NULL,
        unit_cost INTEGER NOT NULL,
        pack INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (po, line_no)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS reception_event (
        draft TEXT NOT NULL,
        seq INTEGER NOT NULL,
        po TEXT NOT NULL,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        action TEXT NOT NULL,             -- note, scan, received, announced, damaged, date, abandon
        gtin13 TEXT NOT NULL DEFAULT '',
        qty INTEGER NOT NULL DEFAULT 0,
        text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (draft, seq)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS reception_event_by_po ON reception_event(po)",
    """CREATE TABLE IF NOT EXISTS reception (
        id TEXT PRIMARY KEY,              -- the draft's id
        number INTEGER NOT NULL UNIQUE,   -- gap-free on this kiosk
        po TEXT NOT NULL UNIQUE,          -- an order is received once (a backorder is a new order)
        note TEXT NOT NULL,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        backorder TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE IF NOT EXISTS reception_line (
        reception TEXT NOT NULL REFERENCES reception(id),
        line_no INTEGER NOT NULL,
        gtin13 TEXT NOT NULL,
        ordered INTEGER NOT NULL,
        announced INTEGER,
        received INTEGER NOT NULL,
        damaged INTEGER NOT NULL,
        damage_reason TEXT NOT NULL,
        date_kind TEXT NOT NULL,
        best_before TEXT,
        short_date INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        set_aside INTEGER NOT NULL,
        unit_cost INTEGER NOT NULL,
        PRIMARY KEY (reception, line_no)
    )""",
    """CREATE TABLE IF NOT EXISTS reception_anomaly (
        reception TEXT NOT NULL REFERENCES reception(id),
        line_no INTEGER NOT NULL,
        kind TEXT NOT NULL,
        gtin13 TEXT NOT NULL,
        qty INTEGER NOT NULL,
        detail TEXT NOT NULL,
        PRIMARY KEY (reception, line_no)
    )""",
    """CREATE TABLE IF NOT EXISTS count_session (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        location TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '',
        blind INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        operator TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS count_expected (
        session TEXT NOT NULL REFERENCES count_session(id),
        gtin13 TEXT NOT NULL,
        expected INTEGER NOT NULL,
        PRIMARY KEY (session, gtin13)
    )""",
    """CREATE TABLE IF NOT EXISTS count_entry (
        session TEXT NOT NULL REFERENCES count_session(id),
        seq INTEGER NOT NULL,
        round INTEGER NOT NULL,
        gtin13 TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('add', 'set')),
        qty INTEGER NOT NULL,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        PRIMARY KEY (session, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS count_step (
        session TEXT NOT NULL REFERENCES count_session(id),
        seq INTEGER NOT NULL,
        step TEXT NOT NULL CHECK (step IN ('close_round', 'approve', 'cancel')),
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        approver TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (session, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS parcel (
        order_code TEXT PRIMARY KEY,
        customer TEXT NOT NULL,
        packages INTEGER NOT NULL,
        received_at TEXT NOT NULL,
        operator TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS parcel_event (
        order_code TEXT NOT NULL REFERENCES parcel(order_code),
        seq INTEGER NOT NULL,
        action TEXT NOT NULL,             -- commerce.stock.PARCEL_STATES
        location TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        PRIMARY KEY (order_code, seq)
    )""",
)
FROZEN_TABLES = ("stock_move", "reception_event", "reception", "reception_line", "reception_anomaly",
                 "count_session", "count_expected", "count_entry", "count_step", "parcel", "parcel_event")
TRIGGERS = tuple(
    f"""CREATE TRIGGER IF NOT EXISTS {t}_no_{op} BEFORE {op.upper()} ON {t}
        BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite ({t})'); END"""
    for t in FROZEN_TABLES for op in ("update", "delete"))

_MOVE_COLUMNS = "id, op, at, kind, gtin13, qty, source, dest, reason, unit_cost, unit_price, best_before, ref, operator"


def create(conn: sqlite3.Connection) -> None:
    """Create the stock tables, triggers and default locations if missing (KioskStore.__init__)."""
    for statement in SCHEMA + TRIGGERS:
        conn.execute(statement)
    conn.executemany("INSERT OR IGNORE INTO location(code, name, kind) VALUES (?,?,?)",
                     [(l.code, l.name, l.kind) for l in stock.DEFAULT_LOCATIONS])


def _iso(at: Optional[datetime]) -> str:
    return (at or datetime.now()).replace(microsecond=0).isoformat()


def _new_id() -> str:
    return str(uuid.uuid4())


# --- wire payloads (sync) -------------------------------------------------------------------------

def move_to_wire(m: Move, move_id: str, at: str, ref: str, operator: str) -> dict:
    return {"id": move_id, "at": at, "kind": m.kind, "gtin": m.gtin13, "qty": m.qty, "from": m.source,
            "to": m.dest, "reason": m.reason, "unit_cost": m.unit_cost, "unit_price": m.unit_price,
            "best_before": m.best_before.isoformat() if m.best_before else None, "ref": ref, "operator": operator}


def write_moves(conn: sqlite3.Connection, moves: Sequence[Move], *, ref: str, operator: str,
                at: Optional[datetime] = None, op: Optional[str] = None) -> list[dict]:
    """Append moves to the ledger and update stock_level, in the caller's transaction.
    Returns their wire form (for the caller's outbox record)."""
    op = op or _new_id()
    when = _iso(at)
    wired = []
    for m in moves:
        move_id = _new_id()
        conn.execute(f"INSERT INTO stock_move({_MOVE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (move_id, op, when, m.kind, m.gtin13, m.qty, m.source, m.dest, m.reason, m.unit_cost,
                      m.unit_price, m.best_before.isoformat() if m.best_before else None, ref, operator))
        for gtin, location, delta in m.deltas():
            conn.execute("INSERT INTO stock_level(gtin13, location, qty) VALUES (?,?,?) "
                         "ON CONFLICT(gtin13, location) DO UPDATE SET qty = qty + excluded.qty",
                         (gtin, location, delta))
        wired.append(move_to_wire(m, move_id, when, ref, operator))
    return wired


def record_moves(conn: sqlite3.Connection, kind: str, moves: Sequence[Move], *, ref: str, operator: str,
                 at: Optional[datetime] = None, sync: bool = True) -> Optional[str]:
    """Write moves and their "stock_moves" outbox record (caller's transaction). Returns the op id."""
    if not moves:
        return None
    op = _new_id()
    wired = write_moves(conn, moves, ref=ref, operator=operator, at=at, op=op)
    if sync:
        outbox.enqueue(conn, "stock_moves", op, {"id": op, "kind": kind, "ref": ref, "operator": operator,
                                                 "at": wired[0]["at"], "moves": wired})
    return op


def shelf_location(conn: sqlite3.Connection, gtin13: str) -> str:
    """Where a sale takes a product from: a shelf location that holds it, else the main shelf."""
    row = conn.execute(
        "SELECT s.location FROM stock_level s JOIN location l ON l.code = s.location AND l.kind = 'shelf' "
        "WHERE s.gtin13 = ? ORDER BY s.qty > 0 DESC, s.location = ? DESC, s.location LIMIT 1",
        (gtin13, stock.SHELF)).fetchone()
    return row[0] if row else stock.SHELF


def record_sale_moves(conn: sqlite3.Connection, ticket_id: str, lines: Iterable, *, operator: str = "",
                      at: Optional[datetime] = None, sync: bool = True) -> list[Move]:
    """The stock side of a validated ticket, in the sale's own transaction (KioskStore._insert_sale).

    An item line moves its units out of the shelf to the customer (a sale is never refused for
    lack of stock: the shelf may go negative, which a count will correct). A returned line (kind
    "return", or a negative quantity) comes back into RETOURS-CLIENTS, where the stockroom decides
    what becomes of it. Other lines (discounts, gift cards…) move no stock.
    Lines are duck-typed: gtin13 (or gtin), qty, unit_price, and kind when there is one.
    sync=False writes no outbox record (until the back office's wire format accepts "stock_moves").
    """
    moves = []
    for line in lines:
        gtin = getattr(line, "gtin13", None) or getattr(line, "gtin", None) or ""
        kind = getattr(line, "kind", None) or "item"
        qty = int(line.qty)
        if not (len(gtin) == 13 and gtin.isdigit()) or qty == 0:
            continue
        price = getattr(line, "unit_price", None)
        if kind == "return" or qty < 0:
            moves.append(Move(stock.RETURN, gtin, abs(qty), stock.CUSTOMER, stock.CUSTOMER_RETURNS,
                              "retour en caisse", None, price))
        elif kind == "item":
            moves.append(Move(stock.SALE, gtin, qty, shelf_location(conn, gtin), stock.CUSTOMER, "", None, price))
    record_moves(conn, "sale", moves, ref=ticket_id, operator=operator, at=at, sync=sync)
    return moves


@dataclass(frozen=True)
class StoredMove:
    id: str
    op: str
    at: datetime
    move: Move
    ref: str
    operator: str


def _stored(row) -> StoredMove:
    mid, op, at, kind, gtin, qty, src, dst, reason, cost, price, best, ref, operator = row
    move = Move(kind, gtin, qty, src, dst, reason, cost, price, date.fromisoformat(best) if best else None)
    return StoredMove(mid, op, datetime.fromisoformat(at), move, ref, operator)


@dataclass(frozen=True)
class OrderSummary:
    order: PurchaseOrder
    draft: Optional[str]  # an open reception draft, if one was started

    @property
    def units(self) -> int:
        return sum(l.qty for l in self.order.lines)


class StockStore:
    """Reads and writes of the stockroom on the kiosk's connection (KioskStore.conn)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        create(conn)
        self._sellable: dict[str, bool] = {}  # location code -> sellable (reserve, shelf)

    def _write(self, fn, *args, **kwargs):
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            return fn(*args, **kwargs)

    # -- catalogue (read from KioskStore's product table) ----------------------------------------
    def product(self, gtin13: str) -> Optional[Product]:
        row = self.conn.execute("SELECT gtin13, name, price, vat_bp, category FROM product WHERE gtin13 = ?",
                                (gtin13,)).fetchone()
        return Product(*row) if row else None

    def _product_column(self, column: str, gtins: Iterable[str]) -> dict:
        """{gtin13: column} for the products of the catalogue among `gtins`, 500 at a time."""
        keys = list(dict.fromkeys(gtins))
        out = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            out.update(self.conn.execute(
                f"SELECT gtin13, {column} FROM product WHERE gtin13 IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def names(self, gtins: Iterable[str]) -> dict[str, str]:
        return self._product_column("name", gtins)

    def prices(self, gtins: Iterable[str]) -> dict[str, int]:
        return self._product_column("price", gtins)

    def unit_cost(self, gtin13: str) -> Optional[int]:
        row = self.conn.execute("SELECT unit_cost FROM product_supplier WHERE gtin13 = ?", (gtin13,)).fetchone()
        return row[0] if row and row[0] else None

    def suppliers(self) -> dict[str, tuple[str, int]]:
        return {g: (s, p) for g, s, p in self.conn.execute("SELECT gtin13, supplier, pack FROM product_supplier")}

    # -- locations ---------------------------------------------------------------------------------
    def locations(self) -> dict[str, Location]:
        rows = self.conn.execute("SELECT code, name, kind FROM location ORDER BY code")
        return {c: Location(c, n, k) for c, n, k in rows}

    def location(self, code: str) -> Optional[Location]:
        row = self.conn.execute("SELECT code, name, kind FROM location WHERE code = ?", (code,)).fetchone()
        return Location(*row) if row else None

    def add_location(self, location: Location) -> Location:
        def add():
            if self.location(location.code):
                raise CommerceError(f"emplacement {location.code} déjà déclaré")
            self.conn.execute("INSERT INTO location(code, name, kind) VALUES (?,?,?)",
                              (location.code, location.name, location.kind))
        self._write(add)
        self._sellable = {}
        return location

    # -- stock on hand -------------------------------------------------------------------------------
    def on_hand(self, gtin13: str, location: Optional[str] = None) -> int:
        """Units of a product at a location, or in the sellable locations (reserve and shelf) when
        none is given: one indexed lookup in stock_level."""
        if location is not None:
            row = self.conn.execute("SELECT qty FROM stock_level WHERE gtin13 = ? AND location = ?",
                                    (gtin13, location)).fetchone()
            return row[0] if row else 0
        rows = self.conn.execute("SELECT location, qty FROM stock_level WHERE gtin13 = ?", (gtin13,)).fetchall()
        sellable = self._sellable
        total = 0
        for loc, q in rows:
            if loc not in sellable:  # a location not seen yet (added by another process): reload them
                sellable = self._sellable = {code: kind in stock.SELLABLE_KINDS
                                             for code, kind in self.conn.execute("SELECT code, kind FROM location")}
            if sellable.get(loc):
                total += q
        return total

    def levels(self, gtin13: str) -> dict[str, int]:
        """{location: units} of one product, zero rows left out."""
        return dict(self.conn.execute("SELECT location, qty FROM stock_level WHERE gtin13 = ? AND qty != 0 "
                                      "ORDER BY location", (gtin13,)))

    def all_levels(self, location: Optional[str] = None) -> dict[tuple[str, str], int]:
        if location is None:
            rows = self.conn.execute("SELECT gtin13, location, qty FROM stock_level WHERE qty != 0")
        else:
            rows = self.conn.execute("SELECT gtin13, location, qty FROM stock_level WHERE location = ? AND qty != 0",
                                     (location,))
        return {(g, l): q for g, l, q in rows}

    def moves(self, gtin13: Optional[str] = None, kind: Optional[str] = None, since: Optional[datetime] = None,
              ref: Optional[str] = None) -> list[StoredMove]:
        where, args = [], []
        for column, value in (("gtin13 = ?", gtin13), ("kind = ?", kind), ("at >= ?", since and _iso(since)),
                              ("ref = ?", ref)):
            if value is not None:
                where.append(column)
                args.append(value)
        sql = f"SELECT {_MOVE_COLUMNS} FROM stock_move" + (" WHERE " + " AND ".join(where) if where else "")
        return [_stored(r) for r in self.conn.execute(sql + " ORDER BY seq", args)]

    def verify(self) -> list[tuple[str, str, int, int]]:
        """Rows of stock_level that differ from the ledger: (gtin13, location, stored, from moves)."""
        ledger: dict[tuple[str, str], int] = {}
        for g, loc, q in self.conn.execute(
                "SELECT gtin13, dest, sum(qty) FROM stock_move WHERE dest NOT LIKE '@%' GROUP BY 1, 2 "
                "UNION ALL SELECT gtin13, source, -sum(qty) FROM stock_move WHERE source NOT LIKE '@%' GROUP BY 1, 2"):
            ledger[(g, loc)] = ledger.get((g, loc), 0) + q
        stored = {(g, l): q for g, l, q in self.conn.execute("SELECT gtin13, location, qty FROM stock_level")}
        keys = sorted(set(ledger) | set(stored))
        return [(g, l, stored.get((g, l), 0), ledger.get((g, l), 0)) for g, l in keys
                if stored.get((g, l), 0) != ledger.get((g, l), 0)]

    # -- moves of the stockroom ---------------------------------------------------------------------
    def record(self, kind: str, moves: Sequence[Move], *, ref: str = "", operator: str,
               at: Optional[datetime] = None, check: bool = True) -> Optional[str]:
        """Transfers, returns, supplier returns… in one transaction; `check` refuses taking more than
        a real location holds (commerce.stock.check_available)."""
        def write():
            if check:
                self._check_available(moves)
            return record_moves(self.conn, kind, moves, ref=ref, operator=operator, at=at)
        return self._write(write)

    def _check_available(self, moves: Sequence[Move]) -> None:
        taken: dict[tuple[str, str], int] = {}
        for m in moves:
            if stock.is_virtual(m.source):
                continue
            key = (m.gtin13, m.source)
            taken[key] = taken.get(key, 0) + m.qty
            product = self.product(m.gtin13)
            name = product.name if product else m.gtin13
            loc = self.location(m.source)
            stock.check_available(self.on_hand(m.gtin13, m.source) - taken[key] + m.qty, m.qty, name,
                                  loc.name if loc else m.source)

    def scrap(self, move: Move, *, operator: str, at: Optional[datetime] = None) -> str:
        """A move to the scrap location and its "scrap" outbox record, with the value lost."""
        def write():
            self._check_available([move])
            op = _new_id()
            wired = write_moves(self.conn, [move], ref=op, operator=operator, at=at, op=op)
            outbox.enqueue(self.conn, "scrap", op, {
                "id": op, "at": wired[0]["at"], "operator": operator, "reason": move.reason, "move": wired[0],
                "cost_value": move.qty * (move.unit_cost or 0), "retail_value": move.qty * (move.unit_price or 0)})
            return op
        return self._write(write)

    # -- purchase orders ---------------------------------------------------------------------------
    def import_orders(self, orders: Sequence[PurchaseOrder], *, source: str = "import",
                      at: Optional[datetime] = None, cursor: Optional[str] = None) -> tuple[list[str], list[str]]:
        """Store new orders; an order already stored with the same content is skipped, with another
        content refused (nothing is imported then). Returns (added, skipped) numbers. `cursor`: the
        back office's cursor these orders reach, stored in the same transaction (sync.orders_pull)."""
        def write():
            if cursor is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('orders_cursor', ?)", (str(cursor),))
            new, skipped = stock.orders_to_add(orders, self.order)
            for o in new:
                self._insert_order(o, source, at)
            return [o.number for o in new], skipped
        return self._write(write)

    def _insert_order(self, o: PurchaseOrder, source: str, at: Optional[datetime]) -> None:
        self.conn.execute("INSERT INTO purchase_order(number, supplier, expected_date, backorder_of, source, "
                          "created_at) VALUES (?,?,?,?,?,?)",
                          (o.number, o.supplier, o.expected.isoformat(), o.backorder_of, source, _iso(at)))
        self.conn.executemany(
            "INSERT INTO purchase_order_line(po, line_no, gtin13, qty, unit_cost, pack) VALUES (?,?,?,?,?,?)",
            [(o.number, i, l.gtin13, l.qty, l.unit_cost, l.pack) for i, l in enumerate(o.lines, 1)])
        if source != "backorder":  # the last order says who supplies a product, at what cost
            self.conn.executemany(
                "INSERT INTO product_supplier(gtin13, supplier, unit_cost, pack) VALUES (?,?,?,?) "
                "ON CONFLICT(gtin13) DO UPDATE SET supplier = excluded.supplier, "
                "unit_cost = excluded.unit_cost, pack = excluded.pack",
                [(l.gtin13, o.supplier, l.unit_cost, l.pack) for l in o.lines])

    def orders_cursor(self) -> str:
        """How far the back office's purchase orders have been read (sync.orders_pull)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'orders_cursor'").fetchone()
        return row[0] if row else "0"

    def order(self, number: str) -> Optional[PurchaseOrder]:
        head = self.conn.execute("SELECT number, supplier, expected_date, backorder_of FROM purchase_order "
                                 "WHERE number = ?", (number,)).fetchone()
        if head is None:
            return None
        lines = tuple(OrderLine(g, q, c, p) for g, q, c, p in self.conn.execute(
            "SELECT gtin13, qty, unit_cost, pack FROM purchase_order_line WHERE po = ? ORDER BY line_no", (number,)))
        return PurchaseOrder(head[0], head[1], date.fromisoformat(head[2]), lines, head[3])

    def open_orders(self) -> list[OrderSummary]:
        """Orders not yet received (expected deliveries), the soonest first."""
        rows = self.conn.execute(
            "SELECT number FROM purchase_order p WHERE NOT EXISTS (SELECT 1 FROM reception r WHERE r.po = p.number) "
            "ORDER BY expected_date, number").fetchall()
        return [OrderSummary(self.order(n), self.open_draft(n)) for (n,) in rows]

    def on_order(self) -> dict[str, int]:
        """Units ordered and not yet received, per product."""
        return dict(self.conn.execute(
            "SELECT l.gtin13, sum(l.qty) FROM purchase_order_line l WHERE NOT EXISTS "
            "(SELECT 1 FROM reception r WHERE r.po = l.po) GROUP BY l.gtin13"))

    # -- receptions ---------------------------------------------------------------------------------
    def open_draft(self, po: str) -> Optional[str]:
        row = self.conn.execute(
            "SELECT draft FROM reception_event e WHERE po = ? "
            "AND NOT EXISTS (SELECT 1 FROM reception r WHERE r.id = e.draft) "
            "GROUP BY draft HAVING sum(action = 'abandon') = 0 ORDER BY min(at) DESC LIMIT 1", (po,)).fetchone()
        return row[0] if row else None

    def add_reception_event(self, draft: str, po: str, action: str, *, gtin13: str = "", qty: int = 0,
                            text: str = "", operator: str, at: Optional[datetime] = None) -> None:
        def write():
            if self.conn.execute("SELECT 1 FROM reception WHERE id = ? OR po = ?", (draft, po)).fetchone():
                raise CommerceError(f"commande {po} déjà réceptionnée")
            seq = self.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM reception_event WHERE draft = ?",
                                    (draft,)).fetchone()[0]
            self.conn.execute("INSERT INTO reception_event(draft, seq, po, at, operator, action, gtin13, qty, text) "
                              "VALUES (?,?,?,?,?,?,?,?,?)",
                              (draft, seq, po, _iso(at), operator, action, gtin13, qty, text))
        self._write(write)

    def load_draft(self, draft: str, order: PurchaseOrder) -> ReceptionDraft:
        d = ReceptionDraft(order)
        for action, gtin, qty, text in self.conn.execute(
                "SELECT action, gtin13, qty, text FROM reception_event WHERE draft = ? AND action != 'abandon' "
                "ORDER BY seq", (draft,)):
            d.apply(action, gtin, qty, text)
        return d

    def validate_reception(self, draft: str, d: ReceptionDraft, result: ReceptionResult, *, operator: str,
                           at: Optional[datetime] = None) -> int:
        """Store the reception, its moves, its backorder and its outbox record; returns its number."""
        def write():
            po = d.order.number
            if self.conn.execute("SELECT 1 FROM reception WHERE id = ? OR po = ?", (draft, po)).fetchone():
                raise CommerceError(f"commande {po} déjà réceptionnée")
            number = self.conn.execute("SELECT coalesce(max(number), 0) + 1 FROM reception").fetchone()[0]
            back = result.backorder
            self.conn.execute("INSERT INTO reception(id, number, po, note, at, operator, backorder) "
                              "VALUES (?,?,?,?,?,?,?)",
                              (draft, number, po, d.note, _iso(at), operator, back.number if back else ""))
            self.conn.executemany(
                "INSERT INTO reception_line VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(draft, i, l.gtin13, l.ordered, l.announced, l.received, l.damaged, l.damage_reason, l.date_kind,
                  l.best_before.isoformat() if l.best_before else None, int(l.short_date), l.accepted, l.set_aside,
                  l.unit_cost) for i, l in enumerate(result.lines, 1)])
            self.conn.executemany(
                "INSERT INTO reception_anomaly VALUES (?,?,?,?,?,?)",
                [(draft, i, a.kind, a.gtin13, a.qty, a.detail) for i, a in enumerate(result.anomalies, 1)])
            wired = write_moves(self.conn, result.moves, ref=draft, operator=operator, at=at, op=draft)
            if back is not None:
                self._insert_order(back, "backorder", at)
            outbox.enqueue(self.conn, "reception", draft, reception_to_wire(draft, number, d, result, wired,
                                                                            operator, _iso(at)))
            return number
        return self._write(write)

    def reception(self, number: int) -> Optional[tuple[str, str, str, datetime, str]]:
        """(id, po, note, at, operator) of a validated reception."""
        row = self.conn.execute("SELECT id, po, note, at, operator FROM reception WHERE number = ?",
                                (number,)).fetchone()
        return (row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4]) if row else None

    # -- counts ---------------------------------------------------------------------------------
    def start_count(self, location: str, category: str, blind: bool, *, operator: str,
                    at: Optional[datetime] = None) -> tuple[str, int]:
        """A new count session with the ledger's stock of the location (and category) as expected."""
        if category:  # as the catalogue spells it; a category it does not have is refused
            category = self.catalogue_category(category)

        def write():
            session = _new_id()
            number = self.conn.execute("SELECT coalesce(max(number), 0) + 1 FROM count_session").fetchone()[0]
            self.conn.execute("INSERT INTO count_session(id, number, location, category, blind, started_at, operator) "
                              "VALUES (?,?,?,?,?,?,?)",
                              (session, number, location, category, int(blind), _iso(at), operator))
            rows = self.conn.execute(
                "SELECT s.gtin13, s.qty, coalesce(p.category, '') FROM stock_level s "
                "LEFT JOIN product p ON p.gtin13 = s.gtin13 WHERE s.location = ? AND s.qty != 0", (location,)).fetchall()
            # a category as the student types it: « épicerie » is « Épicerie » (SQLite folds ASCII only)
            rows = [(g, q) for g, q, c in rows if not category or c.casefold() == category.casefold()]
            self.conn.executemany("INSERT INTO count_expected(session, gtin13, expected) VALUES (?,?,?)",
                                  [(session, g, q) for g, q in rows])
            return session, number
        return self._write(write)

    def catalogue_category(self, typed: str) -> str:
        """The catalogue's category a student typed (« épicerie » is « Épicerie »: SQLite folds ASCII only)."""
        names = [c for (c,) in self.conn.execute("SELECT DISTINCT category FROM product WHERE category != ''")]
        for name in names:
            if name.casefold() == typed.casefold():
                return name
        shown = ", ".join(sorted(names)[:12]) + (" …" if len(names) > 12 else "")
        raise CommerceError(f"catégorie « {typed} » inconnue du catalogue (catégories : {shown or 'aucune'})")

    def count_session(self, session: str) -> Optional[dict]:
        row = self.conn.execute("SELECT number, location, category, blind, started_at, operator FROM count_session "
                                "WHERE id = ?", (session,)).fetchone()
        if row is None:
            return None
        return {"id": session, "number": row[0], "location": row[1], "category": row[2], "blind": bool(row[3]),
                "started_at": datetime.fromisoformat(row[4]), "operator": row[5]}

    def open_counts(self) -> list[dict]:
        rows = self.conn.execute("SELECT id FROM count_session c WHERE NOT EXISTS (SELECT 1 FROM count_step s "
                                 "WHERE s.session = c.id AND s.step IN ('approve', 'cancel')) ORDER BY number")
        return [self.count_session(i) for (i,) in rows.fetchall()]

    def load_count(self, session: str) -> CountSheet:
        sheet = CountSheet(dict(self.conn.execute("SELECT gtin13, expected FROM count_expected WHERE session = ?",
                                                  (session,))))
        events = [(seq, "entry", g, m, q) for seq, g, m, q in self.conn.execute(
            "SELECT seq, gtin13, mode, qty FROM count_entry WHERE session = ?", (session,))]
        events += [(seq, step, "", "", 0) for seq, step in self.conn.execute(
            "SELECT seq, step FROM count_step WHERE session = ?", (session,))]
        for _, what, gtin, mode, qty in sorted(events):
            if what == "entry":
                (sheet.add if mode == "add" else sheet.set)(gtin, qty)
            elif what == "close_round":
                sheet.close_round()
            elif what == "approve":
                sheet.approve()
            else:
                sheet.cancel()
        return sheet

    def _next_count_seq(self, session: str) -> int:
        return self.conn.execute(
            "SELECT max(coalesce((SELECT max(seq) FROM count_entry WHERE session = ?), 0), "
            "coalesce((SELECT max(seq) FROM count_step WHERE session = ?), 0)) + 1", (session, session)).fetchone()[0]

    def add_count_entry(self, session: str, round_no: int, gtin13: str, mode: str, qty: int, *, operator: str,
                        at: Optional[datetime] = None) -> None:
        def write():
            self.conn.execute("INSERT INTO count_entry(session, seq, round, gtin13, mode, qty, at, operator) "
                              "VALUES (?,?,?,?,?,?,?,?)", (session, self._next_count_seq(session), round_no, gtin13,
                                                           mode, qty, _iso(at), operator))
        self._write(write)

    def add_count_step(self, session: str, step: str, *, operator: str, at: Optional[datetime] = None) -> None:
        def write():
            self.conn.execute("INSERT INTO count_step(session, seq, step, at, operator) VALUES (?,?,?,?,?)",
                              (session, self._next_count_seq(session), step, _iso(at), operator))
        self._write(write)

    def approve_count(self, session: str, lines: Sequence[CountLine], moves: Sequence[Move], *, operator: str,
                      approver: str, at: Optional[datetime] = None) -> None:
        """The approval step, the adjustment moves and the "count" outbox record, in one transaction."""
        def write():
            if self.conn.execute("SELECT 1 FROM count_step WHERE session = ? AND step IN ('approve', 'cancel')",
                                 (session,)).fetchone():
                raise CommerceError("inventaire déjà validé ou annulé")
            when = _iso(at)
            self.conn.execute("INSERT INTO count_step(session, seq, step, at, operator, approver) VALUES (?,?,?,?,?,?)",
                              (session, self._next_count_seq(session), "approve", when, operator, approver))
            wired = write_moves(self.conn, moves, ref=session, operator=operator, at=at, op=session)
            info = self.count_session(session)
            outbox.enqueue(self.conn, "count", session, {
                "id": session, "number": info["number"], "location": info["location"], "category": info["category"],
                "blind": info["blind"], "started_at": info["started_at"].isoformat(), "approved_at": when,
                "operator": operator, "approver": approver,
                "lines": [{"gtin": l.gtin13, "expected": l.expected, "counted": l.counted, "recounted": l.recounted}
                          for l in lines],
                "moves": wired})
        self._write(write)

    # -- replenishment rules --------------------------------------------------------------------
    def set_rule(self, rule: MinMax) -> None:
        def write():
            if self.location(rule.location) is None:
                raise CommerceError(f"emplacement {rule.location} inconnu")
            self.conn.execute("INSERT INTO stock_rule(gtin13, location, min, max) VALUES (?,?,?,?) ON CONFLICT"
                              "(gtin13, location) DO UPDATE SET min = excluded.min, max = excluded.max",
                              (rule.gtin13, rule.location, rule.min, rule.max))
        self._write(write)

    def rules(self) -> list[MinMax]:
        return [MinMax(*r) for r in self.conn.execute("SELECT gtin13, location, min, max FROM stock_rule "
                                                      "ORDER BY location, gtin13")]

    def rule_levels(self) -> dict[tuple[str, str], int]:
        """Stock of every (product, location) that has a rule, and of the reserve for shelf refills."""
        return {(g, l): q for g, l, q in self.conn.execute(
            "SELECT s.gtin13, s.location, s.qty FROM stock_level s JOIN stock_rule r ON r.gtin13 = s.gtin13 "
            "AND (r.location = s.location OR s.location = ?)", (stock.RESERVE,))}

    # -- parcels ---------------------------------------------------------------------------------
    def parcel_state(self, order_code: str) -> Optional[tuple[str, str]]:
        """(state, location) of a parcel, or None if it was never received."""
        if not self.conn.execute("SELECT 1 FROM parcel WHERE order_code = ?", (order_code,)).fetchone():
            return None
        state = self.conn.execute("SELECT action FROM parcel_event WHERE order_code = ? ORDER BY seq DESC LIMIT 1",
                                  (order_code,)).fetchone()
        where = self.conn.execute("SELECT location FROM parcel_event WHERE order_code = ? AND location != '' "
                                  "ORDER BY seq DESC LIMIT 1", (order_code,)).fetchone()
        return state[0], where[0] if where else ""

    def parcels(self) -> list[dict]:
        out = []
        for code, customer, packages in self.conn.execute(
                "SELECT order_code, customer, packages FROM parcel ORDER BY received_at, order_code").fetchall():
            state, where = self.parcel_state(code)
            out.append({"order_code": code, "customer": customer, "packages": packages, "state": state,
                        "location": where})
        return out

    def parcel_event(self, order_code: str, action: str, *, location: str = "", detail: str = "",
                     customer: str = "", packages: int = 1, moves: Sequence[Move] = (), operator: str,
                     at: Optional[datetime] = None) -> None:
        """A parcel's step (received, stored, handed over, returned) and its moves, checked against its
        current state in the same transaction (commerce.stock.parcel_step)."""
        def write():
            current = self.parcel_state(order_code)
            if action == stock.PARCEL_RECEIVED:
                if current is not None:
                    raise CommerceError(f"colis {order_code} déjà reçu")
                self.conn.execute("INSERT INTO parcel(order_code, customer, packages, received_at, operator) "
                                  "VALUES (?,?,?,?,?)", (order_code, customer, packages, _iso(at), operator))
            elif current is None:
                raise CommerceError(f"colis {order_code} inconnu : il n'a pas été reçu")
            else:
                stock.parcel_step(current[0], action, order_code)
            seq = self.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM parcel_event WHERE order_code = ?",
                                    (order_code,)).fetchone()[0]
            self.conn.execute("INSERT INTO parcel_event(order_code, seq, action, location, detail, at, operator) "
                              "VALUES (?,?,?,?,?,?,?)", (order_code, seq, action, location, detail, _iso(at), operator))
            op = _new_id()
            wired = write_moves(self.conn, moves, ref=order_code, operator=operator, at=at, op=op) if moves else []
            outbox.enqueue(self.conn, "parcel", op, {"id": op, "order_code": order_code, "action": action,
                                                     "location": location, "detail": detail, "at": _iso(at),
                                                     "operator": operator, "moves": wired})
        self._write(write)


def reception_to_wire(draft: str, number: int, d: ReceptionDraft, r: ReceptionResult, moves: list[dict],
                      operator: str, at: str) -> dict:
    return {
        "id": draft, "number": number, "po": d.order.number, "supplier": d.order.supplier, "note": d.note, "at": at,
        "operator": operator,
        "lines": [{"gtin": l.gtin13, "ordered": l.ordered, "announced": l.announced, "received": l.received,
                   "damaged": l.damaged, "damage_reason": l.damage_reason, "date_kind": l.date_kind,
                   "best_before": l.best_before.isoformat() if l.best_before else None, "short_date": l.short_date,
                   "accepted": l.accepted, "set_aside": l.set_aside, "unit_cost": l.unit_cost} for l in r.lines],
        "anomalies": [{"kind": a.kind, "gtin": a.gtin13, "qty": a.qty, "detail": a.detail} for a in r.anomalies],
        "moves": moves,
        "backorder": None if r.backorder is None else {
            "number": r.backorder.number, "lines": [{"gtin": l.gtin13, "qty": l.qty} for l in r.backorder.lines]},
    }


def payload(conn: sqlite3.Connection, record_id: str) -> Optional[dict]:
    """The outbox payload of a record (tests and diagnostics)."""
    row = conn.execute("SELECT payload FROM outbox WHERE record_id = ?", (record_id,)).fetchone()
    return json.loads(row[0]) if row else None
