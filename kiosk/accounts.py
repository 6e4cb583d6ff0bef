"""The kiosk's customers, offers and stored values, in the kiosk's SQLite database.

- customer: loyalty card holders, with their pricelist group;
- pricelist, promotion: the shop's group prices and automatic offers (commerce.pricing);
- value_move: every movement of a gift card, a credit note (avoir) or loyalty points, written in the
  transaction of the ticket that causes it, never updated or deleted. A balance is the sum of its
  moves, so it can always be explained line by line.

Customers, pricelists and promotions come from the back office eventually; the demo seeds them.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Optional

from commerce import cards
from commerce.errors import CommerceError
from commerce.money import format_eur
from commerce.pricing import Customer, Pricelist, Promotion
from commerce.ticket import GIFT_CARD, ValidatedTicket

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer (
    card TEXT PRIMARY KEY,           -- loyalty card barcode (commerce.cards, prefix 049)
    name TEXT NOT NULL,
    price_group TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pricelist (
    price_group TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    percent_bp INTEGER NOT NULL DEFAULT 0,
    prices TEXT NOT NULL DEFAULT '{}'  -- JSON {gtin13: cents}
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS promotion (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    gtins TEXT NOT NULL,             -- JSON list of GTIN-13
    n INTEGER NOT NULL,
    percent_bp INTEGER NOT NULL DEFAULT 0,
    bundle_price INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS value_move (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,              -- gift_card | credit_note | points
    code TEXT NOT NULL,              -- the card, credit note or loyalty card
    amount INTEGER NOT NULL,         -- cents (points for loyalty), + credited, − spent
    ticket_id TEXT NOT NULL,
    register TEXT NOT NULL,
    number INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS value_move_code ON value_move(kind, code);
CREATE TRIGGER IF NOT EXISTS value_move_no_update BEFORE UPDATE ON value_move
    BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite (value_move)'); END;
CREATE TRIGGER IF NOT EXISTS value_move_no_delete BEFORE DELETE ON value_move
    BEGIN SELECT RAISE(ABORT, 'enregistrement validé : modification interdite (value_move)'); END;
"""
POINTS = "points"


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)


# -- customers and offers --------------------------------------------------------------------------
def customer(conn, card: str) -> Optional[Customer]:
    row = conn.execute("SELECT card, name, price_group FROM customer WHERE card = ?", (card,)).fetchone()
    if row is None:
        return None
    return Customer(row[0], row[1], row[2], balance(conn, POINTS, row[0]))


def pricelist(conn, group: str) -> Optional[Pricelist]:
    row = conn.execute("SELECT price_group, label, percent_bp, prices FROM pricelist WHERE price_group = ?",
                       (group,)).fetchone()
    return Pricelist(row[0], row[1], row[2], json.loads(row[3])) if row else None


def promotions(conn) -> tuple[Promotion, ...]:
    rows = conn.execute("SELECT code, label, gtins, n, percent_bp, bundle_price FROM promotion ORDER BY code")
    return tuple(Promotion(c, l, frozenset(json.loads(g)), n, p, b) for c, l, g, n, p, b in rows)


def save_customer(conn, c: Customer) -> None:
    conn.execute("INSERT OR REPLACE INTO customer(card, name, price_group) VALUES (?,?,?)", (c.card, c.name, c.group))


def save_pricelist(conn, p: Pricelist) -> None:
    conn.execute("INSERT OR REPLACE INTO pricelist(price_group, label, percent_bp, prices) VALUES (?,?,?,?)",
                 (p.group, p.label, p.percent_bp, json.dumps(dict(p.prices), sort_keys=True)))


def save_promotion(conn, p: Promotion) -> None:
    conn.execute("INSERT OR REPLACE INTO promotion(code, label, gtins, n, percent_bp, bundle_price) "
                 "VALUES (?,?,?,?,?,?)", (p.code, p.label, json.dumps(sorted(p.gtins)), p.n, p.percent_bp,
                                          p.bundle_price))


