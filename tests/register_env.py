"""A register on a real KioskStore (SQLite file) with a small shop: products at every VAT rate, the
demo class (students and the teacher), three promotions, a staff pricelist and loyalty customers.

Imported by bare name by the register tests (no tests/__init__.py)."""
from __future__ import annotations

import json
import sqlite3

from commerce import cards
from commerce.catalogue import Product
from commerce.gtin import check_digit
from commerce.operators import demo_class
from commerce.pricing import FULL_BP, Customer, Pricelist, Promotion
from kiosk import accounts
from kiosk.register_service import RegisterService
from kiosk.signin_service import SignInService
from kiosk.store import KioskStore


def ean(body12: str) -> str:
    return body12 + check_digit(body12)


NUT = Product("3017620422003", "Nutella 400 g", 737, 2000, "")      # 7,37 € at 20 %
LIVRE = Product("9782070612758", "Livre", 9582, 210, "")             # 95,82 € at 2,1 %
YAOURT = Product(ean("325039000001"), "Yaourt", 120, 550, "")        # 1,20 € at 5,5 % — 3 pour 2
SODA = Product(ean("325039000002"), "Soda 33 cl", 150, 2000, "")     # 1,50 € at 20 % — 3 pour 2
CAFE = Product(ean("325039000003"), "Café 250 g", 499, 550, "")      # 4,99 € — 2e à -50 %
BISCUIT = Product(ean("325039000004"), "Biscuits", 290, 550, "")     # 2,90 € at 5,5 % — lot de 2 à 5 €
JUS = Product(ean("325039000005"), "Jus 1 L", 345, 1000, "")         # 3,45 € at 10 % — lot de 2 à 5 €
POMMES = Product(ean("325039000006"), "Pommes", 299, 550, "")        # 2,99 € le kg
PRODUCTS = (NUT, LIVRE, YAOURT, SODA, CAFE, BISCUIT, JUS, POMMES)

PROMOS = (
    Promotion("P3X2", "3 pour 2", frozenset({YAOURT.gtin13, SODA.gtin13}), 3, percent_bp=FULL_BP),
    Promotion("P2E50", "2e à -50 %", frozenset({CAFE.gtin13}), 2, percent_bp=5000),
    Promotion("LOT2", "Lot de 2 à 5,00 €", frozenset({BISCUIT.gtin13, JUS.gtin13}), 2, bundle_price=500),
)
CAMILLE = cards.make_card(cards.LOYALTY, 1)     # 0490000000014, no group
STAFF = cards.make_card(cards.LOYALTY, 3)       # group "personnel": −10 %
TEACHER = "0400000000992"                       # Mme Laurent, professeur
STUDENT = "0400000000015"                       # Léa Martin, élève (eleve1)
HUGO = "0400000000022"                          # Hugo Bernard, élève (eleve2)


class Printer:
    """Keeps the receipts' blocks (commerce.receipt); the drawer opens on demand."""

    columns = 48
    pending = None

    def __init__(self):
        self.jobs, self.drawer = [], 0

    def print_job(self, blocks):
        self.jobs.append(blocks)

    def open_drawer(self):
        self.drawer += 1


def make_store(path) -> KioskStore:
    store = KioskStore(path)
    store.upsert_products(PRODUCTS)
    for op in demo_class(iterations=1000):
        store.add_operator(op)
    with store.conn:
        for p in PROMOS:
            accounts.save_promotion(store.conn, p)
        accounts.save_pricelist(store.conn, Pricelist("personnel", "Tarif personnel −10 %", 1000))
        accounts.save_customer(store.conn, Customer(CAMILLE, "Camille Durand"))
        accounts.save_customer(store.conn, Customer(STAFF, "Mme Lefèvre", "personnel"))
    return store


def make_service(store, badge: str = STUDENT, register: str = "1") -> RegisterService:
    """A register with a student signed in by badge (the cashier is the operator's id)."""
    signin = SignInService(store, register)
    op = signin.badge(badge).operator
    return RegisterService(store, Printer(), register, op.id, signin=signin)


def rows(store, sql, *args):
    c = sqlite3.connect(store.path)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def vat_rows(ticket):
    return [(v.rate_bp, v.ht, v.tva, v.ttc) for v in ticket.vat]


def stored_vat(store, ticket):
    return rows(store, "SELECT rate_bp, ht, tva, ttc FROM ticket_vat WHERE ticket_id = ? ORDER BY rate_bp DESC",
                ticket.id)


def priced(svc):
    return [(l.kind, l.label, l.vat_bp, l.total) for l in svc.ticket.priced]


def journal(store, register="1", kind=None):
    """[(kind, operator, details)] of the register's journal, oldest first."""
    out = [(k, op, json.loads(d)) for k, op, d in rows(
        store, "SELECT kind, operator, details FROM journal WHERE register = ? ORDER BY number", register)]
    return [e for e in out if kind is None or e[0] == kind]


def sell(svc, *products, pay="card"):
    """Ring the products up and pay them all by `pay`; returns the validated ticket."""
    for p in products:
        assert svc.scan(p.gtin13).level == "info"
    fb = getattr(svc, f"pay_{pay}")("")
    assert fb.level == "info", fb.message
    return svc.last_sale