# -- stored values -------------------------------------------------------------------------------------
def balance(conn, kind: str, code: str) -> int:
    return conn.execute("SELECT coalesce(sum(amount), 0) FROM value_move WHERE kind = ? AND code = ?",
                        (kind, code)).fetchone()[0]


def issued(conn, kind: str, code: str) -> bool:
    return conn.execute("SELECT 1 FROM value_move WHERE kind = ? AND code = ? LIMIT 1", (kind, code)).fetchone() \
        is not None


def next_card(conn, kind: str, register: str, taken=()) -> str:
    """A fresh card number for a credit note issued here (sequence per kind, never reused);
    `taken`: numbers already given on the ticket in progress (not stored yet)."""
    n = conn.execute("SELECT count(DISTINCT code) FROM value_move WHERE kind = ?", (kind,)).fetchone()[0]
    code = cards.make_card(kind, n + 1)
    while issued(conn, kind, code) or code in taken:
        n += 1
        code = cards.make_card(kind, n + 1)
    return code


def check_spend(conn, kind: str, code: str, amount: int) -> None:
    """A gift card or credit note may pay `amount` cents: it exists and its balance covers it."""
    label = cards.LABELS[kind]
    if not issued(conn, kind, code):
        raise CommerceError(f"{label} {code} inconnu(e) : jamais émis(e) par le magasin")
    left = balance(conn, kind, code)
    if amount > left:
        raise CommerceError(f"{label} {code} : solde {format_eur(left)}, insuffisant pour {format_eur(amount)}")


def moves_of(v: ValidatedTicket) -> list[tuple[str, str, int]]:
    """(kind, code, amount) the ticket writes: gift cards sold and spent, credit notes issued and
    spent, loyalty points earned and redeemed."""
    out = [(cards.GIFT_CARD, l.gtin13, l.total) for l in v.lines if l.kind == GIFT_CARD]
    for p in v.payments:
        if p.method in (cards.GIFT_CARD, cards.CREDIT_NOTE):
            out.append((p.method, p.reference, -p.amount))  # spent: −; a credit note issued on a refund: +
    if v.customer:
        out += [(POINTS, v.customer, v.points_earned - v.points_redeemed)] if v.points_earned or v.points_redeemed else []
    return out


def record_ticket(conn, v: ValidatedTicket) -> None:
    """Write the ticket's value moves (caller's transaction), checking balances once more."""
    for kind, code, amount in moves_of(v):
        if kind in (cards.GIFT_CARD, cards.CREDIT_NOTE) and amount > 0 and issued(conn, kind, code):
            raise CommerceError(f"{cards.LABELS[kind]} {code} déjà émis(e)")
        if kind != POINTS and amount < 0:
            check_spend(conn, kind, code, -amount)
        if kind == POINTS and v.points_redeemed > balance(conn, POINTS, code):
            raise CommerceError(f"{v.points_redeemed} points utilisés : le client n'en a plus que "
                                f"{balance(conn, POINTS, code)}")
        conn.execute("INSERT INTO value_move(kind, code, amount, ticket_id, register, number, at) "
                     "VALUES (?,?,?,?,?,?,?)", (kind, code, amount, v.id, v.register, v.number,
                                                v.created_at.isoformat()))


def seed_demo(conn, gtins) -> None:
    """The demo shop: three loyalty customers, a staff pricelist, three promotions."""
    from commerce.pricing import demo_promotions
    save_pricelist(conn, Pricelist("personnel", "Tarif personnel −10 %", 1000))
    for n, (name, group) in enumerate((("Camille Durand", ""), ("Karim Benali", ""),
                                       ("Mme Lefèvre (personnel)", "personnel")), start=1):
        if customer(conn, cards.make_card(cards.LOYALTY, n)) is None:
            save_customer(conn, Customer(cards.make_card(cards.LOYALTY, n), name, group))
    for p in demo_promotions(gtins):
        save_promotion(conn, p)
